"""Steps per second: S seeds as ONE batched model vs the alternatives, side by side.

Usage::

    python benchmarks/ensembles.py --threads 1 --rounds 3              # 64 seeds, ReLU MLP width 128 on C23
    python benchmarks/ensembles.py --threads 1 --rounds 3 --width 512 --group C59 --steps 10
    python benchmarks/ensembles.py --device cuda --width 512 --group C59

One "ensemble step" advances every one of the S seeds by one full-batch AdamW step on its own
train split. Four ways are timed in the same process:

* ``batched``      – grokcheck's batched model (parameters (S, ...); on a group task the first
                     layer is a gather of the operand columns, the output layer batched products
                     over seed chunks) and its fused per-seed optimizer: one forward/backward/step;
* ``seq-grokcheck``– S separate grokcheck models with S = 1, stepped one after the other (they
                     take the gathered first layer too);
* ``seq-torch``    – S plain ``nn.Sequential`` MLPs with ``torch.optim.AdamW`` (foreach), stepped
                     one after the other (what a user would otherwise write);
* ``vmap``         – PyTorch's model-ensembling recipe: ``torch.func.stack_module_state`` of the S
                     ``nn.Sequential`` MLPs, ``vmap(functional_call)`` for the forward pass,
                     autograd for the backward pass and ``torch.optim.AdamW`` (foreach) on the
                     stacked parameters (elementwise, so per seed).

The speed-up is batched steps/s over the fastest alternative, the median over ``--rounds``
interleaved rounds (so that load from other processes hits all variants alike). Beside it the
benchmark prints the batched step's achieved FLOP/s — the matrix-product FLOPs it executes, and
the dense-equivalent FLOPs of the one-hot products the alternatives execute — against the
machine's matmul FLOP/s, measured in the same process with the same threads (a square float32
product), so the distance to the limit is visible — and a ceiling: the rate of the output layer's three
batched products alone (``products``, timed in the same rounds at the step's shapes), which bounds
the speed-up of any exact batched step that executes them.
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


def matmul_flops(device, dtype, n: int = 1024, reps: int = 5) -> float:
    """FLOP/s of a square ``n × n`` product on ``device`` (best of ``reps``): the machine's limit."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def step_flops(S: int, B: int, D: int, M: int, C: int) -> tuple[float, float]:
    """Matrix-product FLOPs of one ensemble step: (batched as executed, dense one-hot equivalent).

    Output layer: forward, input gradient and weight gradient, 3 · 2SBMC. The dense first layer
    adds its forward and weight gradient, 2 · 2SBDM; the batched step gathers it instead.
    """
    out = 3 * 2 * S * B * M * C
    return float(out), float(out + 2 * 2 * S * B * D * M)


