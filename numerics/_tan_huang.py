"""Tan & Huang's robustness theory: Corollary 3.3, Theorem 3.2's ε, and the matrix-entropy bounds.

Every bound is a function that evaluates *both sides* on given data (``lhs``, ``rhs``), so tests
and checks can decide whether it holds, and a constant can be passed to probe sharpness.

- :func:`corollary33_accuracy` – the fitted test-accuracy curve of Corollary 3.3 with the paper's
  constants ``L = 1/2``, ``μ = 1/100`` (a variance), ``a = 1925``, ``b = 500`` (Fig. 3).
- :func:`theorem32_epsilon` – the neighbourhood radius ``ε(W*)`` of Theorem 3.2.
- :func:`lemma57_sides`, :func:`lemma58_sides`, :func:`lemma511_sides` – the Gram / H₂ / I₂
  perturbation lemmas on unit vectors (they hold; Lemma 5.7's sharp constant is 1, not 4).
- :func:`theorem59_sides`, :func:`theorem512_sides` – ED and MID (α = 2) against the published
  right-hand sides on *unnormalised* outputs. These fail: ED and MID are invariant under
  ``f → c f`` while the right-hand sides scale with ``c`` (docs/errata.md).
  :func:`rescaling_counterexample` builds an explicit failing instance from a ReLU network.

Conventions
-----------
Features are rows: ``Z (n, d)``, row ``i`` is sample ``i``. α = 2 quantities use the closed forms
of :mod:`grokcheck.numerics._matrix_information`. Natural logarithm. All float64 numpy/torch.

References
----------
Z. Tan, W. Huang, arXiv 2311.06597v2: Lemma 3.1, Theorem 3.2, Corollary 3.3 (§3); Props 5.5–5.6,
Lemmas 5.7, 5.8, 5.10, 5.11, Theorems 5.9, 5.12 (§5.2). Tan & Huang, arXiv 2311.06597, Sections 3 and 5 (the bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._matrix_information import (
    matrix_entropy,
    matrix_mutual_information,
    normalized_gram,
)

__all__ = [
    "COROLLARY33_CONSTANTS",
    "COROLLARY33_TABLE",
    "neighbour_probability",
    "corollary33_accuracy",
    "corollary33_saturation_step",
    "theorem32_epsilon",
    "BoundSides",
    "lemma57_sides",
    "lemma58_sides",
    "lemma511_sides",
    "theorem59_sides",
    "theorem512_sides",
    "RescalingCounterexample",
    "rescaling_counterexample",
    "TANH_CURVATURE",
    "tanh_mlp",
    "lemma31_sides",
    "tanh_mlp_gradient_lipschitz",
    "theorem32_radius",
]

#: Constants of Fig. 3 (§3.1 of the paper): Lipschitz L, variance μ, fit a − b log10(steps).
COROLLARY33_CONSTANTS = {"L": 0.5, "mu": 0.01, "a": 1925.0, "b": 500.0}

#: Corollary 3.3's curve at these steps, rounded to 3 significant digits (Tan & Huang, arXiv 2311.06597, Section 3).
COROLLARY33_TABLE = {1000: 0.0187, 3000: 0.0425, 5000: 0.104, 6000: 0.214, 6500: 0.391, 7000: 0.996, 7080: 1.0}


def neighbour_probability(r, *, mu: float = COROLLARY33_CONSTANTS["mu"]) -> np.ndarray:
    """``P(r) = Pr(−r ≤ Y ≤ r) = erf(r/√(2μ))`` for ``Y ~ N(0, μ)`` (μ a variance)."""
    return special.erf(np.asarray(r, dtype=np.float64) / math.sqrt(2.0 * mu))


def corollary33_accuracy(
    steps,
    *,
    L: float = COROLLARY33_CONSTANTS["L"],
    mu: float = COROLLARY33_CONSTANTS["mu"],
    a: float = COROLLARY33_CONSTANTS["a"],
    b: float = COROLLARY33_CONSTANTS["b"],
) -> np.ndarray:
    """Corollary 3.3 lower bound ``P(1/(2L + max{a − b log10 steps, 0}))``, shape of ``steps``.

    Requires ``L ≥ 1/2`` (the corollary's assumption; with ``‖x_i‖ = 1`` it makes
    ``ε(W*) = 1/(2L + max{…})`` ≤ 1 so the ``min{1, ·}`` of Theorem 3.2 is inactive).
    """
    if L < 0.5:
        raise GrokcheckError(f"Corollary 3.3 assumes L >= 1/2, got L={L}")
    steps = np.asarray(steps, dtype=np.float64)
    if np.any(steps <= 0):
        raise GrokcheckError("steps must be positive (log10 of the step count)")
    decay = np.maximum(a - b * np.log10(steps), 0.0)
    return neighbour_probability(1.0 / (2.0 * L + decay), mu=mu)


def corollary33_saturation_step(*, a: float = COROLLARY33_CONSTANTS["a"], b: float = COROLLARY33_CONSTANTS["b"]) -> float:
    """Step ``10^{a/b}`` after which the decay term is 0 and the bound is ``P(1/(2L))``."""
    return 10.0 ** (a / b)


def theorem32_epsilon(*, n: int, min_x_norm_sq: float, weight_norm_sq: float, sharpness: float, L: float) -> float:
    """Theorem 3.2: ``ε(W*) = min{1, 1 / (2(√(n ‖W*‖_F² S(W*) / min_i ‖x_i‖²) + L))}``.

    With Corollary 3.3's model ``‖W*‖_F² S(W*) = max²{a − b log10 t, 0}/(4n)`` and ``‖x_i‖ = 1``
    this equals ``1/(2L + max{a − b log10 t, 0})`` (tested). Caveats: the proof
    assumes the neighbour has the same label, and with one-hot tokens distinct pairs are ≥ √2
    apart, so for modular addition the theorem is vacuous.
    """
    if min_x_norm_sq <= 0 or weight_norm_sq < 0 or sharpness < 0 or L <= 0 or n < 1:
        raise GrokcheckError("theorem32_epsilon needs n >= 1, min_x_norm_sq > 0, weight_norm_sq, sharpness >= 0, L > 0")
    root = math.sqrt(n * weight_norm_sq * sharpness / min_x_norm_sq)
    return min(1.0, 1.0 / (2.0 * (root + L)))


@dataclass(frozen=True)
class BoundSides:
    """Both sides of an inequality ``lhs ≤ rhs`` (arrays broadcast over any batch axes)."""

    lhs: np.ndarray
    rhs: np.ndarray
    constant: float

    @property
    def holds(self) -> bool:
        """Whether ``lhs ≤ rhs`` everywhere, with a relative float64 slack of 1e-12 · max(1, rhs)."""
        lhs, rhs = np.asarray(self.lhs), np.asarray(self.rhs)
        return bool(np.all(lhs <= rhs + 1e-12 * np.maximum(1.0, np.abs(rhs))))

    @property
    def ratio(self) -> np.ndarray:
        """``lhs / rhs`` (``inf`` where ``rhs = 0 < lhs``; 0 where both vanish)."""
        lhs, rhs = np.asarray(self.lhs, float), np.asarray(self.rhs, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(rhs > 0, lhs / np.where(rhs > 0, rhs, 1.0), np.where(lhs > 0, np.inf, 0.0))
        return r


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _unit_rows(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norms == 0):
        raise GrokcheckError("the lemmas are stated for unit vectors; got a zero vector")
    if not np.allclose(norms, 1.0, atol=1e-9):  # 1e-9: unit up to float64 normalisation error
        raise GrokcheckError("the lemmas are stated for l2-normalised vectors; normalise first")
    return x


def lemma57_sides(a_i, a_j, b_i, b_j, *, constant: float = 4.0) -> BoundSides:
    """Lemma 5.7: ``|⟨a_i,a_j⟩ − ⟨b_i,b_j⟩| ≤ C(‖a_i − b_i‖ + ‖a_j − b_j‖)`` for unit vectors.

    Inputs ``(..., d)``. Published ``C = 4``; the sharp constant is 1 (triangle inequality and
    Cauchy–Schwarz: ``⟨a_i,a_j⟩ − ⟨b_i,b_j⟩ = ⟨a_i − b_i, a_j⟩ + ⟨b_i, a_j − b_j⟩``).
    """
    a_i, a_j, b_i, b_j = (_unit_rows(v) for v in (a_i, a_j, b_i, b_j))
    lhs = np.abs((a_i * a_j).sum(-1) - (b_i * b_j).sum(-1))
    rhs = constant * (np.linalg.norm(a_i - b_i, axis=-1) + np.linalg.norm(a_j - b_j, axis=-1))
    return BoundSides(lhs=lhs, rhs=rhs, constant=constant)


def lemma58_sides(z, z_prime, *, constant: float = 8.0) -> BoundSides:
    """Lemma 5.8: ``|H₂(ZZᵀ) − H₂(Z'Z'ᵀ)| ≤ C Σ_i ‖z_i − z'_i‖`` for unit rows ``(..., n, d)``."""
    z, zp = _unit_rows(z), _unit_rows(z_prime)
    h = matrix_entropy(_t(z) @ _t(z).mT, 2).numpy()
    hp = matrix_entropy(_t(zp) @ _t(zp).mT, 2).numpy()
    rhs = constant * np.linalg.norm(z - zp, axis=-1).sum(-1)
    return BoundSides(lhs=np.abs(h - hp), rhs=rhs, constant=constant)


