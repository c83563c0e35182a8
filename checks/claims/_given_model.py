"""``verify --model``: the trained-network checks on a network trained elsewhere.

:func:`model_artifacts` reads a model with the external-model loaders
(:func:`grokcheck.checks.training._external.load_model`) and returns the artifacts the
trained-network checks read, each a :class:`~grokcheck.checks.claims._trained.TrainedNet`:

* every format gives ``"trained.mlp"`` (the ReLU-MLP checks; Chughtai et al.'s one-layer MLP,
  concatenated or summed one-hot MLPs, a grokcheck MLP run) — a grokcheck run of He et al.'s
  quadratic model gives ``"trained.quadratic"`` instead;
* and its baseline ``"….init"``: the same architecture with random weights. For a grokcheck
  run that is the run's own configuration trained for zero steps; for a state dict, every
  tensor redrawn from a Gaussian with the same shape, mean and standard deviation as the given
  one (seeded), i.e. random weights of the same architecture and scale.

A model read from a state dict has no training history, so the grokking check is INCONCLUSIVE
on it, and its train/test split is unknown: its accuracy on all |G|² pairs stands for both.
Transformers are read, but their MLP neurons respond to pairs, not to each operand
separately, so the per-neuron checks do not apply to them (NOT APPLICABLE).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from grokcheck.checks.claims._trained import GROKKED, LEARNED, TrainedNet, trained_net_from_run

__all__ = ["analysis_artifacts", "model_artifacts", "net_from_external"]


#: largest order whose full (|G|², |G|) float64 logits a given model's TrainedNet keeps
LOGITS_MAX_ORDER = 256


def net_from_external(G, model, source: str, element_of_label=None) -> TrainedNet:
    """A :class:`TrainedNet` (one seed) from an :class:`~grokcheck.checks.training._external.ExternalModel`.

    ``element_of_label`` (n,) maps model label ``x`` to element ``element_of_label[x]`` of ``G``
    (default: label g is element g); every array of the result is indexed by ``G``'s elements, so
    the checks see the model in ``G``'s labelling: ``θ¹[:, g] = left[:, x]`` for the label ``x``
    of ``g``, and the logits on ``(g₁, g₂)`` for output ``g`` are the model's on the labels of
    ``g₁, g₂`` for the label of ``g``.
    """
    from grokcheck.checks.training._analysis_options import ACCURACY_ALL_PAIRS
    from grokcheck.errors import InvalidInputError

    if model.pairwise:
        raise InvalidInputError(f"{source}: the per-neuron checks need neurons that see each operand separately "
                                "(left + right responses); a transformer's MLP neurons respond to pairs", option="--model")
    n = G.order
    perm = np.arange(n) if element_of_label is None else np.asarray(element_of_label, dtype=np.int64)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n)  # the model label of element g
    d = model.neuron_data()
    T = model.predict_table()  # (n, n) model labels, computed in chunks
    acc = float(np.mean(perm[T] == np.asarray(G.table)[np.ix_(perm, perm)]))
    # the (n², n) logits are read only by the quadratic network's majority vote; kept when they are small
    # (8 n³ bytes: 134 MB at n = 256, 3 GB at S6's 720)
    L = (np.asarray(model.logits(), dtype=float)[np.ix_(inv, inv, inv)].reshape(1, n * n, n)
         if n <= LOGITS_MAX_ORDER else None)
    left, right = np.asarray(d["left"], float)[:, inv], np.asarray(d["right"], float)[:, inv]
    fires = None
    if model.meta.get("activation", "relu") in ("relu", "relusqr"):
        b = 0.0 if d.get("bias") is None else np.asarray(d["bias"], float)
        fires = (left.max(axis=1) + right.max(axis=1) + b > 0)[None]
    return TrainedNet(
        theta1=left[None], theta2=right[None],
        xi=np.asarray(d["out"], float)[:, inv][None], logits=L,
        train_acc=np.array([acc]), test_acc=np.array([acc]),
        t_mem=np.array([-1]), t_grok=np.array([-1]), steps=0, eval_every=0, loss_trend=np.array([np.nan]),
        shared_input=model.format == "summed-mlp",
        source=f"given model {source} ({model.format}); {ACCURACY_ALL_PAIRS}: {acc:.4f}, standing for train "
               f"and test accuracy (the split is unknown)",
        fires=fires,
    )


def _random_like_state(state: dict, seed: int) -> dict:
    import torch

    g = torch.Generator().manual_seed(int(seed))
    out = {}
    for k, v in state.items():
        if torch.is_tensor(v) and v.is_floating_point() and v.numel() > 1:
            mean, std = v.double().mean(), v.double().std()
            out[k] = (mean + std * torch.randn(v.shape, generator=g, dtype=torch.float64)).to(v.dtype)
        else:
            out[k] = v
    return out


def _first_step(history, key: str, thr: float, S: int) -> np.ndarray:
    out = np.full(S, -1)
    for h in history:
        vals = h.get(key) or []
        for s, v in enumerate(vals):
            if out[s] < 0 and v is not None and v >= thr:
                out[s] = int(h["step"])
    return out


def _from_run_dir(G, path: Path, seed: int, device: str) -> dict:
    from types import SimpleNamespace

    from dataclasses import replace

    from grokcheck.checks.training._train import load_run, train
    from grokcheck.errors import InvalidInputError

    run_dir = path.parent if path.is_file() else path
    try:
        run = load_run(run_dir, device="cpu")
    except FileNotFoundError as exc:
        raise InvalidInputError(str(exc), option="--model") from None
    if run.task.kind != "group" or run.task.meta.get("encoding") == "sequence":
        raise InvalidInputError(f"{run_dir}: the per-neuron checks need a group task with one-hot inputs", option="--model")
    S = run.model.n_seeds
    res = SimpleNamespace(model=run.model.double(), history=run.history, final=run.history[-1], alive=run.alive,
                          t_mem=_first_step(run.history, "train_acc", LEARNED, S),
                          t_grok=_first_step(run.history, "test_acc", GROKKED, S), step=run.step, config=run.config)
    net = trained_net_from_run(res, run.task)
    # the baseline is the run's architecture at random initialisation: never the weights of a run it
    # was initialised from (--init-from), and no checkpoint history for a zero-step run
    cfg = replace(run.config, steps=0, plot=False, init_from=None, checkpoint_history=None)
    init = train(cfg, run.task, device=device, progress=False)
    base = trained_net_from_run(init, run.task)
    key = "trained.quadratic" if run.config.model.kind == "quadratic" else "trained.mlp"
    return {key: net, f"{key}.init": base}


def read_given_model(G, path, fmt: str, *, labels="auto", seed: int = 0, device: str = "cpu", **load_options):
    """The one path by which a model from a file reaches the checks: read it, find its labelling.

    Returns the :class:`~grokcheck.checks.training._external.ModelReport` of
    :func:`~grokcheck.checks.training._external.analyze_model` on ``G``: the labelling
    (``element_of_label``; ``labels="auto"`` reads it from the model's own predictions, an
    explicit array or ``"identity"`` is checked against them), the accuracy in it, and the
    per-neuron analysis by the default :class:`SingleIrrepDefinition`. Raises
    :class:`~grokcheck.errors.LabellingError` for a labelling the model contradicts.
    """
    from grokcheck.checks.training._external import analyze_model, load_model

    model = load_model(path, fmt, G, seed=seed, device=device, **load_options)
    return analyze_model(model, G, labels=labels)


def model_artifacts(G, path, fmt: str, *, seed: int = 0, device: str = "cpu", config=None, labels="auto",
                    **load_options) -> dict:
    """The artifacts of a trained model at ``path`` in format ``fmt`` (see the module docstring);
    ``config``: a transformer-lens model's config (see :func:`~grokcheck.checks.training._external.load_model`).

    The model is read in the labelling :func:`read_given_model` finds (or is given), so the
    accuracy and every per-neuron statistic are those ``grokcheck analyze`` reports.
    """
    from grokcheck.checks.training._external import load_model

    path = Path(os.fspath(path))
    if fmt == "grokcheck":
        return _from_run_dir(G, path, seed, device)
    rep = read_given_model(G, path, fmt, labels=labels, device=device, config=config, **load_options)
    model = rep.model
    net = net_from_external(G, model, path.name, rep.element_of_label)
    net.extra.update({"labels": rep.labels, "labelling_warning": rep.warning})
    import torch

    fd, tmp = tempfile.mkstemp(suffix=".pt")
    os.close(fd)
    try:
        torch.save(_random_like_state(model.state, seed), tmp)
        # the config found beside the file (transformer-lens), since the random copy lies elsewhere
        base_model = load_model(tmp, fmt, G, device=device, config=model.meta.get("config", config), **load_options)
    finally:
        os.remove(tmp)
    # the random-init baseline in the same labelling: a relabelling of random weights is random weights
    base = net_from_external(G, base_model, "random weights of the same architecture and scale", rep.element_of_label)
    return {"trained.mlp": net, "trained.mlp.init": base, **analysis_artifacts(G, net, rep.analysis)}


def analysis_artifacts(G, net: TrainedNet, analysis) -> dict:
    """The per-neuron analysis :func:`read_given_model` made, under the keys the trained-network checks
    cache theirs (``"trained.mlp.analysis"``; ``"….grokked"``, the seeds that grokked), so that
    ``verify --model`` does not analyse the model a second time.

    Given only where :func:`~grokcheck.checks.training.analyze_neurons` on ``net`` computes the same
    thing from the same arrays: the default :class:`SingleIrrepDefinition`, one seed whose neuron
    strengths are finite and not all zero (``analyze_neurons`` skips such a seed), and for
    ``"….grokked"`` a model that grokked (otherwise that analysis has no seed and costs nothing).
    The group name is the one ``analyze_neurons`` gives. ``tests/test_model_path.py`` checks
    that every array is identical to a fresh ``analyze_neurons``.
    """
    from dataclasses import replace

    from grokcheck.checks.training._analysis_options import DEFAULT_SINGLE_IRREP

    if (analysis is None or analysis.definition != DEFAULT_SINGLE_IRREP or net.n_seeds != 1
            or len(analysis.shares) != 1 or analysis.shares[0] is None):
        return {}
    from grokcheck.checks.training._analyze import neuron_strength

    strength = neuron_strength(net.theta1[0], net.theta2[0], net.xi[0])
    if not (np.all(np.isfinite(strength)) and strength.max() > 0):
        return {}
    same = replace(analysis, group_name=str(getattr(G, "name", None) or G))
    out = {"trained.mlp.analysis": same}
    acc = np.asarray(net.test_acc, dtype=float)
    if np.all(np.isfinite(acc) & (acc >= GROKKED)):
        out["trained.mlp.analysis.grokked"] = same
    return out
