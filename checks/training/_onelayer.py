"""Chughtai, Chan & Nanda's one-layer MLP with separate embeddings, as a batched ensemble.

The model of "A toy model of universality" (arXiv 2302.03025, ICML 2023, the "OneLayerMLP" of
their release): two embeddings ``W_x``, ``W_y`` (n, e) of the left and right operand, a hidden
layer ``W`` (2e, h) applied to the concatenation ``[W_x[g1], W_y[g2]]``, ReLU, and an
unembedding ``W_U`` (h, n)::

    logits(g1, g2) = relu([W_x[g1], W_y[g2]] @ W + b) @ W_U + b_U

with the biases ``b`` (h,) and ``b_U`` (n,) optional (the paper has none). Initialisation (the
paper's): ``W_x, W_y ~ N(0, 1/e)``, ``W ~ N(0, 1/(2e))``, ``W_U ~ N(0, 1/h)``, biases zero.

Shapes. Every parameter carries a leading seed axis S: ``W_x`` (S, n, e), ``W_y`` (S, n, e),
``W`` (S, 2e, h), ``W_U`` (S, h, n), ``b`` (S, h), ``b_U`` (S, n). The parameter *names* and the
per-seed layouts are those of the released state dicts, so :meth:`OneLayerMLPNet.seed_state_dict`
of seed ``s`` is a state dict of the released architecture (and
:meth:`OneLayerMLPNet.load_seed_state_dict` reads one back).

Inputs: a group task with ``"concat"`` encoding (x = [e_{g1}; e_{g2}] ∈ R^{2n}, so
``x[:, :n] @ W_x = W_x[g1]``) or ``"sequence"`` tokens ``[g1, g2, =]``. Neuron view
(the per-neuron view of the Fourier analysis): neuron i sees ``u_i(g1) + v_i(g2)`` with ``u = W_x @ W[:e]``, ``v = W_y @ W[e:]``,
so ``θ¹ = uᵀ``, ``θ² = vᵀ`` (S, h, n) and ``ξ = W_U`` (S, h, n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from grokcheck.checks.training._data import Task, generator_for
from grokcheck.checks.training._models import EnsembleModel

__all__ = ["OneLayerMLPConfig", "OneLayerMLPNet"]


@dataclass(frozen=True)
class OneLayerMLPConfig:
    """Chughtai et al.'s one-layer MLP: embedding width ``embed`` (e), hidden width ``hidden`` (h).

    ``bias`` adds the hidden bias ``b`` and the output bias ``b_U`` (off in the paper);
    ``init_scale`` multiplies every initial weight (1 is the paper's initialisation).
    """

    kind: ClassVar[str] = "onelayer-mlp"
    embed: int = 256
    hidden: int = 128
    bias: bool = False
    init_scale: float = 1.0

    def __post_init__(self):
        if int(self.embed) < 1 or int(self.hidden) < 1:
            raise ValueError(f"embed and hidden must be ≥ 1, got {self.embed}, {self.hidden}")
        if not self.init_scale > 0:
            raise ValueError(f"init_scale must be > 0, got {self.init_scale}")


class OneLayerMLPNet(EnsembleModel):
    """See :class:`OneLayerMLPConfig` and the module docstring. ``forward``: (S, B, 2n) or (S, B, 3) → (S, B, n)."""

    def __init__(self, config: OneLayerMLPConfig, task: Task, *, n_seeds: int, seed: int, device="cpu",
                 dtype=torch.float32):
        super().__init__(config, n_seeds)
        if task.kind != "group" or task.meta.get("encoding") not in ("concat", "sequence"):
            raise ValueError("the onelayer-mlp model needs a group task with 'concat' or 'sequence' encoding")
        n, e, h = int(task.meta["order"]), int(config.embed), int(config.hidden)
        self.n, self.e, self.h = n, e, h
        self.tokens = task.meta["encoding"] == "sequence"
        s = float(config.init_scale)

        def draw(g):
            out = {
                "W_x": torch.randn(n, e, generator=g) / math.sqrt(e) * s,
                "W_y": torch.randn(n, e, generator=g) / math.sqrt(e) * s,
                "W": torch.randn(2 * e, h, generator=g) / math.sqrt(2 * e) * s,
                "W_U": torch.randn(h, n, generator=g) / math.sqrt(h) * s,
            }
            if config.bias:
                out["b"] = torch.zeros(h)
                out["b_U"] = torch.zeros(n)
            return out

        # seed s draws from its own generator (float32 on the CPU, then cast): an ensemble's seed s
        # starts from the same weights whatever the ensemble size, dtype or device
        draws = [draw(generator_for(seed, s_, "init")) for s_ in range(n_seeds)]
        for name in draws[0]:
            t = torch.stack([d[name] for d in draws]).to(device=device, dtype=dtype)
            self.register_parameter(name, torch.nn.Parameter(t))
        self.matrix_names = ("W_x", "W_y", "W", "W_U")
        # EGD / Muon act on the hidden layer (stored (2e, h), i.e. fan_in × fan_out: both rules
        # are invariant under transposition of the matrix they whiten).
        self.default_egd_layers = ("W",)
        self.default_muon_layers = ("W",)

    def _operand_maps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``u = W_x W[:e]`` and ``v = W_y W[e:]``, each (S, n, h)."""
        return torch.bmm(self.W_x, self.W[:, : self.e]), torch.bmm(self.W_y, self.W[:, self.e:])

    def _preactivation(self, x: torch.Tensor) -> torch.Tensor:
        u, v = self._operand_maps()
        if self.tokens:
            S = x.shape[0]
            ix = torch.arange(S, device=x.device)[:, None]
            pre = u[ix, x[..., 0]] + v[ix, x[..., 1]]
        else:
            # one-hot operands: x[..., :n] @ u = u[g1] (the same map and gradient as an embedding lookup)
            pre = torch.bmm(x[..., : self.n], u) + torch.bmm(x[..., self.n:], v)
        if hasattr(self, "b"):
            pre = pre + self.b[:, None, :]
        return pre

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU activations (S, B, h)."""
        return torch.relu(self._preactivation(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.bmm(self.hidden(x), self.W_U)
        if hasattr(self, "b_U"):
            out = out + self.b_U[:, None, :]
        return out

    def neuron_weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(θ¹, θ², ξ)`` float64 (S, h, n): ``θ¹ = (W_x W[:e])ᵀ``, ``θ² = (W_y W[e:])ᵀ``, ``ξ = W_U``."""
        with torch.no_grad():
            u, v = self._operand_maps()
        t1 = u.double().cpu().numpy().transpose(0, 2, 1)
        t2 = v.double().cpu().numpy().transpose(0, 2, 1)
        xi = self.W_U.detach().double().cpu().numpy()
        return t1, t2, xi

    def seed_state_dict(self, s: int) -> dict[str, torch.Tensor]:
        """Seed ``s``'s weights under the released names and shapes (``W_x`` (n, e), …, ``W_U`` (h, n))."""
        if not 0 <= s < self.n_seeds:
            raise IndexError(f"seed index {s} out of range for {self.n_seeds} seeds")
        return {name: p.detach()[s].clone() for name, p in self.named_parameters()}

    @torch.no_grad()
    def load_seed_state_dict(self, s: int, state: dict[str, torch.Tensor]) -> None:
        """Copy a released-layout state dict into seed ``s`` (shapes must match; extra keys raise)."""
        own = dict(self.named_parameters())
        unknown = set(state) - set(own)
        if unknown:
            raise KeyError(f"unexpected keys {sorted(unknown)}; this model has {sorted(own)}")
        for name, t in state.items():
            if tuple(t.shape) != tuple(own[name].shape[1:]):
                raise ValueError(f"{name}: shape {tuple(t.shape)} but the model has {tuple(own[name].shape[1:])}")
            own[name][s].copy_(torch.as_tensor(t, dtype=own[name].dtype))
