"""The training loop's callbacks: interventions, robustness logging and the checkpoint history run
on the one loop of :func:`~grokcheck.checks.training._train.train`, reproduce the trajectories of
the separate loop they replaced bit for bit, and resume bit-identically with state attached.

Reference digests
-----------------
``_REFERENCE`` was produced on 2026-12-01 with the code of commit 4f68e2a (the last commit with the
second training loop ``train_with_intervention`` and the closure ``checkpoint_history_callback``),
torch 2.13.0+cpu, x86_64, one torch thread, by running ``python tests/test_train_callbacks.py``,
which prints ``{name: (sha256, first numbers)}`` for each trajectory below. The digest is over the
exact float values (JSON ``repr``) of every metrics line and every final or saved parameter.
Bit equality is only defined on the platform that recorded it (another BLAS or CPU reorders float
sums), so elsewhere the test compares the stored leading numbers with a tolerance instead.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys

import numpy as np
import pytest
import torch

from grokcheck.checks.experiments._interventions import AbelianRegularizer, PerturbedTraining, train_with_intervention
from grokcheck.checks.experiments._kkt_run import checkpoint_history_callback
from grokcheck.checks.training._data import group_task
from grokcheck.checks.training._metric_logging import ROBUSTNESS_KEYS, RobustnessLogger
from grokcheck.checks.training._models import MLPConfig, TransformerConfig
from grokcheck.checks.training._optimizers import OptimizerConfig
from grokcheck.checks.training._train import TrainConfig, train
from grokcheck.theory import FiniteGroup

_KEYS = ("step", "train_loss", "train_acc", "test_loss", "test_acc", "t_mem", "t_grok", "sigma", *ROBUSTNESS_KEYS)


def _cyclic(n):
    return FiniteGroup.from_table([[(a + b) % n for b in range(n)] for a in range(n)])


def _cfg(steps=30, **kw):
    base = dict(model=MLPConfig(widths=(16,)), optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=1.0),
                steps=steps, n_seeds=2, seed=0, batch_size=8, eval_every=10, checkpoint_every=None, plot=False)
    base.update(kw)
    return TrainConfig(**base)


def _digest(history, tensors) -> tuple[str, list]:
    """sha256 over the metrics lines (the keys in ``_KEYS``) and the tensors' bytes, and the
    train losses of the last line (the numbers compared off the recording platform)."""
    h = hashlib.sha256()
    for row in history:
        h.update(json.dumps({k: row[k] for k in _KEYS if k in row}, sort_keys=True).encode())
    for t in tensors:
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest(), list(history[-1]["train_loss"])


def _params(model):
    return [p for _, p in sorted(model.named_parameters())]


def _intervention_runs():
    task = group_task(_cyclic(7), train_fraction=0.5, n_seeds=2, seed=0)
    out = {}
    for name, iv in (("plain", None), ("perturbed-paper", PerturbedTraining()),
                     ("perturbed-small", PerturbedTraining(0.1, 0.05)), ("abelian", AbelianRegularizer(1.0))):
        r = train_with_intervention(_cfg(), task, intervention=iv, progress=False)
        out[f"intervention-{name}"] = _digest(r.history, _params(r.model))
    seq = group_task(_cyclic(5), train_fraction=0.6, n_seeds=2, seed=1, encoding="sequence")
    cfg = _cfg(steps=12, model=TransformerConfig(d_model=8, n_heads=2, d_mlp=16), eval_every=4, batch_size=None)
    r = train_with_intervention(cfg, seq, intervention=PerturbedTraining(0.3, 0.2), progress=False, noise_seed=3)
    out["intervention-transformer"] = _digest(r.history, _params(r.model))
    return out


def _kkt_history_run(tmp):
    from grokcheck.theory import group

    task = group_task(group("C5"), train_fraction=0.6, n_seeds=1, seed=0, encoding="concat")
    cfg = TrainConfig(model=MLPConfig(widths=(16,), bias="first", init="he", init_scale=3.0, zero_last=True),
                      optimizer=OptimizerConfig("sgd", lr=0.5, weight_decay=0.05), steps=120, n_seeds=1, seed=0,
                      eval_every=30, checkpoint_every=None, dtype="float64", plot=False)
    run_dir = tmp / "kkt"
    r = train(cfg, task, out_dir=run_dir, progress=False, callbacks=(checkpoint_history_callback(run_dir, every=2),))
    files = sorted((run_dir / "checkpoints").glob("step_*.pt"))
    saved = [torch.load(f, weights_only=False) for f in files]
    tensors = [t for ck in saved for _, t in sorted(ck["model"].items())]
    history = [*r.history, {"step": [ck["step"] for ck in saved], "train_loss": r.history[-1]["train_loss"]}]
    return {"kkt-history": _digest(history, tensors)}


def _robustness_run(tmp):
    task = group_task(_cyclic(7), train_fraction=0.6, n_seeds=2, seed=0)
    r = train(_cfg(steps=40), task, progress=False, callbacks=[RobustnessLogger(every=20, batch_size=8, n_batches=2)],
              out_dir=tmp / "rob")
    return {"robustness": _digest(r.history, _params(r.model))}


def _all_runs(tmp):
    return {**_intervention_runs(), **_kkt_history_run(tmp), **_robustness_run(tmp)}


_RECORDED_ON = ("2.13.0+cpu", "x86_64")
_REFERENCE = {
    'intervention-plain': ('e1fea8dfd1be7ae21334e6fdad8ebc435a27e99066f41769d088ea86e57bd875', [1.5671581029891968, 1.6052974462509155]),
    'intervention-perturbed-paper': ('db045d1d5f910d410ff1341ea378aa7b11f8ba8ebc662bb43f7a45c11dd8ceed', [1.745042324066162, 1.7592343091964722]),
    'intervention-perturbed-small': ('755b10b5aa26787271f9bc8b106ba6408753d3211981cdce3f3124afb3b4f084', [1.5762845277786255, 1.626466155052185]),
    'intervention-abelian': ('6af280987f8a4b1e80c77a239b8621befab29f45c66e4fa85b72e514601d2bdb', [1.688358187675476, 1.678877830505371]),
    'intervention-transformer': ('9d80240e92d58348f3954cbdaf56c4323ca096e2d2e8545b2b987eee529b53c3', [1.5575212240219116, 1.5671089887619019]),
    'kkt-history': ('0a0dd9ba4306ec9ad756b3cbbeaaebc8606bc6f9989c4c608d11cf56d3106b11', [0.7992152851731974]),
    'robustness': ('01cf6de5ef1e74c6fdf95f24d1e7cc152d3c18563580547f40177119841b19fb', [1.5905083417892456, 1.606229543685913]),
}


def test_callback_path_reproduces_the_previous_trajectories(tmp_path):
    got = _all_runs(tmp_path)
    assert set(got) == set(_REFERENCE)
    if (torch.__version__, platform.machine()) == _RECORDED_ON:
        for name, (digest, _) in _REFERENCE.items():
            assert got[name][0] == digest, name  # bit for bit
    else:
        for name, (_, numbers) in _REFERENCE.items():
            # another BLAS/CPU reorders float32 sums; over ≤ 40 steps of a tiny net that moves losses ~1e-6
            np.testing.assert_allclose(got[name][1], numbers, rtol=1e-4, err_msg=name)


if __name__ == "__main__":  # prints the reference (see the module docstring)
    import tempfile
    from pathlib import Path

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as d:
        for k, v in _all_runs(Path(d)).items():
            print(f"    {k!r}: {v!r},")
    sys.exit(0)
