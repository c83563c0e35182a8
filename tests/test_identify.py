"""identify(G) and isomorphism(G, H): names recovered from relabelled tables, proved by explicit maps."""

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.errors import GroupInputError
from grokcheck.theory import FiniteGroup, abelian_invariants, group, identify, isomorphism
from grokcheck.theory._names import named_factors


def _shuffled(G, seed=0):
    return FiniteGroup(G.relabel(np.random.default_rng(seed).permutation(G.order)).table)


def _is_isomorphism(phi, G, H):
    return (
        phi is not None
        and np.unique(phi).size == G.order
        and np.array_equal(phi[G.table], H.table[phi[:, None], phi[None, :]])
    )


@pytest.mark.parametrize("name", [n for n, o, _, _ in named_factors(64)][::3] + ["A5", "S5", "SL(2,5)", "PSL(2,7)"])
def test_every_named_factor_is_recognised_from_a_shuffled_table(name):
    G = _shuffled(group(name), seed=len(name))
    found = identify(G)
    assert found is not None
    H = group(found)
    assert _is_isomorphism(isomorphism(G, H), G, H)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("D3", "S3"), ("PSL(2,3)", "A4"), ("PSL(2,5)", "A5"), ("Dic2", "Q8"), ("C2xS3", "D6"),
        ("C7:C3", "F21"), ("C2xC3xC2", "C2xC6"), ("C3xS3", "S3xC3"), ("S3xS3", "S3xS3"),
        ("Q8xC2", "Q8xC2"), ("C9:C6", "C9:C6"), ("D1", "C2"), ("C1", "C1"), ("S4xC2xC2", "S4xC2xC2"),
    ],
)
def test_canonical_names(name, expected):
    assert identify(_shuffled(group(name))) == expected


def test_abelian_invariants():
    assert abelian_invariants(group("C2xC3xC2")) == (2, 6)
    assert abelian_invariants(group("C4xC2xC8")) == (2, 4, 8)
    assert abelian_invariants(group("C1")) == ()


def _c4_semidirect_c4():
    """C4 ⋊ C4 with the generator of the right factor inverting (GAP's SmallGroup(16,4)), from the formula."""
    idx = [(a, b) for b in range(4) for a in range(4)]
    pos = {x: i for i, x in enumerate(idx)}
    t = [[pos[((a + (-1) ** b * c) % 4, (b + d) % 4)] for (c, d) in idx] for (a, b) in idx]
    return FiniteGroup.from_table(t)


def _pauli():
    """The Pauli group ⟨X, Y, Z⟩ of order 16 (C4 ∘ D4, GAP's SmallGroup(16,13)): no family, product or Cn:Cm[r]."""
    X, Z = np.array([[0, 1], [1, 0]]), np.array([[1, 0], [0, -1]])
    gens = [X.astype(complex), (1j * X @ Z), Z.astype(complex)]
    els, frontier = [np.eye(2, dtype=complex)], [np.eye(2, dtype=complex)]
    while frontier:  # entries are 0, ±1, ±i exactly: equality is exact
        frontier = [a @ g for a in frontier for g in gens]
        frontier = [b for i, b in enumerate(frontier) if not any(np.array_equal(b, e) for e in els + frontier[:i])]
        els += frontier
    index = lambda m: next(i for i, e in enumerate(els) if np.array_equal(m, e))  # noqa: E731
    return FiniteGroup.from_table([[index(a @ b) for b in els] for a in els])


def test_unnamed_groups_are_not_identified():
    G = _pauli()
    assert G.order == 16 and G.num_classes == 10 and not G.is_abelian
    assert identify(G) is None
    # two non-isomorphic groups with the same order and class signature: no isomorphism
    assert isomorphism(group("D4"), group("Q8")) is None


def test_semidirect_products_with_an_action_are_recognised():
    G = _shuffled(_c4_semidirect_c4(), seed=5)
    assert identify(G) == "C4:C4[3]"
    # the three non-Abelian C8:C2[r] are told apart; a kernel in the action is named after the products
    assert [identify(_shuffled(group(f"C8:C2[{r}]"))) for r in (3, 5, 7)] == ["C8:C2[3]", "C8:C2[5]", "D8"]
    assert identify(group("C3:C6[2]")) == "S3xC3" and identify(group("C3:C8[2]")) == "C3:C8[2]"


def test_semidirect_names():
    assert np.array_equal(group("C7:C3").table, group("F21").table)
    assert isomorphism(group("C5:C4"), group("F20")) is not None
    assert str(group("C7:C3")) == "C7:C3" and group("C3:C2").num_classes == 3
    with pytest.raises(GroupInputError, match="ambiguous"):
        group("C8:C2")
    with pytest.raises(GroupInputError, match="no element of order 4"):
        group("C7:C4")


