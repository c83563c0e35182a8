"""Steps per second: S seeds as ONE batched model vs S sequential models, side by side.

Usage::

    python benchmarks/ensembles.py                      # 64 seeds, ReLU MLP on C23, CPU
    python benchmarks/ensembles.py --seeds 64 --group C31 --width 256 --steps 30 --device cuda

One "ensemble step" advances every one of the S seeds by one full-batch AdamW step on its own
train split. Three ways are timed in the same process:

* ``batched``      – grokcheck's batched model (parameters (S, ...), ``torch.bmm``) and its
                     per-seed optimizer: one forward/backward/step for all seeds;
* ``seq-grokcheck``– S separate grokcheck models with S = 1, stepped one after the other;
* ``seq-torch``    – S plain ``nn.Sequential`` MLPs with ``torch.optim.AdamW`` (foreach), stepped
                     one after the other (what a user would otherwise write).

The ratio is batched steps/s over the faster sequential variant, the median over ``--rounds``
interleaved rounds (so that load from other processes hits all variants alike).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _time(fn, steps, device, warmup=3):
    for _ in range(warmup):
        fn()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    _sync(device)
    return steps / (time.perf_counter() - t0)


def main(argv=None) -> dict:
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig, build_model
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.checks.training._train import per_seed_loss
    from grokcheck.theory import group

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--group", default="C23")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--train-fraction", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=20, help="timed ensemble steps per variant")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (medians are reported)")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    dev = args.device
    S = args.seeds
    G = group(args.group)
    task = group_task(G, train_fraction=args.train_fraction, n_seeds=S, seed=0)
    cfg = MLPConfig(widths=(args.width,))
    ocfg = OptimizerConfig("adamw", lr=1e-3, weight_decay=1.0)
    x, y = task.split("train", device=dev, dtype=dtype)

    # batched
    model = build_model(cfg, task, seed=0, device=dev, dtype=dtype)
    opt = build_optimizer(model, ocfg)
    alive = torch.ones(S, dtype=torch.bool, device=dev)

    def batched_step():
        for p in model.parameters():
            p.grad = None
        per_seed_loss("ce", model(x), y).sum().backward()
        opt.step(alive)

    # S sequential grokcheck models (S = 1 each), same data and init as the batched seeds
    singles = []
    for s in range(S):
        m = build_model(cfg, task, n_seeds=1, seed=0, device=dev, dtype=dtype)
        with torch.no_grad():
            for p, q in zip(m.parameters(), model.parameters()):
                p.copy_(q[s : s + 1])
        singles.append((m, build_optimizer(m, ocfg), x[s : s + 1], y[s : s + 1]))
    one = torch.ones(1, dtype=torch.bool, device=dev)

    def seq_grokcheck_step():
        for m, o, xs, ys in singles:
            for p in m.parameters():
                p.grad = None
            per_seed_loss("ce", m(xs), ys).sum().backward()
            o.step(one)

    # S sequential plain-torch models
    plain = []
    for s in range(S):
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[-1], args.width), torch.nn.ReLU(),
                                  torch.nn.Linear(args.width, G.order, bias=False)).to(dev, dtype)
        plain.append((net, torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1.0, foreach=True), x[s], y[s]))

    def seq_torch_step():
        for net, o, xs, ys in plain:
            o.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(xs), ys).backward()
            o.step()

    # interleave the variants in rounds so that load changes on a shared machine hit all of them
    per_round = []
    for _ in range(args.rounds):
        per_round.append({
            "batched": _time(batched_step, args.steps, dev),
            "seq-grokcheck": _time(seq_grokcheck_step, max(2, args.steps // 4), dev, warmup=1),
            "seq-torch": _time(seq_torch_step, max(2, args.steps // 4), dev, warmup=1),
        })
    rates = {k: float(np.median([r[k] for r in per_round])) for k in per_round[0]}
    ratios = [r["batched"] / max(r["seq-grokcheck"], r["seq-torch"]) for r in per_round]
    ratio = float(np.median(ratios))
    print(f"{S} seeds, ReLU MLP width {args.width} on {args.group} (n_train={task.n_train}, full batch, AdamW), "
          f"{dev} {args.dtype}, torch threads {torch.get_num_threads()}")
    print(f"{'variant':<16}{'ensemble steps/s':>18}{'seed-steps/s':>16}")
    for k, v in rates.items():
        print(f"{k:<16}{v:>18.2f}{v * S:>16.1f}")
    print(f"speed-up batched / best sequential: {ratio:.1f}x (median of {args.rounds} interleaved rounds: "
          f"{', '.join(f'{r:.1f}' for r in ratios)})")
    return {"rates": rates, "ratio": ratio}


if __name__ == "__main__":
    main()
