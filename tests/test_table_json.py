"""``table --json``: exact values, clean floats, element lists, labelled Cayley tables, irrep matrices."""

import json

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.errors import NotAGroupError
from grokcheck.theory import FiniteGroup, group
from grokcheck.theory._permutations import parse_cycles


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_json_exact_values_and_clean_floats(capsys):
    data = _run_json(capsys, ["table", "A5", "--json"])
    assert data["order"] == 60 and data["group"] == "A5"
    assert sorted(data["power_maps"]) == ["2", "3", "5"]
    assert [c["name"] for c in data["classes"]] == ["1a", "2a", "3a", "5a", "5b"]
    exact = {e for r in data["irreps"] for e in r["exact"]}
    assert {"-E(5)^2-E(5)^3", "-E(5)-E(5)^4"} <= exact  # GAP's Zumbroich-basis strings
    for r in data["irreps"]:
        for re, im in r["values"]:
            assert im == 0.0  # A5's characters are real: exactly 0, no 1e-16 noise
        assert all(v == [float(round(v[0])), 0.0] for v, e in zip(r["values"], r["exact"]) if "E" not in e)
    c4 = _run_json(capsys, ["table", "C4", "--json"])
    vals = {tuple(v) for r in c4["irreps"] for v in r["values"]}
    assert vals == {(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)}  # i is exactly [0, 1]


def test_json_classes_and_element_lists_for_named_groups():
    G = group("S4")
    data = G.character_table.to_json()
    els = data["elements"]
    assert els[0] == "()" and len(set(els)) == 24
    # the labels multiply like the table: p·q applies p first
    perms = [parse_cycles(_shift(e), 4) for e in els]
    t = G.table
    for a in range(24):
        for b in range(0, 24, 5):
            assert np.array_equal(perms[b][perms[a]], perms[t[a, b]])
    for c in data["classes"]:
        assert c["representative_element"] == els[c["representative"]]
        assert c["size"] * c["centralizer"] == 24


def _shift(cycles: str) -> str:
    """GAP points 1..n → image-array points 0..n-1."""
    import re

    return re.sub(r"\d+", lambda m: str(int(m.group()) - 1), cycles)


@pytest.mark.parametrize("name", ["SL(2,3)", "GL(2,3)", "PSL(2,5)"])
def test_matrix_group_elements_multiply(name):
    G = group(name)
    p = int(name.split(",")[1].rstrip(")"))
    M = np.array(G.elements)  # (n, 2, 2)
    t = G.table
    prod = np.einsum("aij,bjk->abik", M, M) % p
    if name.startswith("PSL"):  # the representative of ±M
        ok = (prod == M[t]).all(axis=(2, 3)) | (((-prod) % p) == M[t]).all(axis=(2, 3))
    else:
        ok = (prod == M[t]).all(axis=(2, 3))
    assert ok.all()


def test_small_family_labels():
    assert group("Q8").elements == ("1", "i", "-1", "-i", "j", "k", "-j", "-k")
    assert group("D3").elements == ("1", "r", "r^2", "s", "r*s", "r^2*s")
    F = group("F21")
    a, b = np.array(F.elements).T
    t = F.table
    # (a, b)(a', b') = (aa', b + ab') mod 7
    assert np.array_equal(a[t], (a[:, None] * a[None, :]) % 7) and np.array_equal(b[t], (b[:, None] + a[:, None] * b[None, :]) % 7)
    P = group("C2xS3")
    assert P.elements[6] == [1, "()"] and P.elements[1][0] == 0  # (a, b) has index a·|S3| + b


def test_permutation_group_element_list(capsys):
    data = _run_json(capsys, ["table", "--perms", "(1,2)(3,4)", "(1,2,3)", "--json"])
    assert data["order"] == 12 and data["elements"][0] == "()"
    assert "(1,2)(3,4)" in data["elements"] and "(1,2,3)" in data["elements"]


def test_string_labelled_cayley_tables(tmp_path, capsys):
    # Klein four-group with string labels, identity first: the first row lists the elements
    names = ["e", "a", "b", "c"]
    idx = {"e": 0, "a": 1, "b": 2, "c": 3}
    table = [[names[idx[x] ^ idx[y]] for y in names] for x in names]
    path = tmp_path / "v4.json"
    path.write_text(json.dumps(table))
    data = _run_json(capsys, ["table", "--cayley", str(path), "--json"])
    assert data["order"] == 4 and data["elements"] == names
    assert [c["representative_element"] for c in data["classes"]] == ["e", "a", "b", "c"]
    # with an explicit element list the identity need not come first
    order = ["a", "e", "c", "b"]
    t2 = [[names[idx[x] ^ idx[y]] for y in order] for x in order]
    path2 = tmp_path / "v4b.json"
    path2.write_text(json.dumps({"elements": order, "table": t2}))
    data = _run_json(capsys, ["table", "--cayley", str(path2), "--json"])
    assert data["elements"] == order and data["classes"][0]["representative_element"] == "e"
    G = FiniteGroup.from_table(t2, elements=order)
    assert G.identity == 1
    # labels read from a first row that is not the identity's row: for a non-central first
    # element the result is no group, and the error says so
    S3 = group("S3")
    labs = list(S3.elements)
    perm = [3, 0, 1, 2, 4, 5]  # a transposition first
    t3 = [[labs[S3.table[perm[i], perm[j]]] for j in range(6)] for i in range(6)]
    with pytest.raises(NotAGroupError, match="identity|Latin|associative"):
        FiniteGroup.from_table(t3)
    H = FiniteGroup.from_table(t3, elements=[labs[i] for i in perm])
    assert H.elements[H.identity] == "()"
    with pytest.raises(NotAGroupError, match="not one of the"):
        FiniteGroup.from_table([["e", "a"], ["a", "z"]])


def test_irreps_json_has_certified_matrices(capsys):
    data = _run_json(capsys, ["table", "S3", "--json", "--irreps"])
    G = group("S3")
    for r in data["irreps"]:
        M = np.array(r["matrices"])  # (n, d, d, 2)
        M = M[..., 0] + 1j * M[..., 1]
        assert M.shape == (6, r["dim"], r["dim"])
        # ρ(a)ρ(b) = ρ(ab): the certificate bounds the residual by 1e-10; JSON keeps float64
        assert np.max(np.abs(M[:, None] @ M[None, :] - M[G.table])) < 1e-10
        assert max(r["certificate"].values()) < 1e-10
        chi = np.array([complex(*z) for z in r["character"]])
        assert np.allclose(np.trace(M, axis1=1, axis2=2), chi, atol=1e-10)  # same tolerance as the certificate
