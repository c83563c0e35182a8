"""Character fields from a generating set of ``(Z/N)^*``: the fast ``_fields`` gives the same
strings as the loop over every unit it replaced (kept here as the reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from grokcheck.theory import group
from grokcheck.theory._irrep_names import _fields, _squarefree, _unit_generators
from grokcheck.theory.strategies import small_groups


def _fields_every_unit(G) -> list[tuple]:
    """The previous ``_fields``' Galois stabilisers, one Gram product per unit ``k`` of ``(Z/N)^*``,
    as (degree, D of a quadratic field, N)."""
    ct = G.character_table
    vals = ct.values
    w = G.class_sizes / G.order
    N = int(G.exponent)
    units = [k for k in range(1, N + 1) if math.gcd(k, N) == 1] if N > 1 else [1]
    r = ct.num_irreps
    stab = np.zeros(r, dtype=int)
    moved: dict[int, tuple[int, int]] = {}
    for k in units:
        conj = vals[:, G.power_map(k)]
        gram = (conj * w) @ np.conj(vals).T  # ⟨χ^σ, ψ⟩
        target = np.argmax(np.abs(gram), axis=1)
        fixed = target == np.arange(r)
        stab += fixed
        for x in np.nonzero(~fixed)[0]:
            moved.setdefault(int(x), (k, int(target[x])))
    phi = len(units)
    described = []
    for x in range(r):
        deg = phi // int(stab[x])
        D = None
        if deg == 2:  # the quadratic field: (χ − χ^σ)² at a class where they differ, σ a unit moving χ
            k, _ = moved[x]
            pm = G.power_map(k)
            diffs = (ct.cyclotomic(x, c) - ct.cyclotomic(x, int(pm[c])) for c in range(G.num_classes))
            D = next(_squarefree(int((d * d).coeffs[0])) for d in diffs if d != d * 0)
        described.append((deg, D, N // 2 if N % 4 == 2 else N))
    return described


def _described(field: str, N: int) -> tuple:
    """``_fields``' string read back as (degree, D of a quadratic field, the cyclotomic field's N)."""
    NN = N // 2 if N % 4 == 2 else N
    if field == "Q":
        return (1, None, NN)
    if field.startswith("Q(√"):
        return (2, int(field[3:-1]), NN)
    if field == f"Q(ζ{NN})":
        return (len([k for k in range(1, N + 1) if math.gcd(k, N) == 1]), None, NN)
    deg = int(field.split()[1])
    assert field == f"degree {deg} subfield of Q(ζ{NN})", field
    return (deg, None, NN)


# Cyclic groups with a cyclic or non-cyclic (Z/N)^* (N = 8, 12, 24, 60, 168 need several
# generators), dihedral, dicyclic, Frobenius and semidirect products, and groups with quadratic
# fields (A5, SL(2,5): Q(√5); PSL(2,7), C7:C3: Q(√-7); C12, SL(2,3): Q(√-3), Q(i)).
_NAMED = ["C1", "C2", "C2xC2", "C113", "C60", "C8", "C12", "C5", "C3xC6", "C4xC2xC8", "C3xC3xC3", "D59", "D8",
          "A4", "S4", "A5", "S5", "S6", "Q8", "SL(2,3)", "SL(2,5)", "SL(2,7)", "PSL(2,7)", "Dic3", "Dic5", "Dic6",
          "C5:C4", "F20", "F21", "C7:C3", "C8:C2[1]", "C8:C2[3]", "C8:C2[5]", "C8:C2[7]", "C3:C4[2]", "C3:C8[2]",
          "C24:C2[19]", "C8:C4[3]"]


@pytest.mark.parametrize("name", _NAMED)
def test_fields_equal_the_loop_over_every_unit_on_named_groups(name):
    G = group(name)
    assert [_described(f, int(G.exponent)) for f in _fields(G)] == _fields_every_unit(G)


@settings(max_examples=40, deadline=None)
@given(small_groups(max_order=32))
def test_fields_equal_the_loop_over_every_unit_on_small_groups(G):
    assert [_described(f, int(G.exponent)) for f in _fields(G)] == _fields_every_unit(G)


@pytest.mark.parametrize("N", range(1, 241))
def test_unit_generators_generate_every_unit(N):
    phi, gens = _unit_generators(N)
    units = {k % N for k in range(1, N + 1) if math.gcd(k, N) == 1}
    assert phi == len(units)
    H = {1 % N}
    while True:  # closure of {1} under multiplication by the generators
        grown = H | {h * g % N for h in H for g in gens}
        if grown == H:
            break
        H = grown
    assert H == units
    assert all(math.gcd(g, N) == 1 for g in gens)
    # each greedy generator at least doubles the subgroup generated so far
    assert len(gens) <= max(0, math.floor(math.log2(phi)))


def test_unit_generators_greedy_examples():
    # (Z/8)^* ≅ C2 × C2 needs both 3 and 5
    assert _unit_generators(8) == (4, (3, 5))
    # 113 ≡ 1 mod 8, so 2 is a square mod 113 and generates a proper subgroup; 3 completes it
    assert _unit_generators(113) == (112, (2, 3))
    # (Z/168)^* ≅ (Z/8)^* × (Z/3)^* × (Z/7)^* ≅ C2³ × C6 has rank 4: no fewer generators exist
    assert len(_unit_generators(168)[1]) == 4
