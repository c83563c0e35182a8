"""Normalized margin of a homogeneous model, with the homogeneity degree measured.

A model is given as a *flat-parameter function* ``f(theta) -> outputs``: ``theta`` is a
1-D tensor of shape ``(P,)`` and the outputs are the model evaluated on a fixed set of
``n`` inputs, shape ``(n,)`` (binary classification / regression) or ``(n, k)`` (``k``
classes). :func:`flat_model` turns a ``torch.nn.Module`` plus inputs into such a function.

Definitions (Lyu et al., arXiv 2311.18817, Section 3; Lyu & Li 2020):

- ``f`` is ``L``-homogeneous when ``f(c·θ) = c^L f(θ)`` for every ``c > 0``.
- Binary normalized margin: ``γ̄(θ) = min_i y_i f_i(θ) / ‖θ‖₂^L`` with ``y_i ∈ {±1}``.
- Multi-class: ``γ̄(θ) = min_i (f_{i,y_i}(θ) − max_{j≠y_i} f_{i,j}(θ)) / ‖θ‖₂^L``.

``γ̄`` is invariant under ``θ ↦ cθ`` exactly when ``L`` is the true degree; the degree
is therefore *measured* (:func:`homogeneity_degree`) rather than assumed, and a
:class:`HomogeneityWarning` is emitted when the measurement says the model is not
homogeneous (typically: a bias term after the first layer). Note that a *first-layer*
bias that is itself a parameter does not break it: ``f(cθ) = cW₂ ReLU(cW₁x + cb₁) = c² f(θ)``
for ``θ = (W₁, b₁, W₂)``, so the ReLU MLP of Lyu et al. §2 is 2-homogeneous (a first-layer
bias does not break homogeneity); an output bias ``b₂`` (degree 1 next to degree 2) does break it.

References
----------
K. Lyu, J. Jin, Z. Li, S. S. Du, J. D. Lee, W. Hu, *Dichotomy of Early and Late Phase
Implicit Biases Can Provably Induce Grokking*, ICLR 2024, §3 (Assumption 3.1).
K. Lyu, J. Li, *Gradient Descent Maximizes the Margin of Homogeneous Neural Networks*,
ICLR 2020 (normalized margin).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from grokcheck.errors import GrokcheckError

__all__ = [
    "HomogeneityWarning",
    "Homogeneity",
    "Margin",
    "flat_model",
    "homogeneity_degree",
    "margins",
    "normalized_margin",
]

ModelFn = Callable[[torch.Tensor], torch.Tensor]


class HomogeneityWarning(UserWarning):
    """The model is not positively homogeneous in its parameters (e.g. a bias breaks it).

    The normalized margin and the KKT certificate of (R1)/(R2) assume homogeneity; for a
    non-homogeneous model they are still computed with the measured degree, but they are
    no longer invariant under rescaling of θ.
    """


@dataclass(frozen=True)
class Homogeneity:
    """Measured homogeneity degree of a flat-parameter model at one point.

    Attributes
    ----------
    degree : float — the measured ``L`` (rounded to an integer when it is one to within
        ``rtol``).
    measured : tuple of float — the raw estimates ``log(‖f(cθ)‖/‖f(θ)‖)/log c``, one per scale.
    scales : tuple of float — the factors ``c`` tried.
    defect : float — ``max_c ‖f(cθ) − c^L f(θ)‖ / ‖f(cθ)‖`` with the reported ``L``.
    homogeneous : bool — ``defect ≤ rtol``.
    """

    degree: float
    measured: tuple
    scales: tuple
    defect: float
    homogeneous: bool


@dataclass(frozen=True)
class Margin:
    """Margin of a model at one parameter point.

    Attributes
    ----------
    normalized : float — ``γ̄ = q_min / ‖θ‖^L``.
    q_min : float — the unnormalized minimum margin ``min_i q_i``.
    argmin : int — index of the training point attaining it.
    norm : float — ``‖θ‖₂``.
    degree : float — the ``L`` used (measured unless given).
    q : np.ndarray, shape (n,) — per-point margins ``q_i`` (binary ``y_i f_i``,
        multi-class ``f_{i,y_i} − max_{j≠y_i} f_{i,j}``).
    homogeneous : bool — whether the degree was measured as a true homogeneity degree
        (always True when ``degree`` was given by the caller).
    """

    normalized: float
    q_min: float
    argmin: int
    norm: float
    degree: float
    q: np.ndarray
    homogeneous: bool


def flat_model(module: torch.nn.Module, inputs: torch.Tensor) -> tuple[ModelFn, torch.Tensor]:
    """Flat-parameter view of ``module`` on fixed ``inputs``.

    Returns ``(f, theta0)`` where ``theta0`` (shape ``(P,)``) concatenates the module's
    parameters in ``named_parameters()`` order (detached copy) and ``f(theta)`` evaluates
    ``module`` with those parameters on ``inputs`` via ``torch.func.functional_call``.
    """
    names, shapes, sizes = [], [], []
    flat = []
    for name, p in module.named_parameters():
        names.append(name)
        shapes.append(p.shape)
        sizes.append(p.numel())
        flat.append(p.detach().reshape(-1))
    theta0 = torch.cat(flat).clone() if flat else torch.zeros(0)

    def f(theta: torch.Tensor) -> torch.Tensor:
        params, off = {}, 0
        for name, shape, size in zip(names, shapes, sizes):
            params[name] = theta[off : off + size].reshape(shape)
            off += size
        return torch.func.functional_call(module, params, (inputs,))

    return f, theta0


def homogeneity_degree(
    f: ModelFn,
    theta: torch.Tensor,
    *,
    scales: tuple = (0.5, 2.0),
    rtol: float = 1e-6,
    warn: bool = True,
) -> Homogeneity:
    """Measure the homogeneity degree ``L`` of ``f`` at ``theta`` from ``f(cθ)`` vs ``f(θ)``.

    Parameters
    ----------
    f : flat-parameter model, ``(P,) -> (n,)`` or ``(n, k)``.
    theta : tensor, shape ``(P,)``.
    scales : factors ``c > 0, c ≠ 1`` at which ``f(cθ)`` is compared with ``f(θ)``.
    rtol : relative defect below which the model counts as homogeneous. The default
        suits float64; use ~1e-4 for float32 models.
    warn : emit a :class:`HomogeneityWarning` when the defect exceeds ``rtol``.

    Notes
    -----
    ``L`` is estimated as the mean over ``c`` of ``log(‖f(cθ)‖₂ / ‖f(θ)‖₂) / log c`` and
    rounded to the nearest integer when that integer reproduces every ``f(cθ)`` to
    ``rtol``. A non-homogeneous model gives scale-dependent estimates and a large defect.
    """
    if any(c <= 0 or c == 1 for c in scales):
        raise GrokcheckError(f"homogeneity scales must be positive and ≠ 1, got {scales}")
    with torch.no_grad():
        f0 = f(theta)
        n0 = float(torch.linalg.vector_norm(f0))
        if not math.isfinite(n0) or n0 == 0.0:
            raise GrokcheckError(
                "cannot measure homogeneity: f(θ) is zero or non-finite on every input "
                "(at a zero-output initialization measure it at a trained point instead)"
            )
        outs = [f(c * theta) for c in scales]
    est = tuple(math.log(float(torch.linalg.vector_norm(o)) / n0) / math.log(c) for o, c in zip(outs, scales))
    raw = float(np.mean(est))

    def defect(L: float) -> float:
        return max(
            float(torch.linalg.vector_norm(o - (c**L) * f0)) / max(float(torch.linalg.vector_norm(o)), 1e-300)
            for o, c in zip(outs, scales)
        )

    L_int = float(round(raw))
    d_int = defect(L_int)
    if d_int <= rtol:
        L, d = L_int, d_int
    else:
        L, d = raw, defect(raw)
    hom = d <= rtol
    if not hom and warn:
        warnings.warn(
            f"model is not homogeneous in its parameters: f(cθ) ≠ c^L f(θ) (relative defect {d:.3g} "
            f"> {rtol:g}, degree estimates {', '.join(f'{e:.4f}' for e in est)} for c = {scales}); "
            "a bias term after the first layer (e.g. b₂ in W₂·ReLU(W₁x + b₁) + b₂) breaks "
            "homogeneity, so the normalized margin and KKT certificate are only approximate",
            HomogeneityWarning,
            stacklevel=2,
        )
    return Homogeneity(degree=L, measured=est, scales=tuple(scales), defect=d, homogeneous=hom)


def margins(outputs: torch.Tensor | np.ndarray, y: torch.Tensor | np.ndarray) -> np.ndarray:
    """Per-point margins ``q_i``.

    ``outputs`` of shape ``(n,)`` with ``y ∈ {±1}^n`` gives ``q_i = y_i f_i``; shape ``(n, k)``
    with integer labels ``y ∈ {0..k-1}^n`` gives ``q_i = f_{i,y_i} − max_{j≠y_i} f_{i,j}``.
    Returns a float64 array of shape ``(n,)``.
    """
    out = torch.as_tensor(outputs).detach().to(torch.float64)
    yy = torch.as_tensor(y).detach()
    if out.ndim == 1:
        return (out * yy.to(torch.float64)).cpu().numpy()
    if out.ndim != 2:
        raise GrokcheckError(f"outputs must have shape (n,) or (n, k), got {tuple(out.shape)}")
    yy = yy.long()
    correct = out.gather(1, yy[:, None])[:, 0]
    other = out.clone()
    other.scatter_(1, yy[:, None], -math.inf)
    return (correct - other.max(dim=1).values).cpu().numpy()


def normalized_margin(
    f: ModelFn,
    theta: torch.Tensor,
    y: torch.Tensor | np.ndarray,
    *,
    degree: float | None = None,
    rtol: float = 1e-6,
) -> Margin:
    """Normalized margin ``γ̄(θ) = min_i q_i(θ) / ‖θ‖₂^L`` (Lyu et al., arXiv 2311.18817, Section 3 (theorems)).

    Parameters
    ----------
    f : flat-parameter model on the training inputs, ``(P,) -> (n,)`` or ``(n, k)``.
    theta : shape ``(P,)``.
    y : labels, ``(n,)`` in ``{±1}`` (binary) or class indices (multi-class).
    degree : the homogeneity degree ``L``; measured with :func:`homogeneity_degree`
        (which warns when the model is not homogeneous) when omitted.
    rtol : homogeneity tolerance passed to :func:`homogeneity_degree`.
    """
    if degree is None:
        h = homogeneity_degree(f, theta, rtol=rtol)
        L, hom = h.degree, h.homogeneous
    else:
        L, hom = float(degree), True
    with torch.no_grad():
        q = margins(f(theta), y)
    norm = float(torch.linalg.vector_norm(theta.detach().to(torch.float64)))
    i = int(np.argmin(q))
    return Margin(
        normalized=float(q[i]) / norm**L,
        q_min=float(q[i]),
        argmin=i,
        norm=norm,
        degree=L,
        q=q,
        homogeneous=hom,
    )
