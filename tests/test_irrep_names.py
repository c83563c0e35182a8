"""Irrep names: S_n/A_n partitions computed from characters (Murnaghan–Nakayama), recognised from
tables by presentation, GAP-like labels with Frobenius–Schur type and character field otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokcheck.theory import FiniteGroup, group, irrep_names, murnaghan_nakayama, recognise_symmetric
from grokcheck.theory._irrep_names import _conjugate, _cycle_type, partitions


def _hook_dimension(lam):
    n = sum(lam)
    conj = _conjugate(lam)
    hooks = 1
    for i, row in enumerate(lam):
        for j in range(row):
            hooks *= (row - j - 1) + (conj[j] - i - 1) + 1
    return math.factorial(n) // hooks


def _z(mu):
    out = 1
    for p in set(mu):
        m = mu.count(p)
        out *= p**m * math.factorial(m)
    return out


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_murnaghan_nakayama_table_is_orthonormal_with_hook_dimensions(n):
    parts = partitions(n)
    X = np.array([[murnaghan_nakayama(lam, mu) for mu in parts] for lam in parts], dtype=float)
    w = np.array([1 / _z(mu) for mu in parts])  # class size / n! of cycle type μ
    # Σ_μ χ^λ(μ)χ^ν(μ)/z_μ = δ: integers times rationals, summed in float64 (rounding ~1e-15)
    assert np.allclose((X * w) @ X.T, np.eye(len(parts)), rtol=0, atol=1e-12)
    identity = parts.index((1,) * n)
    assert [int(X[i, identity]) for i in range(len(parts))] == [_hook_dimension(lam) for lam in parts]


@pytest.mark.parametrize("n", [3, 4, 5, 6])
@pytest.mark.parametrize("how", ["name", "relabelled"])
def test_symmetric_partitions_match_characters_on_cycle_types(n, how):
    G = group(f"S{n}")
    if how == "relabelled":  # a bare table: relabelled and without its permutations
        G = FiniteGroup.from_table(G.relabel(np.random.default_rng(n).permutation(G.order)).table)
    rec = recognise_symmetric(G)
    assert rec is not None and rec.family == "S" and rec.n == n
    assert rec.how in (("name", "elements") if how == "name" else ("presentation",))
    names = irrep_names(G, recognition=rec)
    types = [_cycle_type(rec.perms[int(c[0])]) for c in G.conjugacy_classes]
    vals = G.character_table.values
    assert sorted(nm.partition for nm in names) == sorted(partitions(n))
    for nm in names:
        assert np.allclose(vals[nm.index], [murnaghan_nakayama(nm.partition, mu) for mu in types], atol=1e-12)
        assert nm.dim == _hook_dimension(nm.partition)
    by = {nm.partition: nm for nm in names}
    assert by[(n,)].alias == "trivial" and by[(1,) * n].alias == "sign" and by[(n - 1, 1)].alias == "standard"
    # the sign character is the sign of the permutations
    sign = np.array([(-1) ** (n - len(_cycle_type(p))) for p in rec.perms])
    assert np.allclose(G.character_table.on_elements()[by[(1,) * n].index], sign)
    assert (names[0].note is None) == rec.exact
    assert rec.exact == (how == "name" or n != 6)


def test_s6_from_a_table_warns_about_the_outer_automorphism():
    G = FiniteGroup.from_table(group("S6").relabel(np.random.default_rng(0).permutation(720)).table)
    names = irrep_names(G)
    assert all("outer automorphism" in nm.note for nm in names)


@pytest.mark.parametrize("n", [4, 5, 6])
def test_alternating_partitions(n):
    G = FiniteGroup.from_table(group(f"A{n}").relabel(np.random.default_rng(n).permutation(math.factorial(n) // 2)).table)
    names = irrep_names(G)
    assert names[0].family == f"A{n}"
    pm = [nm for nm in names if nm.name.split()[0].endswith(("+", "-"))]
    self_conj = [lam for lam in partitions(n) if _conjugate(lam) == lam]
    assert len(pm) == 2 * len(self_conj)  # each self-conjugate λ splits into λ+ and λ−
    for nm in names:
        lam = nm.partition
        if _conjugate(lam) != lam:
            assert nm.dim == _hook_dimension(lam)
        else:
            assert 2 * nm.dim == _hook_dimension(lam)
    assert sum(nm.dim**2 for nm in names) == G.order
    assert all("odd permutation" in nm.note for nm in pm)


def test_a5_names_and_fields():
    names = {nm.name: nm for nm in irrep_names(group("A5"))}
    assert set(names) == {"[5] trivial", "[4,1] standard", "[3,2]", "[3,1,1]+", "[3,1,1]-"}
    assert names["[3,1,1]+"].field == "Q(√5)" and names["[3,2]"].field == "Q"


@pytest.mark.parametrize("name,expected", [
    ("C3", [("1a trivial", "real", "Q"), ("1b freq 1", "complex", "Q(√-3)"), ("1c freq 1", "complex", "Q(√-3)")]),
    ("Q8", [("1a trivial", "real", "Q"), ("1b", "real", "Q"), ("1c freq 2", "real", "Q"), ("1d freq 2", "real", "Q"),
            ("2a freq 1", "quaternionic", "Q")]),
    ("C3xC3", [("1a trivial", "real", "Q")] + [(f"1{c}", "complex", "Q(√-3)") for c in "bcdefgh"]),
])
def test_gap_like_labels(name, expected):
    names = irrep_names(group(name))[: len(expected)]
    assert [(nm.name, nm.kind, nm.field) for nm in names] == expected
    assert [nm.to_json()["index"] for nm in names] == list(range(1, len(expected) + 1))


def test_character_fields_of_cyclic_and_dihedral_groups():
    c7 = irrep_names(group("C7"))
    assert {nm.field for nm in c7[1:]} == {"Q(ζ7)"}
    d5 = irrep_names(group("D5"))
    assert [nm.field for nm in d5 if nm.dim == 2] == ["Q(√5)", "Q(√5)"]
    c8 = irrep_names(group("C8"))
    assert sorted({nm.field for nm in c8}) == ["Q", "Q(ζ8)", "Q(√-1)"]


def test_groups_of_factorial_order_that_are_not_symmetric_are_not_recognised():
    for name in ["C6", "SL(2,3)", "C2xC12", "D12", "C5xC12", "C60", "D30", "C3xA4"]:
        assert recognise_symmetric(group(name)) is None, name
    assert recognise_symmetric(FiniteGroup.from_table(group("S3").table)) is not None


@pytest.mark.parametrize("name,m", [("C12", 12), ("D7", 7), ("Dic3", 6)])
def test_frequencies_of_rotation_labelled_groups(name, m):
    G = group(name)
    names = irrep_names(G)
    chi = G.character_table.on_elements()
    for nm in names:
        if nm.alias and nm.alias.startswith("freq "):
            k = int(nm.alias.split()[1])
            # the character on the rotation r = label 1 is a sum of exp(±2πik/m)
            z = np.exp(2j * np.pi * k / m)
            assert np.isclose(chi[nm.index][1].real, nm.dim * z.real) or np.isclose(chi[nm.index][1], z) \
                or np.isclose(chi[nm.index][1], np.conj(z))
    # relabelled, label 1 is no longer the rotation: no frequencies
    H = G.relabel(np.roll(np.arange(G.order), 3))
    assert not any(nm.alias and nm.alias.startswith("freq") for nm in irrep_names(H))


def test_s6_from_its_permutations_is_named_exactly():
    import itertools

    from grokcheck.theory._irrep_names import group_of_permutations

    rng = np.random.default_rng(6)
    perms = [list(p) for p in itertools.permutations(range(6))]
    perms = [perms[i] for i in rng.permutation(720)]  # any label order
    G, rec = group_of_permutations(perms)
    assert rec.exact and rec.how == "elements"
    names = irrep_names(G, recognition=rec)
    assert all(nm.note is None for nm in names)
    ref = {nm.name: nm.dim for nm in irrep_names(group("S6"))}
    assert {nm.name: nm.dim for nm in names} == ref
    # in the standard irrep [5,1] (fixed points minus one) a transposition has 3, a triple transposition -1:
    # the two classes the outer automorphism swaps are told apart
    std = next(nm for nm in names if nm.alias == "standard")
    chi = G.character_table.on_elements()[std.index].real
    t = perms.index([1, 0, 2, 3, 4, 5])
    ttt = perms.index([1, 0, 3, 2, 5, 4])
    assert round(chi[t]) == 3 and round(chi[ttt]) == -1


def test_permutation_groups_are_named_from_their_own_permutations():
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3,4,5,6)"])
    rec = recognise_symmetric(G)
    assert rec.exact and rec.n == 6
    names = irrep_names(G)
    assert all(nm.note is None for nm in names)
    std = next(nm for nm in names if nm.alias == "standard")
    t = G.elements.index("(1,2)")
    assert round(G.character_table.on_elements()[std.index][t].real) == 3  # fixed points minus one
    H = FiniteGroup.from_permutations(["(2,3)", "(3,4,5)"])  # S4 on the points 2..5
    assert recognise_symmetric(H).n == 4
