"""Egalitarian Gradient Descent (EGD): the update map, its identities, and its toy theory.

The update map (EGD, arXiv 2510.04930, Eq. (11))
-----------------------------
For the gradient ``G`` of one weight matrix, shape ``(m, p)`` = (fan-out, fan-in) in torch's
``nn.Linear`` layout, EGD replaces ``G`` by its polar factor

    G̃ = (G Gᵀ)^{+1/2} G = G (Gᵀ G)^{+1/2} = U Vᵀ      (G = U S Vᵀ, compact SVD on rank(G)),

so every non-zero singular value becomes 1. :func:`egd_direction` computes it three ways
(exact SVD, randomized SVD of rank ``r``, column normalisation), batched over any leading axes.
It is a pure tensor function: it reads ``grad`` and returns a new tensor.

The toy theory (EGD, arXiv 2510.04930, Section 3 (toy model))
-----------------------------
Two-dimensional least squares with an ill-conditioned covariance ``diag(1, ε)``. Vanilla GD has
a test-error plateau of length ``Θ(1/(ηε))``; the preconditioned update
``w ← w − η Σ̂⁻¹ Xᵀ(Xw − Y)/n`` removes the ε dependence. :class:`EGDToyProblem` holds the
constants; :func:`theorem1_test_error` is Theorem 1's curve, :func:`simulate_toy` runs GD / PGD on
sampled data, :func:`plateau_scaling` fits the log-log slope of the plateau length against ε.

Conventions
-----------
- Layout: ``grad[..., m, p]`` with ``m`` = fan-out, ``p`` = fan-in (torch ``Linear.weight``).
- "Column normalisation" follows the authors' code (``main-results/mod_add.py``), whose JAX
  weight is stored ``(fan-in, fan-out)`` and normalised along axis 0: each *output unit's* fan-in
  vector is divided by ``max(‖·‖₂, 0.01)``. In torch layout that is the last axis of ``grad``.
- Rank-deficient ``G``: pseudo-inverse (EGD, arXiv 2510.04930, Eq. (11)), i.e. singular values at or below
  ``rcond · s_max`` are treated as exactly zero and their directions are dropped. The authors'
  code instead clamps ``s ← max(s, 1e-6)``; pass ``rcond=0.0, clamp=1e-6`` to reproduce it.
- Randomized SVD follows the authors' ``randomized_svd_jax``: Gaussian sketch of width ``r`` on
  the side of the *longer* dimension, 2 power iterations (QR of ``G Q`` then QR of ``Gᵀ Q``), SVD
  of the small matrix, and the update ``U_r diag(1/s) U_rᵀ G`` ≈ ``U_r V_rᵀ``.

References
----------
A. Saheb Pasand, E. Dohmatob, *Egalitarian Gradient Descent: A Simple Approach to Accelerated
Grokking*, ICLR 2026, arXiv 2510.04930: Eq. (11) (update), §3 and Theorem 1 / Corollary 1 (toy),
Remark 2 (pseudo-inverse), App. C (RSVD). EGD, arXiv 2510.04930: Eq. (11); Section 3 (toy model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import torch
from scipy import stats

from grokcheck.errors import GrokcheckError

__all__ = [
    "egd_direction",
    "polar_factor_reference",
    "EGDIdentities",
    "egd_identities",
    "EGDToyProblem",
    "theorem1_test_error",
    "toy_test_error",
    "ToyRun",
    "simulate_toy",
    "plateau_length",
    "PlateauScaling",
    "plateau_scaling",
    "SameDistributionMoments",
    "same_distribution_moments",
    "SameDistributionPlateau",
    "same_distribution_plateau",
    "same_distribution_drop_leading_order",
]

EGDMethod = Literal["svd", "rsvd", "colnorm"]

# Authors' clamp on column norms (mod_add.py: ``jnp.maximum(col_scales, 0.01)``).
COLNORM_FLOOR = 0.01


def _default_rcond(m: int, p: int, dtype: torch.dtype) -> float:
    # numpy.linalg.matrix_rank's convention: singular values below max(m, p)·eps·s_max are noise.
    return max(m, p) * torch.finfo(dtype).eps


def _pinv_scale(s: torch.Tensor, *, rcond: float, clamp: float | None) -> torch.Tensor:
    """Per-singular-value factor ``s⁺ s`` (1 on the numerical rank, 0 below it), shape of ``s``."""
    if clamp is not None:
        return s / torch.clamp(s, min=clamp)
    smax = s.amax(dim=-1, keepdim=True)
    keep = s > rcond * smax
    return keep.to(s.dtype)


def egd_direction(
    grad: torch.Tensor,
    *,
    method: EGDMethod = "svd",
    rank: int | None = None,
    generator: torch.Generator | None = None,
    rcond: float | None = None,
    clamp: float | None = None,
    power_iterations: int = 2,
) -> torch.Tensor:
    """The EGD update direction for a (batch of) gradient matrices.

    Parameters
    ----------
    grad : tensor ``(..., m, p)``, ``m`` = fan-out, ``p`` = fan-in. Real floating dtype.
    method : ``"svd"`` exact polar factor ``U Vᵀ``; ``"rsvd"`` randomized SVD of rank ``rank``;
        ``"colnorm"`` each output unit's fan-in vector divided by ``max(‖·‖, 0.01)``.
    rank : sketch width ``r`` for ``"rsvd"`` (required there, ignored otherwise).
    generator : torch generator for the Gaussian sketch of ``"rsvd"`` (on ``grad.device``).
        ``None`` uses torch's global generator; pass one for reproducible runs.
    rcond : relative cut-off of the pseudo-inverse; default ``max(m, p)·eps(dtype)``.
    clamp : if given, use the authors' soft clamp ``s ← max(s, clamp)`` instead of the cut-off.
    power_iterations : number of power iterations of the randomized SVD (authors: 2).

    Returns
    -------
    tensor ``(..., m, p)`` of the same dtype and device. For ``"svd"``: singular values 1 on
    ``rank(G)`` and 0 elsewhere, so ``‖G̃‖_F² = rank(G)``. All-zero matrices map to zero.
    """
    if grad.ndim < 2:
        raise GrokcheckError(f"egd_direction needs a (..., m, p) tensor, got shape {tuple(grad.shape)}")
    if not grad.is_floating_point():
        raise GrokcheckError(f"egd_direction needs a floating dtype, got {grad.dtype}")
    m, p = grad.shape[-2], grad.shape[-1]
    if method == "colnorm":
        norms = torch.linalg.vector_norm(grad, dim=-1, keepdim=True)
        return grad / torch.clamp(norms, min=COLNORM_FLOOR)
    rc = _default_rcond(m, p, grad.dtype) if rcond is None else float(rcond)
    if method == "svd":
        u, s, vh = torch.linalg.svd(grad, full_matrices=False)
        scale = _pinv_scale(s, rcond=rc, clamp=clamp)
        return (u * scale.unsqueeze(-2)) @ vh
    if method == "rsvd":
        if rank is None or int(rank) < 1:
            raise GrokcheckError("egd_direction(method='rsvd') needs rank=r with r >= 1")
        return _rsvd_direction(grad, int(rank), generator=generator, rcond=rc, clamp=clamp,
                               power_iterations=power_iterations)
    raise GrokcheckError(f"unknown EGD method {method!r}; use 'svd', 'rsvd' or 'colnorm'")


def _rsvd_direction(grad, r, *, generator, rcond, clamp, power_iterations):
    # Work in the orientation where the sketch multiplies the longer side, so that the small
    # matrix B = G Q has the short side's rows: this is the authors' layout (G1 is (2p, h) with
    # h >= 2p there, sketch Q is (h, r)). The polar factor is orientation-free; the truncation
    # U_r V_rᵀ is too, so transposing back is exact.
    transpose = grad.shape[-2] > grad.shape[-1]
    g = grad.mT if transpose else grad  # (..., a, b) with a <= b
    b = g.shape[-1]
    r = min(r, b)
    q = torch.randn(*g.shape[:-2], b, r, dtype=g.dtype, device=g.device, generator=generator)
    for _ in range(power_iterations):
        q = torch.linalg.qr(g @ q, mode="reduced").Q
        q = torch.linalg.qr(g.mT @ q, mode="reduced").Q
    small = g @ q  # (..., a, r)
    u, s, _ = torch.linalg.svd(small, full_matrices=False)
    if clamp is not None:
        inv = 1.0 / torch.clamp(s, min=clamp)
    else:
        smax = s.amax(dim=-1, keepdim=True)
        inv = torch.where(s > rcond * smax, 1.0 / torch.where(s > 0, s, torch.ones_like(s)),
                          torch.zeros_like(s))
    out = (u * inv.unsqueeze(-2)) @ (u.mT @ g)
    return out.mT if transpose else out


# --------------------------------------------------------------------------------------------
# Identities, in float64 numpy.
# --------------------------------------------------------------------------------------------


def _psd_power(a: np.ndarray, power: float, *, rcond: float) -> np.ndarray:
    """``a^power`` for symmetric PSD ``a`` on its range (pseudo-inverse for negative powers)."""
    lam, vec = np.linalg.eigh(a)
    cut = rcond * max(float(lam.max()), 0.0)
    lam_p = np.where(lam > cut, np.clip(lam, cut, None) ** power, 0.0) if cut > 0 else np.zeros_like(lam)
    return (vec * lam_p) @ vec.T


def polar_factor_reference(grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both Fisher-side formulas ``(GGᵀ)^{+1/2} G`` and ``G (GᵀG)^{+1/2}`` via ``eigh``, float64.

    Independent of the SVD route of :func:`egd_direction`; used as an oracle in tests.
    """
    g = np.asarray(grad, dtype=np.float64)
    rc = max(g.shape) * np.finfo(np.float64).eps * 10  # squared matrix: eps relative to s_max²
    left = _psd_power(g @ g.T, -0.5, rcond=rc) @ g
    right = g @ _psd_power(g.T @ g, -0.5, rcond=rc)
    return left, right