def lemma511_sides(z1, z2, z1_prime, z2_prime, *, constant: float = 16.0) -> BoundSides:
    """Lemma 5.11: ``|I₂(G₁,G₂) − I₂(G₁',G₂')| ≤ C Σ_{j=1,2} Σ_i ‖z_i⁽ʲ⁾ − z_i'⁽ʲ⁾‖`` (unit rows)."""
    z1, z2, z1p, z2p = (_unit_rows(v) for v in (z1, z2, z1_prime, z2_prime))
    g = lambda z: _t(z) @ _t(z).mT  # noqa: E731
    i = matrix_mutual_information(g(z1), g(z2), 2).numpy()
    ip = matrix_mutual_information(g(z1p), g(z2p), 2).numpy()
    rhs = constant * (np.linalg.norm(z1 - z1p, axis=-1).sum(-1) + np.linalg.norm(z2 - z2p, axis=-1).sum(-1))
    return BoundSides(lhs=np.abs(i - ip), rhs=rhs, constant=constant)


def _h2_of_outputs(f) -> np.ndarray:
    return matrix_entropy(normalized_gram(_t(f)), 2).numpy()


def _i2_of_outputs(f1, f2) -> np.ndarray:
    return matrix_mutual_information(normalized_gram(_t(f1)), normalized_gram(_t(f2)), 2).numpy()


