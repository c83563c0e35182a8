"""Per-seed optimizers for batched ensembles: SGD, Adam(W), Muon, Grokfast, Egalitarian GD.

Every parameter carries a leading seed axis S. Elementwise rules (SGD, Adam, AdamW, Grokfast)
are per seed automatically; the matrix rules (EGD, Muon) act on the last two axes, one matrix
per seed (and per head for stacked heads), with batched ``torch.linalg.svd`` / batched
Newton–Schulz. The learning rate and weight decay may be per-seed tuples (a hyperparameter axis).
Dead seeds (``alive[s]`` False) get no update at all.

Rules (``OptimizerConfig.name``)
--------------------------------
* ``sgd``  – ``g ← ∇ + wd·w`` (coupled decay), heavy-ball momentum ``μ`` (optionally Nesterov).
* ``adam`` – Adam with coupled weight decay (``torch.optim.Adam``'s ``weight_decay``).
* ``adamw`` – Adam with decoupled decay ``w ← w(1 − lr·wd)``.
* ``muon`` – on the matrices ``muon_layers`` (the model's hidden matrices by default):
  ``buf ← μ buf + (1−μ) g``, ``u = g + μ(buf − g)`` (Nesterov) or ``buf``, ``u ← NS₅(u)``,
  ``w ← w(1 − lr·wd) − lr·√max(1, fan_out/fan_in)·u`` — the update of ``torch.optim.Muon``
  (same Newton–Schulz quintic and coefficients) batched over seeds; ``torch.optim.Muon`` itself
  only takes 2-D parameters, so it cannot step a stacked (S, m, n) ensemble. The other
  parameters take AdamW steps with the same lr and decay.
* ``egd`` – Egalitarian GD (EGD, arXiv 2510.04930, Eq. (11)): on ``egd_layers`` (the paper's choice by default:
  the first layer of a two-layer MLP, all layers of deeper MLPs, the MLP matrices of the
  transformer) the gradient ``G`` (fan_out × fan_in, weight decay included as in the authors'
  code) is replaced by

  - ``"svd"``: ``U diag(1/max(s, ε)) Uᵀ G`` with ``G = U diag(s) Vᵀ`` (= ``UVᵀ`` when all
    ``s ≥ ε``; the authors' clamp ``ε = 1e-6``);
  - ``"rsvd"``: the same with the rank-``r`` randomized SVD (Gaussian sketch, 2 power
    iterations with QR, from a checkpointed generator);
  - ``"colnorm"``: each neuron's incoming gradient vector (a column of the authors'
    fan_in × fan_out layout, a row here) divided by ``max(‖·‖, 0.01)``;

  then a plain (``egd_base="sgd"``) or Adam (``egd_base="adam"``) step. Other parameters take
  plain steps of the base rule.
* ``grokfast_alpha`` (any rule) – Grokfast-EMA: ``ema ← α·ema + (1−α)·g``, ``g ← g + λ·ema``
  before the rule.

Test leakage
------------
The authors of EGD switch back to vanilla steps once *test* accuracy exceeds 0.95. Here that is
``egd_switch_off_test_acc`` (default ``None``, off). When set, the trainer turns EGD off per seed
at the first evaluation whose test accuracy passes the threshold, and every output of the run
carries ``"test_leakage": true``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from grokcheck.checks.training._data import generator_for
from grokcheck.errors import InvalidInputError

__all__ = [
    "OptimizerConfig",
    "EnsembleOptimizer",
    "build_optimizer",
    "egd_direction",
    "newton_schulz",
    "polar_factor",
    "MUON_NS_COEFFICIENTS",
]

#: The quintic Newton–Schulz coefficients of ``torch.optim.Muon`` / Keller Jordan's Muon.
MUON_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


@dataclass(frozen=True)
class OptimizerConfig:
    """Hyperparameters of :class:`EnsembleOptimizer` (see the module docstring for the rules).

    ``lr`` and ``weight_decay`` are floats or per-seed tuples of length S.
    """

    name: str = "adamw"
    lr: float | tuple[float, ...] = 1e-3
    weight_decay: float | tuple[float, ...] = 0.0
    momentum: float = 0.0
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    warmup_steps: int = 0
    egd_method: str = "svd"
    egd_rank: int = 64
    egd_layers: tuple[str, ...] | None = None
    egd_eps: float = 1e-6
    egd_base: str = "sgd"
    egd_power_iters: int = 2
    egd_switch_off_test_acc: float | None = None
    muon_momentum: float = 0.95
    muon_nesterov: bool = True
    muon_ns_steps: int = 5
    muon_layers: tuple[str, ...] | None = None
    grokfast_alpha: float | None = None
    grokfast_lamb: float = 2.0

    def __post_init__(self):
        if self.name not in ("sgd", "adam", "adamw", "muon", "egd"):
            raise InvalidInputError(f"unknown optimizer {self.name!r}; one of sgd, adam, adamw, muon, egd")
        if self.egd_method not in ("svd", "rsvd", "colnorm"):
            raise InvalidInputError(f"egd_method must be 'svd', 'rsvd' or 'colnorm', got {self.egd_method!r}")
        if self.egd_base not in ("sgd", "adam"):
            raise InvalidInputError(f"egd_base must be 'sgd' or 'adam', got {self.egd_base!r}")
        for f in ("lr", "weight_decay"):
            v = getattr(self, f)
            if isinstance(v, (list, tuple)):
                object.__setattr__(self, f, tuple(float(t) for t in v))
        object.__setattr__(self, "betas", tuple(self.betas))
        for f in ("egd_layers", "muon_layers"):
            if getattr(self, f) is not None:
                object.__setattr__(self, f, tuple(getattr(self, f)))

    @property
    def test_leakage(self) -> bool:
        """True when the run may look at test accuracy (the EGD switch-off option)."""
        return self.name == "egd" and self.egd_switch_off_test_acc is not None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "OptimizerConfig":
        return cls(**d)


def polar_factor(G: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``U diag(1/max(s, eps)) Uᵀ G`` for ``G = U diag(s) Vᵀ`` over the last two axes (batched)."""
    U, s, _ = torch.linalg.svd(G, full_matrices=False)
    return U @ ((U.transpose(-1, -2) @ G) / s.clamp_min(eps)[..., None])