@dataclass(frozen=True)
class EGDIdentities:
    """Measured EGD identities for one gradient matrix ``G`` of shape ``(m, p)``.

    Attributes
    ----------
    rank : numerical rank of ``G``.
    m : fan-out (rows).
    singular_values : singular values of ``G̃`` (should be 1 on ``rank``, 0 elsewhere).
    polar_left_residual : ``‖G̃ − (GGᵀ)^{+1/2}G‖_max``.
    polar_right_residual : ``‖G̃ − G(GᵀG)^{+1/2}‖_max``.
    frobenius_sq : ``‖G̃‖_F²`` (equals ``rank``).
    fisher_trace : ``tr(G̃ᵀ F G̃)`` with ``F = GGᵀ`` (equals ``‖G‖_F²``).
    grad_frobenius_sq : ``‖G‖_F²``.
    paper_fisher_norm : the paper's claimed constant ``‖G̃‖_F²/m`` (the paper's §4.1 says it is 1; it is
        ``rank/m``, so the claim fails whenever ``rank < m``).
    """

    rank: int
    m: int
    singular_values: np.ndarray
    polar_left_residual: float
    polar_right_residual: float
    frobenius_sq: float
    fisher_trace: float
    grad_frobenius_sq: float
    paper_fisher_norm: float


