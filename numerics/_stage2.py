"""He et al.'s Stage II (scale growth) and the small-logit expansion of the risk.

The network of He et al. (arXiv 2606.02993, the model), with one tied scale ``a``::

    f(g1, g2)_j = a · F(g1, g2)_j,   F(g1, g2)_j = M⁻¹ Σ_m ξ_m(j) σ(θ¹_m(g1) + θ²_m(g2)),   σ(x) = x²,

and the risk ``R(a) = E_{g1,g2}[logsumexp_j f_j − f_{g1 g2}]`` over the complete table.

* **Small logits** (the energy Ω): ``R(a) = log|G| − (2a/M) Σ_m Ω_m + O(a²)`` — the linear term of
  ``logsumexp`` is the mean logit, the square terms of σ drop out because ``E_{g2} ξ̃(g1 g2) = 0``,
  and the remainder is ``½ E Var_j(f) = O(a²)``. At the small ``a`` of Stage I the risk therefore
  plateaus at ``log|G|``.
* **Stage II**: the directions are frozen and ``ȧ = −R'(a)``. ``R`` is convex in ``a`` (the
  logits are linear in it), so when the frozen predictor ``F`` has a positive margin
  ``γ = min_pairs (F_y − max_{j≠y} F_j)``, ``R'(a) < 0`` for every ``a`` and ``R(a) ~ K e^{−aγ}/|G|²``
  (``K`` pairs at the margin). Then ``ȧ ≈ γR`` gives ``a(t) ≈ γ⁻¹ log(1 + c t)`` (He et al.:
  ``a(t) ≳ log(1 + |G|(|G|−1)t)``) and ``Ṙ = −R'² ≈ −γ²R²`` gives ``R ≈ 1/(γ² t)``: the risk is below
  ε once ``T ≳ 1/(γ² ε)`` (He et al.: ``T ≳ |G|/ε``, the ``|G|`` being their normalisation of γ).

The one-dimensional Stage II flow is solved *exactly as a quadrature*: ``a(t)`` is monotone, so
its inverse ``t(a) = ∫_{a0}^{a} da′ / (−R'(a′))`` is integrated (``solve_ivp``, DOP853) on a grid of
scales. Shapes: ``g`` the group order, ``n`` neurons; logits ``(g, g, g)`` indexed ``[g1, g2, j]``.

References: He et al., arXiv 2606.02993 (the model, the energy Ω, Stage II convergence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import logsumexp, softmax

from grokcheck.errors import InvalidInputError, NumericalFailure
from grokcheck.numerics._omega import omega

__all__ = [
    "StageTwoRun",
    "unit_logits",
    "table_cross_entropy",
    "table_cross_entropy_slope",
    "small_logit_risk",
    "logit_margin",
    "run_stage_two",
    "StageTwoDescent",
    "stage_two_descent",
    "expansion_error_slope",
]


def _population(G, theta1, theta2, xi):
    arrs = [np.asarray(v, dtype=np.float64) for v in (theta1, theta2, xi)]
    g = G.order
    if any(v.ndim != 2 or v.shape[1] != g for v in arrs) or len({v.shape for v in arrs}) != 1:
        raise InvalidInputError(
            f"theta1, theta2, xi must be (n, {g}) arrays of one shape, got {[v.shape for v in arrs]}")
    return arrs


def unit_logits(G, theta1, theta2, xi, *, sigma=np.square) -> np.ndarray:
    """``F[g1, g2, j] = n⁻¹ Σ_m ξ_m(j) σ(θ¹_m(g1) + θ²_m(g2))``: the logits at scale ``a = 1``.

    Parameters
    ----------
    theta1, theta2, xi : ``(n, g)`` float arrays (the frozen Stage I directions).
    sigma : elementwise activation (He et al.: ``x²``).

    Returns
    -------
    ``(g, g, g)`` float64.
    """
    t1, t2, xi = _population(G, theta1, theta2, xi)
    pre = t1[:, :, None] + t2[:, None, :]  # (n, g1, g2)
    return np.einsum("mab,mj->abj", sigma(pre), xi, optimize=True) / t1.shape[0]


def _targets(G) -> np.ndarray:
    return np.asarray(G.table)  # (g, g): index of g1·g2


def table_cross_entropy(G, logits) -> float:
    """Mean softmax cross-entropy over all ``|G|²`` pairs, label ``g1·g2`` (float64, log-sum-exp)."""
    z = np.asarray(logits, dtype=np.float64)
    y = _targets(G)
    d = z - np.take_along_axis(z, y[:, :, None], axis=2)
    np.put_along_axis(d, y[:, :, None], -np.inf, axis=2)
    # log(1 + Σ_{j≠y} e^{z_j − z_y}) with logaddexp: accurate to relative rounding when the risk is ≪ 1
    # (logsumexp(z) − z_y would lose everything below ~1e-14·|z|)
    return float(np.mean(np.logaddexp(0.0, logsumexp(d, axis=2))))


def table_cross_entropy_slope(G, F, a: float) -> float:
    """``dR/da`` of ``R(a) = table_cross_entropy(G, a F)``: ``E[Σ_j (softmax(aF)_j − 1[j = y]) F_j]``."""
    F = np.asarray(F, dtype=np.float64)
    p = softmax(a * F, axis=2)
    y = _targets(G)
    picked = np.take_along_axis(F, y[:, :, None], axis=2)
    # Σ_j p_j (F_j − F_y): the j = y term is exactly 0, so no cancellation of O(F) terms when R' ≪ F
    # (a noisy R' of relative error 1e-7 at R ~ 1e-9 stalls an adaptive solver at rtol 1e-10)
    return float(np.mean(np.sum(p * (F - picked), axis=2)))


def small_logit_risk(G, theta1, theta2, xi, a: float) -> float:
    """He et al.'s small-logit risk ``log|G| − (2a/n) Σ_m Ω_m`` (Ω in parameter form, ξ centred)."""
    t1, t2, xi = _population(G, theta1, theta2, xi)
    return float(np.log(G.order) - 2.0 * a * np.mean(omega(G, t1, t2, xi)))


