"""Batched-ensemble models: every parameter has a leading seed axis S.

One forward pass evaluates all S seeds with batched matrix products: inputs are (S, batch, ...)
and outputs (S, batch, num_outputs). Seed ``s`` is initialised from its own generator
``generator_for(seed, s, "init")`` (draws are made in float32 on the CPU and then cast, so an
ensemble's seed ``s`` starts from the same weights whatever the ensemble size, dtype or device).

Models (the configs are frozen dataclasses; :func:`build_model` turns one into a model):

* :class:`QuadraticConfig` – He et al.'s ``f = (a/M) Σ_m ξ_m (⟨θ¹_m, e_{g1}⟩ + ⟨θ²_m, e_{g2}⟩)²``
  (He et al., arXiv 2606.02993, the model) with directions on unit spheres (``constraint="separate"``: θ¹, θ², ξ each on
  its own sphere, the blog; ``"joint"``: the row ``[θ¹; θ²]`` on one sphere, the authors' code).
  Stage I trains the directions by projected steps + renormalisation with the scale fixed;
  Stage II freezes the directions and trains the scale(s) (tied or per neuron).
* :class:`Li2Config` – Tian's ``Ŷ = σ(XW)V`` (Tian, arXiv 2509.21519) with MSE/CE, zero-init ``V`` and ridge ``V``.
* :class:`MLPConfig` – ReLU MLP with first-layer bias (Lyu et al., arXiv 2311.18817; EGD, arXiv 2510.04930); with two hidden
  layers of width 200 it is the 3-layer MLP of the digits/MNIST experiments.
* :class:`TransformerConfig` – Nanda et al.'s one-layer transformer (arXiv 2301.05217): learned token and
  position embeddings, causal attention with 4 heads, ReLU MLP, no LayerNorm, unembedding
  read at the final "=" position.

Weight layout: linear maps are stored ``(S, fan_out, fan_in)`` like ``nn.Linear``. For the group
models the neuron view (docs/conventions.md, networks on a group) is :meth:`EnsembleModel.neuron_weights`: ``θ¹, θ²`` are
the two halves of the first-layer row of neuron m and ``ξ_m`` is column m of the output layer.

First layers as gathers
-----------------------
On a group task every input is a sum of two standard basis vectors (``[e_{g1}; e_{g2}]`` or
``e_{g1} + e_{g2}``), so the first layer ``x Wᵀ`` is the sum of two columns of ``W``. The
quadratic, Li₂ and MLP models detect such inputs exactly (:func:`one_hot_columns`: the input
must equal the sum of the basis vectors it names, bit for bit) and then compute the first layer
as a gather of those columns and its weight gradient as an ``index_add`` — no one-hot matrix
product. The rest of the network is evaluated seed chunk by seed chunk inside one autograd node
(:class:`_GatheredEnsemble`; the hidden layer is recomputed in the backward pass), so the
hidden activations of a chunk stay in cache instead of streaming (S, B, M) tensors through
memory. The forward values are exactly those of the matrix product (a sum of two columns with
exact zeros elsewhere); gradients differ from it by the order of float summation only. Inputs
that are not such sums, inputs that require gradients, and calls inside ``torch.func``
transforms or ``torch.compile`` take the dense path; ``model.gather_inputs = False`` forces it.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import asdict, dataclass
from typing import Callable, ClassVar

import numpy as np
import torch
from torch import nn

from grokcheck.checks.training._data import Task, generator_for
from grokcheck.errors import InvalidInputError

__all__ = [
    "EnsembleModel",
    "QuadraticConfig",
    "Li2Config",
    "MLPConfig",
    "TransformerConfig",
    "QuadraticNet",
    "Li2Net",
    "MLPNet",
    "TransformerNet",
    "build_model",
    "model_config_from_dict",
    "model_config_to_dict",
    "activation",
    "one_hot_columns",
]

_ACTIVATIONS = {
    "relu": torch.relu,
    "sqr": lambda z: z * z,
    "silu": torch.nn.functional.silu,
    "tanh": torch.tanh,
    "relusqr": lambda z: torch.relu(z) ** 2,
    # He et al.'s test-time activation swap (even ones succeed, odd ones fail)
    "abs": torch.abs,
    "quartic": lambda z: z**4,
    "softplus2": lambda z: torch.nn.functional.softplus(2 * z),  # log(1 + e^{2x}), the blog's softplus
    "exp": torch.exp,
    "identity": lambda z: z,
    "cube": lambda z: z**3,
}


def activation(name: str):
    """The elementwise activation called ``name`` (relu, sqr, silu, tanh, relusqr, abs, quartic, softplus2, exp,
    identity, cube)."""
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise InvalidInputError(f"unknown activation {name!r}; one of {sorted(_ACTIVATIONS)}") from None


# --------------------------------------------------------------------------- gathered first layers

#: Bytes of one seed chunk's hidden activations (B·M floats per seed) targeted by the chunked
#: forward/backward: small enough to stay in a core's share of the last-level cache.
_CHUNK_BYTES = 1 << 20

#: Largest (S, B, M) ReLU activation kept from the forward pass for the backward pass (64 seeds × 1740
#: pairs × width 512 is 228 MB; above it the backward recomputes each chunk's gather, one more embedding bag).
_KEEP_BYTES = 512 << 20


def one_hot_columns(x: torch.Tensor, k: int) -> torch.Tensor | None:
    """The columns of a k-hot input, or ``None`` when ``x`` is not one.

    Parameters
    ----------
    x : (..., D) float tensor.
    k : number of basis vectors summed in every row.

    Returns
    -------
    (..., k) int64 tensor ``c`` with ``x[i] == Σ_j e_{c[i, j]}`` exactly (a column may repeat:
    ``2 e_g`` is ``[g, g]``), or ``None`` if some row is not such a sum (any other value, a NaN,
    a different count) or ``x`` requires a gradient.
    """
    if not x.is_floating_point() or x.requires_grad or x.ndim < 1 or x.numel() == 0:
        return None
    r = x.clone()
    cols = []
    minus_one = None
    for _ in range(k):
        c = r.argmax(-1, keepdim=True)
        if minus_one is None:
            minus_one = torch.full(c.shape, -1.0, dtype=r.dtype, device=r.device)
        r.scatter_add_(-1, c, minus_one)  # exact: the entries are small integers
        cols.append(c)
    if bool(torch.count_nonzero(r)):
        return None
    return torch.cat(cols, dim=-1)


def _table(w: torch.Tensor, b_in: torch.Tensor | None) -> torch.Tensor:
    """The rows gathered by the first layer: ``wᵀ`` per seed, then the bias row. (S·(D+1), M)."""
    S, M, D = w.shape
    t = w.detach().transpose(1, 2)
    if b_in is not None:
        t = torch.cat([t, b_in.detach()[:, None, :]], dim=1)
    return t.reshape(-1, M)


def _gather_rows(table: torch.Tensor, fidx: torch.Tensor) -> torch.Tensor:
    """``Σ_j table[fidx[..., j]]`` in index order: (R, M) table, (c, B, k) row indices → (c, B, M)."""
    c, B, k = fidx.shape
    return torch.nn.functional.embedding_bag(fidx.reshape(c * B, k), table, mode="sum").view(c, B, table.shape[1])


class _GatheredEnsemble(torch.autograd.Function):
    """``pre(x wᵀ + b_in, *pre_params) · w_outᵀ / div (+ b_out)`` over seed chunks, x k-hot.

    ``fidx`` (S, B, k') index the rows of :func:`_table` (``wᵀ`` and the bias row of each
    seed, flattened): ``x wᵀ + b_in`` is the sum of the k columns named by ``x`` and the bias
    row, one ``embedding_bag``. ``pre(h, *chunks)`` is elementwise per seed (an activation, a
    per-neuron scale) and returns (c, B, M); ``w_out`` is (S, C, M) and ``b_out`` (S, C) or
    None. With ``w_out=None`` the result is ``pre(...)`` itself, (S, B, M). The backward pass
    recomputes the gather and ``pre`` chunk by chunk (cheap) instead of keeping (S, B, M)
    activations, differentiates ``pre`` with autograd and the output layer by hand (two batched
    products), and scatters the first-layer gradient with ``index_add_``.
    """

    @staticmethod
    def forward(ctx, fidx, w, b_in, pre, chunk, div, w_out, b_out, *pre_params):
        S, M, D = w.shape
        B = fidx.shape[1]
        table = _table(w, b_in)
        if w_out is None:
            out = pre(_gather_rows(table, fidx), *pre_params)
        else:
            out = torch.empty(S, w_out.shape[1], B, dtype=w.dtype, device=w.device)
            relu = pre is torch.relu and not pre_params
            # keep the ReLU chunks for the backward pass when they are small; else it recomputes them
            keep = relu and any(ctx.needs_input_grad) and S * B * M * w.element_size() <= _KEEP_BYTES
            acts = [] if keep else None
            for s0 in range(0, S, chunk):
                s1 = min(S, s0 + chunk)
                h = _gather_rows(table, fidx[s0:s1])
                r = h.relu_() if relu else pre(h, *(t[s0:s1] for t in pre_params))
                if acts is not None:
                    acts.append(r)
                torch.bmm(w_out[s0:s1], r.transpose(1, 2), out=out[s0:s1])  # (c, C, B): the faster layout
            ctx.acts = acts
            if div != 1.0:
                out.div_(div)
            out = out.transpose(1, 2).contiguous()  # (S, B, C) rows: what the losses read fastest
            if b_out is not None:
                out = out + b_out[:, None, :]
        ctx.save_for_backward(fidx, w, b_in, w_out, b_out, table, *pre_params)  # the table: one build per step
        ctx.pre, ctx.chunk, ctx.div, ctx.has_bias = pre, chunk, div, b_in is not None
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        fidx, w, b_in, w_out, b_out, table, *pre_params = ctx.saved_tensors
        S, M, D = w.shape
        need = ctx.needs_input_grad
        need_table = need[1] or (b_in is not None and need[2])
        need_p = list(need[8:])
        g_table = torch.zeros_like(table) if need_table else None
        g_wo = torch.empty_like(w_out) if (w_out is not None and need[6]) else None
        g_bo = grad_out.sum(1) if (b_out is not None and need[7]) else None
        g_p = [torch.zeros_like(t) if n else None for t, n in zip(pre_params, need_p)]
        chunk = ctx.chunk if w_out is not None else S
        starts = range(0, S, chunk)
        if w_out is not None and ctx.pre is torch.relu and not pre_params:
            _relu_backward(ctx, grad_out, fidx, table, w_out, g_table, g_wo)
            starts = ()
        for s0 in starts:
            s1 = min(S, s0 + chunk)
            go = grad_out[s0:s1]
            with torch.enable_grad():
                h = _gather_rows(table, fidx[s0:s1]).requires_grad_(need_table)
                ps = [t[s0:s1].detach().requires_grad_(n) for t, n in zip(pre_params, need_p)]
                r = ctx.pre(h, *ps)
            if w_out is None:
                g_r = go
            else:
                if ctx.div != 1.0:
                    go = go / ctx.div
                g_r = torch.bmm(go, w_out[s0:s1])  # (c, B, M)
                if g_wo is not None:
                    torch.bmm(go.transpose(1, 2), r.detach(), out=g_wo[s0:s1])
            wrt = ([h] if need_table else []) + [t for t, n in zip(ps, need_p) if n]
            grads = [None] * len(wrt)
            if wrt and r.requires_grad:
                grads = list(torch.autograd.grad(r, wrt, g_r, allow_unused=True))
            if need_table:
                gh = grads.pop(0)
                if gh is not None:
                    _scatter_rows(g_table, fidx[s0:s1], gh, b_in is not None)
            for i, n in enumerate(need_p):
                if n:
                    g = grads.pop(0)
                    if g is not None:
                        g_p[i][s0:s1] = g
        g_w = g_b = None
        if need_table:
            g_table = g_table.view(S, -1, M)
            g_w = g_table[:, :D].transpose(1, 2).contiguous() if need[1] else None
            g_b = g_table[:, D].contiguous() if (b_in is not None and need[2]) else None
        return (None, g_w, g_b, None, None, None, g_wo, g_bo, *g_p)


def _scatter_rows(g_table: torch.Tensor, fidx: torch.Tensor, gh: torch.Tensor, bias: bool) -> None:
    """Add ``gh`` (c, B, M) into the rows ``fidx`` (c, B, k') of ``g_table``, the adjoint of the gather.

    The bias row (the last index, when ``bias``) receives the sum over the batch, taken as one
    reduction rather than B additions into a single row.
    """
    c, B, M = gh.shape
    flat = gh.reshape(-1, M)
    k = fidx.shape[-1] - (1 if bias else 0)
    for j in range(k):
        g_table.index_add_(0, fidx[:, :, j].reshape(-1), flat)
    if bias:
        g_table.index_add_(0, fidx[:, 0, k], gh.sum(1))


def _relu_backward(ctx, grad_out, fidx, table, w_out, g_table, g_wo) -> None:
    """The backward chunks of :class:`_GatheredEnsemble` for ``pre = relu`` (the MLP), by hand.

    ``relu`` is recomputed in place and its derivative applied as a mask (``h > 0``, as
    ``torch.relu``'s backward); the chunk's output-layer input gradient is written into one
    buffer reused by every chunk, so no (S, B, M) tensor is ever allocated.
    """
    S = fidx.shape[0]
    M = table.shape[1]
    chunk = ctx.chunk
    bias = ctx.has_bias
    buf = None
    acts = getattr(ctx, "acts", None)
    for i, s0 in enumerate(range(0, S, chunk)):
        s1 = min(S, s0 + chunk)
        go = grad_out[s0:s1]
        if ctx.div != 1.0:
            go = go / ctx.div
        r = acts[i] if acts else _gather_rows(table, fidx[s0:s1]).relu_()
        if g_wo is not None:
            torch.bmm(go.transpose(1, 2), r, out=g_wo[s0:s1])
        if g_table is None:
            continue
        if buf is None:
            buf = torch.empty(min(chunk, S), fidx.shape[1], M, dtype=table.dtype, device=table.device)
        g_r = torch.bmm(go, w_out[s0:s1], out=buf[: s1 - s0])  # (c, B, M)
        torch.ops.aten.threshold_backward.grad_input(g_r, r, 0.0, grad_input=g_r)  # g_r·[h > 0], in place
        _scatter_rows(g_table, fidx[s0:s1], g_r, bias)


def _plain(t: torch.Tensor) -> bool:
    """A tensor the gather path may take: no ``torch.func`` wrapper, no tensor subclass."""
    return type(t) in (torch.Tensor, nn.Parameter) and not torch._C._functorch.is_functorch_wrapped_tensor(t)


# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class QuadraticConfig:
    """He et al.'s quadratic two-layer model (He et al., arXiv 2606.02993, the model).

    ``scale`` is ``a`` (the code's ``s_out s_in²``; blog 0.01, notebook 0.125); ``stage`` is
    ``"I"`` (train directions, scale fixed) or ``"II"`` (directions frozen, train the scale);
    ``per_neuron_scale`` gives one ``a_m`` per neuron instead of a tied scalar.
    """

    kind: ClassVar[str] = "quadratic"
    width: int = 512
    scale: float = 0.01
    constraint: str = "separate"
    stage: str = "I"
    per_neuron_scale: bool = False

    def __post_init__(self):
        if self.constraint not in ("separate", "joint"):
            raise InvalidInputError(f"constraint must be 'separate' or 'joint', got {self.constraint!r}")
        if self.stage not in ("I", "II"):
            raise InvalidInputError(f"stage must be 'I' or 'II', got {self.stage!r}")
        if self.width < 1 or not self.scale > 0:
            raise InvalidInputError("width must be ≥ 1 and scale > 0")


@dataclass(frozen=True)
class Li2Config:
    """Tian's Li₂ model ``σ(XW)V`` (Tian, arXiv 2509.21519, the model).

    ``v_init="zero"`` starts ``V`` at 0; ``ridge_v=η`` replaces gradient steps on ``V`` by the
    ridge solution ``V = (F̃ᵀF̃ + ηI)⁻¹F̃ᵀỸ`` on the current training batch at every step.
    """

    kind: ClassVar[str] = "li2"
    width: int = 512
    activation: str = "sqr"
    init_scale: float = 1.0
    v_init: str = "default"
    ridge_v: float | None = None

    def __post_init__(self):
        activation(self.activation)
        if self.v_init not in ("default", "zero"):
            raise InvalidInputError(f"v_init must be 'default' or 'zero', got {self.v_init!r}")


@dataclass(frozen=True)
class MLPConfig:
    """A fully connected net ``W_L σ(… σ(W_1 x + b_1) …)``.

    ``widths`` are the hidden widths; ``bias`` is ``"first"`` (only ``b_1``, Lyu/EGD),
    ``"all"`` or ``"none"``; ``init`` is ``"he"`` (N(0, 2/fan_in)) or ``"torch"``
    (U(±1/√fan_in)); every layer is multiplied by ``init_scale`` (Lyu's α) and the last layer is
    zero when ``zero_last`` (Lyu's zero-output init).
    """

    kind: ClassVar[str] = "mlp"
    widths: tuple[int, ...] = (512,)
    activation: str = "relu"
    bias: str = "first"
    init: str = "he"
    init_scale: float = 1.0
    zero_last: bool = False

    def __post_init__(self):
        activation(self.activation)
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        if self.bias not in ("first", "all", "none"):
            raise InvalidInputError(f"bias must be 'first', 'all' or 'none', got {self.bias!r}")
        if self.init not in ("he", "torch"):
            raise InvalidInputError(f"init must be 'he' or 'torch', got {self.init!r}")
        if not self.widths:
            raise InvalidInputError("an MLP needs at least one hidden layer")


@dataclass(frozen=True)
class TransformerConfig:
    """Nanda et al.'s one-layer transformer (Nanda et al., arXiv 2301.05217; used by Tan & Huang, arXiv 2311.06597): d=128, 4 heads, MLP 512."""

    kind: ClassVar[str] = "transformer"
    d_model: int = 128
    n_heads: int = 4
    d_mlp: int = 512
    activation: str = "relu"
    init_scale: float = 1.0

    def __post_init__(self):
        activation(self.activation)
        if self.d_model % self.n_heads:
            raise InvalidInputError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")


_CONFIGS = {c.kind: c for c in (QuadraticConfig, Li2Config, MLPConfig, TransformerConfig)}


def model_config_to_dict(config) -> dict:
    d = asdict(config)
    d["kind"] = config.kind
    return d


def model_config_from_dict(d: dict):
    """Inverse of ``model_config_to_dict`` (``{"kind": ..., **fields}``)."""
    d = dict(d)
    kind = d.pop("kind")
    if kind == "onelayer-mlp":  # defined in its own module (Chughtai et al.'s architecture)
        from grokcheck.checks.training._onelayer import OneLayerMLPConfig

        return OneLayerMLPConfig(**d)
    if kind not in _CONFIGS:
        raise InvalidInputError(f"unknown model kind {kind!r}; one of {sorted(_CONFIGS)}")
    if "widths" in d:
        d["widths"] = tuple(d["widths"])
    return _CONFIGS[kind](**d)


# --------------------------------------------------------------------------- base


def _per_seed(n_seeds: int, seed: int, draw) -> dict[str, torch.Tensor]:
    """Call ``draw(generator)`` once per seed and stack each returned tensor along axis 0."""
    outs = [draw(generator_for(seed, s, "init")) for s in range(n_seeds)]
    return {k: torch.stack([o[k] for o in outs]) for k in outs[0]}


class EnsembleModel(nn.Module):
    """Base of the batched models. Parameters are (S, ...); ``forward`` maps (S, B, ...) → (S, B, C)."""

    matrix_names: tuple[str, ...] = ()
    default_egd_layers: tuple[str, ...] = ()
    default_muon_layers: tuple[str, ...] = ()
    #: Compute a first layer on k-hot inputs as a gather (see the module docstring); set to
    #: False on an instance to force the dense one-hot product.
    gather_inputs: bool = True

    def __init__(self, config, n_seeds: int):
        super().__init__()
        self.config = config
        self.n_seeds = int(n_seeds)
        self._hot = None  # k of the k-hot inputs of the task, when it has them
        self._col_cache = None

    def _register(self, tensors: dict[str, torch.Tensor], *, device, dtype, trainable=None) -> None:
        for name, t in tensors.items():
            p = nn.Parameter(t.to(device=device, dtype=dtype))
            if trainable is not None:
                p.requires_grad_(name in trainable)
            self.register_parameter(name, p)

    # hooks used by the trainer (no-ops unless a model constrains its parameters)
    def project_gradients(self) -> None:
        """Project gradients onto the tangent space of the constraint set (in place)."""

    def retract(self) -> None:
        """Map parameters back onto the constraint set after a step (in place)."""

    def before_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Called with the training batch before each forward pass (Li₂'s ridge V)."""

    def weight_norms(self) -> dict[str, torch.Tensor]:
        """Frobenius norm of every parameter, per seed: ``{name: (S,)}``."""
        return {n: p.detach().reshape(self.n_seeds, -1).norm(dim=1) for n, p in self.named_parameters()}

    def neuron_weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(θ¹, θ², ξ)`` as float64 arrays (S, M, n) for a group task (docs/conventions.md)."""
        raise NotImplementedError(f"{type(self).__name__} has no per-neuron group view")

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """First-layer activations ``F`` (S, B, M) where the model has them."""
        raise NotImplementedError

    def _expect_k_hot(self, task: Task) -> None:
        if task.kind == "group" and task.meta.get("encoding") in ("concat", "sum") and not task.is_sequence:
            self._hot = 2

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        state = dict(state)
        state["_col_cache"] = None  # a weak reference to the last input: not picklable, not needed
        return state

    def _row_indices(self, x: torch.Tensor, D: int, bias: bool) -> torch.Tensor | None:
        """(S, B, k') rows of :func:`_table` for a k-hot ``x`` (k columns, then the bias row), or None."""
        if (not self.gather_inputs or self._hot is None or x.ndim != 3 or x.shape[0] != self.n_seeds
                or x.shape[-1] != D or not _plain(x) or torch.compiler.is_compiling()):
            return None
        try:
            version = x._version
        except RuntimeError:  # an inference-mode tensor has no version counter: do not cache
            version = None
        key = (version, D, bias)
        cache = self._col_cache
        if version is not None and cache is not None and cache[0]() is x and cache[1] == key:
            return cache[2]
        cols = one_hot_columns(x, self._hot)
        fidx = None
        if cols is not None:
            stride = D + 1 if bias else D
            if bias:
                cols = torch.cat([cols, torch.full_like(cols[..., :1], D)], dim=-1)
            fidx = cols + (torch.arange(self.n_seeds, device=cols.device) * stride).view(-1, 1, 1)
        if version is not None:
            self._col_cache = (weakref.ref(x), key, fidx)
        return fidx

    def _gathered(self, x: torch.Tensor, w: torch.Tensor, pre: Callable, pre_params=(), *, b_in=None,
                  w_out: torch.Tensor | None = None, b_out: torch.Tensor | None = None, div: float = 1.0):
        """``pre(x wᵀ + b_in, *pre_params) w_outᵀ / div + b_out`` by the gather path, or ``None``.

        ``w`` is (S, M, D) and ``b_in`` (S, M) or None; ``pre`` is elementwise per seed (it
        takes a seed chunk (c, B, M) of ``x wᵀ + b_in`` and the matching slices of
        ``pre_params``); ``w_out`` (S, C, M) or None (then the result is ``pre(x wᵀ + b_in)``,
        (S, B, M)); ``b_out`` (S, C) or None. ``None`` is returned when ``x`` is not k-hot or a
        tensor is not a plain tensor.
        """
        if torch.compiler.is_compiling():  # data-dependent detection would break the graph
            return None
        extra = tuple(t for t in (b_in, w_out, b_out) if t is not None)
        if not (_plain(w) and all(_plain(t) for t in (*pre_params, *extra))):
            return None
        fidx = self._row_indices(x, w.shape[-1], b_in is not None)
        if fidx is None:
            return None
        chunk = max(1, _CHUNK_BYTES // max(1, x.shape[1] * w.shape[1] * w.element_size()))
        return _GatheredEnsemble.apply(fidx, w, b_in, pre, chunk, float(div), w_out, b_out, *pre_params)

    def _first_layer(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """``x wᵀ`` (S, B, M): a gather on k-hot inputs, else the batched product."""
        h = self._gathered(x, w, _identity)
        return torch.bmm(x, w.transpose(1, 2)) if h is None else h


def _identity(h: torch.Tensor) -> torch.Tensor:
    return h


def _sphere_normalize(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True)


class QuadraticNet(EnsembleModel):
    """See :class:`QuadraticConfig`. Parameters ``theta`` (S, M, D), ``xi`` (S, M, C), ``a``.

    ``D = 2n`` (concatenated input; θ¹ = theta[..., :n], θ² = theta[..., n:]) or ``n`` (summed
    input, θ¹ = θ² = theta). ``a`` is (S, 1) tied or (S, M) per neuron.
    """

    def __init__(self, config: QuadraticConfig, task: Task, *, n_seeds: int, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, n_seeds)
        enc = task.meta.get("encoding")
        if task.kind != "group" or enc not in ("concat", "sum"):
            raise InvalidInputError("the quadratic model needs a group task with 'concat' or 'sum' encoding")
        self.n = int(task.meta["order"])
        D, M, C = task.input_dim, config.width, task.num_outputs
        self.concat = enc == "concat"

        def draw(g):
            theta = torch.randn(M, D, generator=g)
            xi = torch.randn(M, C, generator=g)
            return {"theta": theta, "xi": xi}

        t = _per_seed(n_seeds, seed, draw)
        t["theta"] = torch.cat([_sphere_normalize(b) for b in self._blocks(t["theta"])], dim=-1)
        t["xi"] = _sphere_normalize(t["xi"])
        t["a"] = torch.full((n_seeds, M if config.per_neuron_scale else 1), float(config.scale))
        stage_one = config.stage == "I"
        self._register(t, device=device, dtype=dtype, trainable={"theta", "xi"} if stage_one else {"a"})
        with torch.no_grad():  # re-normalise in the working dtype (the draws were float32)
            for v in self._blocks(self.theta):
                v.div_(v.norm(dim=-1, keepdim=True))
            self.xi.div_(self.xi.norm(dim=-1, keepdim=True))
        self.matrix_names = ("theta", "xi")
        self.default_egd_layers = ("theta",)
        self.default_muon_layers = ("theta", "xi")
        self._expect_k_hot(task)

    @staticmethod
    def _pre(h, a):
        return a[:, None, :] * h * h

    def _blocks(self, theta: torch.Tensor) -> list[torch.Tensor]:
        if self.concat and self.config.constraint == "separate":
            return [theta[..., : self.n], theta[..., self.n :]]
        return [theta]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._gathered(x, self.theta, self._pre, (self.a,), w_out=self.xi.transpose(1, 2), div=self.config.width)
        if out is None:
            h = torch.bmm(x, self.theta.transpose(1, 2))  # (S, B, M)
            out = torch.bmm(self._pre(h, self.a), self.xi) / self.config.width
        return out

    def hidden(self, x):
        h = self._first_layer(x, self.theta)
        return h * h

    @torch.no_grad()
    def project_gradients(self) -> None:
        if self.theta.grad is not None:
            for v, g in zip(self._blocks(self.theta), self._blocks(self.theta.grad)):
                g.sub_((g * v).sum(-1, keepdim=True) * v)
        if self.xi.grad is not None:
            g = self.xi.grad
            g.sub_((g * self.xi).sum(-1, keepdim=True) * self.xi)

    @torch.no_grad()
    def retract(self) -> None:
        if self.config.stage == "I":
            for v in self._blocks(self.theta):
                v.div_(v.norm(dim=-1, keepdim=True))
            self.xi.div_(self.xi.norm(dim=-1, keepdim=True))

    def neuron_weights(self):
        th = self.theta.detach().double().cpu().numpy()
        xi = self.xi.detach().double().cpu().numpy()
        if self.concat:
            return th[..., : self.n], th[..., self.n :], xi
        return th, th.copy(), xi


class Li2Net(EnsembleModel):
    """See :class:`Li2Config`. ``W`` (S, K, d_in), ``V`` (S, C, K); output ``σ(x Wᵀ) Vᵀ``."""

    def __init__(self, config: Li2Config, task: Task, *, n_seeds: int, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, n_seeds)
        if task.is_sequence:
            raise InvalidInputError("the Li2 model takes float inputs, not tokens")
        D, K, C = task.input_dim, config.width, task.num_outputs
        self.sigma = activation(config.activation)
        self.n = int(task.meta["order"]) if task.kind == "group" and task.meta.get("encoding") == "concat" else None

        def draw(g):
            W = (torch.rand(K, D, generator=g) * 2 - 1) / math.sqrt(D) * config.init_scale
            V = (torch.rand(C, K, generator=g) * 2 - 1) / math.sqrt(K)
            return {"W": W, "V": V}

        t = _per_seed(n_seeds, seed, draw)
        if config.v_init == "zero":
            t["V"].zero_()
        trainable = {"W"} if config.ridge_v is not None else {"W", "V"}
        self._register(t, device=device, dtype=dtype, trainable=trainable)
        self.register_buffer("f_mean", torch.zeros(n_seeds, 1, K, device=device, dtype=dtype))
        self.num_outputs = C
        self.matrix_names = ("W", "V")
        self.default_egd_layers = ("W",)
        self.default_muon_layers = ("W",)
        self._expect_k_hot(task)

    def hidden(self, x):
        return self.sigma(self._first_layer(x, self.W))

    def _pre(self, h, f_mean=None):
        F = self.sigma(h)
        return F if f_mean is None else F - f_mean

    def forward(self, x):
        pre_params = () if self.config.ridge_v is None else (self.f_mean,)
        out = self._gathered(x, self.W, self._pre, pre_params, w_out=self.V)
        if out is None:
            out = torch.bmm(self._pre(torch.bmm(x, self.W.transpose(1, 2)), *pre_params), self.V.transpose(1, 2))
        return out

    @torch.no_grad()
    def ridge_solution(self, x: torch.Tensor, y: torch.Tensor, eta: float) -> tuple[torch.Tensor, torch.Tensor]:
        """``V_ridge = (F̃ᵀF̃ + ηI)⁻¹F̃ᵀỸ`` (Tian, arXiv 2509.21519, Stage I (Proposition 1, Eq. (4))) per seed, as (S, C, K), and ``F̄`` (S, 1, K)."""
        F = self.hidden(x)
        fm = F.mean(dim=1, keepdim=True)
        Ft = F - fm
        Y = torch.nn.functional.one_hot(y, self.num_outputs).to(F.dtype)
        Yt = Y - Y.mean(dim=1, keepdim=True)
        K = F.shape[-1]
        A = Ft.transpose(1, 2) @ Ft + eta * torch.eye(K, dtype=F.dtype, device=F.device)
        V = torch.linalg.solve(A, Ft.transpose(1, 2) @ Yt)  # (S, K, C)
        return V.transpose(1, 2), fm

    @torch.no_grad()
    def before_step(self, x, y):
        if self.config.ridge_v is not None:
            V, fm = self.ridge_solution(x, y, float(self.config.ridge_v))
            self.V.copy_(V)
            self.f_mean.copy_(fm)

    def neuron_weights(self):
        if self.n is None:
            raise NotImplementedError("neuron_weights needs a concatenated group task")
        W = self.W.detach().double().cpu().numpy()
        xi = self.V.detach().double().cpu().numpy().transpose(0, 2, 1)
        return W[..., : self.n], W[..., self.n :], xi


class MLPNet(EnsembleModel):
    """See :class:`MLPConfig`. Weights ``w1 … wL`` (S, fan_out, fan_in), biases ``b1 …`` (S, fan_out)."""

    def __init__(self, config: MLPConfig, task: Task, *, n_seeds: int, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, n_seeds)
        if task.is_sequence:
            raise InvalidInputError("the MLP takes float inputs, not tokens")
        dims = (task.input_dim, *config.widths, task.num_outputs)
        self.depth = len(dims) - 1
        self.sigma = activation(config.activation)
        self.n = None
        if task.kind == "group":
            self.n = int(task.meta["order"])
            self.encoding = task.meta["encoding"]

        def draw(g):
            out = {}
            for i in range(self.depth):
                fi, fo = dims[i], dims[i + 1]
                if config.init == "he":
                    w = torch.randn(fo, fi, generator=g) * math.sqrt(2.0 / fi)
                else:
                    w = (torch.rand(fo, fi, generator=g) * 2 - 1) / math.sqrt(fi)
                out[f"w{i + 1}"] = w * config.init_scale
                if config.bias == "all" or (config.bias == "first" and i == 0):
                    out[f"b{i + 1}"] = torch.zeros(fo)
            return out

        t = _per_seed(n_seeds, seed, draw)
        if config.zero_last:
            t[f"w{self.depth}"].zero_()
        self._register(t, device=device, dtype=dtype)
        self.matrix_names = tuple(f"w{i + 1}" for i in range(self.depth))
        self.default_egd_layers = ("w1",) if self.depth == 2 else self.matrix_names
        self.default_muon_layers = self.matrix_names[:-1] if self.depth > 1 else self.matrix_names
        self._expect_k_hot(task)

    def hidden(self, x):
        h = self._first_layer(x, self.w1)
        if hasattr(self, "b1"):
            h = h + self.b1[:, None, :]
        return self.sigma(h)

    def forward(self, x):
        if self.depth == 2:  # the whole net in one gathered node
            out = self._gathered(x, self.w1, self.sigma, b_in=getattr(self, "b1", None), w_out=self.w2,
                                 b_out=getattr(self, "b2", None))
            if out is not None:
                return out
        h = self._first_layer(x, self.w1)
        for i in range(1, self.depth + 1):
            if i > 1:
                h = torch.bmm(h, getattr(self, f"w{i}").transpose(1, 2))
            b = getattr(self, f"b{i}", None)
            if b is not None:
                h = h + b[:, None, :]
            if i < self.depth:
                h = self.sigma(h)
        return h

    def neuron_weights(self):
        if self.n is None or self.depth != 2:
            raise NotImplementedError("neuron_weights needs a two-layer MLP on a group task")
        W = self.w1.detach().double().cpu().numpy()
        xi = self.w2.detach().double().cpu().numpy().transpose(0, 2, 1)
        if self.encoding == "concat":
            return W[..., : self.n], W[..., self.n :], xi
        return W, W.copy(), xi


class TransformerNet(EnsembleModel):
    """See :class:`TransformerConfig`. Tokens (S, B, L) → logits at the last position (S, B, C)."""

    def __init__(self, config: TransformerConfig, task: Task, *, n_seeds: int, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, n_seeds)
        if not task.is_sequence:
            raise InvalidInputError("the transformer takes a token task (encoding='sequence')")
        V, C, L = task.input_dim, task.num_outputs, int(task.x.shape[1])
        d, H, m = config.d_model, config.n_heads, config.d_mlp
        dh = d // H
        self.sigma = activation(config.activation)
        s = config.init_scale

        def draw(g):
            r = lambda *shape: torch.randn(*shape, generator=g)  # noqa: E731
            return {
                "w_e": r(V, d) / math.sqrt(d) * s,
                "w_pos": r(L, d) / math.sqrt(d) * s,
                "w_q": r(H, dh, d) / math.sqrt(d) * s,
                "w_k": r(H, dh, d) / math.sqrt(d) * s,
                "w_v": r(H, dh, d) / math.sqrt(d) * s,
                "w_o": r(d, H * dh) / math.sqrt(d) * s,
                "w_in": r(m, d) / math.sqrt(d) * s,
                "b_in": torch.zeros(m),
                "w_out": r(d, m) / math.sqrt(m) * s,
                "b_out": torch.zeros(d),
                "w_u": r(C, d) / math.sqrt(d) * s,
            }

        self._register(_per_seed(n_seeds, seed, draw), device=device, dtype=dtype)
        self.dh = dh
        self.matrix_names = ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out", "w_e", "w_u")
        self.default_egd_layers = ("w_in", "w_out")
        self.default_muon_layers = ("w_q", "w_k", "w_v", "w_o", "w_in", "w_out")

    def _resid(self, tokens):
        S = tokens.shape[0]
        emb = self.w_e[torch.arange(S, device=tokens.device)[:, None, None], tokens]  # (S, B, L, d)
        return emb + self.w_pos[:, None, :, :]

    def _last_after_attention(self, tokens):
        r = self._resid(tokens)
        q = torch.einsum("sbd,shed->sbhe", r[:, :, -1], self.w_q)
        k = torch.einsum("sbld,shed->sbhle", r, self.w_k)
        v = torch.einsum("sbld,shed->sbhle", r, self.w_v)
        att = torch.softmax(torch.einsum("sbhe,sbhle->sbhl", q, k) / math.sqrt(self.dh), dim=-1)
        z = torch.einsum("sbhl,sbhle->sbhe", att, v).flatten(2)  # (S, B, H*dh); last query sees all keys
        return r[:, :, -1] + torch.bmm(z, self.w_o.transpose(1, 2))

    def hidden(self, tokens):
        x = self._last_after_attention(tokens)
        return self.sigma(torch.bmm(x, self.w_in.transpose(1, 2)) + self.b_in[:, None, :])

    def forward(self, tokens):
        x = self._last_after_attention(tokens)
        h = self.sigma(torch.bmm(x, self.w_in.transpose(1, 2)) + self.b_in[:, None, :])
        x = x + torch.bmm(h, self.w_out.transpose(1, 2)) + self.b_out[:, None, :]
        return torch.bmm(x, self.w_u.transpose(1, 2))


_MODELS = {"quadratic": QuadraticNet, "li2": Li2Net, "mlp": MLPNet, "transformer": TransformerNet}


def build_model(config, task: Task, *, n_seeds: int | None = None, seed: int = 0, device="cpu", dtype=torch.float32) -> EnsembleModel:
    """Build the batched model described by ``config`` for ``task`` (S = ``task.n_seeds`` by default)."""
    n_seeds = task.n_seeds if n_seeds is None else int(n_seeds)
    if config.kind == "onelayer-mlp":
        from grokcheck.checks.training._onelayer import OneLayerMLPNet

        return OneLayerMLPNet(config, task, n_seeds=n_seeds, seed=seed, device=device, dtype=dtype)
    return _MODELS[config.kind](config, task, n_seeds=n_seeds, seed=seed, device=device, dtype=dtype)