def egd_identities(grad: np.ndarray | torch.Tensor) -> EGDIdentities:
    """Measure the identities of the EGD update (polar factor, Fisher norm) for ``G`` ``(m, p)`` in float64."""
    g = torch.as_tensor(np.asarray(grad, dtype=np.float64))
    if g.ndim != 2:
        raise GrokcheckError(f"egd_identities needs one (m, p) matrix, got shape {tuple(g.shape)}")
    gt = egd_direction(g, method="svd").numpy()
    gn = g.numpy()
    left, right = polar_factor_reference(gn)
    rank = int(np.linalg.matrix_rank(gn))
    fisher = gn @ gn.T
    return EGDIdentities(
        rank=rank,
        m=gn.shape[0],
        singular_values=np.linalg.svd(gt, compute_uv=False),
        polar_left_residual=float(np.abs(gt - left).max()),
        polar_right_residual=float(np.abs(gt - right).max()),
        frobenius_sq=float((gt**2).sum()),
        fisher_trace=float(np.trace(gt.T @ fisher @ gt)),
        grad_frobenius_sq=float((gn**2).sum()),
        paper_fisher_norm=float((gt**2).sum() / gn.shape[0]),
    )


# --------------------------------------------------------------------------------------------
# Toy theory (EGD, arXiv 2510.04930, Section 3 (toy model)).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EGDToyProblem:
    """The two-dimensional toy problem of EGD §3 with its constants.

    Parameters
    ----------
    eps : variance ε of the slow feature (condition number 1/ε).
    s : train margin: train points have ``|z⁽¹⁾| ≥ s``.
    theta : angle θ ∈ (0, π/2) between the test-wedge normal ``v`` and ``e₁``.
    eta : learning rate η (GD is stable for ``η < 2/m₂``).
    u : initialisation ``w(0) = (u₁, u₂)``.

    Derived (cached): ``m1 = φ(s)/Q(s)``, ``m2 = 1 + s m1``, ``alpha = 1 − η m2``,
    ``beta = 1 − η ε``, ``rho = cos θ``, ``gamma = sqrt(ρ² + ε(1 − ρ²))``, ``r = ρ/γ``,
    ``tau_paper = |u₂||tan θ| m2/m1`` (Corollary 1 as printed) and
    ``tau_exit = |u₂| m2/(m1 |tan θ|)`` (what Theorem 1's plateau exit implies, see
    :meth:`exit_step`).
    """

    eps: float
    s: float = 1.0
    theta: float = math.pi / 3
    eta: float = 0.5
    u: tuple[float, float] = (0.0, 5.0)

    def __post_init__(self):
        if not (self.eps > 0):
            raise GrokcheckError(f"eps must be > 0, got {self.eps}")
        if not (0 < self.theta < math.pi / 2):
            raise GrokcheckError(f"theta must lie in (0, pi/2), got {self.theta}")
        if not (self.eta > 0):
            raise GrokcheckError(f"eta must be > 0, got {self.eta}")
        if len(self.u) != 2:
            raise GrokcheckError(f"u must be a pair (u1, u2), got {self.u}")

    @cached_property
    def m1(self) -> float:
        return float(stats.norm.pdf(self.s) / stats.norm.sf(self.s))

    @cached_property
    def m2(self) -> float:
        return 1.0 + self.s * self.m1

    @cached_property
    def alpha(self) -> float:
        return 1.0 - self.eta * self.m2

    @cached_property
    def beta(self) -> float:
        return 1.0 - self.eta * self.eps

    @cached_property
    def rho(self) -> float:
        return math.cos(self.theta)

    @cached_property
    def gamma(self) -> float:
        return math.sqrt(self.rho**2 + self.eps * (1 - self.rho**2))

    @cached_property
    def r(self) -> float:
        return self.rho / self.gamma

    @cached_property
    def tau_paper(self) -> float:
        return abs(self.u[1]) * abs(math.tan(self.theta)) * self.m2 / self.m1

    @cached_property
    def tau_exit(self) -> float:
        return abs(self.u[1]) * self.m2 / (self.m1 * abs(math.tan(self.theta)))

    def mu(self, k: np.ndarray) -> np.ndarray:
        """``μ_k = α^k u₁ + (1 − α^k) m₁/m₂`` (Eq. 6)."""
        ak = self.alpha ** np.asarray(k, dtype=np.float64)
        return ak * self.u[0] + (1 - ak) * self.m1 / self.m2

    def nu(self, k: np.ndarray) -> np.ndarray:
        """``ν_k = β^k u₂`` (Eq. 6)."""
        return self.beta ** np.asarray(k, dtype=np.float64) * self.u[1]

    def exit_step(self, *, max_steps: int = 10**8) -> int | None:
        """First integer ``k`` at which Theorem 1's error drops below 1 (``r_k > r``).

        ``r_k = r`` ⇔ ``ε ν_k²/μ_k² = ε(1 − ρ²)/ρ²`` ⇔ ``|ν_k| = tan θ · μ_k``: ε enters only
        through β. With ``μ_k ≈ m₁/m₂`` this gives ``log(τ_exit)/(−log β) ≈ log(τ_exit)/(ηε)``,
        Corollary 1's ``1/(ηε)`` order, with ``τ_exit = |u₂| m₂/(m₁ tan θ)`` where the paper
        prints ``τ = |u₂| tan θ m₂/m₁`` (docs/errata.md). ``None`` if not reached within ``max_steps``.
        """
        t = math.tan(self.theta)
        start, chunk = 0, 4096
        while start <= max_steps:
            k = np.arange(start, min(start + chunk, max_steps + 1))
            hit = np.flatnonzero(np.abs(self.nu(k)) < t * self.mu(k))
            if hit.size:
                return int(k[hit[0]])
            start += chunk
            chunk *= 2
        return None


