"""Lyu et al.'s claims as plain check functions: prediction, measurement, tolerance, verdict.

Each function takes the measured object (a run, a sweep) and the *prediction* as a parameter
(default: the paper's), and returns a :class:`~grokcheck.checks.CheckResult` (the one verdict
type of grokcheck; ``LyuCheckResult`` is kept as its alias). Feeding a wrong prediction
(another direction, another time law, another completion, another point) makes it FAIL — that
is how the tests show each check can fail. The ``verify`` registry wraps these.

Claims (Lyu, Jin, Li, Du, Lee, Hu, arXiv 2311.18817):

- ``lyu.diag.early_direction`` — Cor. 3.6: at ``t = c·log α/λ`` (``c < 1``), ``w/‖w‖ ≈ w₂*``.
- ``lyu.diag.late_direction`` — Cor. 3.7: after the switch, ``w/‖w‖ ≈ w₁*``.
- ``lyu.diag.late_kkt`` — Thm 3.5: the late point is an approximate KKT point of (R1)
  (stationarity *and* complementarity, with :func:`~grokcheck.numerics.is_kkt_point`'s bars).
- ``lyu.diag.grok_time`` — the test-accuracy jump sits at ``t ≈ log α/λ``.
- ``lyu.diag.grok_time_law`` — over several α and seeds, ``λ·t_grok`` grows like ``log α``
  (slope 1, a t-interval over seeds).
- ``lyu.grok_time.slope`` — at fixed ``λ`` the slope of ``t_grok`` vs ``log α`` is ``1/λ``.
- ``lyu.mc.kernel_zero`` — Cor. 3.11: unobserved entries ≈ 0 in the kernel phase.
- ``lyu.mc.transition`` — the test loss drops at ``steps ≈ log α/(ηλ)``.
- ``lyu.mc.nuclear`` — the rich-phase limit is the min-nuclear-norm fit.
- ``lyu.mc.late_kkt`` — Thm 3.10: after ``log α/λ`` the factors approach a KKT point of (R2).
- ``lyu.kkt.needs_small_lambda`` — at finite λ the late-phase KKT residual falls like λ, not with α.
- ``lyu.ntk.kernel_limit`` — Thm 3.4: kernel-phase outputs / Z(α) → the NTK-SVM (scikit-learn).
- ``lyu.wd.collapse`` — Fig. 2c: too large a weight decay collapses training (exactly above λ_c).
- ``lyu.no_wd.no_transition`` — App. B: without weight decay no transition (the kernel fit is stationary).
- ``lyu.mc.error_bound`` — Thm 3.12: ``‖W∞ − X*‖_F ≲ √(λ‖X*‖_*)`` as λ varies.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from grokcheck.checks._registry import CheckResult, Tolerance, result_from_comparison
from grokcheck.errors import GrokcheckError

__all__ = [
    "LyuCheckResult",
    "check_diag_early_direction",
    "check_diag_grok_time",
    "check_diag_grok_time_law",
    "check_diag_late_direction",
    "check_diag_late_kkt",
    "check_diag_kkt_in_alpha",
    "check_grok_time_slope",
    "check_kkt_needs_small_lambda",
    "check_mc_kernel_limit",
    "check_mc_kernel_zero",
    "check_mc_late_kkt",
    "check_mc_nuclear_completion",
    "check_ntk_kernel_limit",
    "check_no_wd_no_transition",
    "check_wd_collapse",
    "check_mc_transition",
]

_SRC = "Lyu, Jin, Li, Du, Lee, Hu, arXiv 2311.18817 (ICLR 2024)"

#: The run-level verdict type is the registry's :class:`CheckResult`; this alias keeps old imports working.
LyuCheckResult = CheckResult


def _r(id, claim, source, prediction, measurement, tol: Tolerance, ok: bool, details=None, **kw) -> CheckResult:
    return result_from_comparison(id, claim, source, prediction, measurement, tol, ok, details=details, **kw)


def _cos(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300))


def _w(run, seed_index: int, cell: int, snapshot: int | None):
    th = run.theta(seed_index, cell, snapshot).detach().double().cpu().numpy()
    d = th.size // 2
    return th[:d] ** 2 - th[d:] ** 2


def check_diag_early_direction(run, *, seed_index: int = 0, cell: int = 0, snapshot: int = 0,
                               predicted_direction=None, min_cos: float = 0.95) -> LyuCheckResult:
    """Cor. 3.6: ``cos(w(t), predicted) ≥ min_cos`` at the early snapshot of a
    :class:`~grokcheck.checks.experiments._diagonal_net.DiagonalNetRun` (default ``w₂*``; snapshot
    ``snapshot`` is taken at ``c·log α/λ`` with ``c = run.snapshot_fractions[snapshot] < 1``)."""
    c = run.snapshot_fractions[snapshot]
    if not c < 1:
        raise GrokcheckError(f"the early snapshot must be at c < 1 times log α/λ, got c={c}")
    pred = run.w2_star[seed_index] if predicted_direction is None else predicted_direction
    m = _cos(_w(run, seed_index, cell, snapshot), pred)
    tol = Tolerance(1 - min_cos, f"Cor. 3.6 is a limit α → ∞; at finite α the logistic-loss margin maximisation in "
                                 f"the kernel phase is still converging (rate 1/log t), so cos ≥ {min_cos}", "at_least")
    return _r(
        "lyu.diag.early_direction", "in the kernel phase the diagonal net points along the max L2-margin classifier w2*",
        f"{_SRC}, Cor. 3.6", 1.0, m, tol, m >= min_cos,
        {"t_over_T": c, "alpha": float(run.alphas[cell]), "lambda": float(run.lambdas[cell]),
         "predicted_direction": "w2*" if predicted_direction is None else "given"},
    )


def check_diag_late_direction(run, *, seed_index: int = 0, cell: int = 0, predicted_direction=None,
                              min_cos: float = 0.95) -> LyuCheckResult:
    """Cor. 3.7: ``cos(w(t_end), predicted) ≥ min_cos`` (default ``w₁*``, the max L1-margin
    classifier) at the end of the run."""
    pred = run.w1_star[seed_index] if predicted_direction is None else predicted_direction
    m = _cos(_w(run, seed_index, cell, None), pred)
    t_end = float(run.times[cell, -1])
    tol = Tolerance(1 - min_cos, "at finite λ the late point is the L1-regularised logistic minimiser, whose "
                                 f"direction tends to w1* only as λ → 0, so cos ≥ {min_cos}", "at_least")
    return _r(
        "lyu.diag.late_direction", "after the switch the diagonal net points along the max L1-margin classifier w1*",
        f"{_SRC}, Cor. 3.7", 1.0, m, tol, m >= min_cos,
        {"t_end_over_T": t_end * float(run.lambdas[cell]) / math.log(run.alphas[cell]),
         "predicted_direction": "w1*" if predicted_direction is None else "given"},
    )


def check_diag_late_kkt(run, *, seed_index: int = 0, cell: int = 0, snapshot: int | None = None,
                        earlier: int | None = None, stationarity_tol: float = 1e-2,
                        complementarity_tol: float = 1e-2, max_stationarity: float | None = None) -> CheckResult:
    """Thm 3.5: the point ``snapshot`` (default: the final, late point) is an approximate KKT
    point of (R1), by :func:`~grokcheck.numerics.is_kkt_point` with its default relative bars
    (stationarity, complementarity and feasibility ≤ 1e-2). The measurement is the larger of
    the relative stationarity residual and the relative complementarity gap.

    When the point is not KKT and an ``earlier`` snapshot (index) is given, the verdict is
    INCONCLUSIVE if the residual is still falling from ``earlier`` to ``snapshot`` (the run
    has not converged: run longer), and FAIL if it is not. Feeding an early snapshot (a wrong
    claim: "the kernel-phase point is KKT") FAILs.
    """
    from grokcheck.checks.experiments._diagonal_net import diagonal_net_model
    from grokcheck.numerics import is_kkt_point, kkt_certificate

    if max_stationarity is not None:
        stationarity_tol = max_stationarity
    f = diagonal_net_model(run.data.x_train[seed_index])

    def cert_at(snap):
        return kkt_certificate(f, run.theta(seed_index, cell, snap), run.data.y_train[seed_index], degree=2)

    def residual(c):
        return float(max(c.stationarity_relative, c.complementarity_relative))

    cert = cert_at(snapshot)
    ok, why = is_kkt_point(cert, stationarity_tol=stationarity_tol, complementarity_tol=complementarity_tol, explain=True)
    m = residual(cert)
    when = "final" if snapshot is None else f"{run.snapshot_fractions[snapshot]}·log α/λ"
    details = {"point": when, "stationarity_relative": cert.stationarity_relative,
               "complementarity_relative": cert.complementarity_relative, "feasibility": cert.feasibility,
               "n_support": int(cert.support.size), "status": cert.status, "is_kkt_point": why}
    inconclusive, decide = None, ""
    if not ok and earlier is not None:
        before = residual(cert_at(earlier))
        details["residual_at_earlier_point"] = before
        details["earlier_point"] = f"{run.snapshot_fractions[earlier]}·log α/λ"
        if m < before:
            inconclusive = (f"not yet a KKT point at the end of the run ({why}), but the residual is still falling "
                            f"({before:.3g} → {m:.3g}): the late phase has not converged")
            decide = "a longer horizon (more steps after log α/λ)"
    tol = Tolerance(max(stationarity_tol, complementarity_tol),
                    "is_kkt_point's relative bars: at finite time and λ the coordinates off the support decay at "
                    "rate λ − 2|g_k| and the multipliers settle only asymptotically", "at_most")
    return _r(
        "lyu.diag.late_kkt", "the late-phase diagonal net is an approximate KKT point of min ||θ||² s.t. y_i f_i ≥ 1",
        f"{_SRC}, Thm 3.5 and Cor. 3.7", 0.0, m, tol, bool(ok), details, inconclusive=inconclusive, decide=decide,
    )


def check_diag_kkt_in_alpha(run, *, seed_index: int = 0, window: tuple[float, float] = (1.0, 2.0),
                            stationarity_tol: float = 1e-2, complementarity_tol: float = 1e-2) -> CheckResult:
    """Thm 3.5 as a limit in α: in the window ``t ∈ [1, 1+c]·log α/λ`` some point is an
    approximate KKT point of (R1), and the residual shrinks as α grows.

    Per cell (one λ, several α), the smallest KKT residual (larger of relative stationarity and
    relative complementarity) over the snapshots inside ``window`` (fractions of log α/λ).
    PASS when the largest-α cell is a KKT point by :func:`~grokcheck.numerics.is_kkt_point`;
    otherwise INCONCLUSIVE when the residual decreases strictly with α (the limit may still
    hold: a smaller λ would decide, not a larger α — at finite λ the relative complementarity
    stays near the regularised stationary point's gap however large α is, so the KKT statement
    needs λ → 0), FAIL when it does not (the residual is not going to 0 with α).
    """
    from grokcheck.checks.experiments._diagonal_net import diagonal_net_model
    from grokcheck.numerics import is_kkt_point, kkt_certificate

    fr = np.asarray(run.snapshot_fractions, dtype=float)
    snaps = [i for i, c in enumerate(fr) if window[0] <= c <= window[1]]
    if not snaps:
        raise GrokcheckError(f"no snapshot inside the window {window} (fractions of log α/λ); the run has {tuple(fr)}")
    f = diagonal_net_model(run.data.x_train[seed_index])
    y = run.data.y_train[seed_index]
    order = np.argsort(run.alphas)
    per_cell, best_ok = [], False
    for c in order:
        best = None
        for i in snaps:
            cert = kkt_certificate(f, run.theta(seed_index, int(c), i), y, degree=2)
            r = float(max(cert.stationarity_relative, cert.complementarity_relative))
            if best is None or r < best[0]:
                ok = is_kkt_point(cert, stationarity_tol=stationarity_tol, complementarity_tol=complementarity_tol)
                best = (r, ok, float(fr[i]), cert)
        per_cell.append({"alpha": float(run.alphas[c]), "residual": best[0], "at_t_over_T": best[2],
                         "stationarity_relative": best[3].stationarity_relative,
                         "complementarity_relative": best[3].complementarity_relative, "is_kkt_point": bool(best[1])})
        best_ok = bool(best[1])  # the last cell is the largest α
    res = np.array([p["residual"] for p in per_cell])
    m = float(res[-1])
    inconclusive = None
    if not best_ok and res.size > 1 and np.all(np.diff(res) < 0):
        inconclusive = (f"no point in the window is a KKT point yet (residual {m:.3g} at α = {per_cell[-1]['alpha']:g}), "
                        f"but the residual falls with α ({', '.join(f'{r:.3g}' for r in res)}): a smaller λ decides, not a larger "
                        f"α (at λ = {float(run.lambdas[order[-1]]):g} the complementarity gap of the regularised "
                        "stationary point remains however large α is; the KKT statement needs λ → 0)")
    tol = Tolerance(max(stationarity_tol, complementarity_tol),
                    "is_kkt_point's relative bars (1e-2 for stationarity and complementarity) at the largest α; the "
                    "theorem is a limit α → ∞, so a residual still falling with α is INCONCLUSIVE and one that does not "
                    "fall FAILs", "at_most")
    return _r("lyu.diag.kkt_in_alpha",
              "in the window [1, 1+c]·log α/λ the diagonal net reaches an approximate KKT point of min ||θ||² s.t. "
              "y_i f_i ≥ 1, ever closer as α grows", f"{_SRC}, Thm 3.5", 0.0, m, tol, best_ok, {"per_alpha": per_cell},
              inconclusive=inconclusive, decide="a smaller λ (which shrinks the complementarity gap of the "
              "regularised stationary point; a larger α alone does not: the KKT statement needs λ → 0)")


#: Nearest-law window for a single grokking time: the measured t_grok/(log α/λ) is attributed to
#: the law log α/λ when it is closer to 1 than to the nearest alternative laws ½ and 2 on a log
#: scale, i.e. within [2^{-1/2}, 2^{1/2}] (no fitted number: the midpoints between the laws).
GROK_TIME_WINDOW = (2 ** -0.5, 2 ** 0.5)


def check_diag_grok_time(run, *, seed_index: int = 0, cell: int = 0,
                         predicted: float | None = None, window: tuple[float, float] = GROK_TIME_WINDOW) -> CheckResult:
    """The test-accuracy jump of one run: ``t_grok / predicted`` within ``window`` (default: the
    nearest-law window :data:`GROK_TIME_WINDOW`), ``predicted = log α/λ``. A run that never
    groks is INCONCLUSIVE (run longer)."""
    pred = float(run.predicted_t_grok[cell]) if predicted is None else float(predicted)
    m = float(run.t_grok[seed_index, cell])
    lo, hi = window
    ok = math.isfinite(m) and lo <= m / pred <= hi
    tol = Tolerance(float(np.log(hi)), f"t_grok/prediction in [{lo:.3f}, {hi:.3f}]: closer on a log scale to the law "
                                       "than to the nearest alternatives ½× and 2× (the theorem fixes the scale only "
                                       "up to (1 ± c) as α → ∞)", "close")
    return _r(
        "lyu.diag.grok_time", "the test accuracy of the diagonal net jumps at t ≈ log α / λ",
        f"{_SRC}, Thms 3.4–3.5", pred, m, tol, ok, {"ratio": m / pred if math.isfinite(m) else None},
        inconclusive=None if math.isfinite(m) else "the test accuracy never reached the grokking threshold",
        decide="a longer horizon",
    )


def check_diag_grok_time_law(run, *, predicted_slope: float = 1.0, level: float = 0.95,
                             max_half_width: float = 0.25) -> CheckResult:
    """The law ``λ·t_grok = log α + O(1)`` over the cells (several α, one λ) and seeds of a run.

    Per seed, the least-squares slope of ``λ_c t_grok[s, c]`` against ``log α_c``; over seeds, the
    mean slope and its Student-t interval at ``level``. The α-independent O(1) shift of the
    theorem cancels in the slope, so no tolerance is fitted. Decision: FAIL if the interval
    excludes ``predicted_slope``; PASS if it contains it and its half-width is at most
    ``max_half_width`` = 0.25 (narrow enough to exclude the nearest alternative laws, slope ½
    and 2); otherwise INCONCLUSIVE (more seeds). A cell that never groks is INCONCLUSIVE.
    """
    from scipy.stats import t as student

    la = np.log(np.asarray(run.alphas, dtype=float))
    lam = np.asarray(run.lambdas, dtype=float)
    if np.unique(la).size < 2:
        raise GrokcheckError("the grokking-time law needs cells with at least two values of α")
    y = np.asarray(run.t_grok, dtype=float) * lam[None, :]
    S = y.shape[0]
    details = {"log_alpha": la, "lambda_t_grok": y}
    src = f"{_SRC}, Thms 3.4–3.5 (t_grok ≈ log α/λ)"
    claim = "λ·t_grok grows like log α (slope 1), the α-independent shift cancelling"
    if not np.all(np.isfinite(y)):
        tol = Tolerance(max_half_width, "", "close")
        return _r("lyu.diag.grok_time_law", claim, src, predicted_slope, float("nan"), tol, False, details,
                  inconclusive="some run never reached the grokking threshold", decide="a longer horizon")
    slopes = np.array([np.polyfit(la, y[s], 1)[0] for s in range(S)])
    mean = float(slopes.mean())
    # t_grok is read on the evaluation grid: each value may be late by up to one interval Δ_c,
    # which moves a least-squares slope by at most Σ|x_c − x̄|·λ_c Δ_c / Σ(x_c − x̄)².
    dev = la - la.mean()
    times = np.asarray(run.times, dtype=float)
    step = times[:, 1] - times[:, 0] if times.shape[1] > 1 else np.zeros(len(la))
    resolution = float(np.sum(np.abs(dev) * lam * step) / np.sum(dev ** 2))
    if S >= 2:
        half = float(student.ppf(0.5 + level / 2, S - 1) * slopes.std(ddof=1) / math.sqrt(S)) + resolution
    else:
        half = float("inf")
    lo, hi = mean - half, mean + half
    details["slope_resolution"] = resolution
    stat = {"test": f"Student-t {level:.0%} interval of the mean slope over seeds, widened by the evaluation-grid "
                    "resolution of t_grok", "ci": [lo, hi], "n_seeds": S,
            "rule": f"FAIL if the interval excludes {predicted_slope:g}; PASS if it contains it with half-width ≤ "
                    f"{max_half_width:g}; else INCONCLUSIVE"}
    details["slope_per_seed"] = slopes
    tol = Tolerance(half if np.isfinite(half) else 0.0, f"the {level:.0%} t-interval over {S} seeds (no fitted slack)",
                    "close")
    contains = lo <= predicted_slope <= hi
    inconclusive = None
    if contains and not half <= max_half_width:
        inconclusive = (f"the {level:.0%} interval [{lo:.3g}, {hi:.3g}] contains {predicted_slope:g} but is too wide "
                        f"to exclude the slopes ½ and 2 ({S} seeds)")
    return _r("lyu.diag.grok_time_law", claim, src, predicted_slope, mean, tol, contains, details,
              inconclusive=inconclusive, decide="more seeds", statistic=stat)


def check_grok_time_slope(sweep, *, predicted_slope: Callable[[float], float] | None = None,
                          rel_tol: float = 0.3) -> CheckResult:
    """At each fixed ``λ`` of a :class:`~grokcheck.checks.experiments._grok_time.GrokTimeSweep`, the fitted
    slope of ``t_grok`` against ``log α`` equals ``predicted_slope(λ)`` (default ``1/λ``) within
    ``rel_tol``; the measurement is the worst relative deviation over ``λ``."""
    f = sweep.fit
    pred = (lambda lam: 1.0 / lam) if predicted_slope is None else predicted_slope
    devs = [abs(s / pred(lam) - 1) for lam, s in zip(f.lambdas, f.slopes)]
    worst = float(max(devs)) if devs and all(np.isfinite(devs)) else float("inf")
    tol = Tolerance(rel_tol, "additive finite-α corrections cancel in the slope, but α spans only two decades and "
                             "t_grok is read at evaluation resolution (one evaluation interval over two decades of "
                             "log α moves the slope by ≲ 10%)", "at_most")
    return _r(
        "lyu.grok_time.slope", "at fixed λ, t_grok grows like (1/λ)·log α",
        f"{_SRC}, t_grok ≈ log α/λ", 0.0, worst, tol, worst <= rel_tol,
        {"lambdas": f.lambdas.tolist(), "lambda_slope": f.lambda_slope.tolist(), "ratio": f.ratio.tolist(),
         "correction": f.correction.tolist(), "predicted_slope": "1/λ" if predicted_slope is None else "given"},
    )


def check_mc_kernel_zero(run, *, seed_index: int = 0, cell: int = 0, snapshot: int = 0,
                         predicted_fill: float = 0.0, tol: float = 0.1) -> CheckResult:
    """Cor. 3.11: before the transition the never-observed entries of ``W`` are ≈ 0. The
    measurement is ``mean|W_ij| / mean|X*_ij|`` over never-observed positions at the early
    snapshot; the prediction is the fill level relative to the target (0: kernel phase;
    1 would claim the entries are already completed)."""
    data = run.data
    obs = data.observed_mask(seed_index)
    never = ~(obs | obs.T)
    W = run.W_snapshots[snapshot, seed_index, cell]
    m = float(np.abs(W[never]).mean() / np.abs(data.target[never]).mean())
    t = Tolerance(tol, "Cor. 3.11 is a limit α → ∞; at finite α the entries leak at O(1/α²); 10% of the target's mean "
                       "magnitude separates 'zero' (0) from 'completed' (1)", "close")
    return _r(
        "lyu.mc.kernel_zero", "in the kernel phase the unobserved entries of W = UUᵀ − VVᵀ stay ≈ 0",
        f"{_SRC}, Cor. 3.11", predicted_fill, m, t, abs(m - predicted_fill) <= tol,
        {"snapshot_t_over_T": run.snapshot_fractions[snapshot]},
    )


def check_mc_transition(run, *, seed_index: int = 0, cell: int = 0, predicted: float | None = None,
                        factor: float = 2.0) -> CheckResult:
    """The test loss drops (to half its kernel plateau) at ``steps ≈ log α/(ηλ)``, within
    ``factor``."""
    pred = float(run.predicted_steps[cell]) if predicted is None else float(predicted)
    m = float(run.transition_step[seed_index, cell])
    ok = math.isfinite(m) and pred / factor <= m <= pred * factor
    t = Tolerance(factor, "within a factor 2 of log α/(ηλ): the theorem fixes the scale up to (1 ± c) only as α → ∞, "
                          "and a factor 2 separates the law from a doubled or halved time", "close")
    return _r(
        "lyu.mc.transition", "matrix completion's test loss drops at steps ≈ log α / (η λ)",
        f"{_SRC}, matrix completion", pred, m, t, ok, {"ratio": m / pred if math.isfinite(m) else None},
        inconclusive=None if math.isfinite(m) else "the test loss never dropped within the run", decide="more steps",
    )


def check_mc_nuclear_completion(run, reference, *, seed_index: int = 0, cell: int = 0,
                                tol: float = 0.05) -> CheckResult:
    """The final ``W`` equals the reference completion within relative Frobenius distance
    ``tol``. The prediction is ``reference`` (default use: the min-nuclear-norm fit at the run's
    ``λ``, :func:`grokcheck.checks.experiments._matrix_completion.nuclear_reference`)."""
    X = np.asarray(getattr(reference, "X", reference), dtype=np.float64)
    W = run.W[seed_index, cell]
    m = float(np.linalg.norm(W - X) / max(np.linalg.norm(X), 1e-300))
    t = Tolerance(tol, "GD stops at a finite horizon and the factorised problem is non-convex; 5% relative Frobenius "
                       "distance separates the nuclear-norm fit from the kernel fill (≈100%)", "at_most")
    return _r(
        "lyu.mc.nuclear", "the rich-phase limit of matrix completion is the minimum-nuclear-norm completion",
        f"{_SRC}, Thm 3.12", 0.0, m, t, m <= tol, {},
    )


def _mc_model(data, seed_index: int):
    """(R2)'s model of one seed: flat ``θ = (U, V)`` ``(2d²,)`` ↦ ``(UUᵀ − VVᵀ)_{Ω}`` ``(n,)``, and its targets."""
    import torch

    d = data.d
    r = torch.as_tensor(data.rows[seed_index])
    c = torch.as_tensor(data.cols[seed_index])

    def f(th):
        U, V = th[: d * d].reshape(d, d), th[d * d:].reshape(d, d)
        return (U @ U.T - V @ V.T)[r, c]

    y = data.target[data.rows[seed_index], data.cols[seed_index]]
    return f, y


