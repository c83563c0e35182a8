"""Named groups: the grammar, the tables it builds, and known facts about each family."""

from __future__ import annotations

import itertools
import math
import shutil

import numpy as np
import pytest
from sympy.functions.combinatorial.numbers import partition

from grokcheck.errors import GroupInputError
from grokcheck.theory import MAX_ORDER, FiniteGroup, check_cayley_table
from grokcheck.theory._identify import isomorphism
from grokcheck.theory._names import FAMILIES, group, named_factors

# (name, order) for every family, small sizes.
FAMILY_ORDERS = [
    ("C1", 1), ("C7", 7), ("Z12", 12),
    ("D1", 2), ("D2", 4), ("D3", 6), ("D4", 8), ("D9", 18),
    ("S1", 1), ("S2", 2), ("S3", 6), ("S4", 24), ("S5", 120),
    ("A1", 1), ("A2", 1), ("A3", 3), ("A4", 12), ("A5", 60),
    ("Q8", 8), ("Dic1", 4), ("Dic2", 8), ("Dic3", 12), ("Dic7", 28),
    ("F21", 21), ("F20", 20),
    ("SL(2,2)", 6), ("SL(2,3)", 24), ("SL(2,5)", 120),
    ("GL(2,2)", 6), ("GL(2,3)", 48), ("GL(2,5)", 480),
    ("PSL(2,2)", 6), ("PSL(2,3)", 12), ("PSL(2,5)", 60), ("PSL(2,7)", 168),
    ("C3xC5", 15), ("C2xC2xC2", 8), ("S3xC4", 24), ("Q8xD3", 48), ("F21xC2", 42),
]  # fmt: skip


@pytest.mark.parametrize("name, order", FAMILY_ORDERS)
def test_family_order_and_identity_first(name, order):
    G = group(name)
    assert G.order == order
    assert G.identity == 0  # documented labelling: the identity is element 0 in every named group


@pytest.mark.parametrize(
    "name",
    ["C1", "C6", "D1", "D2", "D5", "D6", "S4", "A4", "A5", "Q8", "Dic3", "Dic4", "F21", "F20",
     "SL(2,2)", "SL(2,3)", "SL(2,5)", "GL(2,3)", "PSL(2,3)", "PSL(2,5)", "PSL(2,7)",
     "C2xS3", "Q8xC3", "C2xC2xC2xC2"],
)  # fmt: skip
def test_named_tables_are_groups(name):
    """The constructor skips validation for named groups; validate each family once here."""
    G = group(name)
    np.testing.assert_array_equal(check_cayley_table(G.table), G.table)


