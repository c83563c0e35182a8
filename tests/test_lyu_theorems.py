"""Lyu et al. (arXiv 2311.18817) on matrix completion: Cor. 3.11, Thm 3.10, Thm 3.12, and whether the
late-phase KKT statement at finite λ needs λ → 0. Each check is shown to FAIL on a wrong law or a
wrong implementation."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from grokcheck.checks._registry import Verdict
from grokcheck.checks.claims._lyu_verdicts import (
    check_kkt_needs_small_lambda,
    check_mc_error_bound,
    check_mc_kernel_limit,
    check_mc_late_kkt,
    incoherence,
)
from grokcheck.checks.experiments._matrix_completion import matrix_completion_data, train_matrix_completion
from grokcheck.errors import GrokcheckError

LAMBDAS = (0.004, 0.002, 0.001, 0.0005)


def test_incoherence_of_spread_and_spiky_vectors():
    d = 8
    ones = np.ones(d)
    assert incoherence(np.outer(ones, ones))[0] == pytest.approx(1.0, rel=1e-12)  # rounding only
    e0 = np.eye(d)[0]
    assert incoherence(np.outer(e0, e0))[0] == pytest.approx(d, rel=1e-12)  # the most coherent: μ = d
    assert incoherence(np.diag([3.0, 1.0] + [0.0] * (d - 2)))[1] == 2


def test_error_bound_holds_on_the_paper_table_and_fails_without_recovery():
    """Thm 3.12 on ij/d²: the error falls like λ (slope ≈ 1 ≥ ½). The rival 'error floor' is what a
    full-rank target gives (nothing to recover): slope ≈ 0, FAIL."""
    data = matrix_completion_data(d=10, fraction=0.4, seeds=[0])
    res = check_mc_error_bound(data, LAMBDAS)
    assert res.verdict == Verdict.PASS, res
    assert 0.8 <= res.measurement <= 1.1  # the penalised fit's O(λ) bias: √λ is a loose bound here
    assert res.details["rank"] == 1
    A = np.random.default_rng(0).standard_normal((10, 10))
    full = matrix_completion_data(fraction=0.4, seeds=[0], target=(A + A.T) / 4)
    bad = check_mc_error_bound(full, LAMBDAS)
    assert bad.verdict == Verdict.FAIL and abs(bad.measurement) < 0.1, bad


def test_error_bound_rejects_a_single_lambda():
    with pytest.raises(GrokcheckError, match="two positive"):
        check_mc_error_bound(matrix_completion_data(d=6, fraction=0.5), [0.01])


def _grid_run():
    """The registered grid (``_lyu_diag.MC_GRID``) at seed 0: ~20k GD steps on 3 cells of d = 10."""
    from grokcheck.checks.claims._lyu_diag import MC_GRID, train_mc_grid

    return train_mc_grid(matrix_completion_data(d=MC_GRID["d"], fraction=MC_GRID["fraction"], seeds=[0]))


@pytest.fixture(scope="module")
def grid():
    return _grid_run()


def test_checks_fail_on_the_initialisation():
    """One GD step from U = V = αI: W = 0 is not the kernel limit, and the late checks see no KKT point."""
    data = matrix_completion_data(d=10, fraction=0.4, seeds=[0])
    run = train_matrix_completion(data, alphas=[3.0, 3.0, 6.0], lambdas=[0.004, 0.002, 0.004], lrs=0.05, steps=1,
                                  eval_every=1, snapshot_fractions=(0.5, 2.0, 3.0))
    assert check_mc_kernel_limit(run).verdict == Verdict.FAIL
    assert check_mc_late_kkt(run, snapshot=1).verdict == Verdict.FAIL
    assert check_kkt_needs_small_lambda(run).verdict == Verdict.FAIL
    with pytest.raises(GrokcheckError, match="t < log"):
        check_mc_kernel_limit(run, snapshot=1)
    with pytest.raises(GrokcheckError, match="t ≥ log"):
        check_mc_late_kkt(run, snapshot=0)


@pytest.mark.slow
def test_corollary_3_11_kernel_limit(grid):
    res = check_mc_kernel_limit(grid, snapshot=0)
    assert res.verdict == Verdict.PASS and res.measurement < 0.05, res
    # a wrong implementation that reads the late snapshot as 'the kernel phase' is refused
    late = dataclasses.replace(grid, snapshot_fractions=(0.5, 0.9, 3.0), W_snapshots=grid.W_snapshots[[2, 1, 0]])
    assert check_mc_kernel_limit(late, snapshot=0).verdict == Verdict.FAIL


@pytest.mark.slow
def test_theorem_3_10_late_kkt(grid):
    res = check_mc_late_kkt(grid, snapshot=1)
    assert res.verdict == Verdict.PASS, res
    # the kernel-phase factors presented as the late point: stationarity ≈ 1 at every α, FAIL
    th = grid.theta_snapshots
    early = dataclasses.replace(grid, theta_snapshots=th[[0, 0, 0]])
    assert check_mc_late_kkt(early, snapshot=1).verdict == Verdict.FAIL


@pytest.mark.slow
def test_finite_lambda_kkt_needs_lambda_to_zero(grid):
    """The residual halves with λ and does not move with α; the rival 'α → ∞ at fixed λ suffices' is
    what a grid whose α-axis carried the λ effect would show, and it FAILs."""
    res = check_kkt_needs_small_lambda(grid)
    assert res.verdict == Verdict.PASS, res
    assert abs(res.details["slope_on_log_alpha"][0.004]) < 0.1
    swapped = dataclasses.replace(grid, alphas=np.array([3.0, 6.0, 3.0]), lambdas=np.array([0.004, 0.004, 0.002]))
    assert check_kkt_needs_small_lambda(swapped).verdict == Verdict.FAIL


def _ntk_run(steps=None):
    from grokcheck.checks import sparse_sign_data, train_diagonal_nets
    from grokcheck.checks.claims._lyu_diag import NTK_GRID as g

    data = sparse_sign_data(n=g["n"], d=g["d"], k=3, n_test=200, seeds=[0])
    if steps is None:
        steps = int(0.5 * math.log(max(g["alphas"])) / (g["lambda"] * g["lr"])) + 2
    return train_diagonal_nets(data, alphas=list(g["alphas"]), lambdas=[g["lambda"]] * 3, lrs=g["lr"], steps=steps,
                               eval_every=50, snapshot_fractions=(0.5,), reference=False)


def test_theorem_3_4_ntk_svm_limit():
    """The kernel-phase outputs / Z(α) approach scikit-learn's NTK-SVM (cos 0.93 → 0.98, relative error falling with
    α); they are far from the rival L¹-margin predictor. One GD step (the mean classifier, scale ~α²) FAILs."""
    from grokcheck.checks.claims._lyu_verdicts import check_ntk_kernel_limit

    res = check_ntk_kernel_limit(_ntk_run())
    assert res.verdict == Verdict.PASS, res
    rows = res.details["per_alpha"]
    assert rows[-1]["relative_error"] < rows[0]["relative_error"]
    assert all(r["cos_rival_l1"] < 0.9 for r in rows[1:])  # the rich-phase predictor is another function
    assert check_ntk_kernel_limit(_ntk_run(steps=1)).verdict == Verdict.FAIL


def test_fig_2c_weight_decay_collapse_at_the_exact_threshold():
    """Training collapses to W = 0 just above λ_c = (4/n)‖sym P_Ω X*‖_op and fits just below; a threshold
    claimed at 2λ_c (a wrong law) and a run with no training at all FAIL."""
    from grokcheck.checks.claims._lyu_diag import WD_FACTORS
    from grokcheck.checks.claims._lyu_verdicts import check_wd_collapse
    from grokcheck.checks.experiments._matrix_completion import weight_decay_threshold

    data = matrix_completion_data(d=10, fraction=0.4, seeds=[0])
    lc = weight_decay_threshold(data)
    lams = [f * lc for f in WD_FACTORS]
    lr = min(0.1, data.n / (16 * 9.0))
    run = train_matrix_completion(data, alphas=[3.0] * 4, lambdas=lams, lrs=lr, eval_every=100,
                                  steps=int(12 * math.log(3.0) / (lr * min(lams))), snapshot_fractions=())
    res = check_wd_collapse(run)
    assert res.verdict == Verdict.PASS and res.measurement == pytest.approx(1.0), res
    assert check_wd_collapse(run, predicted_threshold=2 * lc).verdict == Verdict.FAIL
    idle = train_matrix_completion(data, alphas=[3.0] * 4, lambdas=lams, lrs=lr, steps=1, eval_every=1,
                                   snapshot_fractions=())
    assert check_wd_collapse(idle).verdict == Verdict.FAIL


@pytest.mark.slow
def test_app_b_no_transition_without_weight_decay():
    """λ = 0 stays at the kernel plateau (its training loss reaches 0 and GD stops) while λ = 0.004 falls;
    the rival 'it groks anyway' — a λ > 0 cell posing as λ = 0 — FAILs, and a horizon too short for the
    weight-decay cell is INCONCLUSIVE."""
    from grokcheck.checks.claims._lyu_diag import NO_WD
    from grokcheck.checks.claims._lyu_verdicts import check_no_wd_no_transition

    data = matrix_completion_data(d=10, fraction=0.4, seeds=[0])
    a, lam, lr = NO_WD["alpha"], NO_WD["lambda"], 0.1
    steps = int(NO_WD["horizon"] * math.log(a) / (lr * lam))
    run = train_matrix_completion(data, alphas=[a, a], lambdas=[lam, 0.0], lrs=lr, steps=steps, eval_every=100,
                                  snapshot_fractions=())
    res = check_no_wd_no_transition(run)
    assert res.verdict == Verdict.PASS and res.measurement > 0.99, res
    assert res.details["no_wd_final_train_loss"] < 1e-20  # a fixed point of GD: no later transition
    # the rival's world: the λ = 0 cell falls like the weight-decay cell
    posing = dataclasses.replace(run, test_loss=run.test_loss[:, [0, 0]], train_loss=run.train_loss[:, [0, 0]])
    assert check_no_wd_no_transition(posing).verdict == Verdict.FAIL
    short = train_matrix_completion(data, alphas=[a, a], lambdas=[lam, 0.0], lrs=lr, steps=steps // 8, eval_every=100,
                                    snapshot_fractions=())
    assert check_no_wd_no_transition(short).verdict == Verdict.INCONCLUSIVE


def test_no_weight_decay_refuses_snapshots():
    with pytest.raises(GrokcheckError, match="λ = 0"):
        train_matrix_completion(matrix_completion_data(d=6, fraction=0.5), alphas=[3.0], lambdas=[0.0], steps=1,
                                snapshot_fractions=(0.5,))


def test_diag_kkt_in_alpha_inconclusive_names_a_smaller_lambda(monkeypatch):
    """A KKT residual still falling with α (never under the bar) is INCONCLUSIVE, and the reason says that a
    smaller λ, not a larger α, decides (the finite-λ question is settled: complementarity needs λ → 0)."""
    from types import SimpleNamespace

    import torch

    import grokcheck.numerics as gn
    from grokcheck.checks.claims._lyu_verdicts import check_diag_kkt_in_alpha

    # residual of cell c: 0.05 / (1 + c), above the 1e-2 bars at every α and falling with α
    def cert(f, theta, y, degree):
        c = float(theta[0])
        return SimpleNamespace(status="ok", stationarity_relative=1e-3, complementarity_relative=0.05 / (1.0 + c),
                               feasibility=0.0)

    monkeypatch.setattr(gn, "kkt_certificate", cert)
    x, y = torch.ones(1, 2, 3, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)
    run = SimpleNamespace(snapshot_fractions=(1.0, 1.5), data=SimpleNamespace(x_train=x, y_train=y),
                          alphas=np.array([1e2, 1e3, 1e4]), lambdas=np.full(3, 0.1),
                          theta=lambda s, c, i: torch.full((6,), float(c), dtype=torch.float64))
    r = check_diag_kkt_in_alpha(run)
    assert r.verdict == Verdict.INCONCLUSIVE, r
    assert "smaller λ" in r.reason and "λ → 0" in r.reason
    assert "smaller λ" in r.decide and not r.decide.startswith("a larger α")