def logit_margin(G, F) -> float:
    """``min_{pairs} (F_y − max_{j≠y} F_j)``: positive iff the predictor ``F`` is perfectly accurate."""
    F = np.asarray(F, dtype=np.float64)
    y = _targets(G)
    picked = np.take_along_axis(F, y[:, :, None], axis=2)[..., 0]
    masked = F.copy()
    np.put_along_axis(masked, y[:, :, None], -np.inf, axis=2)
    return float(np.min(picked - masked.max(axis=2)))


@dataclass(frozen=True)
class StageTwoRun:
    """The tied-scale Stage II flow ``ȧ = −R'(a)`` from frozen directions.

    Attributes
    ----------
    a : ``(T,)`` increasing scales, ``a[0] = a0``.
    t : ``(T,)`` the times at which the flow reaches them (``t[0] = 0``).
    risk : ``(T,)`` exact cross-entropy ``R(a)``.
    margin : γ of the unit logits (He et al.'s accuracy hypothesis is ``γ > 0``).
    group_order : ``g``.
    """

    a: np.ndarray
    t: np.ndarray
    risk: np.ndarray
    margin: float
    group_order: int

    def time_to_risk(self, eps: float) -> float:
        """First time with ``R ≤ eps`` (log-linear interpolation between grid scales); ``inf`` if never."""
        r = self.risk
        if r[-1] > eps:
            return float("inf")
        i = int(np.argmax(r <= eps))
        if i == 0:
            return 0.0
        # R decays exponentially in a: interpolate log R linearly in a, then t linearly in a
        w = (np.log(r[i - 1]) - np.log(eps)) / (np.log(r[i - 1]) - np.log(r[i]))
        return float(self.t[i - 1] + w * (self.t[i] - self.t[i - 1]))

    def scale_at(self, times) -> np.ndarray:
        """``a(t)`` at the given times (the inverse of ``t(a)``, linear interpolation on the fine grid)."""
        return np.interp(np.asarray(times, dtype=float), self.t, self.a)