def theorem1_test_error(problem: EGDToyProblem, k: np.ndarray) -> np.ndarray:
    """Theorem 1 (Eq. 7): ``E(w(k)) ≃ min(1, arccos(r_k)/arccos(r))`` with ``r_k = μ_k/L_k``.

    Uses Eq. (7)'s ``r_k = μ_k/L_k`` (Eq. (6) prints ``μ_k/ν_k``; EGD, arXiv 2510.04930, Section 3 (toy model)). Shape of ``k``.
    """
    mu = problem.mu(k)
    nu = problem.nu(k)
    lk = np.sqrt(mu**2 + problem.eps * nu**2)
    rk = np.clip(mu / lk, -1.0, 1.0)
    return np.minimum(1.0, np.arccos(rk) / math.acos(problem.r))


def _arc_overlap(a0: float, a1: np.ndarray, h0: np.ndarray, h1: np.ndarray) -> np.ndarray:
    """Length of ``[a0, a1] ∩ [h0, h1]`` on the circle (all arcs shorter than 2π)."""
    total = np.zeros_like(h0)
    for shift in (-2 * math.pi, 0.0, 2 * math.pi):
        lo = np.maximum(a0, h0 + shift)
        hi = np.minimum(a1, h1 + shift)
        total = total + np.clip(hi - lo, 0.0, None)
    return total