def mc_kkt_residuals(run, *, seed_index: int = 0, cell: int = 0, snapshot: int = -1) -> dict:
    """The (R2) certificate ``min ½‖θ‖² s.t. W_ij = X*_ij on Ω`` of one matrix-completion snapshot.

    Returns ``{"stationarity": ‖θ − Σ μ_i ∇f_i‖/‖θ‖ (least squares over free μ), "feasibility":
    ‖f(θ) − y‖/‖y‖}`` (:func:`~grokcheck.numerics.kkt_certificate_regression`). At a stationary
    point of the regularised loss the first is 0 for every λ (``μ_i = −2r_i/(nλ)``); the second
    is the regularised fit's residual, the part of the KKT conditions that only λ → 0 removes.
    """
    import torch

    from grokcheck.numerics import kkt_certificate_regression

    if run.theta_snapshots is None:
        raise GrokcheckError("this MatrixCompletionRun has no (U, V) snapshots; train it with the current "
                             "train_matrix_completion")
    f, y = _mc_model(run.data, seed_index)
    th = torch.as_tensor(run.theta_snapshots[snapshot, seed_index, cell].reshape(-1), dtype=torch.float64)
    cert = kkt_certificate_regression(f, th, torch.as_tensor(y))
    return {"stationarity": float(cert.stationarity_relative), "feasibility": float(cert.feasibility)}


