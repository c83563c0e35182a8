"""Robustness metrics of Tan & Huang: perturbation error, sharpness, PMI, PE, MID, ED, PMI′.

A model is seen through a :class:`RobustnessProbe`: ``embed`` maps a batch of raw inputs to the
continuous tensor where Gaussian noise is added (the input itself for an MLP, the token
embedding for a transformer), and ``forward`` maps that tensor to ``(first_layer_output,
network_output)``. The probe states in words where the noise goes and what "first layer"
means. Probes for grokcheck's models are built by
:func:`grokcheck.checks.experiments._interventions.robustness_probe`, which documents the first layer of
each model (for the transformer the paper leaves it open; the choice is stated there).

Definitions (Tan & Huang, arXiv 2311.06597, Section 4.3 (robustness metrics), α = 1 by default)
--------------------------------------------
- perturbation error ``Σ_i ‖f(x_i + Δ_i) − f(x_i)‖²`` (Fig. 2 uses σ = 0.04);
- ``PMI(σ) = E_Δ I_α(G₁(Δ), G₂(Δ))`` with ``G_k`` the Gram matrix of the L2-normalised first-layer
  outputs (k = 1) and network outputs (k = 2) on the perturbed inputs;
- ``PE(σ) = E_Δ H_α(G₂(Δ))``;
- ``MID = |PMI(σ) − PMI(0)|``, ``ED = |PE(σ) − PE(0)|``;
- ``PMI′(σ) = E_Δ I_α(G₂(Δ), Y Yᵀ)`` with ``Y`` the one-hot labels (App. B);
- sharpness ``S(W) = tr ∇²L(W)`` with ``L(W) = (1/2n) Σ_i ‖f(x_i, W) − onehot(y_i)‖²``, estimated by
  Hutchinson's ``E_v[vᵀ H v]`` with Rademacher ``v`` (its sample variance is reported).

Protocol (the paper's, §5.1): the metrics are computed **per batch** and **averaged over
batches**; the noise Δ is drawn **once** per batch (one draw, not an average over draws).

Shapes
------
Everything is batched over leading axes: a grokcheck ensemble has inputs ``(S, B, ...)`` and
outputs ``(S, B, C)``; the per-batch Gram matrices are ``(S, B, B)`` and every metric is ``(S,)``.
With plain single models use a leading axis of size 1.

References
----------
Tan & Huang, arXiv 2311.06597v2, §3.1 (perturbation error, sharpness), §5.1 (Defs 5.1–5.4),
App. B (PMI′). Hutchinson, *A stochastic estimator of the trace of the influence matrix*, 1989.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._matrix_information import (
    matrix_entropy,
    matrix_mutual_information,
    normalized_gram,
)

__all__ = [
    "RobustnessProbe",
    "perturbation_error",
    "InformationMetrics",
    "information_metrics",
    "pmi_prime",
    "HutchinsonEstimate",
    "hutchinson_trace",
    "sharpness",
]


@dataclass(frozen=True)
class RobustnessProbe:
    """How to perturb a model and which layer is "the first layer".

    Attributes
    ----------
    embed : ``x (..., B, *in) → e (..., B, *e)``, the continuous point where noise is added.
    forward : ``e → (h (..., B, *h), f (..., B, C))``: first-layer output and network output.
        ``h`` is flattened to ``(..., B, -1)`` before its Gram matrix is formed.
    perturb_site : words: where Δ is added (e.g. "one-hot input", "token embeddings").
    first_layer : words: what ``h`` is (e.g. "ReLU(W₁x + b₁)").
    """

    embed: Callable[[torch.Tensor], torch.Tensor]
    forward: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
    perturb_site: str
    first_layer: str

    def perturbed(self, x: torch.Tensor, sigma, generator: torch.Generator | None):
        """``(h, f)`` at ``embed(x) + σ·N(0, I)``; ``sigma`` a float or a per-leading-axis tensor.

        ``sigma == 0`` (everywhere) skips the draw, so the clean pass consumes no randomness.
        """
        e = self.embed(x)
        sig = torch.as_tensor(sigma, dtype=e.dtype, device=e.device)
        if bool((sig != 0).any()):
            noise = torch.randn(e.shape, dtype=e.dtype, device=e.device, generator=generator)
            sig = sig.reshape(sig.shape + (1,) * (e.ndim - sig.ndim))
            e = e + sig * noise
        return self.forward(e)


def perturbation_error(probe: RobustnessProbe, x: torch.Tensor, *, sigma: float, generator=None) -> torch.Tensor:
    """``Σ_i ‖f(x_i + Δ_i) − f(x_i)‖²`` over the batch axis ``B``: ``x (..., B, ...)`` → ``(...)``."""
    with torch.no_grad():
        _, f0 = probe.perturbed(x, 0.0, None)
        _, f1 = probe.perturbed(x, sigma, generator)
    return ((f1 - f0) ** 2).flatten(-2).sum(-1)


@dataclass(frozen=True)
class InformationMetrics:
    """Per-seed batch-averaged matrix-information metrics (all tensors ``(...)``, e.g. ``(S,)``).

    ``pmi``/``pe`` at σ, ``pmi0``/``pe0`` at σ = 0, ``mid = |pmi − pmi0|``, ``ed = |pe − pe0|``;
    ``n_batches`` batches were averaged; ``sigma``, ``alpha`` as used.
    """

    pmi: torch.Tensor
    pe: torch.Tensor
    pmi0: torch.Tensor
    pe0: torch.Tensor
    mid: torch.Tensor
    ed: torch.Tensor
    n_batches: int
    sigma: float
    alpha: float

    def as_dict(self) -> dict[str, list[float]]:
        """JSON-able per-seed lists ``{"pmi": [...], ..., "ed": [...]}``."""
        return {k: getattr(self, k).detach().cpu().reshape(-1).tolist() for k in ("pmi", "pe", "pmi0", "pe0", "mid", "ed")}


def _batch_quantities(probe, x, sigma, alpha, generator):
    h, f = probe.perturbed(x, sigma, generator)
    lead = f.ndim - 1  # f is (..., B, C)
    h = h.reshape(*h.shape[:lead], -1)
    g1 = normalized_gram(h)
    g2 = normalized_gram(f)
    pe = matrix_entropy(g2, alpha)
    pmi = matrix_entropy(g1, alpha) + pe - matrix_entropy(g1 * g2, alpha)
    return pmi, pe


def information_metrics(
    probe: RobustnessProbe,
    batches: Iterable[torch.Tensor],
    *,
    sigma,
    alpha: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = torch.float64,
) -> InformationMetrics:
    """PMI, PE (at σ and 0), MID and ED with the paper's protocol.

    Parameters
    ----------
    batches : iterable of input batches ``x (..., B, ...)``; each batch gets one noise draw.
    sigma : noise standard deviation (MNIST 0.1, modular addition 0.4 in the paper); a float or
        a tensor broadcast over the leading axes (one σ per seed).
    alpha : Rényi order (1 in the paper).
    generator : torch generator for the noise (one draw per batch).
    dtype : dtype for the Gram matrices and eigenvalues (float64 by default: eigenvalues of a
        ``B × B`` Gram matrix in float32 carry ~1e-7·B round-off, enough to blur small MID/ED).
    """
    acc = None
    n = 0
    with torch.no_grad():
        for x in batches:
            pmi_s, pe_s = _batch_quantities(_cast(probe, dtype), x, sigma, alpha, generator)
            pmi_0, pe_0 = _batch_quantities(_cast(probe, dtype), x, 0.0, alpha, None)
            vals = (pmi_s, pe_s, pmi_0, pe_0)
            acc = vals if acc is None else tuple(a + v for a, v in zip(acc, vals))
            n += 1
    if n == 0:
        raise GrokcheckError("information_metrics needs at least one batch")
    pmi, pe, pmi0, pe0 = (a / n for a in acc)
    return InformationMetrics(
        pmi=pmi, pe=pe, pmi0=pmi0, pe0=pe0, mid=(pmi - pmi0).abs(), ed=(pe - pe0).abs(),
        n_batches=n, sigma=float(torch.as_tensor(sigma).float().mean()), alpha=alpha,
    )


def _cast(probe: RobustnessProbe, dtype):
    if dtype is None:
        return probe

    def fwd(e):
        h, f = probe.forward(e)
        return h.to(dtype), f.to(dtype)

    return RobustnessProbe(embed=probe.embed, forward=fwd, perturb_site=probe.perturb_site, first_layer=probe.first_layer)


def pmi_prime(
    probe: RobustnessProbe,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    num_classes: int,
    sigma,
    alpha: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """PMI′ (App. B): batch-averaged ``I_α(G(perturbed logits), Y Yᵀ)``; ``batches`` of ``(x, y)``.

    ``y (..., B)`` int labels; ``Y Yᵀ`` is the same-class indicator (PSD, unit diagonal).
    Returns ``(...)``.
    """
    total, n = None, 0
    with torch.no_grad():
        for x, y in batches:
            _, f = probe.perturbed(x, sigma, generator)
            g2 = normalized_gram(f.to(dtype))
            yy = torch.nn.functional.one_hot(y.long(), num_classes).to(dtype)
            gy = yy @ yy.mT
            val = matrix_mutual_information(g2, gy, alpha)
            total = val if total is None else total + val
            n += 1
    if n == 0:
        raise GrokcheckError("pmi_prime needs at least one batch")
    return total / n


@dataclass(frozen=True)
class HutchinsonEstimate:
    """Hutchinson trace estimate: ``mean`` (...), sample ``variance`` (...), ``stderr`` (...),
    ``samples`` (num_samples, ...)."""

    mean: torch.Tensor
    variance: torch.Tensor
    stderr: torch.Tensor
    samples: torch.Tensor


def hutchinson_trace(
    loss_fn: Callable[[], torch.Tensor],
    params: Sequence[torch.Tensor],
    *,
    num_samples: int = 16,
    generator: torch.Generator | None = None,
    per_seed: bool = False,
    chunk: int = 64,
) -> HutchinsonEstimate:
    """Estimate ``tr ∇²loss`` by ``E_v[vᵀ H v]``, ``v`` Rademacher, via Hessian-vector products.

    ``loss_fn()`` recomputes the scalar loss from ``params`` (leaf tensors requiring grad).
    With ``per_seed=True`` every parameter has a leading seed axis ``S`` and the loss is a
    *sum* of independent per-seed losses, so the Hessian is block diagonal over seeds and
    ``Σ_{non-seed axes} v ⊙ Hv`` is a per-seed estimate ``(S,)``.
    The Rademacher estimator's variance is ``2(‖H‖_F² − Σ_i H_ii²)`` (tested on a quadratic).
    Probe vectors are processed ``chunk`` at a time with one batched Hessian-vector product.
    """
    if num_samples < 2:
        raise GrokcheckError("hutchinson_trace needs num_samples >= 2 to report a variance")
    params = list(params)
    loss = loss_fn()
    grads = torch.autograd.grad(loss, params, create_graph=True)
    samples = []
    done = 0
    while done < num_samples:
        m = min(chunk, num_samples - done)
        # m probe vectors at once: one batched (vmapped) Hessian-vector product per chunk
        vs = [
            torch.randint(0, 2, (m, *p.shape), generator=generator, device=p.device).to(p.dtype) * 2 - 1
            for p in params
        ]
        hv = torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True, is_grads_batched=True)
        if per_seed:
            est = sum((v * h).reshape(m, v.shape[1], -1).sum(-1) for v, h in zip(vs, hv))
        else:
            est = sum((v * h).reshape(m, -1).sum(-1) for v, h in zip(vs, hv))
        samples.append(est.detach())
        done += m
    s = torch.cat(samples)
    var = s.var(dim=0, unbiased=True)
    return HutchinsonEstimate(mean=s.mean(dim=0), variance=var, stderr=(var / num_samples).sqrt(), samples=s)


def sharpness(
    model: Callable[[torch.Tensor], torch.Tensor],
    params: Sequence[torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    num_classes: int,
    num_samples: int = 16,
    generator: torch.Generator | None = None,
    per_seed: bool = False,
) -> HutchinsonEstimate:
    """Sharpness ``tr ∇²L(W)`` of ``L = (1/2n) Σ_i ‖f(x_i) − onehot(y_i)‖²`` (Hutchinson).

    ``model(x)`` must use ``params``; ``x (..., n, ...)``, ``y (..., n)`` int labels; with
    ``per_seed`` the leading axis is the seed axis and each seed's loss is its own mean.
    """
    def loss_fn():
        f = model(x)
        target = torch.nn.functional.one_hot(y.long(), num_classes).to(f.dtype)
        per = 0.5 * ((f - target) ** 2).sum(-1).mean(-1)  # (...) per-seed 1/(2n) Σ ‖·‖²
        return per.sum()

    return hutchinson_trace(loss_fn, params, num_samples=num_samples, generator=generator, per_seed=per_seed)