def toy_test_error(w: np.ndarray, *, eps: float, theta: float) -> np.ndarray:
    """Exact population test error of ``sign(xᵀw)`` on the test distribution, for ``w`` ``(..., 2)``.

    Test points are ``z ~ N(0, diag(1, ε))`` conditioned on ``(zᵀv) z⁽¹⁾ ≤ 0``. In whitened
    coordinates ``g = Σ^{-1/2} z`` the region is two opposite wedges of angle
    ``ψ = arccos(r)`` starting at polar angle π/2; a point is misclassified iff
    ``sign(gᵀ Σ^{1/2} w) ≠ sign(g₁)``. The error is the measure of that set divided by ψ.
    Theorem 1 is this formula evaluated at the population GD iterate (tested as an oracle).
    """
    w = np.asarray(w, dtype=np.float64)
    psi = math.atan2(math.sqrt(eps) * math.sin(theta), math.cos(theta))
    omega = np.arctan2(math.sqrt(eps) * w[..., 1], w[..., 0])
    # misclassified where cos(φ − ω) > 0 on the arc φ ∈ [π/2, π/2 + ψ] (cos φ ≤ 0 there);
    # the antipodal wedge contributes the same measure by symmetry.
    bad = _arc_overlap(math.pi / 2, np.full_like(omega, math.pi / 2 + psi), omega - math.pi / 2, omega + math.pi / 2)
    return bad / psi