def _grid_slopes(x_axis, other, values) -> dict:
    """Least-squares slopes of ``log values`` on ``log x_axis`` within each group of equal ``other``
    (groups with at least two distinct ``x_axis``), keyed by the ``other`` value."""
    x, o, v = np.log(np.asarray(x_axis, float)), np.asarray(other, float), np.log(np.maximum(values, 1e-300))
    return {float(k): float(np.polyfit(x[o == k], v[o == k], 1)[0]) for k in np.unique(o)
            if np.unique(x[o == k]).size >= 2}


def check_mc_late_kkt(run, *, seed_index: int = 0, snapshot: int = -1, max_stationarity_slope: float = -0.5,
                      feasibility_slope: float = 1.0, slope_tol: float = 0.25) -> CheckResult:
    """Thm 3.10 on matrix completion: at ``t = (1+c)·log α/λ`` the factors ``(U, V)`` approach a KKT
    point of (R2), ``min ½‖θ‖² s.t. W_ij = X*_ij on Ω``, in the theorem's joint limit α → ∞,
    λ = Θ(α^-p) → 0.

    ``run`` is an α × λ grid whose snapshot ``snapshot`` sits at ``c' = 1 + c > 1`` times each
    cell's ``log α/λ``; :func:`mc_kkt_residuals` per cell. The two parts of the KKT conditions
    go to zero in the two limits: the relative stationarity residual (the directions of ``U, V``
    the solution does not use still carry ``α·e^{−λt} = α^{−c}``) must fall with α at fixed λ
    (log-log slope ≤ ``max_stationarity_slope`` = −½, a clear fall; the rate ``−c`` is slowed by
    the gradient in those directions), and the relative infeasibility (the regularised fit's
    O(λ) residual) must fall with λ at fixed α with slope ``feasibility_slope`` = 1 within
    ``slope_tol``. The measurement is the worst infeasibility slope. A snapshot still in the
    kernel phase (stationarity ≈ 1 at every α) FAILs.
    """
    c_frac = float(run.snapshot_fractions[snapshot])
    if not c_frac > 1:
        raise GrokcheckError(f"Thm 3.10 is about t ≥ log α/λ; snapshot {snapshot} sits at {c_frac}·log α/λ")
    a = np.asarray(run.alphas, dtype=float)
    lam = np.asarray(run.lambdas, dtype=float)
    res = [mc_kkt_residuals(run, seed_index=seed_index, cell=c, snapshot=snapshot) for c in range(a.size)]
    stat = np.array([r["stationarity"] for r in res])
    feas = np.array([r["feasibility"] for r in res])
    s_alpha = _grid_slopes(a, lam, stat)
    s_lam = _grid_slopes(lam, a, feas)
    if not s_alpha or not s_lam:
        raise GrokcheckError("Thm 3.10's check needs two α at some λ and two λ at some α")
    worst = max(s_lam.values(), key=lambda s: abs(s - feasibility_slope))
    ok = max(s_alpha.values()) <= max_stationarity_slope and abs(worst - feasibility_slope) <= slope_tol
    tol = Tolerance(slope_tol, f"the regularised fit's residual is O(λ): slope 1 on log λ, ±{slope_tol} for the O(λ²) "
                               "term (excludes ½ and 0); and the stationarity residual must fall with α (slope ≤ "
                               f"{max_stationarity_slope:g}: the unused directions shrink like α^-c)", "close")
    return _r("lyu.mc.late_kkt", "after log α/λ the matrix-completion factors approach a KKT point of "
              "min ½‖θ‖² s.t. W_ij = X*_ij on Ω: stationarity as α grows, feasibility as λ → 0",
              f"{_SRC}, Thm 3.10", feasibility_slope, float(worst), tol, bool(ok),
              {"t_over_T": c_frac, "cells": [{"alpha": float(x), "lambda": float(y), **r} for x, y, r in zip(a, lam, res)],
               "stationarity_slope_on_log_alpha": s_alpha, "infeasibility_slope_on_log_lambda": s_lam})


