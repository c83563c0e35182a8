"""A training callback that logs Tan & Huang's grokking indicators into ``metrics.jsonl``.

:class:`RobustnessLogger` is an ``on_eval`` callback of :func:`grokcheck.checks.training._train.train`
(Tan & Huang, "Understanding grokking through a robustness viewpoint", arXiv 2311.06597,
Section 4.1 and Section 5): every ``every`` steps it adds per-seed lists to the metrics line:

- ``pmi``, ``pe``, ``pmi0``, ``pe0``, ``mid``, ``ed`` — matrix-information metrics with the paper's
  protocol (per batch, one noise draw per batch, averaged over batches; α = 1 by default;
  σ = 0.4, the paper's modular-addition value);
- ``abelian_acc``, ``abelian_logit_dist`` — the abelian test (argmax and logit versions) on the
  training pairs, for group tasks (``abelian_commuting`` is the ground-truth fraction);
- ``perturbation_error`` — ``Σ_i ‖f(x_i + Δ_i) − f(x_i)‖²`` averaged per example, at σ.

Cost control: the information metrics need three ``B × B`` eigen-decompositions per batch and
σ value, so they are computed on a **fixed** subset of the training set — ``n_batches`` batches
of ``batch_size`` examples taken in a fixed order (the same examples at every logged step, so
the time series is not confounded by resampling). The paper averages over all training batches;
``n_batches=None`` does that. The noise for step ``t`` is drawn from a generator seeded by
``(seed, t)``, so values do not depend on how often the callback ran before (resume-safe) and
no global RNG is touched.

The overhead of logging every 100 steps is measured by ``benchmarks/metric_logging.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from grokcheck.errors import InvalidInputError

from grokcheck.checks.experiments._interventions import abelian_test, robustness_probe
from grokcheck.numerics._robustness import information_metrics, perturbation_error

__all__ = ["RobustnessLogger", "ROBUSTNESS_KEYS"]

#: Keys a :class:`RobustnessLogger` may add to a metrics line.
ROBUSTNESS_KEYS = ("pmi", "pe", "pmi0", "pe0", "mid", "ed", "perturbation_error",
                   "abelian_acc", "abelian_logit_dist", "abelian_commuting")


@dataclass(frozen=True)
class RobustnessLogger:
    """``on_eval`` callback logging MID/ED/PMI/PE and the abelian test (stateless, resume-safe).

    Parameters
    ----------
    every : log at steps that are multiples of ``every`` (the callback is called at every
        evaluation; other calls return ``None``). Step 0 is logged.
    sigma : noise standard deviation for PMI/PE/MID/ED and the perturbation error.
    alpha : Rényi order of the matrix entropy.
    batch_size, n_batches : the fixed training subset (``n_batches=None``: all batches).
    abelian : run the abelian test (group tasks only; skipped silently otherwise).
    information : compute PMI/PE/MID/ED (the expensive part).
    first_layer : passed to :func:`~grokcheck.checks.experiments._interventions.robustness_probe`.
    seed : seed of the noise generator.
    """

    every: int = 100
    sigma: float = 0.4
    alpha: float = 1.0
    batch_size: int = 128
    n_batches: int | None = 1
    abelian: bool = True
    information: bool = True
    first_layer: str = "default"
    seed: int = 0

    def __post_init__(self):
        if self.every < 1 or self.batch_size < 2 or (self.n_batches is not None and self.n_batches < 1):
            raise InvalidInputError(f"RobustnessLogger: need every >= 1, batch_size >= 2 and n_batches >= 1 (or None), got "
                                    f"every={self.every}, batch_size={self.batch_size}, n_batches={self.n_batches}")

    def _generator(self, step: int) -> torch.Generator:
        g = torch.Generator(device="cpu")
        g.manual_seed(int(np.random.SeedSequence([self.seed, int(step), 8]).generate_state(1, dtype=np.uint64)[0]) >> 1)
        return g

    def _batches(self, x: torch.Tensor):
        n = x.shape[1]
        b = min(self.batch_size, n)
        count = n // b if self.n_batches is None else min(self.n_batches, n // b)
        return [x[:, i * b:(i + 1) * b] for i in range(max(count, 1))]

    def __call__(self, step: int, model, info: dict) -> dict | None:
        """Same as :meth:`on_eval` (the plain-callable form of a callback)."""
        return self.on_eval(step, model, info)

    def on_eval(self, step: int, model, info: dict) -> dict | None:
        """The metrics of step ``step`` (``None`` off the ``every`` grid); ``info`` as in ``train``."""
        if step % self.every:
            return None
        out: dict = {}
        task = info["task"]
        x = info["x_train"]
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                if self.information:
                    probe = robustness_probe(model, first_layer=self.first_layer)
                    gen = self._generator(step)
                    m = information_metrics(probe, self._batches(x), sigma=self.sigma, alpha=self.alpha, generator=gen)
                    out.update(m.as_dict())
                    pe_sum = sum(perturbation_error(probe, xb, sigma=self.sigma, generator=gen) for xb in self._batches(x))
                    n_used = sum(xb.shape[1] for xb in self._batches(x))
                    out["perturbation_error"] = (pe_sum / n_used).double().cpu().tolist()
                if self.abelian and task.kind == "group":
                    t = abelian_test(model, x, task)
                    out["abelian_acc"] = t.argmax_agreement.tolist()
                    out["abelian_logit_dist"] = t.logit_distance.tolist()
                    out["abelian_commuting"] = t.commuting.tolist()
        finally:
            model.train(was_training)
        alive = info["alive"].cpu().numpy()
        return {k: [float(v) if a and np.isfinite(v) else None for v, a in zip(vals, alive)] for k, vals in out.items()}
