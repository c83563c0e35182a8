"""Character tables: exact oracles, orthogonality, degrees, indicators, relabelling."""

import re

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from _oracles import ORACLES, oracle_group, tables_match
from grokcheck.theory import Cyclotomic, FiniteGroup


def _cyclic(n):
    a = np.arange(n)
    return FiniteGroup.from_table((a[:, None] + a[None, :]) % n)


SMALL = {
    **{name: (lambda name=name: oracle_group(name)) for name in ORACLES},
    "C1": lambda: _cyclic(1),
    "C2": lambda: _cyclic(2),
    "C12": lambda: _cyclic(12),
    "S5": lambda: FiniteGroup.from_permutations(["(1,2)", "(1,2,3,4,5)"]),
    "D5": lambda: FiniteGroup.from_permutations(["(1,2,3,4,5)", "(2,5)(3,4)"]),
    "C2xC2xC2": lambda: FiniteGroup.from_permutations(["(1,2)", "(3,4)", "(5,6)"]),
    "Q16": lambda: FiniteGroup.from_permutations(
        ["(1,2,3,4,5,6,7,8)(9,10,11,12,13,14,15,16)", "(1,9,5,13)(2,16,6,12)(3,15,7,11)(4,14,8,10)"]
    ),
}


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_hand_known_tables_exactly(name):
    G = oracle_group(name)
    ct = G.character_table
    cols = [(int(G.element_orders[r]), int(s)) for r, s in zip(G.class_representatives, G.class_sizes)]
    _, known_cols, known = ORACLES[name]
    ours = [[ct.exact[i, j] for j in range(G.num_classes)] for i in range(ct.num_irreps)]
    assert tables_match(ours, cols, known, known_cols)


def test_oracle_comparison_can_fail():
    # A wrong table (two entries of A4 swapped within a row) must not match.
    _, cols, known = ORACLES["A4"]
    wrong = [row[:] for row in known]
    wrong[1][2], wrong[1][3] = wrong[1][3], wrong[1][2]
    wrong[2][2], wrong[2][3] = 0, 0
    G = oracle_group("A4")
    ct = G.character_table
    ours = [[ct.exact[i, j] for j in range(4)] for i in range(4)]
    assert not tables_match(ours, [(int(G.element_orders[r]), int(s)) for r, s in zip(G.class_representatives, G.class_sizes)], wrong, cols)


def test_a5_golden_ratio_is_exact_sympy():
    ct = oracle_group("A5").character_table
    vals = set(ct.exact[1, :]) | set(ct.exact[2, :])
    assert sympy.expand((1 + sympy.sqrt(5)) / 2) in vals
    assert sympy.expand((1 - sympy.sqrt(5)) / 2) in vals


def _orthogonality_exact(G):
    """Row orthogonality Σ_i |C_i| χ(g_i) ψ̄(g_i) = |G| δ, in exact cyclotomic arithmetic."""
    ct = G.character_table
    k = G.num_classes
    vals = [[ct.cyclotomic(x, c) for c in range(k)] for x in range(k)]
    for x in range(k):
        for y in range(x, k):
            s = Cyclotomic.integer(0)
            for c in range(k):
                s = s + int(G.class_sizes[c]) * vals[x][c] * vals[y][c].conjugate()
            assert s == (G.order if x == y else 0)


@pytest.mark.parametrize("name", ["S3", "Q8", "A4", "F21", "SL(2,3)", "D5", "C12"])
def test_orthogonality_in_exact_arithmetic(name):
    _orthogonality_exact(SMALL[name]())


@pytest.mark.parametrize("name", sorted(SMALL))
def test_table_invariants(name):
    G = SMALL[name]()
    ct = G.character_table
    k = G.num_classes
    d = ct.degrees
    assert ct.num_irreps == k
    assert int((d**2).sum()) == G.order
    assert np.all(G.order % d == 0)
    assert set(ct.fs_indicators.tolist()) <= {-1, 0, 1}
    v = ct.values
    # Row and column orthogonality; values are exact, float error is ~1e-15·|G|.
    gram = (v * G.class_sizes) @ v.conj().T / G.order
    assert np.allclose(gram, np.eye(k), atol=1e-10)
    col = v.conj().T @ v
    assert np.allclose(col, np.diag(G.centralizer_orders.astype(float)), atol=1e-9)
    # trivial character first, and χ(1) = degree
    assert np.allclose(v[0], 1)
    assert np.allclose(v[:, 0], d)
    # the dual permutation is an involution matching conjugate values, ι=0 iff χ ≠ χ̄
    assert np.array_equal(ct.dual[ct.dual], np.arange(k))
    assert np.all((ct.dual != np.arange(k)) == (ct.fs_indicators == 0))


