"""Matrix groups over GF(p) from generator matrices: the action on vectors, element labels, CLI, bad input."""

import json

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.errors import GroupInputError
from grokcheck.theory import PermutationGroup, identify
from grokcheck.theory._matrix_group import matrix_group


def test_element_labels_multiply_as_matrices_mod_p():
    G = matrix_group(["[[1,1],[0,1]]", "[[0,1],[-1,0]]"], 3)  # SL(2,3)
    assert G.order == 24 and identify(G) == "SL(2,3)"
    mats = np.array([json.loads(e) for e in G.elements])  # (24, 2, 2)
    assert len({m.tobytes() for m in mats}) == 24
    assert all(round(np.linalg.det(m)) % 3 == 1 for m in mats)
    # p·q applies p first on row vectors v ↦ v·M: the label of a·b is M_a M_b mod 3, for every pair
    prod = np.einsum("aij,bjk->abik", mats, mats) % 3
    assert np.array_equal(prod, mats[G.table])


@pytest.mark.parametrize("mats, p, name", [
    (["[[1,1],[0,1]]", "[[0,1],[-1,0]]"], 7, "SL(2,7)"),
    (["[[1,1],[0,1]]", "[[0,1],[-1,0]]", "[[2,0],[0,1]]"], 5, "GL(2,5)"),
    ([[[1, 1, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [1, 0, 0], [0, 1, 0]]], 2, "PSL(2,7)"),  # GL(3,2) ≅ PSL(2,7)
])
def test_standard_generators_give_the_named_group(mats, p, name):
    assert identify(matrix_group(mats, p)) == name


def test_beyond_the_dense_table_on_the_cli(capsys):
    # GL(3,3) = ⟨SL(3,3) generators, diag(2,1,1)⟩, order 26·24·18 = 11232, 24 classes, on 26 vectors
    argv = ["table", "--matrices", "[[1,1,0],[0,1,0],[0,0,1]]", "[[0,0,1],[1,0,0],[0,1,0]]", "[[2,0,0],[0,1,0],[0,0,1]]",
            "--field", "3", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["order"] == 11232 and len(data["classes"]) == 24
    assert sum(r["dim"] ** 2 for r in data["irreps"]) == 11232
    G = matrix_group(argv[2:5], 3)
    assert isinstance(G, PermutationGroup) and G.degree == 26


@pytest.mark.parametrize("argv, words", [
    (["--matrices", "[[1,2],[2,4]]", "--field", "7"], ["singular mod 7", "[[1,2],[2,4]]"]),
    (["--matrices", "[[1,2,3],[2,4,1]]", "--field", "7"], ["not square"]),
    (["--matrices", "[[1,1],[0,1]]", "[[1]]", "--field", "5"], ["1×1", "2×2"]),
    (["--matrices", "[[1,0.5],[0,1]]", "--field", "5"], ["non-integer"]),
    (["--matrices", "[[1,1],[0,1", "--field", "5"], ["JSON"]),
    (["--matrices", "[[1,1],[0,1]]", "--field", "9"], ["prime"]),
    (["--matrices", "[[1,1],[0,1]]"], ["--field"]),
    (["S3", "--field", "5"], ["--field"]),
])
def test_bad_matrix_input_is_refused_by_name(argv, words, capsys):
    assert main(["table", *argv]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words) and "Traceback" not in err, err


def test_library_call_raises_the_input_error():
    with pytest.raises(GroupInputError, match="singular"):
        matrix_group([[[0, 0], [0, 0]]], 3)
