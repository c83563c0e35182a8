"""Groups without a dense table: permutation groups enumerated by image arrays, exact tables from class constants."""

import re
import shutil

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.theory import PermutationGroup, group, large_group
from grokcheck.theory._character_table import orthogonality_residual

M11 = ["(1,2,3,4,5,6,7,8,9,10,11)", "(3,7,11,8)(4,10,5,6)"]


def _rows(ct, G):
    """Each character as the sorted multiset of (element order, class size, value): labelling-free."""
    vals = np.round(ct.values, 9) + 0.0  # exact tables: 1e-9 absorbs only float64 rounding
    return sorted(
        tuple(sorted(zip(G.class_orders.tolist(), G.class_sizes.tolist(), v.real.tolist(), v.imag.tolist())))
        for v in vals
    )


@pytest.mark.parametrize("name", ["S5", "SL(2,5)", "PSL(2,7)", "GL(2,3)", "A6"])
def test_permutation_path_equals_dense_path(name):
    dense = group(name)
    perm = large_group(name)
    assert perm.order == dense.order and perm.num_classes == dense.num_classes
    assert sorted(perm.class_sizes.tolist()) == sorted(dense.class_sizes.tolist())
    assert _rows(perm.character_table, perm) == _rows(dense.character_table, dense)
    assert sorted(perm.character_table.fs_indicators.tolist()) == sorted(dense.character_table.fs_indicators.tolist())


# (group, order, number of classes, largest degree): classical facts (ATLAS; GL(2,q) has q²−1 classes)
ACCEPTANCE = [
    ("S8", 40320, 22, 90),
    ("A8", 20160, 14, 70),
    ("M11", 7920, 10, 55),
    ("PSL(2,23)", 6072, 14, 24),
]