def run_stage_two(G, theta1, theta2, xi, *, a0: float = 0.01, a1: float | None = None, points: int = 400,
                  rtol: float = 1e-10) -> StageTwoRun:
    """Integrate Stage II from the frozen directions ``(θ¹, θ², ξ)`` (``(n, g)`` each) and scale ``a0``.

    Solves ``dt/da = 1/(−R'(a))`` from ``a0`` to ``a1`` (default: where ``R`` falls to ``1e-6``, i.e.
    ``a1 = (log(g) + 6 log 10)/γ·1.2``). Raises :class:`NumericalFailure` if ``R'`` is not negative
    on the way (the frozen predictor is not perfectly accurate, so ``a`` stops at a finite value).
    """
    F = unit_logits(G, theta1, theta2, xi)
    gamma = logit_margin(G, F)
    if a1 is None:
        if gamma <= 0:
            raise NumericalFailure(
                f"Stage II from a predictor with margin {gamma:.3e} ≤ 0: the risk has a minimum at finite a, "
                "so a(t) converges; pass a1 to integrate up to it")
        # R ≈ (g − 1) e^{−aγ}: 1e-6 at a = (log(g − 1) + 6 log 10)/γ; 20% more for the subleading pairs
        a1 = 1.2 * (np.log(max(G.order - 1, 1)) + 6 * np.log(10.0)) / gamma
    grid = np.geomspace(a0, a1, int(points))

    def rhs(a, t):
        s = table_cross_entropy_slope(G, F, float(a))
        if not s < 0:
            raise NumericalFailure(f"Stage II stalls: dR/da = {s:.3e} ≥ 0 at a = {float(a):.4g} (margin {gamma:.3e})")
        return [-1.0 / s]

    sol = solve_ivp(rhs, (grid[0], grid[-1]), [0.0], t_eval=grid, method="DOP853", rtol=rtol, atol=1e-12)
    if sol.status != 0:
        raise NumericalFailure(f"Stage II quadrature failed: {sol.message}")
    risk = np.array([table_cross_entropy(G, a * F) for a in grid])
    return StageTwoRun(grid, sol.y[0], risk, gamma, G.order)


@dataclass(frozen=True)
class StageTwoDescent:
    """Stage II as a training run: gradient descent on the tied scale of frozen directions.

    Attributes
    ----------
    steps : ``(T,)`` the logged step numbers (0 first, log-spaced, the last step last).
    t : ``(T,)`` the times ``η · step`` (gradient-flow time of the descent).
    a : ``(T,)`` the scale after each logged step.
    risk : ``(T,)`` the exact cross-entropy on all pairs there.
    margin : γ of the unit logits (``> 0``: the frozen predictor is perfectly accurate).
    lr, weight_decay : the descent's ``η`` and ``λ`` (the update is ``a ← a − η (R'(a) + λ a)``).
    group_order : ``g``.
    """

    steps: np.ndarray
    t: np.ndarray
    a: np.ndarray
    risk: np.ndarray
    margin: float
    lr: float
    weight_decay: float
    group_order: int

    def time_to_risk(self, eps: float) -> float:
        """First time with ``R ≤ eps`` (``log R`` interpolated linearly in ``log t``); ``inf`` if never."""
        r = self.risk
        if not np.any(r <= eps):
            return float("inf")
        i = int(np.argmax(r <= eps))
        if i == 0:
            return 0.0
        w = (np.log(r[i - 1]) - np.log(eps)) / (np.log(r[i - 1]) - np.log(r[i]))
        t0, t1 = max(self.t[i - 1], 1e-300), self.t[i]
        return float(np.exp(np.log(t0) + w * (np.log(t1) - np.log(t0)))) if self.t[i - 1] > 0 else float(w * t1)