def _sample_train(problem: EGDToyProblem, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    qs = stats.norm.sf(problem.s)
    z1 = stats.norm.isf(rng.uniform(0.0, qs, size=n)) * rng.choice([-1.0, 1.0], size=n)
    z2 = rng.normal(0.0, math.sqrt(problem.eps), size=n)
    x = np.stack([z1, z2], axis=1)
    return x, np.sign(z1)


def _sample_test(problem: EGDToyProblem, n: int, rng: np.random.Generator) -> np.ndarray:
    # exact sampler in whitened coordinates: radius ~ chi_2, angle uniform on the two wedges
    psi = math.atan2(math.sqrt(problem.eps) * math.sin(problem.theta), math.cos(problem.theta))
    phi = math.pi / 2 + rng.uniform(0.0, psi, size=n) + math.pi * rng.integers(0, 2, size=n)
    rad = np.sqrt(rng.chisquare(2, size=n))
    g = np.stack([rad * np.cos(phi), rad * np.sin(phi)], axis=1)
    return g * np.array([1.0, math.sqrt(problem.eps)])


@dataclass(frozen=True)
class ToyRun:
    """One simulated run on sampled toy data.

    Attributes
    ----------
    method : ``"gd"`` (Eq. 2) or ``"pgd"`` (Eq. 9, ``Σ̂⁻¹``-preconditioned).
    w : ``(steps + 1, 2)`` iterates ``w(0..steps)``.
    test_error : ``(steps + 1,)`` empirical error on ``n_test`` sampled test points.
    test_error_population : ``(steps + 1,)`` exact error (:func:`toy_test_error`).
    train_accuracy : ``(steps + 1,)`` accuracy on the training sample.
    seed : the seed used.
    """

    method: str
    w: np.ndarray
    test_error: np.ndarray
    test_error_population: np.ndarray
    train_accuracy: np.ndarray
    seed: int
    problem: EGDToyProblem = field(repr=False)


def simulate_toy(
    problem: EGDToyProblem,
    *,
    method: Literal["gd", "pgd"] = "gd",
    steps: int,
    n: int = 20000,
    n_test: int = 4000,
    n_train_eval: int = 2000,
    seed: int = 0,
) -> ToyRun:
    """Run GD (Eq. 2) or preconditioned GD (Eq. 9) on ``n`` sampled training points.

    The recursion is iterated step by step (not the closed form) with the empirical
    ``Σ̂ = XᵀX/n`` and ``b = XᵀY/n``: ``w ← w − η(Σ̂ w − b)`` or ``w ← w − η Σ̂⁻¹(Σ̂ w − b)``.
    The empirical test error uses ``n_test`` fresh test points; train accuracy is measured on
    the first ``n_train_eval`` training points (the full sample sets Σ̂ and b).
    """
    if method not in ("gd", "pgd"):
        raise GrokcheckError(f"method must be 'gd' or 'pgd', got {method!r}")
    rng = np.random.default_rng(seed)
    x, y = _sample_train(problem, n, rng)
    xt = _sample_test(problem, n_test, rng)
    sig = x.T @ x / n
    b = x.T @ y / n
    pre = np.linalg.inv(sig) if method == "pgd" else np.eye(2)
    step_mat = np.eye(2) - problem.eta * pre @ sig
    step_off = problem.eta * pre @ b
    a00, a01, a10, a11 = (float(v) for v in step_mat.ravel())
    c0, c1 = (float(v) for v in step_off)
    w = np.empty((steps + 1, 2))
    w0, w1 = float(problem.u[0]), float(problem.u[1])
    w[0] = (w0, w1)
    for k in range(1, steps + 1):
        w0, w1 = a00 * w0 + a01 * w1 + c0, a10 * w0 + a11 * w1 + c1
        w[k] = (w0, w1)
    if not np.all(np.isfinite(w)):
        raise GrokcheckError(f"toy {method} diverged (eta={problem.eta} too large?)", )
    yt = np.sign(xt[:, 0])
    test_err = (np.sign(w @ xt.T) != yt[None, :]).mean(axis=1)
    xe, ye = x[:n_train_eval], y[:n_train_eval]
    train_acc = (np.sign(w @ xe.T) == ye[None, :]).mean(axis=1)
    return ToyRun(
        method=method,
        w=w,
        test_error=test_err,
        test_error_population=toy_test_error(w, eps=problem.eps, theta=problem.theta),
        train_accuracy=train_acc,
        seed=seed,
        problem=problem,
    )


def plateau_length(test_error: np.ndarray, *, threshold: float = 0.5) -> int | None:
    """First step ``k`` with ``test_error[k] ≤ threshold`` (``None`` if never)."""
    hit = np.flatnonzero(np.asarray(test_error) <= threshold)
    return int(hit[0]) if hit.size else None


@dataclass(frozen=True)
class PlateauScaling:
    """Fitted scaling of the plateau length with ε.

    Attributes
    ----------
    eps : ``(k,)`` the ε values.
    gd_steps, pgd_steps : ``(k,)`` simulated plateau lengths (first step with error ≤ threshold).
    theory_steps : ``(k,)`` the same threshold crossing on Theorem 1's curve.
    exit_steps : ``(k,)`` Theorem 1's exact plateau exit (:meth:`EGDToyProblem.exit_step`).
    gd_slope, pgd_slope, theory_slope : least-squares slopes of ``log steps`` on ``log ε``
        (Corollary 1 predicts −1 for GD; preconditioned GD predicts 0).
    eta_eps_product : ``gd_steps · η · ε / log(τ_exit)`` per ε (≈ constant if ``k ≍ log τ/(ηε)``).
    threshold, seed : the settings.
    """

    eps: np.ndarray
    gd_steps: np.ndarray
    pgd_steps: np.ndarray
    theory_steps: np.ndarray
    exit_steps: np.ndarray
    gd_slope: float
    pgd_slope: float
    theory_slope: float
    eta_eps_product: np.ndarray
    threshold: float
    seed: int


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def plateau_scaling(
    eps_values: np.ndarray,
    *,
    s: float = 1.0,
    theta: float = math.pi / 3,
    eta: float = 0.5,
    u: tuple[float, float] = (0.0, 5.0),
    n: int = 20000,
    threshold: float = 0.5,
    seed: int = 0,
) -> PlateauScaling:
    """Simulate GD and preconditioned GD for each ε and fit log-log slopes of the plateau length."""
    eps_values = np.asarray(eps_values, dtype=np.float64)
    gd, pgd, th, ex, prod = [], [], [], [], []
    for i, e in enumerate(eps_values):
        prob = EGDToyProblem(eps=float(e), s=s, theta=theta, eta=eta, u=u)
        exit_k = prob.exit_step()
        horizon = 8 * int(math.ceil(max(1.0, math.log(max(prob.tau_exit, math.e))) / (eta * e))) + 100
        k_th = plateau_length(theorem1_test_error(prob, np.arange(horizon + 1)), threshold=threshold)
        if k_th is None or exit_k is None:
            raise GrokcheckError(f"Theorem 1 curve never reaches error {threshold} at eps={e}")
        budget = 2 * k_th + int(math.ceil(20 / eta))
        run_gd = simulate_toy(prob, method="gd", steps=budget, n=n, seed=seed + i)
        run_pgd = simulate_toy(prob, method="pgd", steps=budget, n=n, seed=seed + i)
        k_gd = plateau_length(run_gd.test_error, threshold=threshold)
        k_pgd = plateau_length(run_pgd.test_error, threshold=threshold)
        if k_gd is None or k_pgd is None:
            raise GrokcheckError(f"simulated run has no plateau exit within {budget} steps at eps={e}")
        gd.append(k_gd)
        pgd.append(max(k_pgd, 1))  # a plateau of 0 steps is plotted as 1 on the log axis
        th.append(k_th)
        ex.append(exit_k)
        prod.append(k_gd * eta * e / math.log(prob.tau_exit))
    gd, pgd, th = np.array(gd, float), np.array(pgd, float), np.array(th, float)
    return PlateauScaling(
        eps=eps_values,
        gd_steps=gd,
        pgd_steps=pgd,
        theory_steps=th,
        exit_steps=np.array(ex),
        gd_slope=_slope(eps_values, gd),
        pgd_slope=_slope(eps_values, pgd),
        theory_slope=_slope(eps_values, th),
        eta_eps_product=np.array(prod),
        threshold=threshold,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# The same-distribution toy (EGD, arXiv 2510.04930, App. A.3, Theorem 2).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SameDistributionMoments:
    """Population moments of App. A.3's distribution ``P``: ``z ~ N(0, diag(1, ε))`` conditioned on
    ``(zᵀe₁)(zᵀv) ≤ 0``, label ``y = sign(z⁽¹⁾)`` (train = test = ``P``).

    Attributes
    ----------
    sigma : ``(2, 2)`` ``Σ = E[x xᵀ] = [[a, b], [b, d]]``.
    c : ``(2,)`` ``E[y x]``.
    w_star : ``(2,)`` ``(μ*, ν*) = Σ⁻¹c``.
    lam_minus, lam_plus : eigenvalues of ``Σ`` (``λ₋ = Θ(ε)``; ``λ₊ → a``, of order one).
    T : ``|μ*| tan θ``, the level ``|ν_k|`` must reach for the error to leave 1 (App. A.3, Eq. (20)).
    """

    eps: float
    theta: float
    sigma: np.ndarray
    c: np.ndarray
    w_star: np.ndarray
    lam_minus: float
    lam_plus: float
    T: float


def same_distribution_moments(eps: float, theta: float) -> SameDistributionMoments:
    """Closed-form moments of App. A.3's ``P`` (whitened polar coordinates).

    With ``g = Σ_z^{-1/2} z = r(cos φ, sin φ)``, ``P`` is ``r² ~ χ²₂`` (``E r² = 2``, ``E r = √(π/2)``)
    and ``φ`` uniform on the wedge ``[π/2, π/2 + ψ]`` and its antipode, ``ψ = atan2(√ε sin θ, cos θ)``.
    Averaging ``cos²``, ``cos·sin``, ``sin²`` and ``sign(cos φ)(cos φ, sin φ)`` over the wedge gives
    the entries below; the paper's 1D integrals (App. A.3) are an independent oracle in the tests.
    """
    if not (eps > 0) or not (0 < theta < math.pi / 2):
        raise GrokcheckError(f"need eps > 0 and theta in (0, pi/2), got eps={eps}, theta={theta}")
    psi = math.atan2(math.sqrt(eps) * math.sin(theta), math.cos(theta))
    q = math.sin(2 * psi) / (4 * psi)
    a = 2 * (0.5 - q)
    b = math.sqrt(eps) * 2 * (-math.sin(psi) ** 2 / (2 * psi))
    d = eps * 2 * (0.5 + q)
    er = math.sqrt(math.pi / 2)
    c1 = er * (1 - math.cos(psi)) / psi
    c2 = -math.sqrt(eps) * er * math.sin(psi) / psi
    sigma = np.array([[a, b], [b, d]])
    c = np.array([c1, c2])
    w_star = np.linalg.solve(sigma, c)
    lam = np.linalg.eigvalsh(sigma)
    return SameDistributionMoments(eps=float(eps), theta=float(theta), sigma=sigma, c=c, w_star=w_star,
                                   lam_minus=float(lam[0]), lam_plus=float(lam[1]),
                                   T=float(abs(w_star[0]) * math.tan(theta)))


@dataclass(frozen=True)
class SameDistributionPlateau:
    """The plateau of population GD ``w ← w − 2η(Σw − c)`` on App. A.3's toy, for one ε.

    Attributes
    ----------
    drop_step : first ``k`` with population error ``< 1`` (``None``: not within ``max_steps``);
        ``0`` when the error is below 1 from the start.
    predicted : the proof's leading order ``log(|u₂ − ν*|/T)/(2ηλ₋)`` (``0`` if ``|u₂ − ν*| ≤ T``).
    moments : the :class:`SameDistributionMoments`.
    """

    eps: float
    eta: float
    u: tuple[float, float]
    drop_step: int | None
    predicted: float
    moments: SameDistributionMoments


def same_distribution_plateau(eps: float, *, theta: float = math.pi / 3, eta: float = 0.25,
                              u: tuple[float, float] = (0.0, 5.0), max_steps: int = 10**8) -> SameDistributionPlateau:
    """Iterate App. A.3's population recursion and find where the exact error leaves 1.

    The error is :func:`toy_test_error` (exact on ``P``; App. A.3's Eq. (19) is its closed form).
    Stability needs ``2ηλ₊ < 2``; ``η = 0.25`` leaves room for every ε (``λ₊ ≤ 2``).
    """
    mom = same_distribution_moments(eps, theta)
    if not (0 < 2 * eta * mom.lam_plus < 2):
        raise GrokcheckError(f"eta={eta} makes population GD unstable (2·eta·lambda_+ = {2 * eta * mom.lam_plus:.3g})")
    m = np.eye(2) - 2 * eta * mom.sigma
    w = np.asarray(u, dtype=np.float64) - mom.w_star  # deviation from w*, evolves as M^k
    start, chunk = 0, 4096
    mk = np.eye(2)
    while start <= max_steps:
        n = min(chunk, max_steps + 1 - start)
        # deviations for k = start .. start+n-1, by repeated multiplication (exact up to rounding)
        devs = np.empty((n, 2))
        cur = mk @ w
        for i in range(n):
            devs[i] = cur
            cur = m @ cur
        err = toy_test_error(devs + mom.w_star, eps=eps, theta=theta)
        hit = np.flatnonzero(err < 1 - 1e-12)  # 1e-12: the arc overlap is exact to rounding
        if hit.size:
            drop = start + int(hit[0])
            break
        mk = np.linalg.matrix_power(m, start + n)
        start += n
        chunk *= 2
    else:
        drop = None
    gap = abs(u[1] - mom.w_star[1])
    pred = math.log(gap / mom.T) / (2 * eta * mom.lam_minus) if gap > mom.T else 0.0
    return SameDistributionPlateau(eps=float(eps), eta=float(eta), u=tuple(map(float, u)), drop_step=drop,
                                   predicted=pred, moments=mom)


def same_distribution_drop_leading_order(eps: float, *, theta: float = math.pi / 3, eta: float = 0.25,
                                         u: tuple[float, float] = (0.0, 5.0)) -> float:
    """grokcheck's leading order of App. A.3's drop step as ε → 0 at a fixed initialisation ``u``.

    Every entry of ``Σ`` is ``O(ε)`` and ``c = O(√ε)`` (``ψ ≈ √ε tan θ``), so for ``k ≪ 1/(ηε)`` the
    iterate drifts linearly, ``w_k ≈ u + 2ηk c``, with ``c ≈ √(π/2) √ε (tan θ/2, −1)``. The error
    leaves 1 when ``ν_k = μ_k tan θ``:

        k* ≈ (u₂ − u₁ tan θ) / (2η √ε √(π/2) (1 + tan²θ/2)) = Θ(1/(η√ε))      (u₂ > u₁ tan θ),

    and 0 when ``u₂ ≤ u₁ tan θ`` (the error starts below 1). Theorem 2 prints ``Θ(1/(ηε))``.
    """
    t = math.tan(theta)
    gap = u[1] - u[0] * t
    if gap <= 0:
        return 0.0
    return gap / (2 * eta * math.sqrt(eps) * math.sqrt(math.pi / 2) * (1 + t * t / 2))
