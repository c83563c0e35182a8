"""Group inputs out of reach are refused before the work, and malformed ones by name (exit 2).

Each refusal is timed: the bounds come from orders, sizes and memory, so a group of order 100!
on 100 points, a matrix group acting on a million vectors or a 5041×5041 Cayley table is refused
in about a second (asserted below 10 s, because the test machine's cores are shared; before these
bounds the same inputs took 47 s to several minutes, or ran out of memory).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from grokcheck.checks.cli import describe_error, main
from grokcheck.errors import GroupInputError, NotAGroupError
from grokcheck.theory import MAX_ORDER, FiniteGroup, PermutationGroup, large_group
from grokcheck.theory._matrix_group import matrix_group
from grokcheck.theory._perm_group import MAX_IMAGE_BYTES, MAX_LARGE_ORDER, order_lower_bound

# Seconds within which every refusal must come; about 10× what it takes on an idle machine.
FAST = 10.0


def _cycle(points) -> str:
    return "(" + ",".join(str(p) for p in points) + ")"


def _run(argv, capsys):
    """``main(argv)``, its exit code, stderr and wall time."""
    t0 = time.perf_counter()
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    seconds = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err, seconds


# ----------------------------------------------------------------- --perms


@pytest.mark.parametrize("n", [100, 200, 1000])
def test_symmetric_group_on_many_points_is_refused_at_once(n, capsys):
    rc, err, seconds = _run(["table", "--perms", "(1,2)", _cycle(range(1, n + 1))], capsys)
    assert rc == 2 and seconds < FAST, (rc, seconds, err)
    assert "order at least" in err and str(MAX_LARGE_ORDER) in err
    bound = int(err.split("order at least ")[1].split()[0])
    assert MAX_LARGE_ORDER < bound <= math.factorial(n)  # a true lower bound for S_n


def test_dense_table_commands_refuse_a_large_permutation_group_at_once():
    t0 = time.perf_counter()
    with pytest.raises(GroupInputError, match=f"order at least .*MAX_ORDER = {MAX_ORDER}"):
        FiniteGroup.from_permutations(["(1,2)", _cycle(range(1, 301))])
    assert time.perf_counter() - t0 < FAST


def test_small_degree_refusal_names_the_exact_order():
    with pytest.raises(GroupInputError, match="order 3628800"):  # S10: exact order, not a bound
        FiniteGroup.from_permutations(["(1,2)", _cycle(range(1, 11))])


def test_transversal_too_large_for_memory_still_bounds_the_order(capsys):
    # S_14287 on points spread over 1..10⁵: the orbit's transversal would not fit, powers bound it
    rc, err, seconds = _run(["table", "--perms", "(1,2)", _cycle(range(1, 100_000, 7))], capsys)
    assert rc == 2 and seconds < FAST and "order at least" in err


def test_many_moved_points_with_a_small_group_are_refused_by_memory():
    # C5000 acting on 200 copies of a 5000-cycle: order 5000, but 10⁶ points
    img = np.arange(10**6).reshape(200, 5000)
    gen = np.roll(img, -1, axis=1).ravel()
    t0 = time.perf_counter()
    with pytest.raises(GroupInputError, match="MAX_IMAGE_BYTES"):
        PermutationGroup.from_permutations([gen])
    assert time.perf_counter() - t0 < FAST


def test_many_generators_are_bounded_in_memory_and_time():
    rng = np.random.default_rng(7)
    gens = [rng.permutation(1000) for _ in range(3000)]  # S1000 or A1000, 3000 generators
    t0 = time.perf_counter()
    with pytest.raises(GroupInputError, match="order at least"):
        PermutationGroup.from_permutations(gens)
    assert time.perf_counter() - t0 < FAST


def test_groups_within_the_limits_are_still_built():
    P = PermutationGroup.from_permutations(["(1,2)", _cycle(range(1, 10))])  # S9, no dense table
    assert P.order == math.factorial(9)
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3,4,5,6,7)"])
    assert G.order == 5040


def test_order_lower_bound_is_a_divisor_of_the_order_and_usually_the_order():
    """Against sympy on seeded random groups: the bound divides |G| (a product of orbit lengths
    of a subgroup chain), and with every Schreier generator kept it is |G| itself."""
    from sympy.combinatorics import Permutation
    from sympy.combinatorics import PermutationGroup as SymPermGroup

    rng = np.random.default_rng(2024)
    exact = 0
    for trial in range(120):
        m = int(rng.integers(2, 12))
        gens = []
        for _ in range(int(rng.integers(1, 4))):
            g = np.arange(m)
            support = rng.choice(m, int(rng.integers(2, m + 1)), replace=False)
            g[support] = np.roll(support, int(rng.integers(1, support.size)))
            gens.append(g)
        gens = np.stack(gens)
        order = int(SymPermGroup([Permutation(g.tolist()) for g in gens]).order())
        bound = order_lower_bound(gens, 10**12, seed=trial)
        assert order % bound == 0, (gens.tolist(), order, bound)
        exact += bound == order
    assert exact >= 100  # random stabiliser elements generate the stabiliser almost always


def test_order_lower_bound_stops_early():
    s1000 = np.stack([np.roll(np.arange(1000), -1), np.r_[1, 0, 2:1000]])
    t0 = time.perf_counter()
    bound = order_lower_bound(s1000, 10**6)
    assert 10**6 < bound < 10**12 and time.perf_counter() - t0 < FAST


def test_named_groups_whose_elements_do_not_fit_are_refused():
    # SL(2,113) has order 1 442 896 (below MAX_LARGE_ORDER) but acts on 12 768 vectors: 37 GB
    with pytest.raises(GroupInputError, match="MAX_IMAGE_BYTES"):
        large_group("SL(2,113)")
    assert large_group("PSL(2,113)").degree == 114  # the same order on the projective line fits
    assert 1442896 * 12768 * 2 > MAX_IMAGE_BYTES


# --------------------------------------------------------------- --matrices


@pytest.mark.parametrize("argv", [
    ["--matrices", "[[5]]", "--field", "999983"],
    ["--matrices", "[[1,1],[0,1]]", "[[0,1],[-1,0]]", "--field", "997"],
    ["--matrices", "[[1,1],[0,1]]", "--field", "997"],
])
def test_matrix_groups_on_a_million_vectors_are_refused_at_once(argv, capsys):
    rc, err, seconds = _run(["table", *argv], capsys)
    assert rc == 2 and seconds < FAST, (rc, seconds, err)
    assert "matrix group over GF(" in err and "MAX_IMAGE_BYTES" in err


def test_dense_commands_refuse_a_matrix_group_above_max_order():
    with pytest.raises(GroupInputError, match=f"MAX_ORDER = {MAX_ORDER}"):
        matrix_group(["[[1,1],[0,1]]", "[[0,1],[-1,0]]"], 23, max_order=MAX_ORDER)  # SL(2,23), order 12144
    assert matrix_group(["[[1,1],[0,1]]", "[[0,1],[-1,0]]"], 23).order == 12144


@pytest.mark.parametrize("argv, words", [
    (["--matrices", "[[99999999999999999999]]", "--field", "7"], ["99999999999999999999", "64-bit"]),
    (["--matrices", "[[1,0],[0,-99999999999999999999]]", "--field", "7"], ["64-bit"]),
    (["--matrices", "[[1,1],[0,1]]", "--field", "1" + "0" * 200], ["MAX_VECTORS", "201 digits"]),
    (["--matrices", "[[" + "1" * 5000 + "]]", "--field", "7"], ["not a JSON list"]),
    (["--matrices", str(np.eye(30, dtype=int).tolist()).replace(" ", ""), "--field", "2"], ["MAX_VECTORS"]),
])
def test_malformed_matrices_are_named(argv, words, capsys):
    rc, err, seconds = _run(["table", *argv], capsys)
    assert rc == 2 and seconds < FAST, (rc, err)
    assert all(w in err for w in words), err
    assert len(err) < 600  # a huge input is cut in the message


# ------------------------------------------------------------------ --cayley


def test_a_5041_table_npy_is_refused_from_its_header(tmp_path, capsys):
    path = tmp_path / "c5041.npy"
    np.lib.format.open_memmap(path, mode="w+", dtype=np.int16, shape=(5041, 5041)).flush()  # sparse: no data written
    rc, err, seconds = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2 and seconds < FAST
    assert "order 5041" in err and f"MAX_ORDER = {MAX_ORDER}" in err


def test_an_npy_header_promising_a_huge_array_is_refused_before_allocating(tmp_path, capsys):
    path = tmp_path / "lie.npy"
    with open(path, "wb") as f:  # a header alone, no data
        np.lib.format.write_array_header_1_0(f, {"descr": "<i8", "fortran_order": False, "shape": (2, 10**11)})
    rc, err, seconds = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2 and seconds < FAST and "MAX_ORDER" in err and "(2, 100000000000)" in err


def test_a_5041_table_json_is_refused_from_its_first_row(tmp_path, capsys):
    n = 5041
    row = "[" + ",".join(map(str, range(n))) + "]"
    path = tmp_path / "c5041.json"
    path.write_text("[" + ",".join([row] * n) + "]")  # the full 125 MB file (identical rows: never validated)
    rc, err, seconds = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2 and seconds < FAST
    assert "order 5041" in err and "first row" in err and f"MAX_ORDER = {MAX_ORDER}" in err


def test_the_first_row_check_runs_before_the_json_parse(tmp_path, monkeypatch):
    import grokcheck.theory._finite_group as fg

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"elements": ["x"], "table": [list(range(MAX_ORDER + 1)), [0]]}))

    def no_parse(*a, **k):
        raise AssertionError("the whole file was parsed")

    monkeypatch.setattr(fg.json, "loads", no_parse)
    with pytest.raises(GroupInputError, match=f"order {MAX_ORDER + 1}"):
        FiniteGroup.from_file(path)


def test_too_many_rows_or_labels_are_refused_before_validation():
    with pytest.raises(GroupInputError, match="MAX_ORDER"):
        FiniteGroup.from_table([[0]] * (MAX_ORDER + 1))
    with pytest.raises(GroupInputError, match="element labels"):
        FiniteGroup.from_table([["a"]], elements=[str(i) for i in range(MAX_ORDER + 1)])


@pytest.mark.parametrize("data, words", [
    ({"elements": [{"a": 1}, {"b": 2}], "table": [[{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}]]}, ["{'a': 1}", "JSON object"]),
    ({"elements": ["e", {"x": [1]}], "table": [["e", {"x": [1]}], [{"x": [1]}, "e"]]}, ["{'x': [1]}"]),
    ({"elements": [[{"a": 1}], [1]], "table": [[[{"a": 1}], [1]], [[1], [{"a": 1}]]]}, ["JSON object"]),
    ([[{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}]], ["{'a': 1}"]),
    ({"elements": [], "table": []}, ["element labels is empty"]),
    ({"elements": [], "table": [[0]]}, ["element labels is empty"]),
    ([], ["empty"]),
    ([[]], ["not square"]),
    ({"elements": ["e", "a"], "table": [["e", "a"], "ae"]}, ["row 1", "not a list"]),
    ([["e", "a"], 5], ["row 1", "not a list"]),
    ({"elements": ["e", "a"], "table": 5}, ["list of lists"]),
])
def test_malformed_json_tables_are_named(tmp_path, capsys, data, words):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    rc, err, _ = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2, err
    assert all(w in err for w in words), err


def test_nan_labels_are_refused(tmp_path, capsys):
    path = tmp_path / "t.json"
    path.write_text('{"elements": [NaN, 1.0], "table": [[NaN, 1.0], [1.0, NaN]]}')  # Python's json reads NaN
    rc, err, _ = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2 and "NaN" in err


@pytest.mark.parametrize("array, words", [
    (np.array(5), ["shape ()"]),
    (np.zeros((0, 0), dtype=np.int64), ["non-empty"]),
    (np.arange(3), ["shape (3,)"]),
    (np.zeros((2, 2, 2), dtype=np.int64), ["shape (2, 2, 2)"]),
    (np.array([[0, 2**64 - 1], [2**64 - 1, 0]], dtype=np.uint64), ["18446744073709551615"]),
    (np.array([[0, 1], [1, 0]], dtype=object), ["Python objects"]),
])
def test_malformed_npy_tables_are_named(tmp_path, capsys, array, words):
    path = tmp_path / "t.npy"
    np.save(path, array, allow_pickle=True)
    rc, err, _ = _run(["table", "--cayley", str(path)], capsys)
    assert rc == 2, err
    assert all(w in err for w in words), err


def test_zero_d_and_unsigned_tables_through_the_api():
    with pytest.raises(NotAGroupError, match=r"shape \(\)"):
        FiniteGroup.from_table(np.array(3))
    with pytest.raises(NotAGroupError, match="outside the element range"):
        FiniteGroup.from_table(np.array([[0, 7], [7, 0]], dtype=np.uint8))
    assert FiniteGroup.from_table(np.array([[0, 1], [1, 0]], dtype=np.uint8)).order == 2


# --------------------------------------------------------- torch out of memory


def test_torch_out_of_memory_is_a_named_error_with_advice():
    import torch

    cuda = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 79.1 GiB total)")
    msg = describe_error(cuda)
    assert msg and "out of memory" in msg and "--device cpu" in msg and "--width" in msg
    mps = describe_error(RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"))
    assert mps and "--device cpu" in mps
    assert describe_error(RuntimeError("mat1 and mat2 shapes cannot be multiplied")) is None


def test_torch_out_of_memory_under_the_cli_exits_2(monkeypatch, capsys):
    import torch

    import grokcheck.checks.cli.table as table

    def allocate(args):
        torch.empty(2**62, dtype=torch.uint8)  # 4 EiB: the CPU allocator refuses at once

    monkeypatch.setattr(table, "run", allocate)
    rc, err, _ = _run(["table", "C5"], capsys)
    assert rc == 2 and "out of memory in torch" in err and "--batch-size" in err

    def cuda_oom(args):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")

    monkeypatch.setattr(table, "run", cuda_oom)
    rc, err, _ = _run(["table", "C5"], capsys)
    assert rc == 2 and "--device cpu" in err
