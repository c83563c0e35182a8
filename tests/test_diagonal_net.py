"""Diagonal linear nets in Lyu et al.'s dichotomy (Lyu et al., arXiv 2311.18817, experimental settings).

Default size (CPU, seconds): n = 64, d = 400, k = 3 (k² log d ≈ 54 ≲ n ≪ k·d = 1200), α = 10³,
λ = 0.1, η = 0.05, horizon 3·log α/λ. The acceptance size (n = 256, d = 5000) is the slow test.
"""

import math

import numpy as np
import pytest
import torch

from grokcheck.checks.experiments._diagonal_net import (
    diagonal_net_model,
    misgrokking_data,
    sparse_sign_data,
    train_diagonal_nets,
)
from grokcheck.checks.claims._lyu_verdicts import (
    check_diag_early_direction,
    check_diag_grok_time,
    check_diag_late_direction,
    check_diag_late_kkt,
)


ALPHA, LAM, LR = 1e3, 0.1, 0.05
T = math.log(ALPHA) / LAM


@pytest.fixture(scope="module")
def run():
    data = sparse_sign_data(n=64, d=400, k=3, n_test=500, seeds=[0])
    return train_diagonal_nets(data, alphas=[ALPHA], lambdas=[LAM], lrs=LR, steps=int(3 * T / LR),
                               eval_every=20, snapshot_fractions=(0.5, 2.0))


def test_early_direction_is_w2(run):
    res = check_diag_early_direction(run)
    assert res.measurement >= 0.95 and res.verdict == "PASS"
    wrong = check_diag_early_direction(run, predicted_direction=run.w1_star[0])  # claim: already L1
    assert wrong.verdict == "FAIL"


def test_late_direction_is_w1(run):
    res = check_diag_late_direction(run)
    assert res.measurement >= 0.95 and res.verdict == "PASS"
    assert check_diag_late_direction(run, predicted_direction=run.w2_star[0]).verdict == "FAIL"


def test_late_point_is_kkt_and_early_point_is_not(run):
    late = check_diag_late_kkt(run)
    # stationarity holds; complementarity does not at finite λ: the regularised stationary point
    # spreads its multipliers over non-active constraints (gap ≈ 0.33 here, flat in t), so the
    # check, which reads both as is_kkt_point does, does not PASS
    assert late.details["stationarity_relative"] <= 1e-2
    assert late.details["complementarity_relative"] > 1e-2 and late.verdict == "FAIL"
    early = check_diag_late_kkt(run, snapshot=0)  # wrong claim: the kernel-phase point is KKT
    assert early.verdict == "FAIL" and early.measurement > 0.5  # θ ∝ θ̄ is far from the cone


def test_accuracy_jump_at_log_alpha_over_lambda(run):
    res = check_diag_grok_time(run)
    assert res.verdict == "PASS"
    assert check_diag_grok_time(run, predicted=2 * T).verdict == "FAIL"
    assert check_diag_grok_time(run, predicted=math.log(ALPHA) / LAM**2).verdict == "FAIL"
    i_half = np.searchsorted(run.times[0], 0.5 * T)
    assert run.test_acc[0, 0, i_half] < 0.8  # kernel phase: L2 classifier, n ≪ k·d
    assert run.train_acc[0, 0, i_half] == 1.0
    assert run.test_acc[0, 0, -1] >= 0.95


def test_norm_decays_like_alpha_exp_minus_lambda_t(run):
    # ‖θ(t)‖ ≈ α e^{−λt} before the transition
    for frac in (0.25, 0.5):
        i = np.searchsorted(run.times[0], frac * T)
        pred = ALPHA * math.exp(-LAM * run.times[0, i])
        assert abs(run.norm[0, 0, i] / pred - 1) < 0.02  # the O(log) output growth barely moves ‖θ‖


def test_batched_cells_and_seeds_equal_separate_runs():
    data = sparse_sign_data(n=16, d=40, k=3, n_test=50, seeds=[3, 4])
    kw = dict(steps=300, eval_every=50, reference=False)
    grid = train_diagonal_nets(data, alphas=[10.0, 100.0], lambdas=[0.2, 0.1], lrs=[0.05, 0.1], **kw)
    for s, seed in enumerate((3, 4)):
        one = sparse_sign_data(n=16, d=40, k=3, n_test=50, seeds=[seed])
        for c, (a, lam, lr) in enumerate(((10.0, 0.2, 0.05), (100.0, 0.1, 0.1))):
            single = train_diagonal_nets(one, alphas=[a], lambdas=[lam], lrs=lr, **kw)
            # identical arithmetic up to the order of the batched reductions
            torch.testing.assert_close(grid.u[s, :, c], single.u[0, :, 0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(grid.test_acc[s, c], single.test_acc[0, 0])


def test_closed_form_step_matches_autograd():
    data = sparse_sign_data(n=10, d=7, k=3, n_test=5, seeds=[1])
    a, lam, lr = 3.0, 0.3, 0.07
    out = train_diagonal_nets(data, alphas=[a], lambdas=[lam], lrs=lr, steps=1, eval_every=1, reference=False)
    x, y = data.x_train[0], data.y_train[0]
    th = torch.full((14,), a / math.sqrt(14), dtype=torch.float64, requires_grad=True)
    f = diagonal_net_model(x)
    loss = torch.nn.functional.softplus(-y * f(th)).mean() + lam / 2 * (th * th).sum()
    (g,) = torch.autograd.grad(loss, th)
    want = (th - lr * g).detach()
    torch.testing.assert_close(torch.cat([out.u[0, :, 0], out.v[0, :, 0]]), want, rtol=1e-13, atol=1e-14)  # float64


def test_misgrokking_accuracy_rises_then_falls():
    data = misgrokking_data(n=32, d=5000, gamma=25.0, n_test=500, seeds=[0])
    a, lam, lr = 1e3, 0.1, 0.05
    Tm = math.log(a) / lam
    r = train_diagonal_nets(data, alphas=[a], lambdas=[lam], lrs=lr, steps=int(2.5 * Tm / lr), eval_every=50,
                            reference=False)
    early = r.test_acc[0, 0, np.searchsorted(r.times[0], 0.5 * Tm)]
    assert early >= 0.99  # the L2-margin direction ≈ w* generalizes
    assert r.test_acc[0, 0, -1] <= early - 0.05  # the L1-margin direction does not (≈0.91 here)


@pytest.mark.slow
def test_acceptance_size():
    """Paper-sized run: n = 256, d = 5000, k = 3, α = 10⁴, λ = 0.1, η = 0.02, horizon 2·log α/λ."""
    data = sparse_sign_data(n=256, d=5000, k=3, n_test=2000, seeds=[0])
    a, lam, lr = 1e4, 0.1, 0.02
    Ta = math.log(a) / lam
    r = train_diagonal_nets(data, alphas=[a], lambdas=[lam], lrs=lr, steps=int(2 * Ta / lr), eval_every=20,
                            snapshot_fractions=(0.5, 2.0))
    assert check_diag_early_direction(r).passed
    assert check_diag_late_direction(r).passed
    assert check_diag_late_kkt(r).details["stationarity_relative"] <= 1e-2  # complementarity: finite-λ gap
    assert check_diag_grok_time(r).passed
