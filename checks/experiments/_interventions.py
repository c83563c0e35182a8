"""Tan & Huang's interventions: perturbed ("degrok") training, the abelian test and regulariser.

Tan & Huang, "Understanding grokking through a robustness viewpoint", arXiv 2311.06597
(Section 3.2, perturbed "degrokking" training; Section 4.1, the abelian test and "abelian degrok"):

- **Perturbed training** minimises ``(1/n) Σ ℓ(f(x_i + Δ_i), y_i)``, ``Δ_i ~ N(0, σ² I)`` drawn
  afresh every step, with the adaptive level ``σ = max(λ₁ (1 − train acc), λ₂)``
  (MNIST ``(0.06, 0.03)``, modular addition ``(0.5, 0.4)``). Here the train accuracy is the
  one of the most recent evaluation, per seed (so σ is a per-seed vector); the noise is added
  where :func:`robustness_probe` says (the input of an MLP, the token embeddings of the
  transformer).
- **Abelian test** on training pairs ``(a, b)``: the fraction with
  ``argmax f(a, b) = argmax f(b, a)`` (argmax version) and the mean ``‖f(a, b) − f(b, a)‖₂``
  (logit version). For a non-Abelian group the reference value is the fraction of training pairs
  that commute, reported alongside.
- **Abelian regulariser** ("abelian degrok"): ``loss + w · MSE(f(a, b), f(b, a))`` over the
  training batch, ``w = 100``. Only meaningful for Abelian groups (refused otherwise).

Both interventions are callbacks on the one training loop
(:func:`intervention_callback`, hooks ``training_forward`` and ``extra_loss`` of
:class:`~grokcheck.checks.training._callbacks.TrainCallback`); :func:`train_with_intervention`
is ``train`` with that callback attached, so a plain and an intervened run share the
initialisation, split and batch order, and both checkpoint and resume.

Model probes ("first layer", for PMI/MID and for the noise site)
----------------------------------------------------------------
- MLP (:class:`MLPNet`): noise on the input ``x`` (the concatenated one-hot vector for group
  tasks); first layer ``relu(W₁ x + b₁)``.
- Li₂ / quadratic nets: noise on the input; first layer = the hidden activations
  ``model.hidden(x)``.
- Transformer (:class:`TransformerNet`): noise on the **token embeddings** ``W_E[tokens]`` of all
  three positions (before the positional embedding is added), as the paper's perturbed
  training does. Tan & Huang do not say what the first layer of the transformer is
  (their Section 5.1, Definition 5.1, defines the metrics on the first layer's features
  ``f(x_i + Δ_i, W₁)`` without naming that layer for the transformer). The paper calls ``x_i``
  "the input token embedding", so the first layer is the first layer *after* that input: we take the residual stream at the "=" position
  after the attention sub-layer (token + position embedding + attention output, ``(B, d)``).
  ``first_layer="mlp"`` selects the MLP hidden activations instead.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from grokcheck.errors import GroupInputError, InvalidInputError
from grokcheck.numerics._robustness import RobustnessProbe

__all__ = [
    "robustness_probe",
    "swap_operands",
    "AbelianTest",
    "abelian_test",
    "commuting_fraction",
    "PerturbedTraining",
    "AbelianRegularizer",
    "adaptive_sigma",
    "intervention_callback",
    "PerturbedTrainingCallback",
    "AbelianRegularizerCallback",
    "describe_intervention",
    "train_with_intervention",
]


# --------------------------------------------------------------------------- probes


def _transformer_parts(model):
    def embed(tokens):
        S = tokens.shape[0]
        return model.w_e[torch.arange(S, device=tokens.device)[:, None, None], tokens]  # (S, B, L, d)

    def mid(e):
        r = e + model.w_pos[:, None, :, :]
        q = torch.einsum("sbd,shed->sbhe", r[:, :, -1], model.w_q)
        k = torch.einsum("sbld,shed->sbhle", r, model.w_k)
        v = torch.einsum("sbld,shed->sbhle", r, model.w_v)
        att = torch.softmax(torch.einsum("sbhe,sbhle->sbhl", q, k) / math.sqrt(model.dh), dim=-1)
        z = torch.einsum("sbhl,sbhle->sbhe", att, v).flatten(2)
        return r[:, :, -1] + torch.bmm(z, model.w_o.transpose(1, 2))

    def head(x):
        h = model.sigma(torch.bmm(x, model.w_in.transpose(1, 2)) + model.b_in[:, None, :])
        out = x + torch.bmm(h, model.w_out.transpose(1, 2)) + model.b_out[:, None, :]
        return h, torch.bmm(out, model.w_u.transpose(1, 2))

    return embed, mid, head


def robustness_probe(model, *, first_layer: str = "default") -> RobustnessProbe:
    """The :class:`RobustnessProbe` of a grokcheck model (see the module docstring).

    ``first_layer``: ``"default"``; for the transformer also ``"attention"`` (= default) or
    ``"mlp"``. The probe's ``forward`` on an unperturbed embedding equals ``model(x)`` exactly.
    """
    from grokcheck.checks.training._models import Li2Net, MLPNet, QuadraticNet, TransformerNet

    if isinstance(model, TransformerNet):
        embed, mid, head = _transformer_parts(model)
        if first_layer in ("default", "attention"):
            def fwd(e):
                x = mid(e)
                return x, head(x)[1]
            desc = "residual stream at '=' after the attention sub-layer (embeddings + attention output)"
        elif first_layer == "mlp":
            def fwd(e):
                return head(mid(e))
            desc = "MLP hidden activations relu(W_in x + b_in) at '='"
        else:
            raise ValueError(f"first_layer must be 'default', 'attention' or 'mlp', got {first_layer!r}")
        return RobustnessProbe(embed=embed, forward=fwd, perturb_site="token embeddings W_E[tokens]", first_layer=desc)
    if first_layer != "default":
        raise ValueError(f"first_layer={first_layer!r} is only selectable for the transformer")
    if isinstance(model, MLPNet):
        return RobustnessProbe(embed=lambda x: x, forward=lambda e: (model.hidden(e), model(e)),
                               perturb_site="model input x", first_layer="relu(W1 x + b1)")
    if isinstance(model, (Li2Net, QuadraticNet)):
        return RobustnessProbe(embed=lambda x: x, forward=lambda e: (model.hidden(e), model(e)),
                               perturb_site="model input x", first_layer="hidden activations model.hidden(x)")
    raise TypeError(f"no robustness probe for {type(model).__name__}")


# --------------------------------------------------------------------------- abelian test


def swap_operands(x: torch.Tensor, task) -> torch.Tensor:
    """Inputs of ``(b, a)`` from inputs of ``(a, b)``: ``x (..., D)`` or tokens ``(..., 3)``.

    Concatenated one-hot: swap the two halves. Tokens ``[a, b, =]``: swap the first two.
    Summed one-hot is symmetric (``e_a + e_b``), so the swap is the identity there.
    """
    enc = task.meta.get("encoding") if task.kind == "group" else None
    if enc == "concat":
        n = int(task.meta["order"])
        return torch.cat([x[..., n:], x[..., :n]], dim=-1)
    if enc == "sequence":
        return torch.stack([x[..., 1], x[..., 0], *[x[..., i] for i in range(2, x.shape[-1])]], dim=-1)
    if enc == "sum":
        return x
    raise GroupInputError("the abelian test needs a group task (concat, sum or sequence encoding)")


@dataclass(frozen=True)
class AbelianTest:
    """Per-seed abelian test on the training pairs: ``argmax_agreement (S,)``,
    ``logit_distance (S,)`` (mean ‖f(a,b) − f(b,a)‖₂), and the ground truth ``commuting`` (S,)
    (fraction of the training pairs with ``ab = ba``; 1 for an Abelian group)."""

    argmax_agreement: np.ndarray
    logit_distance: np.ndarray
    commuting: np.ndarray


def commuting_fraction(task, train_idx: torch.Tensor) -> np.ndarray:
    """Fraction of training pairs ``(a, b)`` with ``ab = ba``, per seed: ``(S,)``."""
    table = np.asarray(task.meta["table"])
    n = table.shape[0]
    idx = train_idx.cpu().numpy()
    a, b = idx // n, idx % n
    return (table[a, b] == table[b, a]).mean(axis=1)


@torch.no_grad()
def abelian_test(model, x_train: torch.Tensor, task, *, chunk: int = 4096) -> AbelianTest:
    """Run the abelian test on ``x_train (S, n, ...)`` (the training pairs of each seed)."""
    agree, dist = 0.0, 0.0
    n = x_train.shape[1]
    for i in range(0, n, chunk):
        xb = x_train[:, i:i + chunk]
        f1 = model(xb)
        f2 = model(swap_operands(xb, task))
        agree = agree + (f1.argmax(-1) == f2.argmax(-1)).double().sum(1)
        dist = dist + (f1 - f2).double().norm(dim=-1).sum(1)
    return AbelianTest(
        argmax_agreement=(agree / n).cpu().numpy(),
        logit_distance=(dist / n).cpu().numpy(),
        commuting=commuting_fraction(task, task.train_idx),
    )


# --------------------------------------------------------------------------- interventions


@dataclass(frozen=True)
class PerturbedTraining:
    """Perturbed training with ``σ = max(λ₁ (1 − train acc), λ₂)``; paper's mod-add defaults."""

    lambda1: float = 0.5
    lambda2: float = 0.4

    def __post_init__(self):
        if self.lambda1 < 0 or self.lambda2 < 0:
            raise InvalidInputError(f"PerturbedTraining: lambda1 and lambda2 must be >= 0, got {self.lambda1}, {self.lambda2}")