def check_kkt_needs_small_lambda(run, *, seed_index: int = 0, snapshot: int = -1, predicted_lambda_slope: float = 1.0,
                                 slope_tol: float = 0.25, max_alpha_slope: float = 0.1) -> CheckResult:
    """Does the KKT statement at finite λ also need λ → 0? Measured on matrix completion (R2).

    ``run`` is an α × λ grid (cells ``(α_i, λ_j)``). At the late point ``snapshot`` (default: the
    end, after the transition) the (R2) infeasibility of every cell; the slope of its log on
    ``log λ`` at each fixed α, and on ``log α`` at each fixed λ. The answer 'yes, λ → 0 is needed'
    is the prediction ``slope_λ = 1`` (within ``slope_tol``) with ``|slope_α| ≤ max_alpha_slope``
    (α alone does not shrink it). The rival 'α → ∞ suffices at fixed λ' predicts slope_α < 0 and
    FAILs this check. The measurement is the worst λ-slope deviation (``|slope_λ − 1|``).
    """
    a = np.asarray(run.alphas, dtype=float)
    lam = np.asarray(run.lambdas, dtype=float)
    feas = np.array([mc_kkt_residuals(run, seed_index=seed_index, cell=c, snapshot=snapshot)["feasibility"]
                     for c in range(a.size)])
    lam_slopes = _grid_slopes(lam, a, feas)
    alpha_slopes = _grid_slopes(a, lam, feas)
    if not lam_slopes or not alpha_slopes:
        raise GrokcheckError("the grid needs two λ at some α and two α at some λ")
    dev = float(max(abs(s - predicted_lambda_slope) for s in lam_slopes.values()))
    worst_alpha = float(max(abs(s) for s in alpha_slopes.values()))
    ok = dev <= slope_tol and worst_alpha <= max_alpha_slope
    tol = Tolerance(slope_tol, f"the regularised fit's residual is O(λ) (slope 1 on log λ; ±{slope_tol} for the O(λ²) "
                               f"term) and independent of α once the kernel phase is over (|slope on log α| ≤ "
                               f"{max_alpha_slope}: a residual shrinking with α at that rate would halve only over "
                               "10³ in α)", "at_most")
    return _r("lyu.kkt.needs_small_lambda", "the KKT statement of the late phase at finite λ needs λ → 0: the "
              "residual falls like λ and not with α", f"{_SRC}, Thms 3.5 and 3.10 (λ = Θ(α^-p))", 0.0, dev, tol, ok,
              {"cells": [{"alpha": float(x), "lambda": float(y), "infeasibility": float(z)}
                         for x, y, z in zip(a, lam, feas)],
               "slope_on_log_lambda": lam_slopes, "slope_on_log_alpha": alpha_slopes})