def test_indicators_of_known_groups():
    assert oracle_group("Q8").character_table.fs_indicators.tolist() == [1, 1, 1, 1, -1]
    assert sorted(oracle_group("F21").character_table.fs_indicators.tolist()) == [0, 0, 0, 0, 1]
    Q16 = SMALL["Q16"]()
    assert int((Q16.element_orders == 2).sum()) == 1  # generalized quaternion: one involution
    # its two faithful 2-dim irreps (character ±√2 on order-8 elements) are quaternionic
    assert Q16.character_table.fs_indicators.tolist().count(-1) == 2
    assert all(i == 1 for i in oracle_group("S4").character_table.fs_indicators)


@given(st.sampled_from(["S3", "Q8", "A4", "F21", "SL(2,3)", "D5"]), st.integers(0, 2**32 - 1))
def test_cayley_input_with_shuffled_labels_gives_the_same_table(name, seed):
    G = SMALL[name]()
    perm = np.random.default_rng(seed).permutation(G.order)
    H = FiniteGroup.from_table(G.relabel(perm).table)  # validated, identity moves
    ours = {tuple(np.round(r, 9)) for r in G.character_table.on_elements()}
    # element g of G is element perm[g] of H
    theirs = {tuple(np.round(r[perm], 9)) for r in H.character_table.on_elements()}
    assert ours == theirs
    assert H.character_table.fs_indicators.tolist() == G.character_table.fs_indicators.tolist()


def test_json_schema():
    G = oracle_group("S3")
    data = G.character_table.to_json()
    assert data["order"] == 6
    assert sorted(sum((c["elements"] for c in data["classes"]), [])) == list(range(6))
    assert [c["size"] for c in data["classes"]] == [1, 3, 2] and [c["order"] for c in data["classes"]] == [1, 2, 3]
    assert [r["dim"] for r in data["irreps"]] == [1, 1, 2] and [r["index"] for r in data["irreps"]] == [1, 2, 3]
    for r in data["irreps"]:
        assert len(r["character"]) == 6 and all(len(z) == 2 for z in r["character"])


def test_display_names_irrationalities():
    text = oracle_group("A5").character_table.display()
    assert "A = " in text and "Sqrt(5)" in text and "5P" in text
    assert "*A" in text  # the Galois conjugate
    text = oracle_group("F21").character_table.display()
    assert "/A" in text and "Sqrt(-7)" in text and "b7" in text  # (-1+Sqrt(-7))/2 = b7 in ATLAS notation


def test_cyclotomic_arithmetic():
    z3 = Cyclotomic.from_exponents([0, 1, 0], 3)
    assert z3 * z3 * z3 == 1
    assert z3 + z3.conjugate() == -1
    assert z3.to_sympy() == sympy.Rational(-1, 2) + sympy.sqrt(3) * sympy.I / 2
    z5 = Cyclotomic.from_exponents([0, 1, 0, 0, 1], 5)
    assert z5.minimal_polynomial() == [1, 1, -1]
    assert Cyclotomic.from_exponents([0, 0, 1, 0], 4) == -1


@pytest.mark.parametrize("name", ["S3", "Q8", "A4", "SL(2,3)"])
def test_fast_class_matrix_combination_matches_structure_constants(name):
    # The O(n·k) combination used by the splitting equals Σ_i z_i N[i] from the definition.
    from grokcheck.theory._character_table import _class_matrix_combination, class_structure_constants

    G = oracle_group(name)
    N = class_structure_constants(G)
    z = np.random.default_rng(0).standard_normal(G.num_classes) + 1j
    assert np.allclose(_class_matrix_combination(G, z), np.tensordot(z, N, axes=1), atol=1e-12)
    # class sums multiply: Σ_l N[i, j, l] |C_l| = |C_i||C_j|
    assert np.array_equal(N @ G.class_sizes, np.outer(G.class_sizes, G.class_sizes))


# ------------------------------------------------------------------ power maps (no GAP needed)
POWER_MAP_GROUPS = ["S4", "D5", "Q16", "C12", "S5", "C2xC2xC2"]