def _randomized_polar(G: torch.Tensor, rank: int, power_iters: int, eps: float, generator: torch.Generator) -> torch.Tensor:
    m, p = G.shape[-2:]
    r = min(rank, m, p)
    Q = torch.randn(*G.shape[:-2], p, r, generator=generator, dtype=torch.float32).to(device=G.device, dtype=G.dtype)
    for _ in range(power_iters):
        Q1, _ = torch.linalg.qr(G @ Q)
        Q, _ = torch.linalg.qr(G.transpose(-1, -2) @ Q1)
    U, s, _ = torch.linalg.svd(G @ Q, full_matrices=False)
    return U @ ((U.transpose(-1, -2) @ G) / s.clamp_min(eps)[..., None])


def egd_direction(G: torch.Tensor, *, method: str = "svd", rank: int = 64, eps: float = 1e-6,
                  power_iters: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """The EGD-whitened gradient of a batch of matrices ``G`` (..., fan_out, fan_in)."""
    if method == "svd":
        return polar_factor(G, eps)
    if method == "rsvd":
        if generator is None:
            raise InvalidInputError("method='rsvd' needs a generator")
        return _randomized_polar(G, rank, power_iters, eps, generator)
    if method == "colnorm":
        return G / G.norm(dim=-1, keepdim=True).clamp_min(0.01)
    raise InvalidInputError(f"unknown EGD method {method!r}")


def newton_schulz(G: torch.Tensor, steps: int = 5, coefficients=MUON_NS_COEFFICIENTS, eps: float = 1e-7) -> torch.Tensor:
    """Batched quintic Newton–Schulz orthogonalisation over the last two axes.

    The iteration of ``torch.optim.Muon`` (which computes in bfloat16); here in ``G``'s dtype.
    """
    a, b, c = coefficients
    X = G
    tall = G.shape[-2] > G.shape[-1]
    if tall:
        X = X.transpose(-1, -2)
    X = X / X.flatten(-2).norm(dim=-1).clamp_min(eps)[..., None, None]
    for _ in range(steps):
        A = X @ X.transpose(-1, -2)
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X.transpose(-1, -2) if tall else X


class EnsembleOptimizer:
    """Steps the trainable parameters of a batched model per seed (see module docstring)."""

    def __init__(self, model, config: OptimizerConfig, *, seed: int = 0):
        self.config = config
        self.S = model.n_seeds
        self.params = {n: p for n, p in model.named_parameters() if p.requires_grad}
        some = next(iter(self.params.values()))
        dev, dt = some.device, some.dtype

        def per_seed(v, what):
            t = torch.as_tensor(v, dtype=dt, device=dev)
            if t.ndim == 0:
                return t.expand(self.S).clone()
            if t.shape != (self.S,):
                raise InvalidInputError(f"{what} has {t.numel()} values for {self.S} seeds")
            return t

        self.lr = per_seed(config.lr, "lr")
        self.wd = per_seed(config.weight_decay, "weight_decay")
        # A scalar hyperparameter is passed to the fused step as a Python scalar, a per-seed one as
        # (S, 1, …) tensors; the choice depends on the config only, never on the values, so that
        # a seed's trajectory does not depend on the other seeds.
        self._lr_uniform = None if isinstance(config.lr, tuple) else float(config.lr)
        self._wd_uniform = None if isinstance(config.weight_decay, tuple) else float(config.weight_decay)
        self.egd_names = set()
        self.muon_names = set()
        if config.name == "egd":
            self.egd_names = set(config.egd_layers if config.egd_layers is not None else model.default_egd_layers)
        if config.name == "muon":
            self.muon_names = set(config.muon_layers if config.muon_layers is not None else model.default_muon_layers)
        for n in self.egd_names | self.muon_names:
            if n not in self.params:
                raise InvalidInputError(f"layer {n!r} is not a trainable parameter; have {sorted(self.params)}")
        self.egd_active = torch.ones(self.S, dtype=torch.bool, device=dev)
        self.generator = generator_for(seed, 0, "optimizer")  # RSVD sketches (CPU)
        self.state: dict[str, dict[str, torch.Tensor]] = {n: {} for n in self.params}
        self.t = 0
        self.used_test_accuracy = False

    # ------------------------------------------------------------------ helpers
    def _b(self, v: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return v.view(self.S, *([1] * (p.ndim - 1)))

    def _buf(self, name: str, key: str, like: torch.Tensor) -> torch.Tensor:
        st = self.state[name]
        if key not in st:
            st[key] = torch.zeros_like(like)
        return st[key]

    def _adam_dir(self, name, g):
        b1, b2 = self.config.betas
        m = self._buf(name, "exp_avg", g)
        v = self._buf(name, "exp_avg_sq", g)
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        bc1 = 1 - b1 ** self.t
        bc2 = 1 - b2 ** self.t
        return (m / bc1) / ((v / bc2).sqrt() + self.config.eps)

    def switch_off_egd(self, seeds: torch.Tensor) -> None:
        """Turn EGD off (vanilla steps from now on) for the seeds where ``seeds`` is True."""
        self.egd_active &= ~seeds.to(self.egd_active.device)
        self.used_test_accuracy = True

    # ------------------------------------------------------------------ step
    @torch.no_grad()
    def step(self, alive: torch.Tensor) -> None:
        """One update of every trainable parameter; seeds with ``alive`` False are left unchanged.

        When every seed is alive, the elementwise rules (SGD, Adam, AdamW, and the AdamW part
        of Muon) step all parameters together with a few ``torch._foreach_*`` operations; the
        result equals the per-parameter formulas up to float rounding (fused multiply-adds).
        """
        cfg = self.config
        self.t += 1
        warm = min(1.0, self.t / cfg.warmup_steps) if cfg.warmup_steps else 1.0
        alive = alive.to(self.lr.device)
        names = [n for n, p in self.params.items() if p.grad is not None]
        if cfg.name != "egd":
            fused = [n for n in names if n not in self.muon_names]
            if fused:
                ps = [self.params[n] for n in fused]
                if bool(alive.all()):
                    self._fused_step(fused, [p.grad for p in ps], warm)
                else:  # dead seeds: zero gradient (their moments decay as before) and no update
                    zero = torch.zeros((), dtype=ps[0].dtype, device=ps[0].device)
                    old = [p.clone() for p in ps]
                    self._fused_step(fused, [torch.where(self._b(alive, p), p.grad, zero) for p in ps], warm)
                    for p, o in zip(ps, old):
                        p.copy_(torch.where(self._b(alive, p), p, o))
            names = [n for n in names if n in self.muon_names]
        self._loop_step(names, alive, warm)

    def _fused_step(self, names: list[str], gs: list[torch.Tensor], warm: float) -> None:
        cfg = self.config
        ps = [self.params[n] for n in names]
        lr_u = None if self._lr_uniform is None else self._lr_uniform * warm
        wd_u = self._wd_uniform
        if cfg.grokfast_alpha is not None:
            emas = [self._buf(n, "grokfast_ema", g) for n, g in zip(names, gs)]
            torch._foreach_mul_(emas, cfg.grokfast_alpha)
            torch._foreach_add_(emas, gs, alpha=1 - cfg.grokfast_alpha)
            gs = torch._foreach_add(gs, emas, alpha=cfg.grokfast_lamb)
        rule = "adamw" if cfg.name == "muon" else cfg.name
        if rule in ("adam", "sgd") and not (wd_u == 0.0):
            if wd_u is not None:
                gs = torch._foreach_add(gs, ps, alpha=wd_u)
            else:
                gs = torch._foreach_add(gs, torch._foreach_mul(ps, [self._b(self.wd, p) for p in ps]))
        if rule == "sgd":
            mu = cfg.momentum
            d = gs
            if mu != 0:
                bufs = [self._buf(n, "momentum_buffer", g) for n, g in zip(names, gs)]
                torch._foreach_mul_(bufs, mu)
                torch._foreach_add_(bufs, gs)
                d = torch._foreach_add(gs, bufs, alpha=mu) if cfg.nesterov else bufs
            if lr_u is not None:
                torch._foreach_add_(ps, d, alpha=-lr_u)
            else:
                torch._foreach_sub_(ps, torch._foreach_mul(d, [self._b(self.lr, p) * warm for p in ps]))
            return
        b1, b2 = cfg.betas
        ms = [self._buf(n, "exp_avg", g) for n, g in zip(names, gs)]
        vs = [self._buf(n, "exp_avg_sq", g) for n, g in zip(names, gs)]
        if lr_u is not None and wd_u is not None and self._fused_adam(rule, ps, gs, ms, vs, lr_u, wd_u):
            return
        torch._foreach_mul_(ms, b1)
        torch._foreach_add_(ms, gs, alpha=1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, gs, gs, value=1 - b2)
        bc1 = 1 - b1 ** self.t
        bc2 = 1 - b2 ** self.t
        denom = torch._foreach_div(vs, bc2)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, cfg.eps)
        if rule == "adamw" and not (wd_u == 0.0):
            if lr_u is not None and wd_u is not None:
                torch._foreach_mul_(ps, 1 - lr_u * wd_u)
            else:
                lr_b = [self._b(self.lr, p) * warm for p in ps]
                torch._foreach_mul_(ps, [1 - lr * self._b(self.wd, p) for lr, p in zip(lr_b, ps)])
        if lr_u is not None:
            torch._foreach_addcdiv_(ps, ms, denom, value=-lr_u / bc1)
        else:
            step = torch._foreach_div(ms, denom)
            torch._foreach_mul_(step, [self._b(self.lr, p) * (warm / bc1) for p in ps])
            torch._foreach_sub_(ps, step)

    def _fused_adam(self, rule, ps, gs, ms, vs, lr, wd) -> bool:
        """Adam/AdamW with one learning rate and decay for every seed as torch's single-pass kernel.

        ``torch._fused_adam(w)_`` applies the same formulas as the ``_foreach`` path below
        (decoupled decay ``p(1 − lr·wd)`` for AdamW, ``g + wd·p`` for Adam, bias-corrected
        moments, ``eps`` added to ``√(v/(1 − β₂ᵗ))``) in one pass over memory instead of about ten;
        returns False (and does nothing) where the kernel is not available.
        """
        fn = getattr(torch, "_fused_adamw_" if rule == "adamw" else "_fused_adam_", None)
        dtypes = {p.dtype for p in ps} | {g.dtype for g in gs}
        if fn is None or len(dtypes) != 1 or not all(p.is_contiguous() and g.is_contiguous() for p, g in zip(ps, gs)):
            return False
        b1, b2 = self.config.betas
        steps = [torch.full((), float(self.t), dtype=torch.float32, device=p.device) for p in ps]
        try:
            fn(ps, list(gs), ms, vs, [], steps, lr=float(lr), beta1=b1, beta2=b2,
               weight_decay=float(wd) if rule == "adamw" else 0.0, eps=self.config.eps, amsgrad=False, maximize=False)
        except (RuntimeError, NotImplementedError):  # no kernel for this device or dtype in this torch
            return False
        return True

    def _loop_step(self, names: list[str], alive: torch.Tensor, warm: float) -> None:
        cfg = self.config
        for name in names:
            p = self.params[name]
            a = self._b(alive, p)
            g = torch.where(a, p.grad, torch.zeros((), dtype=p.dtype, device=p.device))
            lr = self._b(self.lr, p) * warm
            wd = self._b(self.wd, p)
            if cfg.grokfast_alpha is not None:
                ema = self._buf(name, "grokfast_ema", g)
                ema.mul_(cfg.grokfast_alpha).add_(g, alpha=1 - cfg.grokfast_alpha)
                g = g + cfg.grokfast_lamb * ema
            rule = cfg.name
            if rule == "muon" and name in self.muon_names:
                buf = self._buf(name, "momentum_buffer", g)
                buf.lerp_(g, 1 - cfg.muon_momentum)
                u = g.lerp(buf, cfg.muon_momentum) if cfg.muon_nesterov else buf
                u = newton_schulz(u, cfg.muon_ns_steps)
                adjust = math.sqrt(max(1.0, p.shape[-2] / p.shape[-1]))
                new = p * (1 - lr * wd) - lr * adjust * u
            elif rule in ("adamw", "muon"):
                new = p * (1 - lr * wd) - lr * self._adam_dir(name, g)
            elif rule == "adam":
                new = p - lr * self._adam_dir(name, g + wd * p)
            elif rule == "sgd":
                new = p - lr * self._sgd_dir(name, g + wd * p)
            else:  # egd
                g = g + wd * p
                if name in self.egd_names:
                    gt = egd_direction(g, method=cfg.egd_method, rank=cfg.egd_rank, eps=cfg.egd_eps,
                                       power_iters=cfg.egd_power_iters, generator=self.generator)
                    g = torch.where(self._b(self.egd_active, p), gt, g)
                d = self._adam_dir(name, g) if cfg.egd_base == "adam" else self._sgd_dir(name, g)
                new = p - lr * d
            p.copy_(torch.where(a, new, p))

    def _sgd_dir(self, name, g):
        mu = self.config.momentum
        if mu == 0:
            return g
        buf = self._buf(name, "momentum_buffer", g)
        buf.mul_(mu).add_(g)
        return g + mu * buf if self.config.nesterov else buf

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {
            "t": self.t,
            "state": {n: {k: v.clone() for k, v in st.items()} for n, st in self.state.items()},
            "egd_active": self.egd_active.clone(),
            "generator": self.generator.get_state(),
            "used_test_accuracy": self.used_test_accuracy,
        }

    def load_state_dict(self, sd: dict) -> None:
        self.t = int(sd["t"])
        dev = self.lr.device
        self.state = {n: {k: v.to(dev) for k, v in st.items()} for n, st in sd["state"].items()}
        for n in self.params:
            self.state.setdefault(n, {})
        self.egd_active = sd["egd_active"].to(dev)
        self.generator.set_state(sd["generator"])
        self.used_test_accuracy = bool(sd["used_test_accuracy"])


def build_optimizer(model, config: OptimizerConfig, *, seed: int = 0) -> EnsembleOptimizer:
    """The :class:`EnsembleOptimizer` for ``model`` (its trainable parameters)."""
    return EnsembleOptimizer(model, config, seed=seed)