def main(argv=None) -> dict:
    import copy

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
    ap.add_argument("--train-fraction", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=20, help="timed ensemble steps of the batched variant per round")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (medians are reported)")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--no-gather", action="store_true", help="batched variant with the dense one-hot first layer")
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
    D = x.shape[-1]

    # batched
    model = build_model(cfg, task, seed=0, device=dev, dtype=dtype)
    model.gather_inputs = not args.no_gather
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

    # S sequential plain-torch models, same init as the batched seeds
    def plain_net(s):
        net = torch.nn.Sequential(torch.nn.Linear(D, args.width), torch.nn.ReLU(),
                                  torch.nn.Linear(args.width, G.order, bias=False)).to(dev, dtype)
        with torch.no_grad():
            net[0].weight.copy_(model.w1[s])
            net[0].bias.copy_(model.b1[s])
            net[2].weight.copy_(model.w2[s])
        return net

    plain = []
    for s in range(S):
        net = plain_net(s)
        plain.append((net, torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1.0, foreach=True), x[s], y[s]))

    def seq_torch_step():
        for net, o, xs, ys in plain:
            o.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(xs), ys).backward()
            o.step()

    # PyTorch's model-ensembling tutorial: stack_module_state + vmap(functional_call)
    nets = [plain_net(s) for s in range(S)]
    params, buffers = stack_module_state(nets)
    base = copy.deepcopy(nets[0]).to("meta")
    vopt = torch.optim.AdamW(list(params.values()), lr=1e-3, weight_decay=1.0, foreach=True)

    def fmodel(p, b, xs):
        return functional_call(base, (p, b), (xs,))

    vforward = vmap(fmodel)

    def vmap_step():
        vopt.zero_grad(set_to_none=True)
        out = vforward(params, buffers, x)  # (S, B, C)
        torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="none").view(S, -1).mean(1).sum().backward()
        vopt.step()

    # The ceiling: the output layer's three batched products alone, at the step's shapes and in the
    # layouts the batched model uses. Any exact step executes them, so its rate is at most this one.
    B, C, M = x.shape[1], G.order, args.width
    r_ = torch.randn(S, B, M, device=dev, dtype=dtype)
    w_ = torch.randn(S, C, M, device=dev, dtype=dtype)
    go_ = torch.randn(S, B, C, device=dev, dtype=dtype)

    def products_only():
        torch.bmm(w_, r_.transpose(1, 2))  # logits (S, C, B)
        torch.bmm(go_.transpose(1, 2), r_)  # output-weight gradient (S, C, M)
        torch.bmm(go_, w_)  # hidden gradient (S, B, M)

    variants = {"batched": batched_step, "seq-grokcheck": seq_grokcheck_step, "seq-torch": seq_torch_step,
                "vmap": vmap_step, "products": products_only}
    peak = matmul_flops(dev, dtype)
    per_round = []
    for _ in range(args.rounds):
        r = {}
        for k, fn in variants.items():
            if k in ("batched", "products"):
                r[k] = _time(fn, args.steps, dev)
            elif k == "vmap":
                r[k] = _time(fn, max(2, args.steps // 2), dev, warmup=1)
            else:
                r[k] = _time(fn, max(2, args.steps // 4), dev, warmup=1)
        per_round.append(r)
    peak = max(peak, matmul_flops(dev, dtype))
    rates = {k: float(np.median([r[k] for r in per_round])) for k in per_round[0]}
    alts = [k for k in variants if k not in ("batched", "products")]
    ratios = [r["batched"] / max(r[k] for k in alts) for r in per_round]
    ratio = float(np.median(ratios))
    best_alt = max(alts, key=lambda k: rates[k])
    executed, dense = step_flops(S, task.n_train, D, args.width, G.order)
    achieved = executed * rates["batched"]
    print(f"{S} seeds, ReLU MLP width {args.width} on {args.group} (n_train={task.n_train}, full batch, AdamW), "
          f"{dev} {args.dtype}, torch threads {torch.get_num_threads()}")
    print(f"{'variant':<16}{'ensemble steps/s':>18}{'seed-steps/s':>16}")
    for k, v in rates.items():
        if k != "products":
            print(f"{k:<16}{v:>18.2f}{v * S:>16.1f}")
    print(f"speed-up batched / best sequential: {ratio:.1f}x (best alternative: {best_alt}; median of {args.rounds} "
          f"interleaved rounds: {', '.join(f'{r:.1f}' for r in ratios)})")
    plain = [k for k in alts if k != "seq-grokcheck"]
    plain_ratio = float(np.median([r["batched"] / max(r[k] for k in plain) for r in per_round]))
    print(f"speed-up batched / best plain-PyTorch alternative ({', '.join(plain)}): {plain_ratio:.1f}x "
          f"(seq-grokcheck runs grokcheck's S = 1 models, which gather their first layer too)")
    print(f"batched step: {executed / 1e9:.3f} GFLOP of matrix products executed ({achieved / 1e9:.1f} GFLOP/s), "
          f"{dense / 1e9:.3f} GFLOP dense one-hot equivalent ({dense * rates['batched'] / 1e9:.1f} GFLOP/s); "
          f"machine matmul {peak / 1e9:.1f} GFLOP/s ({1024}x{1024} float product, same threads) "
          f"-> {100 * achieved / peak:.0f}% of it")
    ceiling = float(np.median([r["products"] / max(r[k] for k in alts) for r in per_round]))
    print(f"ceiling: the output layer's 3 batched products alone run {rates['products']:.1f}/s "
          f"({executed * rates['products'] / 1e9:.1f} GFLOP/s), so no exact step that executes them beats the best "
          f"alternative by more than {ceiling:.1f}x; batched reaches {100 * rates['batched'] / rates['products']:.0f}% "
          f"of that rate")
    return {"rates": rates, "ceiling_ratio": ceiling, "ratio": ratio, "plain_ratio": plain_ratio, "best_alternative": best_alt, "achieved_flops": achieved,
            "dense_equivalent_flops": dense * rates["batched"], "matmul_flops": peak}


if __name__ == "__main__":
    main()
