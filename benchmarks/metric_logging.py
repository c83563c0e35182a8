"""Overhead of logging MID/ED/PMI/PE + the abelian test every 100 steps (target: < 20%).

Runs the same training twice — once plain, once with :class:`RobustnessLogger` (``every=100``)
— with the same evaluation cadence (``eval_every=100``), so the difference is the logger alone.
CPU time of the process (``time.process_time``) is the primary measure because it is insensitive
to other processes on a shared machine; wall time is printed too. Settings:

- ``mod97``: EGD Table 1 (p = 97, 50% train, MLP width 512, SGD lr 0.7, wd 1e-4, batch 512);
- ``mod31``: the small grokking run of the intervention experiments (p = 31, width 128, AdamW,
  full batch) — a cheap training step, so the relative cost of logging is largest here.

Usage: ``python benchmarks/metric_logging.py [--steps 600] [--seeds 1] [--threads 1] [--repeats 2]``.
Prints one JSON line per setting: the end-to-end overhead ratio (noisy on a shared machine) and
the CPU time spent inside the logger's calls divided by the plain run's CPU time (the direct
measure of the logger's cost).
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def _cyclic(n):
    from grokcheck.theory import FiniteGroup

    return FiniteGroup.from_table([[(a + b) % n for b in range(n)] for a in range(n)])


def _setting(name, steps, seeds):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig

    if name == "mod97":
        task = group_task(_cyclic(97), train_fraction=0.5, n_seeds=seeds, seed=0)
        cfg = TrainConfig(model=MLPConfig(widths=(512,)), optimizer=OptimizerConfig("sgd", lr=0.7, weight_decay=1e-4),
                          steps=steps, n_seeds=seeds, seed=0, batch_size=512, eval_every=100, checkpoint_every=None, plot=False)
    else:
        task = group_task(_cyclic(31), train_fraction=0.5, n_seeds=seeds, seed=0)
        cfg = TrainConfig(model=MLPConfig(widths=(128,)), optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=1.0),
                          steps=steps, n_seeds=seeds, seed=0, batch_size=None, eval_every=100, checkpoint_every=None, plot=False)
    return task, cfg


def _time(cfg, task, callbacks):
    from grokcheck.checks.training._train import train

    c0, w0 = time.process_time(), time.perf_counter()
    train(cfg, task, progress=False, callbacks=callbacks)
    return time.process_time() - c0, time.perf_counter() - w0


class _Timed:
    """Wraps the logger and accumulates the CPU time spent inside its calls."""

    def __init__(self, cb):
        self.cb, self.cpu = cb, 0.0

    def __call__(self, step, model, info):
        c0 = time.process_time()
        try:
            return self.cb(step, model, info)
        finally:
            self.cpu += time.process_time() - c0


def main(argv=None):
    from grokcheck.checks.training._metric_logging import RobustnessLogger

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--settings", default="mod97,mod31")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    for name in args.settings.split(","):
        task, cfg = _setting(name, args.steps, args.seeds)
        logger = RobustnessLogger(every=100)
        base, logged, inside = [], [], []
        for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
            base.append(_time(cfg, task, ()))
            timed = _Timed(logger)
            logged.append(_time(cfg, task, (timed,)))
            inside.append(timed.cpu)
        cpu_b, cpu_l = min(b[0] for b in base), min(t[0] for t in logged)
        wall_b, wall_l = min(b[1] for b in base), min(t[1] for t in logged)
        print(json.dumps({
            "setting": name, "steps": args.steps, "seeds": args.seeds, "threads": args.threads,
            "logger": {"every": logger.every, "batch_size": logger.batch_size, "n_batches": logger.n_batches,
                       "sigma": logger.sigma, "alpha": logger.alpha},
            "cpu_s_plain": round(cpu_b, 3), "cpu_s_logged": round(cpu_l, 3),
            "cpu_overhead": round(cpu_l / cpu_b - 1, 4),
            "cpu_s_inside_logger": round(min(inside), 3),
            "logger_share_of_plain_cpu": round(min(inside) / cpu_b, 4),
            "wall_s_plain": round(wall_b, 3), "wall_s_logged": round(wall_l, 3),
            "wall_overhead": round(wall_l / wall_b - 1, 4),
        }), flush=True)


if __name__ == "__main__":
    main()
