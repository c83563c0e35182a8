"""Where the batched ensemble step's time goes, in CPU time (robust to a busy machine).

Usage::

    python benchmarks/ensembles_profile.py                          # C23, width 128, 64 seeds, 1 thread
    python benchmarks/ensembles_profile.py --width 512 --group C59 --reps 3
    python benchmarks/ensembles_profile.py --compile                # also torch.compile variants

Each figure is the minimum over ``--reps`` of ``time.process_time()`` around one call (the CPU
time of this process: another process's load inflates wall time far more than CPU time):

* ``batched step`` – forward, loss, backward and optimizer step of grokcheck's batched model;
  ``forward``, ``loss + its backward`` and ``optimizer`` alone; ``output-layer products`` – the
  three batched matrix products of the output layer, on tensors of the step's shapes;
* ``vmap step`` – the ``torch.func`` ensembling recipe of ``benchmarks/ensembles.py``;
* with ``--compile``: ``torch.compile`` of the optimizer step and of the loss (under compile the
  model takes its dense one-hot path), with their compile times.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch


def _cpu_ms(fn, reps: int) -> float:
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best * 1e3


def main(argv=None) -> dict:
    from torch.func import functional_call, stack_module_state, vmap

    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig, build_model
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.checks.training._train import per_seed_loss
    from grokcheck.theory import group

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=64)
    ap.add_argument("--group", default="C23")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    S, M = args.seeds, args.width
    G = group(args.group)
    task = group_task(G, train_fraction=0.5, n_seeds=S, seed=0)
    x, y = task.split("train")
    B, D, C = x.shape[1], x.shape[2], G.order
    model = build_model(MLPConfig(widths=(M,)), task, seed=0)
    opt = build_optimizer(model, OptimizerConfig("adamw", lr=1e-3, weight_decay=1.0))
    alive = torch.ones(S, dtype=torch.bool)

    def loss():
        return per_seed_loss("ce", model(x), y).sum()

    def fwd_bwd():
        for p in model.parameters():
            p.grad = None
        loss().backward()

    def step():
        fwd_bwd()
        opt.step(alive)

    out = model(x).detach()

    def loss_bwd():
        o = out.clone().requires_grad_()
        per_seed_loss("ce", o, y).sum().backward()

    r, w, go = torch.randn(S, B, M), torch.randn(S, C, M), torch.randn(S, B, C)

    def products():
        torch.bmm(w, r.transpose(1, 2))
        torch.bmm(go.transpose(1, 2), r)
        torch.bmm(go, w)

    nets = []
    for s in range(S):
        net = torch.nn.Sequential(torch.nn.Linear(D, M), torch.nn.ReLU(), torch.nn.Linear(M, C, bias=False))
        nets.append(net)
    params, buffers = stack_module_state(nets)
    base = copy.deepcopy(nets[0]).to("meta")
    vopt = torch.optim.AdamW(list(params.values()), lr=1e-3, weight_decay=1.0, foreach=True)
    vforward = vmap(lambda p, b, xs: functional_call(base, (p, b), (xs,)))

    def vmap_step():
        vopt.zero_grad(set_to_none=True)
        o = vforward(params, buffers, x)
        torch.nn.functional.cross_entropy(o.flatten(0, 1), y.flatten(), reduction="none").view(S, -1).mean(1).sum().backward()
        vopt.step()

    fwd_bwd()
    res = {
        "batched step": _cpu_ms(step, args.reps),
        "  forward": _cpu_ms(lambda: model(x), args.reps),
        "  loss + its backward": _cpu_ms(loss_bwd, args.reps),
        "  forward + loss + backward": _cpu_ms(fwd_bwd, args.reps),
        "  optimizer": _cpu_ms(lambda: opt.step(alive), args.reps),
        "  output-layer products (3 bmm)": _cpu_ms(products, args.reps),
        "vmap step": _cpu_ms(vmap_step, args.reps),
    }
    if args.compile:
        t0 = time.perf_counter()
        copt = torch.compile(lambda: opt.step(alive))
        copt()
        res[f"compiled optimizer (compile {time.perf_counter() - t0:.0f} s)"] = _cpu_ms(copt, args.reps)
        t0 = time.perf_counter()
        closs = torch.compile(loss)
        closs().backward()
        compile_s = time.perf_counter() - t0

        def cfb():
            for p in model.parameters():
                p.grad = None
            closs().backward()

        res[f"compiled forward + loss + backward, dense (compile {compile_s:.0f} s)"] = _cpu_ms(cfb, args.reps)
    flops = 3 * 2 * S * B * M * C
    print(f"{S} seeds, ReLU MLP width {M} on {args.group} (n_train={B}), {args.threads} thread(s); "
          f"CPU ms, min of {args.reps}")
    for k, v in res.items():
        print(f"{k:<62}{v:>9.2f}")
    print(f"output-layer products: {flops / 1e9:.3f} GFLOP -> "
          f"{flops / res['  output-layer products (3 bmm)'] / 1e6:.1f} GFLOP/s; "
          f"vmap step / batched step = {res['vmap step'] / res['batched step']:.1f}x")
    return res


if __name__ == "__main__":
    main()