@dataclass(frozen=True)
class AbelianRegularizer:
    """``loss + weight · MSE(f(a,b), f(b,a))`` over the training batch (paper: weight 100)."""

    weight: float = 100.0

    def __post_init__(self):
        if self.weight < 0:
            raise InvalidInputError(f"AbelianRegularizer: weight must be >= 0, got {self.weight}")


def adaptive_sigma(train_acc, *, lambda1: float, lambda2: float) -> torch.Tensor:
    """``σ = max(λ₁ (1 − train acc), λ₂)`` elementwise (train acc per seed)."""
    acc = torch.as_tensor(train_acc, dtype=torch.float64)
    return torch.clamp(lambda1 * (1.0 - acc), min=lambda2)


class _InterventionCallback:
    """Shared part of the two intervention callbacks: the label logged on every metrics line."""

    name = "intervention"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({describe_intervention(self.intervention)})"

    def on_eval(self, step: int, model, info: dict) -> dict:
        return {"intervention": describe_intervention(self.intervention)}


class PerturbedTrainingCallback(_InterventionCallback):
    """Training callback of :class:`PerturbedTraining` (build it with :func:`intervention_callback`).

    Replaces the training forward pass by the one at ``embed(x) + σ·N(0, I)``
    (:func:`robustness_probe`), ``σ (S,) = max(λ₁ (1 − train acc), λ₂)`` with the train accuracy
    of the most recent evaluation. Every metrics line gets ``"sigma"`` (S,), the level used until
    the next evaluation. Holds the run's noise generator and the last train accuracy; both are
    saved in ``checkpoint.pt`` so a resumed run continues bit-identically. One callback, one run.
    """

    def __init__(self, intervention: PerturbedTraining, task, *, seed: int = 0, noise_seed: int = 0):
        from grokcheck.checks.training._data import seed_for

        self.intervention = intervention
        self.generator = torch.Generator(device="cpu")
        self.generator.manual_seed(seed_for(seed, 0, "data") ^ int(noise_seed))
        self.last_train_acc = torch.zeros(task.n_seeds, dtype=torch.float64)

    def sigma(self, *, device, dtype) -> torch.Tensor:
        """The current noise level per seed, ``(S,)``."""
        iv = self.intervention
        return adaptive_sigma(self.last_train_acc, lambda1=iv.lambda1, lambda2=iv.lambda2).to(device=device, dtype=dtype)

    def training_forward(self, step: int, model, x: torch.Tensor) -> torch.Tensor:
        dtype = next(model.parameters()).dtype
        _, out = robustness_probe(model).perturbed(x, self.sigma(device=x.device, dtype=dtype), self.generator)
        return out

    def on_eval(self, step: int, model, info: dict) -> dict:
        self.last_train_acc = torch.nan_to_num(info["evaluation"]["train_acc"].double().cpu(), nan=0.0)
        sig = self.sigma(device="cpu", dtype=info["config"].torch_dtype)
        return {**super().on_eval(step, model, info), "sigma": [float(v) for v in sig]}

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "last_train_acc": self.last_train_acc.clone()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.last_train_acc = state["last_train_acc"].double().cpu()


