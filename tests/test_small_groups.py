"""small_group(n, k) and small_group_id(G): GAP's SmallGroup numbering, proved by explicit isomorphisms."""

import itertools
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.errors import GroupInputError
from grokcheck.theory import FiniteGroup, check_cayley_table, group, isomorphism
from grokcheck.theory._small_groups import (
    _CATALOGUE,
    SMALL_GROUP_MAX_ORDER,
    Matrices,
    Presentation,
    _invariants,
    number_small_groups,
    small_group,
    small_group_entry,
    small_group_from_name,
    small_group_id,
)

# The numbers of groups of order 1, 2, 3, … (OEIS A000001), a classical result independent of any library.
_NUMBER_OF_GROUPS = (1, 1, 1, 2, 1, 2, 1, 5, 2, 2, 1, 5, 1, 2, 1, 14, 1, 5, 1, 5, 2, 2, 1, 15, 2, 2, 5, 4, 1, 4, 1, 51)
_IDS = [(n, k) for n, k, *_ in _CATALOGUE]


def _shuffled(G, seed):
    """``G`` with its elements renamed by a seeded random permutation (the identity moves too)."""
    return FiniteGroup(G.relabel(np.random.default_rng(seed).permutation(G.order)).table)


def test_the_catalogue_holds_every_order_up_to_its_maximum_with_gaps_indices():
    assert SMALL_GROUP_MAX_ORDER >= 31
    for n in range(1, SMALL_GROUP_MAX_ORDER + 1):
        ks = [k for m, k in _IDS if m == n]
        assert ks == list(range(1, _NUMBER_OF_GROUPS[n - 1] + 1)), n
        assert number_small_groups(n) == _NUMBER_OF_GROUPS[n - 1]
    assert len(set(_IDS)) == len(_IDS)


@pytest.mark.parametrize("n, k", _IDS)
def test_every_construction_is_a_group_of_its_order(n, k):
    G = small_group(n, k)
    assert G.order == n
    check_cayley_table(G.table)  # Latin square, identity, associativity, all in full at these orders
    assert G.identity == 0
    assert G.source == f"SmallGroup({n},{k})"


@pytest.mark.parametrize("n", range(1, SMALL_GROUP_MAX_ORDER + 1))
def test_groups_of_one_order_are_pairwise_non_isomorphic(n):
    """Their isomorphism invariants differ, which proves it (and leaves one candidate per identification)."""
    ks = [k for m, k in _IDS if m == n]
    for a, b in itertools.combinations(ks, 2):
        assert _invariants(small_group(n, a)) != _invariants(small_group(n, b)), (n, a, b)


def test_invariants_do_not_depend_on_the_labelling():
    for n, k in [(16, 3), (16, 13), (24, 8), (27, 3), (32, 49), (32, 50)]:
        G = small_group(n, k)
        assert _invariants(_shuffled(G, seed=n + k)) == _invariants(G)
        assert isomorphism(_shuffled(G, seed=n + k), G) is not None


@pytest.mark.parametrize("n, k", _IDS)
def test_each_group_is_identified_after_relabelling(n, k):
    for seed in range(2):
        assert small_group_id(_shuffled(small_group(n, k), seed=1000 * n + 10 * k + seed)) == (n, k)


@given(st.sampled_from(_IDS), st.randoms(use_true_random=False))
def test_identification_is_independent_of_the_labelling(nk, rnd):
    n, k = nk
    perm = list(range(n))
    rnd.shuffle(perm)
    assert small_group_id(FiniteGroup(small_group(n, k).relabel(perm).table)) == (n, k)


def test_familiar_groups_get_their_ids():
    assert small_group_id(group("Q8xC2")) == (16, 12)
    assert small_group_id(group("S4")) == (24, 12)
    assert small_group_id(group("SL(2,3)")) == (24, 3)
    assert small_group_id(group("Dic3")) == (12, 1)
    assert small_group_id(group("C3xC3xC3")) == (27, 5)
    assert small_group_id(group("C1")) == (1, 1)
    # the Pauli group ⟨X, Y, Z⟩ from 4×4 real permutation-with-signs matrices: ±1, ±i as [[a, -b], [b, a]] blocks
    i2 = ((0, -1), (1, 0))
    one, zero = ((1, 0), (0, 1)), ((0, 0), (0, 0))

    def block(m):  # a complex 2×2 matrix with entries in {0, ±1, ±i} as a real 4×4 matrix
        rows = []
        for r in m:
            blocks = [np.array({0: zero, 1: one, -1: np.negative(one), 1j: i2, -1j: np.negative(i2)}[c])
                      for c in r]
            rows.append(np.hstack(blocks))
        return tuple(map(tuple, np.vstack(rows).tolist()))

    X, Y, Z = block([[0, 1], [1, 0]]), block([[0, -1j], [1j, 0]]), block([[1, 0], [0, -1]])
    pauli = Matrices(7, (X, Y, Z)).build()  # entries 0, ±1: GF(7) reduction is faithful
    assert pauli.order == 16
    assert small_group_id(pauli) == (16, 13)


def test_orders_outside_the_catalogue_give_none():
    assert small_group_id(group(f"C{SMALL_GROUP_MAX_ORDER + 1}")) is None
    assert small_group_id(group("S5")) is None