def incoherence(X, *, rank: int | None = None, rtol: float = 1e-8) -> tuple[float, int]:
    """``(μ, r)``: the incoherence ``μ = (d/r)·max_i ‖P_U e_i‖²`` of the column space ``U`` of a symmetric
    ``X`` ``(d, d)`` and its rank ``r`` (eigenvalues above ``rtol·max|eigenvalue|`` unless ``rank`` is given)."""
    X = np.asarray(X, dtype=np.float64)
    ev, vec = np.linalg.eigh(0.5 * (X + X.T))
    order = np.argsort(-np.abs(ev))
    r = int(rank) if rank is not None else int(np.sum(np.abs(ev) > rtol * np.abs(ev).max()))
    Uc = vec[:, order[:r]]
    return float(X.shape[0] / r * np.max(np.sum(Uc ** 2, axis=1))), r


def check_mc_error_bound(data, lambdas, *, seed_index: int = 0, predicted_slope: float = 0.5,
                         slope_tol: float = 0.1, tol: float = 1e-10) -> CheckResult:
    """Thm 3.12's error bound ``‖W∞ − X*‖_F ≲ √(λ‖X*‖_*)·μ² log d`` as a scaling law in λ.

    ``W∞`` is the global minimiser of ``(1/n)Σ_Ω (W − X*)² + (λ/2)‖W‖_*`` (Thm 3.12: gradient flow
    reaches it; :func:`check_mc_nuclear_completion` tests that for a trained run), computed by
    :func:`~grokcheck.numerics.min_nuclear_norm_completion` for each λ of ``lambdas``. The bound
    says the error falls at least like ``√λ``: the log-log slope of ``‖W∞ − X*‖_F`` on λ must be
    at least ``predicted_slope`` = ½ (``slope_tol`` = 0.1 for the finite range of λ). The
    rival 'the error has a floor' (slope 0, no recovery: too few observations or a target that
    is not low rank and incoherent) FAILs. The details give the constant
    ``‖W∞ − X*‖_F / (√(λ‖X*‖_*) μ² log d)`` per λ, and the slope tells whether √λ is tight
    (slope ½) or loose (slope 1, the penalised fit's O(λ) bias once recovery is exact).
    """
    from grokcheck.numerics import min_nuclear_norm_completion

    lam = np.asarray(lambdas, dtype=float)
    if lam.size < 2 or np.any(lam <= 0):
        raise GrokcheckError("Thm 3.12's scaling check needs at least two positive λ")
    X = np.asarray(data.target, dtype=np.float64)
    r, c = data.rows[seed_index], data.cols[seed_index]
    nuc = float(np.abs(np.linalg.eigvalsh(0.5 * (X + X.T))).sum())
    mu, rank = incoherence(X)
    errs = []
    for lm in lam:
        sol = min_nuclear_norm_completion(data.d, r, c, X[r, c], lam=float(lm) / 2, n_loss=data.n, tol=tol)
        errs.append(float(np.linalg.norm(sol.X - X)))
    errs = np.array(errs)
    slope = float(np.polyfit(np.log(lam), np.log(np.maximum(errs, 1e-300)), 1)[0])
    const = errs / (np.sqrt(lam * nuc) * mu ** 2 * math.log(data.d))
    t = Tolerance(slope_tol, "the bound is an upper bound in λ: a log-log slope ≥ ½ satisfies it; 0.1 allows the "
                             "curvature of log error over the grid's range of λ, and excludes slope 0 (an error floor)",
                  "at_least")
    return _r("lyu.mc.error_bound", "the rich-phase limit of matrix completion is within √(λ‖X*‖_*)·μ² log d of the "
              "target: the error falls at least like √λ", f"{_SRC}, Thm 3.12", predicted_slope, slope, t,
              slope >= predicted_slope - slope_tol,
              {"lambdas": lam, "error_F": errs, "bound_constant": const, "nuclear_norm": nuc, "incoherence": mu,
               "rank": rank, "d": data.d, "n_observed": data.n})