@pytest.mark.parametrize("name", POWER_MAP_GROUPS)
def test_power_maps_are_class_functions_and_push_eigenvalues(name):
    """Every p-th power map printed is well defined on classes and agrees with the characters exactly.

    ``ρ(g^p) = ρ(g)^p`` has the eigenvalues of ``ρ(g)`` raised to the p-th power, so
    ``χ(g^p) = Σ_j m_j ζ_o^{pj}`` with ``m`` the eigenvalue multiplicities on ``g``'s class;
    for ``p ∤ o`` this is the Galois conjugate ``σ_p(χ(g))``. Checked in exact arithmetic.
    """
    from grokcheck.theory._gap_format import key_from_multiplicities, key_galois

    G = SMALL[name]()
    ct = G.character_table
    ids, keys = ct.value_table()
    primes = ct.power_map_primes()
    assert {p for p in range(2, G.order + 1) if G.order % p == 0 and sympy.isprime(p)} <= set(primes)
    for p in primes:
        pm = G.power_map(p)
        # well defined: every element of class c has its p-th power in class pm[c]
        assert np.array_equal(G.class_of[G.power(np.arange(G.order), p)], pm[G.class_of])
        for c in range(G.num_classes):
            m = ct.multiplicities[c]
            o = m.shape[1]
            for x in range(ct.num_irreps):
                pushed = np.zeros(o, dtype=np.int64)
                np.add.at(pushed, (p * np.arange(o)) % o, m[x])
                assert keys[ids[x, pm[c]]] == key_from_multiplicities(o, pushed)
                if o % p:  # Galois action: χ(g^p) = σ_p(χ(g))
                    N = keys[ids[x, c]][0]
                    assert keys[ids[x, pm[c]]] == key_galois(keys[ids[x, c]], p % N if N > 1 else 1)


def test_dihedral_power_maps_from_theory():
    """D7 = ⟨r, s⟩ (order 14), by hand: (r^k)^p = r^{pk}, so 7P sends rotations to 1 and 3P, 5P, 11P, 13P
    permute the three rotation classes {r^{±k}} as k ↦ pk; s^p = s for odd p and 1 for p = 2.
    These are the rows GAP prints for DihedralGroup(14): 2P, 3P, 5P, 7P (primes up to the largest order, 7)."""
    G = FiniteGroup.from_permutations(["(1,2,3,4,5,6,7)", "(2,7)(3,6)(4,5)"])
    ct = G.character_table
    assert ct.power_map_primes() == [2, 3, 5, 7] == ct.display_power_map_primes()
    r = int(np.nonzero(G.element_orders == 7)[0][0])
    s = int(np.nonzero(G.element_orders == 2)[0][0])
    ident = int(G.class_of[G.identity])
    for p in (2, 3, 5, 7, 11, 13):
        pm = G.power_map(p)
        assert pm[G.class_of[s]] == (ident if p == 2 else G.class_of[s])
        for k in range(1, 7):
            rk = G.power(np.array([r]), k)[0]
            want = G.class_of[G.power(np.array([r]), (p * k) % 7)[0]]
            assert pm[G.class_of[rk]] == want
            assert (pm[G.class_of[rk]] == ident) == (p == 7)
    rows = [ln.split()[0] for ln in ct.display().splitlines() if re.fullmatch(r"\s*\d+P( +\d+[a-z]+)+", ln)]
    assert rows == ["2P", "3P", "5P", "7P"]


def test_abelian_tables_print_no_power_maps_and_match_dixon():
    # GAP computes an Abelian group's characters without power maps and prints none; the
    # exponent-stored linear characters give the same exact table as Burnside–Dixon.
    from grokcheck.theory._character_table import OneHotMultiplicities, compute_character_table

    for G in (_cyclic(12), SMALL["C2xC2xC2"]()):
        fast, slow = compute_character_table(G), compute_character_table(G, method="dixon")
        assert isinstance(fast.multiplicities, OneHotMultiplicities)
        assert fast.display_power_map_primes() == []
        assert "P " not in fast.display()
        assert fast.value_table()[1] and [fast.value_table()[1][i] for i in fast.value_table()[0].ravel()] == [
            slow.value_table()[1][i] for i in slow.value_table()[0].ravel()
        ]
        assert np.array_equal(fast.dual, slow.dual)
        for c in range(G.num_classes):
            assert np.array_equal(fast.multiplicities[c], slow.multiplicities[c])
            for x in range(fast.num_irreps):
                assert fast.cyclotomic(x, c) == slow.cyclotomic(x, c)