@pytest.mark.parametrize(
    "n, k, match",
    [
        (0, 1, "outside grokcheck's catalogue"),
        (SMALL_GROUP_MAX_ORDER + 1, 1, "outside grokcheck's catalogue"),
        (16, 0, r"there are 14 groups of order 16, numbered 1\.\.14"),
        (16, 15, r"there are 14 groups of order 16"),
        (7, 2, r"there is 1 group of order 7"),
        (True, 1, "outside"),
        (8, "3", "does not exist"),
        (8.0, 3, "outside"),
    ],
)
def test_out_of_range_ids_are_refused_clearly(n, k, match):
    with pytest.raises(GroupInputError, match=match):
        small_group(n, k)


def test_the_name_syntax_is_gaps():
    assert small_group_from_name("SmallGroup(16,13)") == small_group(16, 13)
    assert small_group_from_name(" SmallGroup( 32 , 51 ) ") == small_group(32, 51)
    assert small_group_from_name("Q8xC2") is None
    for bad, match in [("SmallGroup(16)", r"write SmallGroup\(n,k\)"), ("SmallGroup(16,3)xC2", "write SmallGroup"),
                       ("SmallGroup(16,15)", "there are 14 groups"), ("SmallGroup(64,1)", "outside")]:
        with pytest.raises(GroupInputError, match=match):
            small_group_from_name(bad)


def test_entries_carry_gaps_description_and_the_construction():
    e = small_group_entry(16, 8)
    assert (e.order, e.index, e.description) == (16, 8, "QD16")
    assert e.construction == "<a, b | a^8, b^2, a^b = a^3>"
    assert small_group_entry(8, 4).construction == "<a, b | a^4, b^2 = a^2, a^b = a^3>"
    assert small_group_entry(32, 22).construction == "C2 x SmallGroup(16,3)"
    assert small_group_entry(24, 14).construction == "C2 x C2 x S3"


@pytest.mark.parametrize(
    "gens, orders, rels, match",
    [
        ("a b", (2, 3), ("b^a = b^2", "a^2 = b"), "inconsistent"),  # a does not commute with a² = b
        ("a b", (3, 3), ("b^a = b^2",), "inconsistent"),  # α³ = inversion ≠ conjugation by a³ = 1
        ("a b", (2, 2), ("a^b = b",), "must come before"),
        ("a b", (2, 2), ("a^3 = b",), "relative order"),
        ("a b", (2, 2), ("b^a = q",), "cannot read 'q'"),
        ("a b", (2, 2), ("b^a",), "cannot read the relation"),
        ("a a", (2, 2), (), "distinct generator names"),
    ],
)
def test_inconsistent_or_malformed_presentations_are_refused(gens, orders, rels, match):
    with pytest.raises(GroupInputError, match=match):
        Presentation(gens, orders, rels).build()


def _gap_ids(ids):
    """``(IdGroup, StructureDescription)`` from GAP for each construction, given to GAP as its regular permutation group."""
    lines = []
    for n, k in ids:
        G = small_group(n, k)
        perms = ",".join("PermList([%s])" % ",".join(str(int(x) + 1) for x in G.table[:, g]) for g in G.generators)
        lines.append(f'G := Group([{perms}], ());; Print(IdGroup(G)[1], " ", IdGroup(G)[2], " ", '
                     'StructureDescription(G), "\\n");')
    out = subprocess.run(["gap", "-q"], input="\n".join(lines) + "\nQUIT;\n", capture_output=True, text=True,
                         timeout=600, check=True).stdout
    return [tuple(line.split(" ", 2)) for line in out.strip().splitlines()]


@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (the cross-check is optional)")
def test_ids_and_descriptions_agree_with_gap():
    got = _gap_ids(_IDS)
    expected = [(str(n), str(k), desc) for n, k, desc, _ in _CATALOGUE]
    assert got == expected


# ---------------------------------------------------------------- the theory layer on every small group
from grokcheck.theory.strategies import small_groups  # noqa: E402


@given(small_groups(), st.integers(0, 2**32 - 1))
def test_theory_invariants_on_every_small_group(G, seed):
    """Character theory and certified irreps on groups no product of named families spells (the Pauli
    group, SD16, M16, the 2-groups of order 32), in shuffled labellings. Tolerances: entries are sums of
    at most 32 roots of unity in float64, so 1e-9 is ~10⁶ ulps of slack and far below any true defect (≥ 1/32)."""
    from grokcheck.theory import fourier_transform, inverse_fourier_transform

    n = G.order
    X = G.character_table.on_elements()  # (k, n)
    degrees = X[:, G.identity].real.round().astype(int)
    assert np.allclose(X.conj() @ X.T / n, np.eye(len(X)), atol=1e-9)  # row orthogonality
    assert (degrees**2).sum() == n and all(n % d == 0 for d in degrees)
    # Frobenius–Schur: Σ ι(χ) χ(1) counts the solutions of g² = 1
    ind = np.asarray(G.character_table.fs_indicators)
    assert int((ind * degrees).sum()) == int((G.table[np.arange(n), np.arange(n)] == G.identity).sum())
    for rho in G.irreps:
        M = rho.matrices
        assert np.allclose(np.einsum("aij,bjk->abik", M, M), M[G.table], atol=1e-9)  # homomorphism
        assert np.allclose(np.einsum("aji,ajk->aik", M.conj(), M), np.eye(rho.dim), atol=1e-9)  # unitary
    nu = np.random.default_rng(seed).standard_normal(n)
    assert np.allclose(inverse_fourier_transform(G, fourier_transform(G, nu)).real, nu, atol=1e-9)


@given(small_groups(min_order=8, relabel=True))
def test_small_group_id_round_trips_through_the_name(G):
    nk = small_group_id(G)
    assert nk is not None and group(f"SmallGroup({nk[0]},{nk[1]})").order == G.order
    assert isomorphism(G, group(f"SmallGroup({nk[0]},{nk[1]})")) is not None