@pytest.mark.parametrize("name, order, k, top", ACCEPTANCE)
def test_exact_tables_beyond_the_dense_limit(name, order, k, top):
    G = PermutationGroup.from_permutations(M11) if name == "M11" else large_group(name)
    ct = G.character_table
    assert G.order == order and G.num_classes == k
    d = ct.degrees
    assert int((d**2).sum()) == order and int(d.max()) == top and (order % d == 0).all()
    # exact values: float error of the orthogonality sums is ≤ 1e-12·|G|-ish, far below 1e-8
    assert orthogonality_residual(G, ct.values) < 1e-8
    assert set(ct.fs_indicators.tolist()) <= {-1, 0, 1}
    for p in (2, 3):
        pm = G.power_map(p)
        assert all(G.class_orders[pm[c]] == G.class_orders[c] // np.gcd(G.class_orders[c], p) for c in range(k))


@pytest.mark.slow
def test_gl_2_11_on_vectors():
    G = large_group("GL(2,11)")
    ct = G.character_table
    assert G.order == 13200 and G.num_classes == 120 and int((ct.degrees**2).sum()) == 13200
    assert orthogonality_residual(G, ct.values) < 1e-8  # as above


def test_cli_table_beyond_the_dense_limit(capsys):
    assert main(["table", "--perms", *M11]) == 0
    out = capsys.readouterr().out
    assert "11P" in out and "b11" in out and "i2" in out  # M11's irrationalities, GAP's names
    import json

    assert main(["table", "PSL(2,23)", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["order"] == 6072 and len(data["classes"]) == 14
    assert all("representative_element" in c for c in data["classes"])
    assert main(["table", "M11"]) == 2  # not a name in the grammar
    capsys.readouterr()


def test_elements_and_lookups():
    G = large_group("A8")
    E = G.elements_array
    a, b = np.arange(0, G.order, 997), np.arange(5, G.order, 997)[: len(np.arange(0, G.order, 997))]
    a = a[: len(b)]
    prod = G.mul(a, b)
    assert np.array_equal(E[prod], np.take_along_axis(E[b], E[a].astype(np.int64), axis=1))
    inv = G.inverses
    assert (G.mul(np.arange(G.order), inv) == G.identity).all()


def test_young_irreps_of_s8_are_certified_and_multiply():
    G = large_group("S8")
    irreps = G.irreps
    assert [r.index for r in irreps] == list(range(22))
    assert sorted(r.dim for r in irreps) == sorted(G.character_table.degrees.tolist())
    E = G.elements_array.astype(np.int64)
    rng = np.random.default_rng(0)
    pairs = rng.integers(G.order, size=(6, 2))
    for rho in irreps:
        assert max(rho.residuals.values()) < 1e-10  # the certificate threshold
        for a, b in pairs:  # ρ(ab) = ρ(a)ρ(b) beyond the presentation: float64 products of ≤ 28 factors
            ab = int(G.mul(a, b))
            assert np.allclose(rho.of_permutation(E[a]) @ rho.of_permutation(E[b]), rho.of_permutation(E[ab]), atol=1e-10)


def test_young_form_on_a_dense_symmetric_group_matches_its_characters():
    from grokcheck.theory._young import adjacent_word, young_matrices

    G = group("S4")
    perms = [_to_images(e, 4) for e in G.elements]
    chars = G.character_table.on_elements()
    for lam, row in [((3, 1), None), ((2, 2), None)]:
        S = young_matrices(lam)
        tr = []
        for p in perms:
            M = np.eye(S.shape[1])
            for i in adjacent_word(p):
                M = M @ S[i - 1]
            tr.append(np.trace(M))
        # the trace is one of the table's characters (on every element, in the table's labelling)
        assert min(np.max(np.abs(chars[x] - np.array(tr))) for x in range(len(chars))) < 1e-12  # float64 rounding


def _to_images(cycles, n):
    import re

    from grokcheck.theory import parse_cycles

    return parse_cycles(re.sub(r"\d+", lambda m: str(int(m.group()) - 1), cycles), n)


def test_irreps_from_permutation_modules(capsys):
    G = large_group("PSL(2,7)")  # on the 8 points of the projective line, built without a table
    irreps = G.irreps
    assert sorted(r.dim for r in irreps) == sorted(G.character_table.degrees.tolist())
    for rho in irreps:
        assert max(rho.residuals.values()) < 1e-10  # the certificate threshold
    rng = np.random.default_rng(0)
    for a, b in rng.integers(G.order, size=(5, 2)):  # beyond the edges the certificate checks
        ab = int(G.mul(a, b))
        for rho in irreps:
            assert np.allclose(rho.matrices[a] @ rho.matrices[b], rho.matrices[ab], atol=1e-10)


@pytest.mark.slow
def test_psl_2_23_irreps_certified(capsys):
    G = large_group("PSL(2,23)")
    irreps = G.irreps
    assert [r.index for r in irreps] == list(range(14))
    assert max(max(r.residuals.values()) for r in irreps) < 1e-10  # the certificate threshold
    # M11's irreps do not all occur in its point and pair modules: said, not faked
    assert main(["table", "--perms", *M11, "--irreps"]) == 2
    assert "neither the point nor the pair module" in capsys.readouterr().err


def test_irreps_refused_with_a_reason_for_too_large_groups(capsys):
    assert main(["table", "A8", "--irreps"]) == 2  # 20160·Σd² entries: refused before any work
    assert "Young" in capsys.readouterr().err
    assert main(["table", "S8", "--irreps", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    r = data["irreps"][-1]
    assert r["partition"] and len(r["generator_matrices"]) == len(r["generators"])


def test_both_group_kinds_satisfy_the_shared_interface():
    from grokcheck.theory import FiniteGroup, GroupLike

    for G in (group("S4"), large_group("S5"), FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])):
        assert isinstance(G, GroupLike)
        assert G.class_sizes.sum() == G.order and G.class_of.shape == (G.order,)
        assert (G.class_of[G.class_representatives] == np.arange(G.num_classes)).all()


# ------------------------------------------------- named products above 5040
NAMED_LARGE_GAP = {  # grokcheck name → GAP expression for the same group
    "S8xC2": "DirectProduct(SymmetricGroup(8), CyclicGroup(IsPermGroup, 2))",
    "A8xC2": "DirectProduct(AlternatingGroup(8), CyclicGroup(IsPermGroup, 2))",
    "S7xS3": "DirectProduct(SymmetricGroup(7), SymmetricGroup(3))",
    "C8:C2[3]xS7": "DirectProduct(SemidirectProduct(CyclicGroup(IsPermGroup, 2), GroupHomomorphismByImages("
                   "CyclicGroup(IsPermGroup, 2), AutomorphismGroup(CyclicGroup(IsPermGroup, 8)), "
                   "[CyclicGroup(IsPermGroup, 2).1], [GroupHomomorphismByImages(CyclicGroup(IsPermGroup, 8), "
                   "CyclicGroup(IsPermGroup, 8), [CyclicGroup(IsPermGroup, 8).1], [CyclicGroup(IsPermGroup, 8).1^3])]), "
                   "CyclicGroup(IsPermGroup, 8)), SymmetricGroup(7))",
}


def _signature(G):
    return sorted(zip(G.class_orders.tolist(), G.class_sizes.tolist()))


def test_named_products_above_5040_are_permutation_groups_on_disjoint_points(capsys):
    G = large_group("S8xC2")
    assert G.order == 80640 and G.degree == 10 and G.num_classes == 44  # 22 classes of S8 times 2
    assert [G.cycle_string(g) for g in G.generator_indices] == ["(1,2)", "(1,2,3,4,5,6,7,8)", "(9,10)"]
    assert main(["table", "S8xC2", "--json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["order"] == 80640
    # each family's permutation action is faithful: the same classes as the dense table
    for name in ("Dic5xD6", "C8:C2[3]xA4", "C3:C4[2]xQ8", "F20xPSL(2,5)"):
        assert _signature(large_group(name)) == _signature(group(name)), name


@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (apt-get install gap)")
def test_named_products_above_5040_match_gap():
    import subprocess

    script = "".join(f"G:={expr};; Print(\"@@@\", Size(G), \" \", List(ConjugacyClasses(G), c -> "
                     f"[Order(Representative(c)), Size(c)]), \"\\n\");\n" for expr in NAMED_LARGE_GAP.values())
    out = subprocess.run(["gap", "-q"], input=script + "QUIT;\n", capture_output=True, text=True, timeout=300).stdout
    blocks = " ".join(out.replace("\\\n", "").split()).split("@@@")[1:]  # GAP wraps long lines
    assert len(blocks) == len(NAMED_LARGE_GAP), out
    for name, block in zip(NAMED_LARGE_GAP, blocks):
        size, classes = block.split(" ", 1)
        pairs = sorted(tuple(int(v) for v in p) for p in re.findall(r"\[ *(\d+), *(\d+) *\]", classes))
        G = large_group(name)
        assert G.order == int(size) and _signature(G) == pairs, name