def _class_count_cases():
    cases = []
    cases += [(f"C{n}", n) for n in range(1, 13)]
    cases += [(f"D{n}", (n + 6) // 2 if n % 2 == 0 else (n + 3) // 2) for n in range(1, 17)]
    cases += [(f"S{n}", int(partition(n))) for n in range(1, 7)]
    cases += [(f"A{n}", k) for n, k in zip(range(1, 7), (1, 1, 3, 4, 5, 7))]
    cases += [(f"Dic{n}", n + 3) for n in range(1, 11)]
    cases += [("Q8", 5), ("F21", 5), ("F20", 5)]
    cases += [(f"SL(2,{p})", p + 4) for p in (3, 5, 7, 11)]
    cases += [(f"GL(2,{p})", p * p - 1) for p in (2, 3, 5)]
    cases += [(f"PSL(2,{p})", (p + 5) // 2) for p in (5, 7, 11, 13)]
    return cases


@pytest.mark.parametrize("name, classes", _class_count_cases())
def test_number_of_conjugacy_classes(name, classes):
    assert group(name).num_classes == classes


@pytest.mark.parametrize("names", [("S3", "C4"), ("C3", "C5"), ("D4", "Q8"), ("A4", "S3"), ("F21", "C2", "C2")])
def test_product_class_count_is_product(names):
    G = group("x".join(names))
    assert G.order == math.prod(group(n).order for n in names)
    assert G.num_classes == math.prod(group(n).num_classes for n in names)


ROUND_TRIP = [
    ("C5", "C5"), ("Z5", "C5"), (" D 4 ", "D4"), ("S3 x C4", "S3xC4"), ("Z2xZ2xZ2", "C2xC2xC2"),
    ("SL( 2 , 3 )", "SL(2,3)"), ("GL(2,3)", "GL(2,3)"), ("PSL(2,7)", "PSL(2,7)"), ("Q8", "Q8"),
    ("Dic3", "Dic3"), ("F21", "F21"), ("F20", "F20"), ("A5xC2", "A5xC2"), ("C3×C5", "C3xC5"),
    ("C007", "C7"), ("SL(2,2)xPSL(2,3)", "SL(2,2)xPSL(2,3)"), ("D1xDic1xS2", "D1xDic1xS2"),
]  # fmt: skip


@pytest.mark.parametrize("text, canonical", ROUND_TRIP)
def test_canonical_name_round_trips(text, canonical):
    G = group(text)
    assert str(G) == canonical
    H = group(str(G))
    assert H == G and str(H) == canonical


def test_every_factor_up_to_order_64_round_trips_with_its_order_and_abelianness():
    """``named_factors`` predicts order and Abelian-ness from formulas; the tables must agree."""
    facts = named_factors(64)
    assert {fam for _, _, _, fam in facts} == set(FAMILIES)  # PSL(2,5) = 60 is the last to enter
    for name, order, abelian, family in facts:
        assert name.startswith(family)
        G = group(name)
        assert (G.order, G.is_abelian) == (order, abelian), name
        assert group(str(G)) == G


BAD_NAMES = [
    ("D", "'D' is not a group name"),
    ("C0", "n must be a positive integer"),
    ("D0", "n must be a positive integer"),
    ("Dic0", "n must be a positive integer"),
    ("SL(2,4)", "4 is not prime"),
    ("PSL(2,1)", "1 is not prime"),
    ("GL(2,0)", "0 is not prime"),
    ("Foo", "'Foo' is not a group name"),
    ("C3x", "missing at the end"),
    ("xC3", "missing at the start"),
    ("C3xxC5", "missing in the middle"),
    ("c3", "'c3' is not a group name"),  # letters are case-sensitive
    ("C3X C5", "'C3XC5' is not a group name"),
    ("", "the name is empty"),
    ("   ", "the name is empty"),
    ("Q9", "'Q9' is not a group name"),
    ("SL(3,5)", "'SL(3,5)' is not a group name"),
    ("S-1", "'S-1' is not a group name"),
    ("C3.5", "'C3.5' is not a group name"),
    ("D4+", "'D4+' is not a group name"),
]


@pytest.mark.parametrize("text, fragment", BAD_NAMES)
def test_bad_names_say_what_was_expected(text, fragment):
    with pytest.raises(GroupInputError) as info:
        group(text)
    message = str(info.value)
    assert fragment in message
    assert "Dicn (dicyclic, order 4n)" in message and "SL(2,p)" in message  # the grammar is quoted
    assert info.value.text == text


@pytest.mark.parametrize("text", [3, None, b"C3", ["C3"]])
def test_non_string_names_are_refused(text):
    with pytest.raises(GroupInputError, match="must be a string"):
        group(text)


@pytest.mark.parametrize(
    "text", ["S8", "A8", f"C{MAX_ORDER + 1}", "C71xC72", "SL(2,19)", "GL(2,11)", "PSL(2,23)", "D2521",
             "S1000000", "C99999999999999999999999", "SL(2,1000000007)"],
)  # fmt: skip
def test_too_large_is_refused_before_building(text):
    with pytest.raises(GroupInputError, match="MAX_ORDER"):
        group(text)


def test_largest_allowed_order_builds():
    G = group("S7")  # 7! = MAX_ORDER exactly
    assert G.order == MAX_ORDER and G.num_classes == int(partition(7))


# ------------------------------------------------------ labelling oracles
def test_symmetric_group_labels_follow_documented_convention():
    """Sn: permutations in lexicographic order, product applies the left factor first."""
    n = 4
    perms = list(itertools.permutations(range(n)))
    index = {p: i for i, p in enumerate(perms)}
    T = group(f"S{n}").table
    for a, p in enumerate(perms):
        for b, q in enumerate(perms):
            assert T[a, b] == index[tuple(q[p[x]] for x in range(n))]
    evens = [p for p in perms if sum(p[i] > p[j] for i in range(n) for j in range(i + 1, n)) % 2 == 0]
    index = {p: i for i, p in enumerate(evens)}
    T = group(f"A{n}").table
    for a, p in enumerate(evens):
        for b, q in enumerate(evens):
            assert T[a, b] == index[tuple(q[p[x]] for x in range(n))]


def _isomorphism(G, H):
    """An explicit isomorphism ``phi`` (array, ``phi[g]`` in H) from G onto H, or None.

    Tries every image of G's generators with matching element orders and extends along
    the Cayley graph; a candidate is accepted only if it is a bijective homomorphism on
    the whole table (checked in full), so a returned map is a proof.
    """
    if G.order != H.order:
        return None
    gens = list(G.generators)
    cands = [np.nonzero(H.element_orders == G.element_orders[g])[0] for g in gens]
    for images in itertools.product(*cands):
        phi = np.full(G.order, -1)
        phi[G.identity] = H.identity
        frontier, ok = [G.identity], True
        while frontier and ok:
            nxt = []
            for x in frontier:
                for g, im in zip(gens, images):
                    y, v = G.table[x, g], H.table[phi[x], im]
                    if phi[y] < 0:
                        phi[y] = v
                        nxt.append(y)
                    elif phi[y] != v:
                        ok = False
            frontier = nxt
        if ok and np.array_equal(np.sort(phi), np.arange(H.order)) and np.array_equal(
            phi[G.table], H.table[np.ix_(phi, phi)]
        ):
            return phi
    return None


def test_symmetric_group_isomorphic_to_permutation_input():
    H = FiniteGroup.from_permutations(["(0,1)", "(0,1,2,3)"])
    assert _isomorphism(group("S4"), H) is not None
    assert _isomorphism(group("SL(2,3)"), H) is None  # same order, not isomorphic: no map survives


@pytest.mark.parametrize("p, mults, name", [(7, (1, 2, 4), "F21"), (5, (1, 2, 3, 4), "F20")])
def test_affine_group_labels(p, mults, name):
    """(a, b) has index i·p + b with a = mults[i]; (a, b)(a', b') = (aa' mod p, b + ab' mod p)."""
    T = group(name).table
    elems = [(a, b) for a in mults for b in range(p)]
    for x, (a, b) in enumerate(elems):
        for y, (c, d) in enumerate(elems):
            assert elems[T[x, y]] == ((a * c) % p, (b + a * d) % p)


@pytest.mark.parametrize("kind, p", [("SL", 3), ("GL", 3), ("PSL", 5), ("SL", 2)])
def test_matrix_group_labels(kind, p):
    """Matrices ordered by code with the identity first; products are matrix products mod p."""

    def code(m):
        return ((m[0] * p + m[1]) * p + m[2]) * p + m[3]

    mats = [m for m in itertools.product(range(p), repeat=4)]
    det = {m: (m[0] * m[3] - m[1] * m[2]) % p for m in mats}
    if kind == "GL":
        mats = [m for m in mats if det[m] != 0]
    else:
        mats = [m for m in mats if det[m] == 1]
    if kind == "PSL":
        mats = [m for m in mats if code(m) <= code(tuple((-v) % p for v in m))]
    mats.sort(key=lambda m: (m != (1, 0, 0, 1), code(m)))

    def canon(m):
        if kind != "PSL":
            return m
        neg = tuple((-v) % p for v in m)
        return min(m, neg, key=code)

    index = {m: i for i, m in enumerate(mats)}
    T = group(f"{kind}(2,{p})").table
    for x, (a, b, c, d) in enumerate(mats):
        for y, (e, f, g, h) in enumerate(mats):
            prod = ((a * e + b * g) % p, (a * f + b * h) % p, (c * e + d * g) % p, (c * f + d * h) % p)
            assert T[x, y] == index[canon(prod)]


def test_direct_product_is_associative_on_labels():
    a, b, c = group("C2"), group("S3"), group("Q8")
    G = group("C2xS3xQ8")
    assert G == a.direct_product(b).direct_product(c) == a.direct_product(b.direct_product(c))


# ------------------------------------------------------- group-theory facts
def _order_counts(G):
    vals, counts = np.unique(G.element_orders, return_counts=True)
    return dict(zip(vals.tolist(), counts.tolist()))


def _center_size(G):
    return int((G.table == G.table.T).all(axis=1).sum())


def test_q8():
    Q = group("Q8")
    assert _order_counts(Q) == {1: 1, 2: 1, 4: 6}  # exactly one involution, -1
    assert Q == group("Dic2")
    assert not Q.is_abelian


def test_sl23_is_not_s4():
    G, S4 = group("SL(2,3)"), group("S4")
    assert G.order == S4.order == 24
    assert _order_counts(G) == {1: 1, 2: 1, 3: 8, 4: 6, 6: 8}
    assert _order_counts(S4) == {1: 1, 2: 9, 3: 8, 4: 6}


def test_c3xc5_is_cyclic_abelian():
    G = group("C3xC5")
    assert G.is_abelian and G.element_orders.max() == 15


@pytest.mark.parametrize("n", range(1, 13))
def test_dihedral_involutions_and_cyclic_rotation(n):
    G = group(f"D{n}")
    involutions = int((G.element_orders == 2).sum())
    assert involutions == n + (1 if n % 2 == 0 else 0)  # n reflections, plus r^{n/2} for even n
    assert G.element_orders.max() == max(n, 2)


@pytest.mark.parametrize(
    "a, b", [("D3", "S3"), ("S3", "SL(2,2)"), ("S3", "GL(2,2)"), ("S3", "PSL(2,2)"), ("A4", "PSL(2,3)"),
             ("Dic1", "C4"), ("D2", "C2xC2"), ("D1", "C2"), ("A5", "PSL(2,5)"), ("S1", "A2")],
)  # fmt: skip
def test_exceptional_isomorphisms(a, b):
    G, H = group(a), group(b)
    assert G.table.shape == H.table.shape
    assert _isomorphism(G, H) is not None, f"{a} and {b} should be isomorphic"


def test_isomorphism_helper_rejects_non_isomorphic():
    assert _isomorphism(group("Q8"), group("D4")) is None
    assert _isomorphism(group("C4"), group("C2xC2")) is None
    assert _isomorphism(group("Dic3"), group("D6")) is None


@pytest.mark.parametrize("p", [2, 3, 5, 7])
def test_matrix_group_centers(p):
    """Z(GL(2,p)) = scalars (p−1); Z(SL(2,p)) = {±I}; PSL(2,p) for p ≥ 5 is simple, centre trivial."""
    assert _center_size(group(f"GL(2,{p})")) == p - 1
    assert _center_size(group(f"SL(2,{p})")) == (1 if p == 2 else 2)
    if p >= 5:
        assert _center_size(group(f"PSL(2,{p})")) == 1


def test_frobenius_groups():
    assert _order_counts(group("F21")) == {1: 1, 3: 14, 7: 6}
    assert _order_counts(group("F20")) == {1: 1, 2: 5, 4: 10, 5: 4}
    assert _center_size(group("F21")) == _center_size(group("F20")) == 1


@pytest.mark.parametrize("n", range(1, 8))
def test_dicyclic(n):
    G = group(f"Dic{n}")
    assert _order_counts(G).get(2, 0) == 1  # the unique involution a^n
    assert _center_size(G) == (4 if n == 1 else 2)


def test_small_groups_are_memoised():
    assert group("S4") is group(" S4 ")
    assert group("S4").table.flags.writeable is False


# ---------------------------------------------------------- Cn:Cm[r]: an explicit action
def test_semidirect_action_syntax_names_the_group_of_order_16():
    from grokcheck.theory import identify
    from grokcheck.theory._names import semidirect_actions

    assert semidirect_actions(8, 2) == (1, 3, 5, 7)
    d8, sd16, m16 = group("C8:C2[7]"), group("C8:C2[3]"), group("C8:C2[5]")
    assert identify(d8) == "D8" and str(group("C8:C2[-1]")) == "C8:C2[7]"
    # semidihedral: 7 classes like D8 and Q16 but neither; modular M16: 10 classes, centre of order 4
    assert sd16.num_classes == 7 and isomorphism(sd16, group("D8")) is None and isomorphism(sd16, group("Dic4")) is None
    assert m16.num_classes == 10 and int((m16.class_sizes == 1).sum()) == 4
    assert group("C8:C2[1]").is_abelian and isomorphism(group("C8:C2[1]"), group("C8xC2")) is not None
    # a faithful r gives the affine table of the plain name; an unfaithful one is still a group
    assert np.array_equal(group("C7:C3[2]").table, group("C7:C3").table)
    assert isomorphism(group("C3:C4[2]"), group("Dic3")) is not None and group("C3:C4[2]").elements[3] == "t"


@pytest.mark.parametrize("text, fragment", [
    ("C8:C2", "C8:C2[r]"),  # ambiguous: the message shows the syntax and every choice
    ("C8:C2", "r one of 1, 3, 5, 7"),
    ("C8:C2[4]", "4 is not a unit mod 8"),
    ("S3xC8:C2[6]", "6 is not a unit mod 8"),
    ("C9:C2[4]", "C9:C2[4]: 4^2 = 7 mod 9, not 1"),
    ("C7:C4", "r one of 1, 6"),  # no faithful action: the unfaithful ones are offered
])
def test_semidirect_action_errors_name_the_choices(text, fragment):
    with pytest.raises(GroupInputError) as e:
        group(text)
    assert fragment in str(e.value)


def test_semidirect_action_is_read_mod_n():
    assert str(group("C8:C2[9]")) == "C8:C2[1]" and str(group("C8:C2[-5]")) == "C8:C2[3]"
    assert str(group("C8:C4[3]")) == "C8:C4[3]"  # 3 has order 2 mod 8: an unfaithful action of C4 is allowed


SEMIDIRECT_GAP = [(8, 2, 3), (8, 2, 5), (8, 2, 7), (16, 2, 7), (16, 2, 9), (9, 6, 2), (9, 3, 4), (5, 8, 2), (3, 8, 2),
                  (12, 2, 5), (12, 4, 7)]


@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (apt-get install gap)")
def test_semidirect_actions_match_gaps_semidirect_product():
    """GAP's SemidirectProduct(C_m, hom, C_n) with the generator of C_m acting by x -> x^r has our IdGroup."""
    import subprocess

    script = ""
    for n, m, r in SEMIDIRECT_GAP:
        G = group(f"C{n}:C{m}[{r}]")
        cols = [[int(v) + 1 for v in G.table[:, g]] for g in G.generators]  # right multiplication: regular action
        perms = ", ".join(f"PermList({c})" for c in cols)
        script += (f"N:=CyclicGroup(IsPermGroup,{n});; M:=CyclicGroup(IsPermGroup,{m});; a:=N.1;; "
                   f"A:=GroupHomomorphismByImages(N,N,[a],[a^{r}]);; "
                   f"h:=GroupHomomorphismByImages(M,AutomorphismGroup(N),[M.1],[A]);; "
                   f"Print(IdGroup(SemidirectProduct(M,h,N)) = IdGroup(Group({perms})), \"\\n\");\n")
    out = subprocess.run(["gap", "-q"], input=script + "QUIT;\n", capture_output=True, text=True, timeout=300).stdout
    assert out.split() == ["true"] * len(SEMIDIRECT_GAP), out
    assert isomorphism(group("C8:C2[3]"), group("C8:C2[5]")) is None  # and GAP tells them apart too


def test_every_factor_acts_faithfully_on_its_points():
    """permutation_generators (large_group's building block): the same order and classes as the dense table."""
    from grokcheck.theory import PermutationGroup
    from grokcheck.theory._names import permutation_generators

    names = [n for n, _, _, _ in named_factors(96)] + ["C8:C2[3]", "C8:C4[3]", "C3:C8[2]", "C9:C6", "A6", "S6"]
    for name in names:
        P = PermutationGroup(permutation_generators(name)[0])
        G = group(name)
        assert P.order == G.order, name
        assert sorted(zip(P.class_orders.tolist(), P.class_sizes.tolist())) == sorted(
            zip(G.class_orders.tolist(), G.class_sizes.tolist())), name


def test_a_product_above_the_dense_limit_points_to_large_group_and_perms():
    with pytest.raises(GroupInputError) as e:
        group("S8xC2")
    msg = str(e.value)
    assert "large_group(name)" in msg and '--perms "(1,2,3,4,5,6,7,8)" "(1,2)" "(9,10)"' in msg
    assert "MAX_ORDER = 5040" in msg and "MAX_LARGE_ORDER = 2000000" in msg
