"""`grokcheck flow` beyond the dense table: the table-free Fourier-block flow, its report and its refusals."""

import argparse
import json

import numpy as np
import pytest

from grokcheck.checks.cli import main
from grokcheck.checks.cli._flow_table_free import run_table_free
from grokcheck.numerics._block_flow import run_block_flow
from grokcheck.theory import PermutationGroup, group


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip().startswith("X.")]


def test_table_free_flow_on_s4_reports_the_converged_end_state(tmp_path, capsys):
    out_dir = tmp_path / "run"
    assert main(["flow", "S4", "--table-free", "--neurons", "4", "--seed", "3", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "table-free Fourier-domain flow" in out and "all of real type" in out
    assert "acceptance: purity_min ok" in out and "FAIL" not in out
    data = json.loads((out_dir / "flow.json").read_text())
    # the CLI reports exactly what run_block_flow computes from (|G|, degrees) with the same seed
    ref = run_block_flow(24, group("S4").character_table.degrees, neurons=4, seed=3)
    assert np.allclose(data["omega"], ref.omega, rtol=0, atol=0)
    assert data["dims"] == [int(d) for d in group("S4").character_table.degrees]
    assert sum(r["count"] for r in data["rows"]) == 4
    # converged: Ω = Ω* = |G|^{-3/2}/√d (float64 integration error ~1e-16 relative), one irrep, rank one
    assert data["acceptance"]["omega_rel_error_max"]["value"] < 1e-9
    assert all(r["irrep"] != "X.1" for r in data["rows"])  # Ω vanishes on the trivial irrep: it never wins


def test_the_permutation_group_class_takes_the_same_route(capsys):
    # S4 as a PermutationGroup (no dense table, as every group above 5040 is): same degrees, same run
    P = PermutationGroup.from_permutations(["(1,2)", "(1,2,3,4)"], name="S4 on 4 points")
    assert not hasattr(P, "table")
    args = argparse.Namespace(domain="fourier", sphere="separate", method="RK45", neurons=3, seed=1, t1=None,
                              out=None)
    assert run_table_free(args, P) == 0
    out = capsys.readouterr().out
    assert "order 24, 5 irreps, all of real type" in out
    assert sum(int(r[2]) for r in _rows(out)) == 3 and "acceptance: purity_min ok" in out and "FAIL" not in out


@pytest.mark.parametrize("argv, words", [
    (["flow", "A8", "--neurons", "2"], ["real type", "complex", "X.6"]),  # beyond 5040, complex irreps
    (["flow", "C3", "--table-free"], ["real type", "complex"]),
    (["flow", "Q8", "--table-free"], ["quaternionic"]),
    (["flow", "S4", "--table-free", "--method", "DOP853"], ["--method", "RK45"]),
    (["flow", "S4", "--table-free", "--domain", "parameter"], ["--domain", "fourier"]),
])
def test_table_free_flow_refuses_with_a_reason(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words) and "Traceback" not in err


def test_s8_beyond_the_dense_table_runs_the_block_flow(capsys):
    # |G| = 40320: a short flow (t1 far below convergence) only exercises the route and the report
    assert main(["flow", "--perms", "(1,2)", "(1,2,3,4,5,6,7,8)", "--neurons", "2", "--t1", "1e4"]) == 0
    out = capsys.readouterr().out
    assert "order 40320, 22 irreps, all of real type" in out and "table-free" in out


@pytest.mark.slow
def test_s8_block_flow_converges_to_the_predicted_levels(capsys):
    # the default t1 = 400|G|^{3/2}: He et al.'s end state, Ω within 1e-6 of Ω* relative (RK45 rtol 1e-8)
    assert main(["flow", "S8", "--neurons", "2", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "acceptance: purity_min ok" in out and "FAIL" not in out