def theorem59_sides(f_clean, f_perturbed, *, constant: float = 8.0, normalized: bool = False) -> BoundSides:
    """Theorem 5.9 on draws of Δ: ``ED(f, σ, 2) ≤ C · E_Δ Σ_i ‖f(x_i + Δ_i) − f(x_i)‖``.

    Parameters
    ----------
    f_clean : ``(n, c)`` outputs ``f(x_i, W)``.
    f_perturbed : ``(m, n, c)`` outputs ``f(x_i + Δ_i, W)`` for ``m`` independent draws of Δ.
    normalized : ``False`` evaluates the published right-hand side on raw outputs (it fails
        under rescaling); ``True`` uses the normalised rows ``z_i = f_i/‖f_i‖`` (the version
        that follows from Lemma 5.8 and holds).

    The left side is ``|mean_Δ H₂(G(Δ)) − H₂(G(0))|`` with ``G`` the normalised Gram matrix.
    """
    fc = np.asarray(f_clean, dtype=np.float64)
    fp = np.asarray(f_perturbed, dtype=np.float64)
    if fp.ndim != 3 or fp.shape[1:] != fc.shape:
        raise GrokcheckError(f"f_perturbed must be (m, n, c) with (n, c) = {fc.shape}, got {fp.shape}")
    lhs = abs(float(_h2_of_outputs(fp).mean()) - float(_h2_of_outputs(fc)))
    if normalized:
        fc, fp = _normalize(fc), _normalize(fp)
    rhs = constant * float(np.linalg.norm(fp - fc[None], axis=-1).sum(-1).mean())
    return BoundSides(lhs=np.asarray(lhs), rhs=np.asarray(rhs), constant=constant)


def theorem512_sides(
    h_clean, f_clean, h_perturbed, f_perturbed, *, constant: float = 16.0, normalized: bool = False
) -> BoundSides:
    """Theorem 5.12: ``MID(f, σ, 2) ≤ C · E_Δ Σ_i (‖Δf_i‖ + ‖Δh_i‖)``, ``h`` the first-layer output.

    ``h_clean (n, d)``, ``f_clean (n, c)``, ``h_perturbed (m, n, d)``, ``f_perturbed (m, n, c)``.
    The left side is ``|mean_Δ I₂(G₁(Δ), G₂(Δ)) − I₂(G₁(0), G₂(0))|``. ``normalized`` as in
    :func:`theorem59_sides` (``True`` is the version implied by Lemma 5.11).
    """
    hc, fc = np.asarray(h_clean, float), np.asarray(f_clean, float)
    hp, fp = np.asarray(h_perturbed, float), np.asarray(f_perturbed, float)
    if hp.shape[1:] != hc.shape or fp.shape[1:] != fc.shape or hp.shape[0] != fp.shape[0]:
        raise GrokcheckError("shapes must be h (n,d), f (n,c), perturbed (m,n,d), (m,n,c)")
    lhs = abs(float(_i2_of_outputs(hp, fp).mean()) - float(_i2_of_outputs(hc, fc)))
    if normalized:
        hc, fc, hp, fp = (_normalize(v) for v in (hc, fc, hp, fp))
    dist = np.linalg.norm(fp - fc[None], axis=-1).sum(-1) + np.linalg.norm(hp - hc[None], axis=-1).sum(-1)
    rhs = constant * float(dist.mean())
    return BoundSides(lhs=np.asarray(lhs), rhs=np.asarray(rhs), constant=constant)