def stage_two_descent(G, theta1, theta2, xi, *, a0: float = 0.01, lr: float | None = None, steps: int | None = None,
                      weight_decay: float = 0.0, target_risk: float = 1e-4, max_steps: int = 50_000,
                      points: int = 200) -> StageTwoDescent:
    """Train the tied scale of the frozen directions ``(θ¹, θ², ξ)`` (``(n, g)`` each) by gradient descent.

    The update ``a ← a − η (R'(a) + λ a)`` is what grokcheck's training loop does to
    :class:`~grokcheck.checks.training.QuadraticConfig` ``stage="II"`` with plain SGD (full batch,
    the whole table): the directions are frozen and ``a`` is the only parameter (a test holds the
    two to rounding). Defaults:

    * ``lr``: ``1/(ρ² + 4λ)`` with ``ρ`` the largest range ``max_j F_j − min_j F_j`` of a pair's unit
      logits. ``R''(a)`` is a mean of softmax variances of ``F``, at most ``ρ²/4``, so ``η`` is 4×
      below ``1/(R'' + λ)`` everywhere: the descent on the convex ``R + λa²/2`` is monotone and
      tracks the flow.
    * ``steps``: enough for the flow to reach ``target_risk`` (``R ≈ 1/(γ² t)`` in Stage II: 3× the
      time ``1/(γ² ε)`` for the subleading pairs), at most ``max_steps``; ``max_steps`` when the
      margin is not positive (no Stage II: the scale stops where ``R' = 0``).

    ``points`` log-spaced steps are logged (with step 0 and the last).
    """
    F = unit_logits(G, theta1, theta2, xi)
    gamma = logit_margin(G, F)
    rho = float(np.max(F.max(axis=2) - F.min(axis=2)))
    if not rho > 0:
        raise NumericalFailure("the unit logits are constant over the outputs: the scale has no gradient")
    eta = 1.0 / (rho**2 + 4.0 * weight_decay) if lr is None else float(lr)
    if steps is None:
        steps = max_steps if gamma <= 0 else int(min(max_steps, np.ceil(3.0 / (gamma**2 * target_risk) / eta)))
    steps = max(int(steps), 1)
    keep = set(np.unique(np.geomspace(1, steps, int(points)).astype(np.int64)).tolist()) | {0, steps}
    a = float(a0)
    rows = []
    for k in range(steps + 1):
        if k in keep:
            rows.append((k, a, table_cross_entropy(G, a * F)))
        if k < steps:
            a -= eta * (table_cross_entropy_slope(G, F, a) + weight_decay * a)
            if not np.isfinite(a):
                raise NumericalFailure(f"Stage II descent diverged at step {k + 1} (lr {eta:.3g})")
    st, av, rv = (np.array(v) for v in zip(*rows))
    return StageTwoDescent(st.astype(np.int64), eta * st, av, rv, gamma, eta, float(weight_decay), G.order)


def expansion_error_slope(G, theta1, theta2, xi, *, approx=small_logit_risk, scales=None) -> tuple[float, np.ndarray]:
    """Log-log slope of ``|R(a) − approx(a)|`` against ``a`` (2 for a correct small-logit expansion).

    ``approx(G, theta1, theta2, xi, a) -> float`` is the expansion under test (default
    :func:`small_logit_risk`); ``scales`` default to those with ``max|a F|`` from 1e-3 to 3e-2 (small
    enough that the ``O(a³)`` term is a few % of the ``O(a²)`` one, large enough that the error,
    ≳ 1e-8, is far above the rounding of ``log|G|``, ~1e-15). Returns ``(slope, errors)``.
    """
    F = unit_logits(G, theta1, theta2, xi)
    top = float(np.max(np.abs(F)))
    scales = np.geomspace(1e-3, 3e-2, 5) / top if scales is None else np.asarray(scales, dtype=float)
    err = np.array([abs(table_cross_entropy(G, a * F) - approx(G, theta1, theta2, xi, float(a))) for a in scales])
    if not np.all(err > 0):
        raise NumericalFailure(f"the expansion error vanished at some scale ({err}): cannot fit a slope")
    return float(np.polyfit(np.log(scales), np.log(err), 1)[0]), err
