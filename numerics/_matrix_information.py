"""Matrix (Rényi) entropy and mutual information of PSD unit-diagonal matrices.

For a PSD ``R`` of size ``n × n`` with ``R_ii = 1`` (Tan & Huang, arXiv 2311.06597, Section 5.1 (matrix information)):

    H_α(R) = 1/(1 − α) · log tr((R/n)^α),        H_1(R) = −tr((R/n) log(R/n)),
    I_α(R₁; R₂) = H_α(R₁) + H_α(R₂) − H_α(R₁ ⊙ R₂).

``R/n`` has trace 1, so its eigenvalues ``λ_i ≥ 0`` form a probability vector and
``H_α(R)`` is the Rényi entropy of ``λ``: ``0 ≤ H_α ≤ log n``. ``R₁ ⊙ R₂`` is again PSD with unit
diagonal (Schur product theorem), so ``I_α`` is well defined. Closed forms for α = 2
(Props 5.5–5.6 of Tan & Huang): ``H₂(K) = 2 log n − log ‖K‖_F²`` and
``I₂(R₁; R₂) = 2 log n − log(‖R₁‖_F² ‖R₂‖_F² / ‖R₁ ⊙ R₂‖_F²)``. Also ``I_α(I, G) = H_α(G)``.

Everything is batched over leading axes and written in torch (so it runs inside training
on whatever device the model uses); numpy arrays are accepted and converted.

Conventions
-----------
- Matrices are ``(..., n, n)``; results are ``(...)``. Natural logarithm.
- :func:`normalized_gram` builds the Gram matrix of L2-normalised *rows* ``Z[..., i, :]``, i.e.
  ``G = Ẑ Ẑᵀ`` with one row per sample (the paper writes columns and ``ZᵀZ``; same matrix).

References
----------
Z. Tan, W. Huang, *Understanding Grokking Through A Robustness Viewpoint*, arXiv 2311.06597v2,
§5.1 and Props 5.5–5.6; Tan & Huang, arXiv 2311.06597, Section 5.1 (matrix information).
"""

from __future__ import annotations

import numpy as np
import torch

from grokcheck.errors import GrokcheckError

__all__ = [
    "matrix_entropy",
    "matrix_mutual_information",
    "normalized_gram",
    "is_unit_diagonal_psd",
    "assert_unit_diagonal_psd",
]


def _as_tensor(x) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    return torch.as_tensor(np.asarray(x))


def _check_square(r: torch.Tensor, name: str = "R") -> int:
    if r.ndim < 2 or r.shape[-1] != r.shape[-2]:
        raise GrokcheckError(f"{name} must be a (..., n, n) matrix, got shape {tuple(r.shape)}")
    if not r.is_floating_point():
        raise GrokcheckError(f"{name} must have a floating dtype, got {r.dtype}")
    return int(r.shape[-1])