def check_mc_kernel_limit(run, *, seed_index: int = 0, cell: int = 0, snapshot: int = 0,
                          tol: float = 0.1) -> CheckResult:
    """Cor. 3.11 in full: at ``t = c·log α/λ`` (``c < 1``) ``W`` equals the kernel limit ``K`` —
    ``X*`` on ``Ω ∪ Ωᵀ`` and 0 elsewhere (:meth:`MatrixCompletionData.kernel_prediction`).

    The measurement is ``‖W − K‖_F / ‖K‖_F`` (0 predicted). Unlike :func:`check_mc_kernel_zero`
    it also needs the observed entries fitted, so the zero-output initialisation (``W = 0``,
    distance 1) does not pass.
    """
    c = run.snapshot_fractions[snapshot]
    if not c < 1:
        raise GrokcheckError(f"Cor. 3.11 is about t < log α/λ; snapshot {snapshot} sits at {c}·log α/λ")
    K = run.data.kernel_prediction(seed_index)
    W = run.W_snapshots[snapshot, seed_index, cell]
    m = float(np.linalg.norm(W - K) / max(np.linalg.norm(K), 1e-300))
    never = ~(run.data.observed_mask(seed_index) | run.data.observed_mask(seed_index).T)
    t = Tolerance(tol, "Cor. 3.11 is a limit α → ∞; 10% of ‖K‖_F separates the kernel limit (0) from the "
                       "initial W = 0 (1) and from a completed table (‖X* − K‖/‖K‖ ≥ 1 when most entries are unobserved)",
                  "at_most")
    return _r("lyu.mc.kernel_limit", "in the kernel phase W = UUᵀ − VVᵀ fits the observed entries and is 0 elsewhere",
              f"{_SRC}, Cor. 3.11", 0.0, m, t, m <= tol,
              {"t_over_T": c, "alpha": float(run.alphas[cell]), "lambda": float(run.lambdas[cell]),
               "unobserved_mean_abs_relative": float(np.abs(W[never]).mean() / np.abs(run.data.target[never]).mean())})


