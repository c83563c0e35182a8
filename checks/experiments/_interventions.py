"""Tan & Huang's interventions: perturbed ("degrok") training, the abelian test and regulariser.

MATH.md §4.5:

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

Training with an intervention uses :func:`train_with_intervention`, a loop built from the
training layer's parts (``build_model``, ``build_optimizer``, ``MinibatchSampler``,
``per_seed_loss``, ``evaluate``) with the *same* seeds, so with ``intervention=None`` it
reproduces :func:`grokcheck.checks.training._train.train` step for step (tested), and a plain and an
intervened run start from the same initialisation, split and batch order. (The training loop
has no loss hook; this is the one place that needs one.)

Model probes ("first layer", for PMI/MID and for the noise site)
----------------------------------------------------------------
- MLP (:class:`MLPNet`): noise on the input ``x`` (the concatenated one-hot vector for group
  tasks); first layer ``relu(W₁ x + b₁)``.
- Li₂ / quadratic nets: noise on the input; first layer = the hidden activations
  ``model.hidden(x)``.
- Transformer (:class:`TransformerNet`): noise on the **token embeddings** ``W_E[tokens]`` of all
  three positions (before the positional embedding is added), as the paper's perturbed
  training does. Tan & Huang do not say what the first layer of the transformer is
  (MATH.md §4.3, §11 item 4). The paper calls ``x_i`` "the input token embedding", so the first
  layer is the first layer *after* that input: we take the residual stream at the "=" position
  after the attention sub-layer (token + position embedding + attention output, ``(B, d)``).
  ``first_layer="mlp"`` selects the MLP hidden activations instead.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from grokcheck.errors import GroupInputError, NumericalFailure
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
            raise ValueError("lambda1 and lambda2 must be >= 0")


@dataclass(frozen=True)
class AbelianRegularizer:
    """``loss + weight · MSE(f(a,b), f(b,a))`` over the training batch (paper: weight 100)."""

    weight: float = 100.0

    def __post_init__(self):
        if self.weight < 0:
            raise ValueError("weight must be >= 0")


def adaptive_sigma(train_acc, *, lambda1: float, lambda2: float) -> torch.Tensor:
    """``σ = max(λ₁ (1 − train acc), λ₂)`` elementwise (train acc per seed)."""
    acc = torch.as_tensor(train_acc, dtype=torch.float64)
    return torch.clamp(lambda1 * (1.0 - acc), min=lambda2)


def _intervention_loss(intervention, model, probe, xb, yb, loss_kind, sigma, gen, task):
    from grokcheck.checks.training._train import per_seed_loss

    if isinstance(intervention, PerturbedTraining):
        _, out = probe.perturbed(xb, sigma, gen)
        return per_seed_loss(loss_kind, out, yb)
    out = model(xb)
    losses = per_seed_loss(loss_kind, out, yb)
    if isinstance(intervention, AbelianRegularizer):
        swapped = model(swap_operands(xb, task))
        losses = losses + intervention.weight * ((out - swapped) ** 2).mean(dim=(1, 2))
    return losses


def train_with_intervention(
    config,
    task,
    *,
    intervention: PerturbedTraining | AbelianRegularizer | None = None,
    out_dir: str | os.PathLike | None = None,
    device="cpu",
    progress: bool = True,
    callbacks: Sequence[Callable] = (),
    noise_seed: int | None = None,
):
    """Train like :func:`~grokcheck.checks.training._train.train`, with an intervention in the loss.

    Same ``config`` (:class:`~grokcheck.checks.training._train.TrainConfig`), task, seeds and metrics
    (``metrics.jsonl`` lines with the same keys, plus ``"sigma"`` for perturbed training and
    ``"intervention"``), the same callbacks protocol; returns a
    :class:`~grokcheck.checks.training._train.RunResult`. Not supported here: checkpoints/resume and
    ``init_from`` (use ``train`` for those). The perturbation noise comes from a generator
    seeded with ``seed_for(config.seed, 0, "data")`` XOR ``noise_seed`` (default 0).
    """
    from grokcheck.checks.training._data import MinibatchSampler, seed_for
    from grokcheck.checks.training._models import build_model
    from grokcheck.checks.training._optimizers import build_optimizer
    from grokcheck.checks.training._train import GROKKED_TEST_ACC, MEMORIZED_TRAIN_ACC, RunResult, _nullable, evaluate, write_json_atomic

    if task.n_seeds != config.n_seeds:
        raise ValueError(f"the task has splits for {task.n_seeds} seeds but config.n_seeds = {config.n_seeds}")
    if config.init_from:
        raise ValueError("train_with_intervention does not support init_from; use train()")
    if isinstance(intervention, AbelianRegularizer) and task.kind == "group":
        table = np.asarray(task.meta["table"])
        if not np.array_equal(table, table.T):
            raise GroupInputError("the abelian regulariser forces f(a,b) = f(b,a); the group is not Abelian")
    dtype = config.torch_dtype
    loss_kind = config.resolved_loss(task)
    S = config.n_seeds
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / "config.json", {"train_config": config.to_dict(), "task": {k: v for k, v in task.summary().items() if k != "table"},
                                                "intervention": _describe(intervention), "loss": loss_kind, "test_leakage": False})
        (out / "metrics.jsonl").write_text("")

    model = build_model(config.model, task, n_seeds=S, seed=config.seed, device=device, dtype=dtype)
    opt = build_optimizer(model, config.optimizer, seed=config.seed)
    sampler = MinibatchSampler(S, task.n_train, config.batch_size, config.seed) if config.batch_size else None
    probe = robustness_probe(model) if isinstance(intervention, PerturbedTraining) else None
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed_for(config.seed, 0, "data") ^ int(noise_seed or 0))

    alive = torch.ones(S, dtype=torch.bool, device=device)
    t_mem = np.full(S, -1, dtype=np.int64)
    t_grok = np.full(S, -1, dtype=np.int64)
    failures: list[NumericalFailure] = []
    history: list[dict] = []
    xtr, ytr = task.split("train", device=device, dtype=dtype)
    xte, yte = task.split("test", device=device, dtype=dtype)
    seed_ix = torch.arange(S, device=device)[:, None]
    params = [p for p in model.parameters() if p.requires_grad]
    last_train_acc = torch.zeros(S, dtype=torch.float64)

    def sigma_now():
        if not isinstance(intervention, PerturbedTraining):
            return None
        return adaptive_sigma(last_train_acc, lambda1=intervention.lambda1, lambda2=intervention.lambda2).to(device=device, dtype=dtype)

    def log(step):
        nonlocal last_train_acc
        a = alive.cpu().numpy()
        trl, tra = evaluate(model, xtr, ytr, loss_kind)
        tel, tea = evaluate(model, xte, yte, loss_kind)
        last_train_acc = torch.nan_to_num(tra.double(), nan=0.0)
        for s in range(S):
            if a[s] and t_mem[s] < 0 and tra[s] >= MEMORIZED_TRAIN_ACC:
                t_mem[s] = step
            if a[s] and t_grok[s] < 0 and task.n_test and tea[s] >= GROKKED_TEST_ACC:
                t_grok[s] = step
        row = {
            "step": step,
            "train_loss": _nullable(trl, a),
            "train_acc": _nullable(tra, a),
            "test_loss": _nullable(tel, a),
            "test_acc": _nullable(tea, a),
            "alive": [bool(v) for v in a],
            "t_mem": [int(t) if t >= 0 else None for t in t_mem],
            "t_grok": [int(t) if t >= 0 else None for t in t_grok],
            "weight_norm": {k: _nullable(v.cpu(), a) for k, v in model.weight_norms().items()},
            "test_leakage": False,
            "intervention": _describe(intervention),
        }
        sig = sigma_now()
        if sig is not None:
            row["sigma"] = [float(v) for v in sig.cpu()]
        info = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "alive": alive.clone(),
                "metrics": row, "task": task, "config": config}
        for cb in callbacks:
            extra = cb(step, model, info)
            if extra:
                clash = set(extra) & set(row)
                if clash:
                    raise ValueError(f"callback {cb!r} returned keys that clash with built-in metrics: {sorted(clash)}")
                row.update(extra)
        history.append(row)
        if out is not None:
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")

    log(0)
    from tqdm.auto import tqdm

    bar = tqdm(total=config.steps, disable=not progress, desc=f"{_describe(intervention)} {task.name} ×{S}",
               mininterval=0.5, dynamic_ncols=True)
    step = 0
    zero = torch.zeros((), dtype=dtype, device=device)
    t0 = time.perf_counter()
    try:
        while step < config.steps and bool(alive.any()):
            if sampler is None:
                xb, yb = xtr, ytr
            else:
                pos = sampler.next().to(device)
                xb, yb = xtr[seed_ix, pos], ytr[seed_ix, pos]
            model.before_step(xb, yb)
            for p in params:
                p.grad = None
            losses = _intervention_loss(intervention, model, probe, xb, yb, loss_kind, sigma_now(), gen, task)
            bad = alive & ~torch.isfinite(losses.detach())
            if bool(bad.any()):
                _fail(bad, step, "loss", failures, alive, config)
            torch.where(alive, losses, zero).sum().backward()
            gok = torch.ones(S, dtype=torch.bool, device=device)
            for p in params:
                if p.grad is not None:
                    gok &= torch.isfinite(p.grad).reshape(S, -1).all(1)
            bad = alive & ~gok
            if bool(bad.any()):
                _fail(bad, step, "gradient", failures, alive, config)
            model.project_gradients()
            opt.step(alive)
            model.retract()
            step += 1
            bar.update(1)
            if step % config.eval_every == 0 or step == config.steps:
                log(step)
    finally:
        bar.close()
    if not history or history[-1]["step"] != step:
        log(step)
    a = alive.cpu().numpy()
    status = "completed" if a.all() else ("all_seeds_failed" if not a.any() else "nan_encountered")
    result = RunResult(config, model, step, tuple(history), t_mem.copy(), t_grok.copy(), a, tuple(failures), status,
                       False, str(out) if out is not None else None)
    if out is not None:
        summ = result.summary()
        summ["intervention"] = _describe(intervention)
        summ["wall_seconds"] = time.perf_counter() - t0
        write_json_atomic(out / "summary.json", summ)
    return result


def _fail(mask, step, quantity, failures, alive, config):
    for s in torch.nonzero(mask).flatten().tolist():
        err = NumericalFailure(f"seed {s}: non-finite {quantity} at step {step}; lower the learning rate or the noise level",
                               where={"seed": s, "step": step, "quantity": quantity})
        if config.on_nan == "raise":
            raise err
        failures.append(err)
    alive.logical_and_(~mask)


def _describe(intervention) -> str:
    if intervention is None:
        return "plain"
    if isinstance(intervention, PerturbedTraining):
        return f"perturbed(lambda1={intervention.lambda1:g},lambda2={intervention.lambda2:g})"
    if isinstance(intervention, AbelianRegularizer):
        return f"abelian(weight={intervention.weight:g})"
    raise TypeError(f"unknown intervention {intervention!r}")
