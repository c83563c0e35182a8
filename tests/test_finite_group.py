"""Finite groups from tables and permutations; validation with witnesses."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.errors import GrokcheckError, GroupInputError, NotAGroupError
from grokcheck.theory import FiniteGroup, check_cayley_table, group, parse_cycles

S4_GENS = ["(1,2)", "(1,2,3,4)"]

# The smallest non-associative loop (order 5): a Latin square with identity 0.
LOOP5 = [
    [0, 1, 2, 3, 4],
    [1, 0, 3, 4, 2],
    [2, 4, 0, 1, 3],
    [3, 2, 4, 0, 1],
    [4, 3, 1, 2, 0],
]


def _assoc_fails(t, a, b, c):
    t = np.asarray(t)
    return t[t[a, b], c] != t[a, t[b, c]]


def test_permutation_group_basics():
    G = FiniteGroup.from_permutations(S4_GENS)
    assert G.order == 24 and G.identity == 0
    assert G.num_classes == 5
    assert sorted(G.class_sizes.tolist()) == [1, 3, 6, 6, 8]
    assert G.class_sizes[0] == 1 and G.conjugacy_classes[0].tolist() == [G.identity]
    assert int(G.exponent) == 12
    assert not G.is_abelian
    for g in range(G.order):
        assert G.table[g, G.inverses[g]] == G.identity
        assert G.power(g, int(G.element_orders[g])) == G.identity
    # centralizer orders = |G|/|class|, and the centralizer really commutes
    for rep, c in zip(G.class_representatives, G.centralizer_orders):
        assert len(G.centralizer(int(rep))) == c
    # power maps: the square of a 4-cycle is in the class of (1,3)(2,4)
    p2 = G.power_map(2)
    four = int(np.nonzero(G.element_orders[G.class_representatives] == 4)[0][0])
    assert G.element_orders[G.class_representatives[p2[four]]] == 2


def test_generators_generate():
    G = FiniteGroup.from_permutations(["(1,2,3,4,5)", "(1,2)"])
    from grokcheck.theory._finite_group import _closure

    assert _closure(G.table, G.generators, G.identity).all()


def test_cycle_parsing():
    assert parse_cycles("(1,2,3)").tolist() == [0, 2, 3, 1]
    assert parse_cycles("()").tolist() == [0]
    # cycles apply left to right: (1,2)(2,3) maps 1→2→3
    assert parse_cycles("(1,2)(2,3)")[1] == 3
    assert FiniteGroup.from_permutations([[1, 0, 2], [0, 2, 1]]).order == 6


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("(1,2", "expected cycles"),
        ("1,2)", "expected cycles"),
        ("(1,a)", "non-negative integers"),
        ("(1,1)", "repeats a point"),
        ("(1,2)x", "trailing"),
    ],
)
def test_bad_cycle_strings(bad, fragment):
    with pytest.raises(GroupInputError, match=fragment):
        FiniteGroup.from_permutations([bad])


def test_bad_image_arrays():
    with pytest.raises(GroupInputError, match="not a permutation"):
        FiniteGroup.from_permutations([[0, 0, 1]])


def test_too_large_permutation_group_is_refused():
    with pytest.raises(GroupInputError, match="order 3628800"):
        FiniteGroup.from_permutations(["(1,2)", "(1,2,3,4,5,6,7,8,9,10)"])


@pytest.mark.parametrize(
    "table, reason, witness",
    [
        ([[0, 1], [1]], "shape", (1, 1, 2)),
        ([[0, 1, 2], [1, 2, 0]], "shape", (0, 3, 2)),
        ([[0, 1], [1, 2]], "range", (1, 1, 2)),
        ([[0, -1], [1, 0]], "range", (0, 1, -1)),
        ([[0, 1], [1, 1]], "latin", ("row", 1, 1)),
        ([[0, 1], [0, 1]], "latin", ("column", 0, 0)),
        ([[1, 0], [0, 1]], "associativity", None),  # Z2 relabelled wrongly: identity is 1 → fine? see below
        ([[0.5, 1], [1, 0]], "range", None),
        ([["a", "b"], ["b", "c"]], "range", (1, 1, "c")),  # string labels: "c" is not in the first row
        ([], "shape", None),
        (None, "shape", None),
        ("abc", "shape", None),
        ([[0, 1], None], "shape", None),
    ],
)
def test_bad_tables_table_driven(table, reason, witness):
    if table == [[1, 0], [0, 1]]:
        # This one *is* a group (identity 1); keep it to prove validation is not over-eager.
        assert FiniteGroup.from_table(table).identity == 1
        return
    with pytest.raises(NotAGroupError) as info:
        FiniteGroup.from_table(table)
    assert info.value.reason == reason
    if witness is not None:
        assert info.value.witness == witness


def test_loop_is_rejected_with_a_true_triple():
    with pytest.raises(NotAGroupError) as info:
        check_cayley_table(LOOP5)
    assert info.value.reason == "associativity"
    a, b, c = info.value.witness
    assert _assoc_fails(LOOP5, a, b, c)
    assert f"({a}, {b}, {c})" in str(info.value)


def test_quasigroup_without_identity():
    n = 5
    a = np.arange(n)
    t = (-(a[:, None] + a[None, :])) % n  # a∘b = −a−b: Latin square, no identity
    with pytest.raises(NotAGroupError) as info:
        check_cayley_table(t)
    assert info.value.reason == "identity"


def _group_tables():
    return [
        FiniteGroup.from_permutations(S4_GENS).table,
        FiniteGroup.from_permutations(["(1,2,3)", "(1,2)(3,4)"]).table,
        FiniteGroup.from_permutations(["(1,2,3,4,5,6,7)", "(2,3,5)(4,7,6)"]).table,
        np.add.outer(np.arange(9), np.arange(9)) % 9,
    ]


@given(
    st.sampled_from(range(4)),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["swap_in_row", "drop_column", "out_of_range", "loop", "isotope"]),
)
def test_corrupted_tables_raise_with_true_witness(which, seed, corruption):
    rng = np.random.default_rng(seed)
    t = _group_tables()[which]
    n = t.shape[0]
    perm = rng.permutation(n)
    t = np.asarray(FiniteGroup(t).relabel(perm).table).copy()
    if corruption == "swap_in_row":
        r = rng.integers(n)
        i, j = rng.choice(n, 2, replace=False)
        t[r, i], t[r, j] = t[r, j], t[r, i]
        expected = "latin"  # the row stays a permutation; two columns now repeat
    elif corruption == "drop_column":
        t = t[:, :-1]
        expected = "shape"
    elif corruption == "out_of_range":
        t[rng.integers(n), rng.integers(n)] = n + int(rng.integers(1, 5))
        expected = "range"
    elif corruption == "loop":
        t = np.asarray(LOOP5)[np.ix_(rng.permutation(5), rng.permutation(5))]
        expected = None  # identity or associativity, depending on the shuffle
    else:
        # principal isotope x∘y = σ(x)·τ(y) of a non-Abelian group: a Latin square;
        # with σ, τ random it is associative only if it is again a group.
        s, u = rng.permutation(n), rng.permutation(n)
        t = t[np.ix_(s, u)]
        expected = None
    try:
        check_cayley_table(t)
    except NotAGroupError as exc:
        if expected is not None:
            assert exc.reason == expected
        if exc.reason == "associativity":
            assert _assoc_fails(t, *exc.witness)
        if exc.reason == "latin":
            kind, idx, val = exc.witness
            line = t[idx] if kind == "row" else t[:, idx]
            assert (line == val).sum() >= 2
        if exc.reason == "range":
            i, j, v = exc.witness
            assert t[i, j] == v and not (0 <= v < n)
        return
    # Only an isotope can accidentally be a group again; then it must really be one.
    assert corruption == "isotope"
    assert FiniteGroup.from_table(t).order == n


@given(st.recursive(st.none() | st.booleans() | st.integers(-3, 9) | st.floats() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=4), max_leaves=20))
def test_no_other_exception_type_escapes(junk):
    try:
        FiniteGroup.from_table(junk)
    except GrokcheckError:
        pass


def test_light_test_path_for_large_tables(monkeypatch):
    import grokcheck.theory._finite_group as fg

    monkeypatch.setattr(fg, "_FULL_ASSOCIATIVITY_LIMIT", 10)
    check_cayley_table(_group_tables()[0])  # a group passes Light's test
    with pytest.raises(NotAGroupError) as info:
        check_cayley_table(LOOP5)
    assert info.value.reason == "associativity" and _assoc_fails(LOOP5, *info.value.witness)


def test_files(tmp_path):
    t = _group_tables()[1]
    (tmp_path / "g.json").write_text(json.dumps(t.tolist()))
    np.save(tmp_path / "g.npy", t)
    (tmp_path / "obj.json").write_text(json.dumps({"table": t.tolist()}))
    for f in ["g.json", "g.npy", "obj.json"]:
        assert FiniteGroup.from_file(tmp_path / f) == FiniteGroup(t)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GroupInputError, match="not valid JSON"):
        FiniteGroup.from_file(tmp_path / "bad.json")
    with pytest.raises(GroupInputError, match="no such"):
        FiniteGroup.from_file(tmp_path / "missing.json")


def test_relabel_and_products():
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])
    H = G.relabel(np.array([3, 1, 4, 0, 5, 2]))
    assert H.identity == 3
    assert FiniteGroup.from_table(H.table).num_classes == 3
    P = G.direct_product(G)
    assert P.order == 36 and P.num_classes == 9


def test_associativity_by_lights_test_reports_the_same_first_witness():
    """check_cayley_table tests associativity on a generating set first (Light's test, exact): loops (Latin
    squares with an identity) that are not groups are still refused, with the first failing (a, b, c) in
    row-major order, the same triple the full O(n³) scan finds. The loops: a group table with one intercalate
    (t[a,c] = t[b,d], t[a,d] = t[b,c], away from the identity) swapped, which keeps it a Latin square."""
    import itertools

    from grokcheck.errors import NotAGroupError
    from grokcheck.theory import _finite_group as fg

    refused = 0
    for name in ("C2xC2xC2", "C4xC2", "D4", "Q8", "C2xC2xC2xC2", "C6xC2"):
        t0 = group(name).table
        e = group(name).identity
        others = [x for x in range(t0.shape[0]) if x != e]
        for a, b, c, d in itertools.islice(((a, b, c, d) for a, b in itertools.combinations(others, 2)
                                            for c, d in itertools.combinations(others, 2)
                                            if t0[a, c] == t0[b, d] and t0[a, d] == t0[b, c]), 6):
            L = t0.copy()
            L[a, c], L[a, d], L[b, c], L[b, d] = t0[a, d], t0[a, c], t0[b, d], t0[b, c]
            full = fg._associativity_witness(L, np.arange(L.shape[0]))
            if full is None:
                assert np.array_equal(fg.check_cayley_table(L), L)
                continue
            refused += 1
            with pytest.raises(NotAGroupError, match="not associative") as err:
                fg.check_cayley_table(L)
            assert err.value.witness == full
    assert refused > 10  # the swaps do give non-associative loops