def ntk_svm(features, y, *, C: float = 1e6, seed: int = 0) -> tuple[np.ndarray, float]:
    """The NTK-SVM of (K1) by scikit-learn: ``(h*, γ_ntk)`` with ``h*`` the unit max-margin direction of
    ``features`` ``(n, P)`` with labels ``y ∈ {±1}`` (hinge loss, no intercept — (K1) has none —
    and ``C`` large, i.e. hard margin) and ``γ_ntk = min_i y_i⟨φ_i, h*⟩``."""
    from sklearn.svm import LinearSVC

    Phi = np.asarray(features, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    svm = LinearSVC(loss="hinge", fit_intercept=False, C=C, dual=True, max_iter=200_000, tol=1e-10,
                    random_state=seed).fit(Phi, yv)
    h = svm.coef_.ravel()
    h = h / np.linalg.norm(h)
    gamma = float((yv * (Phi @ h)).min())
    if not gamma > 0:
        raise GrokcheckError("the NTK features of the training points are not linearly separable (Assumption 3.3)")
    return h, gamma


def check_ntk_kernel_limit(run, *, seed_index: int = 0, snapshot: int = 0, min_cos: float = 0.95,
                           scale_band: tuple[float, float] = (0.75, 4 / 3)) -> CheckResult:
    """Thm 3.4 on the diagonal net: at ``T⁻_c = (1−c)·log α/λ`` the outputs on *test* points,
    divided by ``Z(α) = log(α^c/λ)/γ_ntk``, tend to the NTK-SVM's ``⟨∇f(θ̄; x), h*_ntk⟩``.

    The NTK features at ``θ̄ = (1, 1)/√(2d)`` (the run's unit-norm init direction) are
    ``(2/√(2d))·(x, −x)``; ``h*_ntk`` comes from scikit-learn's hard-margin linear SVM
    (:func:`ntk_svm`), an oracle independent of grokcheck's own QP. Per cell (several α, one
    λ) the cosine and the scale ``‖f/Z‖/‖⟨φ, h*⟩‖`` over the test set. PASS when, at the largest
    α, the cosine is at least ``min_cos`` and beats the rival predictor of the rich phase (the
    max L¹-margin classifier ``w₁*``), and the scale lies in ``scale_band`` (the normalisation
    ``Z(α)`` is part of the theorem; a factor 4/3 either way for its O(1/log α) correction). The relative error per α is in the details (the limit is
    approached at rate 1/log α).
    """
    from grokcheck.numerics import max_l1_margin

    frac = float(run.snapshot_fractions[snapshot])
    if not frac < 1:
        raise GrokcheckError(f"Thm 3.4 is about t < log α/λ; snapshot {snapshot} sits at {frac}·log α/λ")
    c = 1.0 - frac
    X = run.data.x_train[seed_index].detach().double().cpu().numpy()
    y = run.data.y_train[seed_index].detach().double().cpu().numpy()
    Xt = run.data.x_test[seed_index].detach().double().cpu().numpy()
    d = X.shape[1]
    phi = lambda Z: (2.0 / math.sqrt(2 * d)) * np.concatenate([Z, -Z], axis=1)  # noqa: E731
    h, gamma = ntk_svm(phi(X), y)
    pred = phi(Xt) @ h
    rival = Xt @ max_l1_margin(X, y).w
    rows = []
    for k in np.argsort(run.alphas):
        a = float(run.alphas[k])
        f = Xt @ _w(run, seed_index, int(k), snapshot)
        Z = math.log(a ** c / float(run.lambdas[k])) / gamma
        rows.append({"alpha": a, "cos": _cos(f, pred), "cos_rival_l1": _cos(f, rival),
                     "scale": float(np.linalg.norm(f / Z) / np.linalg.norm(pred)),
                     "relative_error": float(np.linalg.norm(f / Z - pred) / np.linalg.norm(pred))})
    top = rows[-1]
    ok = top["cos"] >= min_cos and top["cos"] > top["cos_rival_l1"] and scale_band[0] <= top["scale"] <= scale_band[1]
    tol = Tolerance(1 - min_cos, f"a limit α → ∞ approached at rate 1/log α: cos ≥ {min_cos} at the largest α, and "
                                 f"above the rival (the L¹-margin predictor of the rich phase), with ‖f/Z‖/‖⟨φ, h*⟩‖ in "
                                 f"[{scale_band[0]:.2f}, {scale_band[1]:.2f}]", "at_least")
    return _r("lyu.ntk.kernel_limit", "in the kernel phase the network's outputs, normalised by Z(α), are the NTK-SVM's",
              f"{_SRC}, Thm 3.4", 1.0, top["cos"], tol, bool(ok),
              {"per_alpha": rows, "gamma_ntk": gamma, "c": c, "lambda": float(run.lambdas[0])})


def check_wd_collapse(run, *, seed_index: int = 0, fit_below: float = 0.9, collapsed_above: float = 0.99,
                      predicted_threshold: float | None = None) -> CheckResult:
    """Fig. 2c ('too large a weight decay collapses training') on matrix completion, where the
    threshold is exact: training collapses to ``W = 0`` iff ``λ > λ_c = (4/n)‖sym P_Ω X*‖_op``
    (:func:`~grokcheck.checks.experiments._matrix_completion.weight_decay_threshold`).

    ``run``'s cells are weight decays on both sides of the threshold. Per cell, the final training
    loss relative to that of ``W = 0``: 'collapsed' when ≥ ``collapsed_above`` (0.99), 'fitting'
    when ≤ ``fit_below`` (0.9). The measurement is the threshold the run shows, midway between the
    largest fitting and the smallest collapsed ``λ/λ_c`` (nan when the cells are not so ordered); PASS when every cell below ``predicted_threshold`` (default ``λ_c``) fits and every
    cell above it collapses. The rivals — weight decay only slows training (no cell collapses)
    or collapses it at a λ other than λ_c — FAIL.
    """
    from grokcheck.checks.experiments._matrix_completion import weight_decay_threshold

    lc = weight_decay_threshold(run.data, seed_index) if predicted_threshold is None else float(predicted_threshold)
    obs = run.data.observed_mask(seed_index)
    L0 = float((run.data.target[obs] ** 2).mean())
    rel = np.asarray(run.lambdas, dtype=float) / lc
    ratio = run.train_loss[seed_index, :, -1] / L0
    collapsed = ratio >= collapsed_above
    fitting = ratio <= fit_below
    ok = bool(np.all(np.where(rel < 1, fitting, collapsed))) and np.any(rel < 1) and np.any(rel > 1)
    # the measured threshold: midway between the largest fitting and the smallest collapsed λ/λ_c, when
    # the cells order themselves that way (else no threshold: nan)
    ordered = fitting.any() and collapsed.any() and rel[fitting].max() < rel[collapsed].min() and np.all(fitting | collapsed)
    m = float((rel[fitting].max() + rel[collapsed].min()) / 2) if ordered else float("nan")
    t = Tolerance(float(max(rel[rel > 1].min() - 1, 1 - rel[rel < 1].max())) if np.any(rel > 1) and np.any(rel < 1)
                  else 0.0,
                  "the grid brackets λ_c; every cell below must still fit (training loss ≤ 0.9 of W = 0's) and every "
                  "cell above must collapse (≥ 0.99 of it: W → 0 at rate λ − λ_c)", "close")
    return _r("lyu.wd.collapse", "too large a weight decay collapses training: W → 0 exactly when λ > λ_c",
              f"{_SRC}, Fig. 2c", 1.0, m, t, ok,
              {"lambda_c": lc, "lambda_over_lambda_c": rel, "train_loss_over_zero_predictor": ratio})


def check_no_wd_no_transition(run, *, seed_index: int = 0, dropped: float = 0.5, flat: float = 0.9,
                              still: float = 0.01) -> CheckResult:
    """App. B ('without weight decay the transition is no longer sharp') on matrix completion.

    ``run`` has a cell with ``λ = 0`` and one with ``λ > 0`` at the same α, trained over the same
    steps. The weight-decay cell must drop (final test loss ≤ ``dropped`` = ½ of the kernel
    plateau, the transition the claim contrasts with; otherwise the horizon was too short:
    INCONCLUSIVE). The claim: the ``λ = 0`` cell shows no transition — its final test loss is at
    least ``flat`` = 0.9 of the plateau and moved by at most ``still`` = 1% over the second half of
    the run. The measurement is that cell's final test loss over the plateau. Its training loss
    is reported: at float precision 0 the gradient vanishes, so GD is at a fixed point and no later
    transition can come. The rival 'it groks later without weight decay, within the horizon' FAILs.
    """
    lam = np.asarray(run.lambdas, dtype=float)
    if not (np.any(lam == 0) and np.any(lam > 0)):
        raise GrokcheckError("App. B's check needs a cell with λ = 0 and one with λ > 0")
    c0, c1 = int(np.flatnonzero(lam == 0)[0]), int(np.flatnonzero(lam > 0)[0])
    plateau = float(run.plateau[seed_index])
    te0, te1 = run.test_loss[seed_index, c0] / plateau, run.test_loss[seed_index, c1] / plateau
    half = te0[len(te0) // 2:]
    moved = float(np.abs(half - half[-1]).max() / max(half[-1], 1e-300))
    m = float(te0[-1])
    ok = m >= flat and moved <= still
    inconclusive = None
    if te1[-1] > dropped:
        inconclusive = (f"the weight-decay cell did not make its transition within the run (test loss {te1[-1]:.3g} of "
                        "the plateau): nothing to contrast with")
    t = Tolerance(1 - flat, f"no transition: the final test loss stays ≥ {flat} of the kernel plateau and moves ≤ "
                            f"{still:.0%} over the second half, while the λ > 0 cell falls below {dropped}", "at_least")
    return _r("lyu.no_wd.no_transition", "without weight decay matrix completion shows no transition: the test loss "
              "stays at the kernel plateau", f"{_SRC}, App. B", 1.0, m, t, bool(ok),
              {"with_weight_decay_final_over_plateau": float(te1[-1]), "lambda": float(lam[c1]),
               "no_wd_relative_motion_second_half": moved,
               "no_wd_final_train_loss": float(run.train_loss[seed_index, c0, -1])},
              inconclusive=inconclusive, decide="a longer horizon")
