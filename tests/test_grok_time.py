"""The t_grok ≈ (1/λ)·log α law: fit, tiny sweep, and the two CLI commands."""

import json
import math

import numpy as np
import pytest

from grokcheck.checks.experiments._grok_time import fit_grok_time, grok_time_sweep
from grokcheck.checks.claims._lyu_verdicts import check_grok_time_slope
from grokcheck.checks.cli import main


TINY_DIAG = {"n": 64, "d": 300, "n_test": 300, "eta_lambda": 5e-3, "horizon": 1.6, "evals": 150}


def _grid(alphas, lambdas):
    A, L = np.meshgrid(alphas, lambdas, indexing="xy")
    return A.reshape(-1), L.reshape(-1)


def test_fit_recovers_exact_law_with_shift():
    a, lam = _grid([10.0, 100.0, 1e3], [0.01, 0.1])
    b = np.where(lam == 0.01, -1.5, -1.0)  # an α-independent finite-α shift
    t = (np.log(a) + b) / lam
    f = fit_grok_time(a, lam, np.stack([t, t]))
    np.testing.assert_allclose(f.lambda_slope, 1.0, rtol=1e-12)  # exact data, round-off only
    np.testing.assert_allclose(f.correction, [-1.5, -1.0], rtol=1e-12)
    np.testing.assert_allclose(f.residuals, 0.0, atol=1e-9)
    np.testing.assert_allclose(f.ratio, 1 + b / np.log(a), rtol=1e-12)


def test_fit_skips_cells_that_never_grokked():
    a, lam = _grid([10.0, 100.0, 1e3], [0.1])
    t = np.log(a) / lam
    t[2] = np.nan
    f = fit_grok_time(a, lam, t)
    assert f.cells_used.tolist() == [True, True, False]
    assert math.isclose(f.lambda_slope[0], 1.0, rel_tol=1e-12)


class _Sweep:  # the two attributes check_grok_time_slope reads
    def __init__(self, fit):
        self.fit = fit


def test_slope_check_passes_on_the_law_and_fails_on_a_wrong_one():
    a, lam = _grid([10.0, 100.0, 1e3], [0.01, 0.1])
    good = _Sweep(fit_grok_time(a, lam, np.log(a) / lam))
    assert check_grok_time_slope(good).verdict == "PASS"
    assert check_grok_time_slope(good, predicted_slope=lambda l: 1 / l**2).verdict == "FAIL"
    bad = _Sweep(fit_grok_time(a, lam, 2 * np.log(a) / lam))  # data twice as slow
    assert check_grok_time_slope(bad).verdict == "FAIL"


def test_tiny_diag_sweep_slope():
    sw = grok_time_sweep("diag", alphas=[1e2, 1e4], lambdas=[0.05, 0.1], seeds=[0], **TINY_DIAG)
    assert np.all(np.isfinite(sw.t_grok))
    res = check_grok_time_slope(sw)
    # two points per λ, evaluation resolution ≈ 1% of the horizon: the ±30% target
    assert res.verdict == "PASS", res.details
    assert np.all(sw.fit.ratio < 1.2) and np.all(sw.fit.ratio > 0.4)


def test_cli_grok_time_writes_table_fit_and_png(tmp_path, capsys):
    sets = [f"{k}={v}" for k, v in TINY_DIAG.items()]
    rc = main(["grok-time", "--task", "diag", "--alphas", "100", "10000", "--lambdas", "0.1", "--seeds", "0",
               "--out", str(tmp_path), "--no-progress", "--set", *sets])
    assert rc == 0
    doc = json.loads((tmp_path / "grok_time.json").read_text())
    assert len(doc["table"]) == 2 and doc["fit"]["lambda_slope"][0] is not None
    assert (tmp_path / "collapse.png").stat().st_size > 1000
    assert "λ·slope" in capsys.readouterr().out


def test_cli_kkt_on_a_training_layer_run(tmp_path, capsys):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.experiments._kkt_run import checkpoint_history_callback
    from grokcheck.checks.training._models import MLPConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig, train
    from grokcheck.theory import group

    task = group_task(group("C5"), train_fraction=0.6, n_seeds=1, seed=0, encoding="concat")
    cfg = TrainConfig(model=MLPConfig(widths=(16,), bias="first", init="he", init_scale=3.0, zero_last=True),
                      optimizer=OptimizerConfig("sgd", lr=0.5, weight_decay=0.05), steps=120, n_seeds=1, seed=0,
                      eval_every=30, checkpoint_every=None, dtype="float64")
    run_dir = tmp_path / "run"
    train(cfg, task, out_dir=run_dir, progress=False, callbacks=(checkpoint_history_callback(run_dir),))
    rc = main(["kkt", str(run_dir), "--no-progress"])
    assert rc == 0
    doc = json.loads((run_dir / "kkt" / "kkt.json").read_text())
    assert doc["steps"] == [0, 30, 60, 90, 120]
    expected = [0.05 * 0.5 * s / math.log(3.0) for s in doc["steps"]]
    np.testing.assert_allclose(doc["rescaled_time"], expected, rtol=1e-12)  # t·λ/log α
    assert doc["degree"][0][1:] == [2.0] * 4  # first-layer bias keeps the MLP 2-homogeneous
    assert (run_dir / "kkt" / "kkt.png").exists()
    assert "predicted switch" in capsys.readouterr().out


@pytest.mark.slow
def test_acceptance_grid_diag():
    """3×3 (α, λ) grid, α over two decades; at each λ, λ·slope = 1 within 30%."""
    sw = grok_time_sweep("diag", alphas=[1e2, 1e3, 1e4], lambdas=[0.025, 0.05, 0.1], seeds=[0, 1, 2])
    res = check_grok_time_slope(sw)
    assert res.verdict == "PASS", res.details


def test_modadd_sweep_runs_through_the_training_layer():
    # plumbing only (p = 5 is far too small to grok): per-cell η = min(lr_max, ηλ/λ), steps, table
    sw = grok_time_sweep("modadd", alphas=[2.0], lambdas=[0.01], seeds=[0, 1], p=5, width=8, eta_lambda=1e-3,
                         horizon=0.05, evals=5)
    assert sw.t_grok.shape == (2, 1)
    assert sw.lrs[0] == pytest.approx(0.1)  # η·λ = 1e-3 at λ = 0.01
    assert sw.steps[0] == math.ceil(0.05 * math.log(2.0) / 1e-3)
    assert len(sw.table()) == 1


def test_cli_rejects_modadd_flags_for_other_tasks(capsys):
    rc = main(["grok-time", "--task", "diag", "--alphas", "10", "--lambdas", "0.1", "--paper-size"])
    assert rc == 2 and "modadd only" in capsys.readouterr().err
