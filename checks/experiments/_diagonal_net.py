"""Diagonal linear nets ``f(θ; x) = ⟨u⊙u − v⊙v, x⟩`` trained into Lyu et al.'s dichotomy.

Setting (Lyu et al., arXiv 2311.18817, ICLR 2024, Section 3.2, and the authors' ``train_diag_cls.py``):

- Initialization ``u = v = α/√(2d) · 1`` so that ``‖θ(0)‖₂ = α`` and ``f(θ(0); x) = 0``
  (the paper's ``θ̄_init = (1, 1)`` normalized to unit norm).
- Logistic loss ``𝓛 = (1/n) Σ log(1 + e^{−y_i f_i})``, full-batch gradient descent with weight
  decay ``λ`` (``θ ← θ − η(∇𝓛 + λθ)``), continuous time ``t = η · steps``.
- Grokking data: ``x ∼ U({±1}^d)``, ``y = sign⟨w*, x⟩`` with ``w*`` k-sparse, nonzeros uniform
  in ``{±1}`` (``k`` odd so ``⟨w*, x⟩ ≠ 0``). Misgrokking data: ``z ∼ N(0, I_d)``, unit
  ``w* ∼ N(0, I_d)/‖·‖``, ``y = sign⟨z, w*⟩``, ``x = z + (γ/2) y w*``.
- Predictions (Corollaries 3.6, 3.7): for ``t < (1−c)/λ · log α`` the direction of
  ``w = u⊙u − v⊙v`` is that of the max L²-margin classifier ``w₂*``; after ``≈ (1/λ) log α``
  it turns to a KKT point of ``min ‖u‖² + ‖v‖²  s.t.  y_i⟨w, x_i⟩ ≥ 1``, whose global optimum
  is the max L¹-margin classifier ``w₁*``. With k-sparse labels and ``n ≪ d`` the L²
  classifier does not generalize and the L¹ one does: test accuracy jumps at
  ``t_grok ≈ log α / λ``.

Batching. All cells of an ``(α, λ, η)`` grid and all data seeds train as one tensor
computation: parameters have shape ``(S, d, C)`` (``S`` seeds, ``C`` cells) and the data
``(S, n, d)``; every seed/cell pair is an independent run (gradients are written out in
closed form, ``∂𝓛/∂u = 2u⊙g``, ``∂𝓛/∂v = −2v⊙g`` with ``g = ∂𝓛/∂w``).

Precision. ``w = u² − v²`` cancels catastrophically in float32 at large α (``u_k² = α²/(2d)``
while ``w_k`` is ``O(1/d)``); the default dtype is float64.

Tie rule: a test output exactly 0 counts as half correct (as in the authors' code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from grokcheck.errors import GrokcheckError, NumericalFailure
from grokcheck.numerics import max_l1_margin, max_l2_margin

__all__ = [
    "DiagonalNetData",
    "DiagonalNetRun",
    "diagonal_net_model",
    "misgrokking_data",
    "sparse_sign_data",
    "train_diagonal_nets",
]


@dataclass(frozen=True)
class DiagonalNetData:
    """A batch of ``S`` independent binary data sets.

    Attributes
    ----------
    kind : ``"sparse_sign"`` or ``"misgrokking"``.
    seeds : tuple of the ``S`` integer seeds.
    x_train : tensor ``(S, n, d)``; y_train : ``(S, n)`` in ``{±1}``.
    x_test : tensor ``(S, m, d)``; y_test : ``(S, m)``.
    w_star : tensor ``(S, d)`` — the teacher.
    params : dict of the generating parameters (``n``, ``d``, ``k`` or ``gamma``, ``n_test``).
    """

    kind: str
    seeds: tuple
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    w_star: torch.Tensor
    params: dict = field(default_factory=dict)

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)


def _seeds(seeds) -> tuple:
    return (int(seeds),) if isinstance(seeds, (int, np.integer)) else tuple(int(s) for s in seeds)


def sparse_sign_data(
    *,
    n: int = 256,
    d: int = 100_000,
    k: int = 3,
    n_test: int = 10_000,
    seeds: Sequence[int] | int = 0,
    dtype: torch.dtype = torch.float64,
    device="cpu",
) -> DiagonalNetData:
    """Grokking data of Lyu et al. §3.2: ``x ∼ U({±1}^d)``, ``y = sign⟨w*, x⟩``, ``w*`` k-sparse.

    ``k`` must be odd (so that ``⟨w*, x⟩`` is never 0). The support of ``w*`` is the first
    ``k`` coordinates (the model is permutation-equivariant, so this loses nothing). One
    ``torch.Generator`` per seed; defaults are the paper's ``n = 256, d = 10⁵, k = 3``.
    """
    if k % 2 == 0 or not 0 < k <= d:
        raise GrokcheckError(f"k must be odd and in [1, d], got k={k}, d={d}")
    S = _seeds(seeds)
    xs, ys, xt, yt, ws = [], [], [], [], []
    for s in S:
        g = torch.Generator(device="cpu").manual_seed(s)
        w = torch.zeros(d, dtype=dtype)
        w[:k] = (torch.randint(0, 2, (k,), generator=g) * 2 - 1).to(dtype)
        a = (torch.randint(0, 2, (n, d), generator=g) * 2 - 1).to(dtype)
        b = (torch.randint(0, 2, (n_test, d), generator=g) * 2 - 1).to(dtype)
        xs.append(a)
        ys.append(torch.sign(a[:, :k] @ w[:k]))
        xt.append(b)
        yt.append(torch.sign(b[:, :k] @ w[:k]))
        ws.append(w)
    st = lambda L: torch.stack(L).to(device)  # noqa: E731
    return DiagonalNetData("sparse_sign", S, st(xs), st(ys), st(xt), st(yt), st(ws),
                           {"n": n, "d": d, "k": k, "n_test": n_test})


def misgrokking_data(
    *,
    n: int = 32,
    d: int = 100_000,
    gamma: float = 25.0,
    n_test: int = 10_000,
    seeds: Sequence[int] | int = 0,
    dtype: torch.dtype = torch.float64,
    device="cpu",
) -> DiagonalNetData:
    """Misgrokking data of Lyu et al. §3.2: ``z ∼ N(0, I)``, ``y = sign⟨z, w*⟩``,
    ``x = z + (γ/2) y w*`` with a dense unit ``w*``: the L² margin generalizes, the L¹ one
    does not, so test accuracy first reaches ≈100% and then falls."""
    S = _seeds(seeds)
    xs, ys, xt, yt, ws = [], [], [], [], []
    for s in S:
        g = torch.Generator(device="cpu").manual_seed(s)
        w = torch.randn(d, generator=g, dtype=dtype)
        w = w / torch.linalg.vector_norm(w)
        for m, X, Y in ((n, xs, ys), (n_test, xt, yt)):
            z = torch.randn(m, d, generator=g, dtype=dtype)
            y = torch.sign(z @ w)
            y[y == 0] = 1.0
            X.append(z + (gamma / 2) * y[:, None] * w[None, :])
            Y.append(y)
        ws.append(w)
    st = lambda L: torch.stack(L).to(device)  # noqa: E731
    return DiagonalNetData("misgrokking", S, st(xs), st(ys), st(xt), st(yt), st(ws),
                           {"n": n, "d": d, "gamma": gamma, "n_test": n_test})


def diagonal_net_model(x: torch.Tensor):
    """Flat-parameter diagonal net on inputs ``x`` ``(n, d)``: ``θ = (u, v) ∈ ℝ^{2d}``,
    ``f(θ) = x (u⊙u − v⊙v)`` of shape ``(n,)`` (2-homogeneous)."""
    d = x.shape[-1]

    def f(theta: torch.Tensor) -> torch.Tensor:
        u, v = theta[:d], theta[d:]
        return x @ (u * u - v * v)

    return f


@dataclass(frozen=True)
class DiagonalNetRun:
    """Trajectories of a batch of diagonal nets; seed axis ``S``, cell axis ``C``, log axis ``T``.

    Attributes
    ----------
    data : the :class:`DiagonalNetData` trained on.
    alphas, lambdas, lrs : arrays ``(C,)`` — init norm ``α``, weight decay ``λ``, step ``η``.
    steps : int array ``(T,)`` — logged step counts (0 and the last step included).
    times : array ``(C, T)`` — continuous time ``t = η · steps``.
    train_acc, test_acc, train_loss, norm, q_min : arrays ``(S, C, T)`` (``norm`` is
        ``‖θ‖₂``, ``q_min = min_i y_i f_i``).
    cos_w2, cos_w1 : arrays ``(S, C, T)`` — ``cos(w(t), w₂*)`` and ``cos(w(t), w₁*)``.
    w2_star, w1_star : arrays ``(S, d)`` — max L²- and L¹-margin classifiers of each training set.
    u, v : tensors ``(S, d, C)`` — final parameters.
    snapshot_fractions : tuple of ``c`` — snapshots taken at ``t ≈ c · log α / λ``.
    snapshot_u, snapshot_v : tensors ``(F, S, d, C)`` (``F`` fractions).
    snapshot_steps : int array ``(F, C)``.
    t_grok : array ``(S, C)`` — first logged time with test accuracy ≥ ``grok_threshold``
        (``nan`` if never).
    grok_threshold : float.
    status : ``"completed"`` or ``"nan_encountered"``.
    """

    data: DiagonalNetData
    alphas: np.ndarray
    lambdas: np.ndarray
    lrs: np.ndarray
    steps: np.ndarray
    times: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    norm: np.ndarray
    q_min: np.ndarray
    cos_w2: np.ndarray
    cos_w1: np.ndarray
    w2_star: np.ndarray
    w1_star: np.ndarray
    u: torch.Tensor
    v: torch.Tensor
    snapshot_fractions: tuple
    snapshot_u: torch.Tensor
    snapshot_v: torch.Tensor
    snapshot_steps: np.ndarray
    t_grok: np.ndarray
    grok_threshold: float
    status: str

    @property
    def predicted_t_grok(self) -> np.ndarray:
        """``log α / λ`` per cell, shape ``(C,)``."""
        return np.log(self.alphas) / self.lambdas

    def theta(self, seed_index: int, cell: int, snapshot: int | None = None) -> torch.Tensor:
        """Flat ``θ = (u, v)`` ``(2d,)`` of one run (final, or snapshot number ``snapshot``)."""
        if snapshot is None:
            u, v = self.u[seed_index, :, cell], self.v[seed_index, :, cell]
        else:
            u, v = self.snapshot_u[snapshot, seed_index, :, cell], self.snapshot_v[snapshot, seed_index, :, cell]
        return torch.cat([u, v])


def _cos(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine along dim 1 of a ``(S, d, C)`` against b ``(S, d)`` → ``(S, C)``."""
    num = torch.einsum("sdc,sd->sc", a, b)
    den = torch.linalg.vector_norm(a, dim=1) * torch.linalg.vector_norm(b, dim=1)[:, None]
    return num / den.clamp_min(1e-300)