def _normalize(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n == 0, 1.0, n)


@dataclass(frozen=True)
class RescalingCounterexample:
    """A ReLU network ``f_c = c · f`` on which Theorem 5.9 or 5.12 (as published) fails.

    Attributes
    ----------
    theorem : ``"5.9"`` or ``"5.12"``.
    scale : the output scale ``c`` of the failing instance.
    published : both sides at scale ``c`` on raw outputs (``holds`` is False).
    published_unit_scale : both sides at ``c = 1`` (the same left side: ED/MID are scale-free).
    normalized : both sides at scale ``c`` with normalised rows (Lemma 5.8/5.11 version; holds).
    sigma, n_draws, seed : the perturbation settings.
    """

    theorem: str
    scale: float
    published: BoundSides
    published_unit_scale: BoundSides
    normalized: BoundSides
    sigma: float
    n_draws: int
    seed: int


def rescaling_counterexample(
    theorem: str = "5.9",
    *,
    n: int = 16,
    d_in: int = 8,
    width: int = 32,
    classes: int = 5,
    sigma: float = 0.4,
    n_draws: int = 64,
    seed: int = 0,
) -> RescalingCounterexample:
    """Build ``f(x) = W₂ relu(W₁ x + b₁)`` and find a scale at which the published bound fails.

    Scaling ``(W₁, b₁) → c(W₁, b₁)`` and ``W₂ → W₂`` multiplies the first-layer output by ``c``
    and the network output by ``c`` (ReLU is positively homogeneous), so every normalised Gram
    matrix — hence ED and MID — is unchanged, while the published right-hand sides are
    multiplied by ``c``. The scale is chosen as ``c = lhs / (10 · rhs(1))`` so the failure has a
    10× margin over the Monte-Carlo error of the ``E_Δ`` estimate.
    """
    if theorem not in ("5.9", "5.12"):
        raise GrokcheckError(f"theorem must be '5.9' or '5.12', got {theorem!r}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d_in))
    w1 = rng.normal(size=(width, d_in)) / math.sqrt(d_in)
    b1 = rng.normal(size=width) * 0.1
    w2 = rng.normal(size=(classes, width)) / math.sqrt(width)
    delta = rng.normal(scale=sigma, size=(n_draws, n, d_in))

    def net(c, xx):
        h = np.maximum(c * (xx @ w1.T + b1), 0.0)
        return h, h @ w2.T

    def sides(c, normalized):
        hc, fc = net(c, x)
        hp, fp = net(c, x[None] + delta)
        if theorem == "5.9":
            return theorem59_sides(fc, fp, normalized=normalized)
        return theorem512_sides(hc, fc, hp, fp, normalized=normalized)

    unit = sides(1.0, False)
    lhs = float(unit.lhs)
    if lhs <= 0:
        raise GrokcheckError("degenerate draw: ED/MID is 0; change the seed")
    c = lhs / (10.0 * float(unit.rhs))
    return RescalingCounterexample(
        theorem=theorem,
        scale=c,
        published=sides(c, False),
        published_unit_scale=unit,
        normalized=sides(c, True),
        sigma=sigma,
        n_draws=n_draws,
        seed=seed,
    )


# --------------------------------------------------------------------------- §3: Lemma 3.1 and Theorem 3.2

#: max |tanh''| = 4/(3√3), attained at tanh(a)² = 1/3
TANH_CURVATURE = 4.0 / (3.0 * math.sqrt(3.0))


def tanh_mlp(params: dict, x: torch.Tensor) -> torch.Tensor:
    """``f(x) = W2 tanh(W1 x + b1) + b2``: ``x`` ``(n, d)`` → ``(n, k)``; ``params`` holds ``W1 (h, d)``,
    ``b1 (h,)``, ``W2 (k, h)``, ``b2 (k,)``. Its first layer is linear in ``x`` (Lemma 3.1's setting)."""
    return torch.tanh(x @ params["W1"].T + params["b1"]) @ params["W2"].T + params["b2"]


def _flat(params: dict) -> tuple[torch.Tensor, list]:
    names = sorted(params)
    return torch.cat([params[k].reshape(-1) for k in names]), [(k, params[k].shape) for k in names]


def lemma31_sides(params: dict, x, model=tanh_mlp) -> BoundSides:
    """Lemma 3.1: ``(1/n) Σ_i ‖∇_x f(x_i)‖_F² ≤ ‖W‖_F² S(W) / min_i ‖x_i‖²``.

    ``S(W) = (1/n) Σ_i ‖∂f(x_i)/∂W‖_F²`` is the trace of the Gauss–Newton part of the Hessian of
    ``𝓛 = (1/2n) Σ ‖f(x_i) − y_i‖²``, equal to ``Tr ∇²𝓛`` at an interpolating ``W`` (the paper's
    ``S(W*)``); ``‖W‖_F²`` counts every parameter. The proof (Ma & Ying) uses only that the
    first layer is linear in ``x``: ``∇_x f = J_h W1`` and ``∂f/∂W1 = J_h ⊗ x``.
    """
    X = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    P = {k: torch.as_tensor(v, dtype=torch.float64) for k, v in params.items()}
    flat, layout = _flat(P)

    def unflat(th):
        out, off = {}, 0
        for k, shape in layout:
            m = int(np.prod(shape)) if len(shape) else 1
            out[k] = th[off: off + m].reshape(shape)
            off += m
        return out

    def f_x(xi):
        return model(P, xi[None])[0]

    def f_w(th, xi):
        return model(unflat(th), xi[None])[0]

    gx = torch.stack([torch.func.jacrev(f_x)(xi) for xi in X])  # (n, k, d)
    gw = torch.stack([torch.func.jacrev(f_w)(flat, xi) for xi in X])  # (n, k, P)
    lhs = float((gx ** 2).sum(dim=(1, 2)).mean())
    S = float((gw ** 2).sum(dim=(1, 2)).mean())
    rhs = float((flat ** 2).sum()) * S / float((X ** 2).sum(dim=1).min())
    return BoundSides(np.asarray(lhs), np.asarray(rhs), 1.0)


def tanh_mlp_gradient_lipschitz(params: dict) -> float:
    """An upper bound on the Lipschitz constant ``L`` of ``x ↦ ∇_x f(x)`` (Frobenius norm) of :func:`tanh_mlp`:
    ``∇_x f(x) = Σ_k W2[:, k] tanh'(a_k) W1[k]ᵀ``, so ``L ≤ max|tanh''| · Σ_k ‖W2[:, k]‖ ‖W1[k]‖²``
    (any upper bound is a valid ``L`` in Theorem 3.2; it only shrinks ε)."""
    W1 = np.asarray(params["W1"], dtype=np.float64)
    W2 = np.asarray(params["W2"], dtype=np.float64)
    return float(TANH_CURVATURE * np.sum(np.linalg.norm(W2, axis=0) * np.linalg.norm(W1, axis=1) ** 2))


def theorem32_radius(params: dict, x, *, norm: str = "fro", model=tanh_mlp) -> dict:
    """Theorem 3.2's radius ``ε(W*)`` (``norm="fro"``) or Corollary 3.4's ``ε̂(W*)`` (``norm="l1"``:
    ``‖W*‖₁²`` in place of ``‖W*‖_F²``) for a :func:`tanh_mlp` at ``x`` ``(n, d)``, with ``S`` from
    :func:`lemma31_sides` and ``L`` from :func:`tanh_mlp_gradient_lipschitz`.

    Returns ``{"epsilon", "S", "weight_norm_sq", "L", "min_x_norm_sq"}``.
    """
    if norm not in ("fro", "l1"):
        raise GrokcheckError(f"norm must be 'fro' (Theorem 3.2) or 'l1' (Corollary 3.4), got {norm!r}")
    X = np.asarray(x, dtype=np.float64)
    sides = lemma31_sides(params, X, model=model)
    flat = np.concatenate([np.asarray(params[k], dtype=np.float64).reshape(-1) for k in sorted(params)])
    wn = float(flat @ flat) if norm == "fro" else float(np.abs(flat).sum() ** 2)
    mx = float((X ** 2).sum(axis=1).min())
    S = float(sides.rhs) * mx / float(flat @ flat)
    L = tanh_mlp_gradient_lipschitz(params)
    eps = theorem32_epsilon(n=X.shape[0], min_x_norm_sq=mx, weight_norm_sq=wn, sharpness=S, L=L)
    return {"epsilon": eps, "S": S, "weight_norm_sq": wn, "L": L, "min_x_norm_sq": mx}