class AbelianRegularizerCallback(_InterventionCallback):
    """Training callback of :class:`AbelianRegularizer` (build it with :func:`intervention_callback`).

    Adds ``weight · mean‖f(a,b) − f(b,a)‖²`` (mean over the batch and the outputs) to each
    seed's loss. Stateless. Refused for a non-Abelian group.
    """

    def __init__(self, intervention: AbelianRegularizer, task):
        if task.kind != "group":
            raise GroupInputError("the abelian regulariser needs a group task")
        table = np.asarray(task.meta["table"])
        if not np.array_equal(table, table.T):
            raise GroupInputError("the abelian regulariser forces f(a,b) = f(b,a); the group is not Abelian")
        self.intervention = intervention
        self.task = task

    def extra_loss(self, step: int, model, x: torch.Tensor, y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        swapped = model(swap_operands(x, self.task))
        return self.intervention.weight * ((out - swapped) ** 2).mean(dim=(1, 2))


def intervention_callback(intervention: PerturbedTraining | AbelianRegularizer, task, *, seed: int = 0,
                          noise_seed: int = 0) -> PerturbedTrainingCallback | AbelianRegularizerCallback:
    """The training callback of an intervention, for ``train(config, task, callbacks=(cb,))``.

    Parameters
    ----------
    intervention : PerturbedTraining or AbelianRegularizer
    task : Task
        The run's task (the abelian regulariser swaps its operands; refused for a non-Abelian group).
    seed : int
        The run seed (``config.seed``); the noise generator is seeded with
        ``seed_for(seed, 0, "data") XOR noise_seed``.
    noise_seed : int
        Changes the noise draws without changing the initialisation, split or batch order.

    Returns
    -------
    PerturbedTrainingCallback or AbelianRegularizerCallback
    """
    if isinstance(intervention, PerturbedTraining):
        return PerturbedTrainingCallback(intervention, task, seed=seed, noise_seed=noise_seed)
    if isinstance(intervention, AbelianRegularizer):
        return AbelianRegularizerCallback(intervention, task)
    raise InvalidInputError(f"unknown intervention {intervention!r}; use PerturbedTraining or AbelianRegularizer")


def train_with_intervention(
    config,
    task,
    *,
    intervention: PerturbedTraining | AbelianRegularizer | None = None,
    out_dir: str | os.PathLike | None = None,
    device="cpu",
    progress: bool = True,
    callbacks: Sequence = (),
    noise_seed: int | None = None,
    resume: bool = False,
):
    """:func:`~grokcheck.checks.training._train.train` with an intervention's callback attached.

    Same ``config`` (:class:`~grokcheck.checks.training._train.TrainConfig`), task, seeds, files,
    checkpoints and resume as ``train``; ``intervention=None`` is exactly ``train``. Each metrics
    line also gets ``"intervention"`` and, for perturbed training, ``"sigma"``. A plain and an
    intervened run start from the same initialisation, split and batch order; the perturbation
    noise comes from a generator seeded with ``seed_for(config.seed, 0, "data")`` XOR
    ``noise_seed`` (default 0).

    Returns
    -------
    RunResult
    """
    from grokcheck.checks.training._train import train

    cbs = tuple(callbacks)
    if intervention is not None:
        cbs = (intervention_callback(intervention, task, seed=config.seed, noise_seed=int(noise_seed or 0)), *cbs)
    return train(config, task, out_dir=out_dir, device=device, progress=progress, callbacks=cbs, resume=resume)


def describe_intervention(intervention) -> str:
    """A short label: ``"plain"``, ``"perturbed(lambda1=…,lambda2=…)"`` or ``"abelian(weight=…)"``."""
    return _describe(intervention)


def _describe(intervention) -> str:
    if intervention is None:
        return "plain"
    if isinstance(intervention, PerturbedTraining):
        return f"perturbed(lambda1={intervention.lambda1:g},lambda2={intervention.lambda2:g})"
    if isinstance(intervention, AbelianRegularizer):
        return f"abelian(weight={intervention.weight:g})"
    raise TypeError(f"unknown intervention {intervention!r}")