def _spectrum(r: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of ``R/n`` clipped at 0, shape ``(..., n)``.

    Why clip: ``R`` is PSD in exact arithmetic, but ``eigvalsh`` of a PSD matrix returns
    eigenvalues perturbed by O(n · eps · ‖R‖) (Weyl), so exact zeros — common, because a Gram
    matrix of ``b`` samples in ``d < b`` dimensions has rank ≤ d — come back as tiny negatives.
    Their true value is ≥ 0, ``λ log λ`` is undefined below 0, and clipping moves each one by at
    most that round-off, so the entropy changes by O(n · eps · log(1/eps)) only.
    For the same reason eigenvalues *below* that round-off level (``n · eps · λ_max``) are set to
    exactly 0: they are indistinguishable from 0, and for α < 1 the terms ``λ^α`` would otherwise
    turn a 1e-17 artefact into a 1e-8 contribution.
    """
    n = r.shape[-1]
    sym = 0.5 * (r + r.mT)
    lam = torch.linalg.eigvalsh(sym / n)
    floor = n * torch.finfo(lam.dtype).eps * lam.amax(dim=-1, keepdim=True).clamp(min=0.0)
    return torch.where(lam > floor, lam, torch.zeros_like(lam))


def matrix_entropy(r, alpha: float = 1.0) -> torch.Tensor:
    """Matrix Rényi entropy ``H_α(R)`` of a PSD unit-diagonal ``R`` ``(..., n, n)`` → ``(...)``.

    α = 1 uses the clipped eigenvalues of ``R/n`` (von Neumann entropy, ``0 log 0 = 0``);
    α = 2 uses the closed form ``2 log n − log ‖R‖_F²`` (no eigendecomposition); other
    α > 0 use ``log Σ λ_i^α / (1 − α)``.
    """
    r = _as_tensor(r)
    n = _check_square(r)
    if not alpha > 0:
        raise GrokcheckError(f"alpha must be > 0, got {alpha}")
    if alpha == 2:
        fro2 = (r * r).sum(dim=(-2, -1))
        return 2.0 * np.log(n) - torch.log(fro2)
    lam = _spectrum(r)
    if alpha == 1:
        safe = torch.where(lam > 0, lam, torch.ones_like(lam))
        return -(lam * torch.log(safe)).sum(dim=-1)
    return torch.log((lam**alpha).sum(dim=-1)) / (1.0 - alpha)


def matrix_mutual_information(r1, r2, alpha: float = 1.0) -> torch.Tensor:
    """``I_α(R₁; R₂) = H_α(R₁) + H_α(R₂) − H_α(R₁ ⊙ R₂)`` for ``(..., n, n)`` inputs → ``(...)``."""
    r1, r2 = _as_tensor(r1), _as_tensor(r2)
    n1, n2 = _check_square(r1, "R1"), _check_square(r2, "R2")
    if n1 != n2:
        raise GrokcheckError(f"R1 and R2 must have the same size, got {n1} and {n2}")
    return matrix_entropy(r1, alpha) + matrix_entropy(r2, alpha) - matrix_entropy(r1 * r2, alpha)


def normalized_gram(z) -> torch.Tensor:
    """Gram matrix of L2-normalised rows: ``z (..., n, d)`` → ``G (..., n, n)``, ``G_ii = 1``.

    A zero row (e.g. a dead ReLU layer on that sample) has no direction; it is treated as
    orthogonal to every other row, so its Gram row is ``e_i``. This keeps ``G`` PSD with unit
    diagonal (adding a non-negative diagonal to a PSD matrix keeps it PSD).
    """
    z = _as_tensor(z)
    if z.ndim < 2:
        raise GrokcheckError(f"features must be (..., n, d), got shape {tuple(z.shape)}")
    norms = torch.linalg.vector_norm(z, dim=-1, keepdim=True)
    zero = norms == 0
    zhat = z / torch.where(zero, torch.ones_like(norms), norms)
    g = zhat @ zhat.mT
    fix = zero.squeeze(-1).to(g.dtype)  # (..., n): 1 where the row was zero
    return g + torch.diag_embed(fix)


def is_unit_diagonal_psd(r, *, atol: float | None = None, explain: bool = False):
    """Whether ``R`` ``(n, n)`` is symmetric PSD with unit diagonal, up to ``atol``.

    ``atol`` defaults to ``100 · n · eps(dtype)`` (round-off of a Gram matrix of unit vectors).
    With ``explain=True`` returns ``(ok, residuals)``, residuals a dict of the three defects.
    """
    r = _as_tensor(r)
    n = _check_square(r)
    tol = 100 * n * torch.finfo(r.dtype).eps if atol is None else atol
    res = {
        "asymmetry": float((r - r.mT).abs().max()),
        "diagonal": float((torch.diagonal(r, dim1=-2, dim2=-1) - 1).abs().max()),
        "min_eigenvalue": float(torch.linalg.eigvalsh(0.5 * (r + r.mT)).min()),
    }
    ok = res["asymmetry"] <= tol and res["diagonal"] <= tol and res["min_eigenvalue"] >= -tol
    return (ok, res) if explain else ok


def assert_unit_diagonal_psd(r, *, atol: float | None = None) -> None:
    """Raise :class:`~grokcheck.errors.CertificationError` unless :func:`is_unit_diagonal_psd`."""
    from grokcheck.errors import CertificationError

    ok, res = is_unit_diagonal_psd(r, atol=atol, explain=True)
    if not ok:
        raise CertificationError(
            "matrix is not PSD with unit diagonal; build it with normalized_gram(Z)", residuals=res
        )