def _acc(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Accuracy with ties counted half; out ``(S, m, C)``, y ``(S, m)`` → ``(S, C)``."""
    s = torch.sign(out) * y[:, :, None]
    return ((s > 0).to(out.dtype) + 0.5 * (s == 0).to(out.dtype)).mean(dim=1)


def train_diagonal_nets(
    data: DiagonalNetData,
    *,
    alphas: Sequence[float],
    lambdas: Sequence[float],
    lrs: Sequence[float] | float,
    steps: int,
    eval_every: int = 10,
    snapshot_fractions: Sequence[float] = (0.5, 2.0),
    grok_threshold: float = 0.95,
    reference: bool = True,
    progress: bool = False,
    throw: bool = True,
) -> DiagonalNetRun:
    """Train ``S × C`` diagonal nets (every data seed × every cell ``(α_c, λ_c, η_c)``) at once.

    Parameters
    ----------
    data : :class:`DiagonalNetData` with ``S`` seeds; its dtype/device is used throughout.
    alphas, lambdas : per-cell init norm ``α`` and weight decay ``λ``, length ``C``.
    lrs : per-cell learning rate ``η`` (or one for all cells).
    steps : number of full-batch GD steps (the same for all cells; cells with a smaller
        ``log α/(ηλ)`` simply run further into the rich phase).
    eval_every : logging period in steps.
    snapshot_fractions : keep ``θ`` at the step nearest ``c · log α/(ηλ)`` for each ``c``.
    grok_threshold : test accuracy defining ``t_grok`` (docs/conventions.md, training time: 0.95).
    reference : compute ``w₂*`` (NNLS least-distance QP) and ``w₁*`` (HiGHS LP) per seed for
        the direction cosines (otherwise the cosines are ``nan``).
    progress : show a tqdm bar.
    throw : raise :class:`~grokcheck.errors.NumericalFailure` on a non-finite loss; with
        ``throw=False`` training stops there and the run carries ``status="nan_encountered"``
        (the logged arrays keep ``nan`` after that point).
    """
    from tqdm.auto import tqdm

    a = np.asarray(alphas, dtype=np.float64).reshape(-1)
    lam = np.asarray(lambdas, dtype=np.float64).reshape(-1)
    lr = np.broadcast_to(np.asarray(lrs, dtype=np.float64), a.shape).copy()
    if not (a.shape == lam.shape):
        raise GrokcheckError("alphas and lambdas must have the same length (one per cell)")
    if np.any(a <= 1) or np.any(lam <= 0) or np.any(lr <= 0):
        raise GrokcheckError("need α > 1, λ > 0, η > 0 in every cell")
    X, y, Xt, yt = data.x_train, data.y_train, data.x_test, data.y_test
    dt, dev = X.dtype, X.device
    S, n, d = X.shape
    C = a.size
    to = lambda z: torch.as_tensor(z, dtype=dt, device=dev)  # noqa: E731
    lr_t = to(lr)[None, None, :]
    lam_t = to(lam)[None, None, :]
    u = (to(a) / math.sqrt(2 * d))[None, None, :].expand(S, d, C).clone()
    v = u.clone()
    Xt_T = X.transpose(1, 2)  # (S, d, n)

    if reference:
        Xn, yn = X.cpu().double().numpy(), y.cpu().double().numpy()
        w2 = np.stack([max_l2_margin(Xn[s], yn[s]).w for s in range(S)])
        w1 = np.stack([max_l1_margin(Xn[s], yn[s]).w for s in range(S)])
    else:
        w2 = w1 = np.full((S, d), np.nan)
    w2_t, w1_t = to(w2), to(w1)

    fr = tuple(float(c) for c in snapshot_fractions)
    snap_steps = np.array([[int(round(c * math.log(a[j]) / (lam[j] * lr[j]))) for j in range(C)] for c in fr],
                          dtype=np.int64).reshape(len(fr), C)
    snap_u = torch.zeros((len(fr), S, d, C), dtype=dt, device=dev)
    snap_v = torch.zeros_like(snap_u)
    snap_at: dict[int, list] = {}
    for fi in range(len(fr)):
        for j in range(C):
            snap_at.setdefault(int(min(snap_steps[fi, j], steps)), []).append((fi, j))

    log_steps = sorted(set(range(0, steps + 1, eval_every)) | {steps})
    T = len(log_steps)
    rec = {k: np.full((S, C, T), np.nan) for k in ("train_acc", "test_acc", "train_loss", "norm", "q_min", "cos_w2", "cos_w1")}
    status = "completed"
    ti = 0
    bar = tqdm(total=steps, disable=not progress, desc="diagonal nets", leave=False)
    with torch.no_grad():
        for step in range(steps + 1):
            w = u * u - v * v  # (S, d, C)
            out = torch.bmm(X, w)  # (S, n, C)
            if step in snap_at:
                for fi, j in snap_at[step]:
                    snap_u[fi, :, :, j] = u[:, :, j]
                    snap_v[fi, :, :, j] = v[:, :, j]
            if ti < T and step == log_steps[ti]:
                margin = out * y[:, :, None]
                rec["train_loss"][:, :, ti] = torch.nn.functional.softplus(-margin).mean(dim=1).cpu().numpy()
                rec["train_acc"][:, :, ti] = _acc(out, y).cpu().numpy()
                rec["test_acc"][:, :, ti] = _acc(torch.bmm(Xt, w), yt).cpu().numpy()
                rec["norm"][:, :, ti] = torch.sqrt((u * u + v * v).sum(dim=1)).cpu().numpy()
                rec["q_min"][:, :, ti] = margin.min(dim=1).values.cpu().numpy()
                rec["cos_w2"][:, :, ti] = _cos(w, w2_t).cpu().numpy()
                rec["cos_w1"][:, :, ti] = _cos(w, w1_t).cpu().numpy()
                if not np.all(np.isfinite(rec["train_loss"][:, :, ti])):
                    bad = np.argwhere(~np.isfinite(rec["train_loss"][:, :, ti]))[0]
                    status = "nan_encountered"
                    if throw:
                        raise NumericalFailure(
                            f"non-finite loss in diagonal net (seed {data.seeds[bad[0]]}, cell {bad[1]}) at step {step}",
                            where={"seed": data.seeds[bad[0]], "cell": int(bad[1]), "step": step},
                        )
                    break
                ti += 1
            if step == steps:
                break
            # g = ∂𝓛/∂w = −(1/n) Xᵀ (y σ(−y f))
            r = -(y[:, :, None] * torch.sigmoid(-out * y[:, :, None])) / n
            g = torch.bmm(Xt_T, r)  # (S, d, C)
            u, v = u - lr_t * (2 * u * g + lam_t * u), v - lr_t * (-2 * v * g + lam_t * v)
            bar.update(1)
    bar.close()
    st = np.asarray(log_steps, dtype=np.int64)
    times = lr[:, None] * st[None, :]
    reached = rec["test_acc"] >= grok_threshold
    first = np.where(reached.any(axis=2), reached.argmax(axis=2), -1)
    t_grok = np.where(first >= 0, np.take_along_axis(np.broadcast_to(times, (S, C, T)), np.maximum(first, 0)[..., None], 2)[..., 0], np.nan)
    return DiagonalNetRun(
        data=data, alphas=a, lambdas=lam, lrs=lr, steps=st, times=times, w2_star=w2, w1_star=w1,
        u=u, v=v, snapshot_fractions=fr, snapshot_u=snap_u, snapshot_v=snap_v, snapshot_steps=snap_steps,
        t_grok=t_grok, grok_threshold=grok_threshold, status=status, **rec,
    )