def test_identify_cli(tmp_path, capsys):
    import json

    G = _shuffled(group("S4"), seed=3)
    path = tmp_path / "s4.json"
    path.write_text(json.dumps(G.table.tolist()))
    assert main(["identify", "--cayley", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "S4"
    phi = np.array(data["isomorphism"])
    assert _is_isomorphism(phi, G, group("S4"))
    assert main(["identify", "--perms", "(1,2,3,4,5,6,7)", "(2,3,5)(4,7,6)"]) == 0
    assert capsys.readouterr().out.startswith("F21")
    # The Pauli group is in none of the named families: GAP's SmallGroup id names it, proved by an
    # isomorphism onto grokcheck's own construction, and that name parses back
    path2 = tmp_path / "pauli.json"
    path2.write_text(json.dumps(_pauli().table.tolist()))
    assert main(["identify", "--cayley", str(path2), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == data["small_group"] == "SmallGroup(16,13)"
    assert _is_isomorphism(np.array(data["isomorphism"]), _pauli(), group("SmallGroup(16,13)"))
    assert main(["identify", "--cayley", str(path)]) == 0
    assert capsys.readouterr().out.startswith("S4  (SmallGroup(24,12))")
    # above the catalogue and outside the families: still "not recognised"
    assert main(["identify", "--perms", "(1,2,3,4,5,6,7,8,9,10,11)", "(3,7,11,8)(4,10,5,6)"]) == 1


def test_large_permutation_groups_by_order():
    from grokcheck.theory import PermutationGroup, large_group

    assert identify(large_group("S8")) == "S8" and identify(large_group("A8")) == "A8"
    assert identify(PermutationGroup.from_permutations(["(1,2,3,4,5,6,7,8,9,10,11)", "(3,7,11,8)(4,10,5,6)"])) is None


def _relabelled(name, seed):
    """``large_group(name)`` with its points shuffled and generators replaced by products: the same group,
    given as a stranger would."""
    from grokcheck.theory import PermutationGroup, large_group

    P = large_group(name)
    rng = np.random.default_rng(seed)
    sigma = rng.permutation(P.degree)
    gens = [sigma[g[np.argsort(sigma)]] for g in P.generators]  # conjugate by sigma: point sigma[x] ↦ sigma[g[x]]
    gens = gens + [gens[0][gens[-1]]]  # one more, redundant, generator
    return PermutationGroup.from_permutations([np.asarray(g) for g in gens])


@pytest.mark.parametrize("name, expected", [
    ("S8xC2", "S8xC2"), ("A8xC2", "A8xC2"), ("S7xS3", "S3xS7"), ("C8:C2[3]xS7", "C8:C2[3]xS7"),
    ("PSL(2,23)xC2", "PSL(2,23)xC2"), ("D7xS6", "D7xS6"), ("Q8xA7", "Q8xA7"), ("C7:C3xA7", "F21xA7"),
])
def test_named_products_above_5040_are_identified_without_a_table(name, expected):
    from grokcheck.theory import MAX_ORDER, large_group
    from grokcheck.theory._identify import isomorphism_on_generators

    G = _relabelled(name, seed=len(name))
    assert G.order > MAX_ORDER and identify(G) == expected
    H = large_group(expected)
    images = isomorphism_on_generators(G, H)
    # checked apart from grokcheck: the pairs (g_i, h_i) generate a group of order |G| (the graph of a
    # homomorphism) and the h_i all of H (onto)
    from sympy.combinatorics import Permutation, PermutationGroup

    EG, EH = G.elements_array.astype(np.int64), H.elements_array.astype(np.int64)
    pairs = [np.concatenate([EG[g], G.degree + EH[h]]).tolist() for g, h in zip(G.generator_indices, images)]
    assert PermutationGroup([Permutation(x) for x in pairs]).order() == G.order
    assert PermutationGroup([Permutation(EH[h].tolist()) for h in images]).order() == G.order


def test_permutation_isomorphism_is_refused_between_groups_with_equal_invariants():
    """C4:C4[3] and Q8xC2 have the same (element order, class size) multiset and are not isomorphic."""
    from grokcheck.theory import large_group
    from grokcheck.theory._identify import _signature, isomorphism_on_generators

    G, H = large_group("C4:C4[3]xS5"), large_group("Q8xC2xS5")
    assert _signature(G) == _signature(H)
    assert isomorphism_on_generators(G, H) is None
    assert identify(G) == "C4:C4[3]xS5" and identify(H) == "Q8xS5xC2"


def test_identify_cli_above_5040(capsys):
    import json

    assert main(["identify", "S8xC2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("S8xC2") and "(9,10) ↦ (9,10)" in out
    assert main(["identify", "--perms", "(1,2,3,4,5,6,7,8)", "(1,2)", "(19,20)", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "S8xC2" and data["order"] == 80640 and data["isomorphism"] is None
    assert [g["element"] for g in data["generators"]] == ["(1,2,3,4,5,6,7,8)", "(1,2)", "(19,20)"]
    assert data["generators"][2]["image"] == "(9,10)"


def test_identify_shows_the_users_matrices(capsys):
    import json

    assert main(["identify", "--matrices", "[[1,1],[0,1]]", "[[0,1],[-1,0]]", "--field", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "SL(2,3)" and [g["element"] for g in data["generators"]] == ["[[1,1],[0,1]]", "[[0,1],[2,0]]"]


def test_identify_imports_neither_sympy_nor_scipy_nor_torch():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "grokcheck", "identify", "C8:C2[3]"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("C8:C2[3]")
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    assert not loaded & {"sympy", "scipy", "torch"}, loaded & {"sympy", "scipy", "torch"}


@pytest.mark.skipif(__import__("shutil").which("gap") is None, reason="GAP is not installed (apt-get install gap)")
def test_every_small_group_named_is_gaps_group():
    """Every SmallGroup of order 8..24, given as GAP's regular permutation group: each name identify gives
    has GAP's IdGroup, and the groups left unnamed are exactly those outside the families and products."""
    import json
    import subprocess

    orders = (8, 12, 16, 18, 20, 24)
    script = "".join(
        f"for i in [1..NrSmallGroups({n})] do P:=Image(RegularActionHomomorphism(SmallGroup({n},i)));; "
        f"Print(\"@@@{n} \", i, \" \", List(GeneratorsOfGroup(P), g -> ListPerm(g, {n})), \"\\n\"); od;\n"
        for n in orders)
    out = subprocess.run(["gap", "-q"], input=script + "QUIT;\n", capture_output=True, text=True, timeout=300).stdout
    named = {}
    for block in " ".join(out.replace("\\\n", "").split()).split("@@@")[1:]:
        n, i, gens = block.split(" ", 2)
        G = FiniteGroup.from_permutations([np.array(g) - 1 for g in json.loads(gens.replace(" ", ""))])
        named[(int(n), int(i))] = identify(G)
    assert len(named) == 49  # 5 + 5 + 14 + 5 + 5 + 15 groups
    # (16,3) (C4xC2):C2, (16,13) the Pauli group C4∘D4, (18,4) (C3xC3):C2, (24,8) (C6xC2):C2: no name
    assert sorted(k for k, v in named.items() if v is None) == [(16, 3), (16, 13), (18, 4), (24, 8)]
    script = ""
    for key, name in named.items():
        if name is not None:
            H = group(name)
            cols = [[int(v) + 1 for v in H.table[:, g]] for g in H.generators]  # right multiplication
            script += f"Print(IdGroup(Group({', '.join(f'PermList({c})' for c in cols)})), \"\\n\");\n"
    out = subprocess.run(["gap", "-q"], input=script + "QUIT;\n", capture_output=True, text=True, timeout=300).stdout
    got = [tuple(int(x) for x in line.strip(" []").split(",")) for line in out.strip().splitlines()]
    assert got == [k for k, v in named.items() if v is not None]


def test_redundant_generators_of_a_large_group_get_images_too():
    """GAP's pc-style generating sets (a, a², a⁴, t of C8:C2[3]) beside A7: the search runs on a, t and the
    generators of A7; the images of a² and a⁴ come from the stabiliser chain of the graph."""
    from sympy.combinatorics import Permutation, PermutationGroup as SymPermGroup

    from grokcheck.theory import PermutationGroup, large_group
    from grokcheck.theory._identify import isomorphism_on_generators

    Q = group("C8:C2[3]")
    regular = [Q.table[:, g] for g in (1, 2, 4, 8)]  # right multiplication by a, a², a⁴, t ((j, b) at j·8 + b)
    a7 = [np.r_[np.arange(16), 16 + np.array(p)] for p in ([1, 2, 3, 4, 5, 6, 0], [0, 1, 2, 3, 5, 6, 4])]  # GAP's (1..7), (5,6,7)
    G = PermutationGroup.from_permutations([np.r_[r, np.arange(16, 23)] for r in regular] + a7)
    assert G.order == 40320 and identify(G) == "C8:C2[3]xA7"
    H = large_group("C8:C2[3]xA7")
    images = isomorphism_on_generators(G, H)
    EG, EH = G.elements_array.astype(np.int64), H.elements_array.astype(np.int64)
    pairs = [np.concatenate([EG[g], G.degree + EH[h]]).tolist() for g, h in zip(G.generator_indices, images)]
    assert SymPermGroup([Permutation(x) for x in pairs]).order() == G.order  # a homomorphism on all six


def test_a_product_of_plain_names_is_preferred_to_an_explicit_action():
    assert identify(_shuffled(group("D500xC3"), seed=2)) == "D500xC3"  # also C1500:C2[499]
    # without a product of plain names, one factor still comes first: C8:C2[3]xC3 is C24:C2[19]
    assert identify(group("C8:C2[3]xC3")) == "C24:C2[19]"
    assert isomorphism(group("C8:C2[3]xC3"), group("C24:C2[19]")) is not None
