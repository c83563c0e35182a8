"""Benchmark: the Stage I flow in the parameter domain vs the Fourier domain.

Prints, side by side in one run, the wall time per unit of flow time for groups of order
21 (F21), 60 (A5), 120 (S5) and 336 (SL(2,7)) with M = 256 and 1024 neurons, and the
Fourier/parameter speed-up, for

* the retraction scheme (fixed-step RK4 + renormalisation, ``dt = |G|^{3/2}/4``), and
* the adaptive scheme (RK45 at rtol 1e-8 on ``[0, |G|^{3/2}]``; optional, ``--adaptive``),

plus where one vector-field evaluation spends its time (Ω and gradients vs the
projection; the Fourier domain's periodic projection onto real vectors).

Run: ``python benchmarks/flows.py`` (add ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import time

from grokcheck.numerics._flow import StageOneFlow, _field, _rhs, integrate, spherical_init
from grokcheck.theory import group

GROUPS = ["F21", "A5", "S5", "SL(2,7)"]


def _per_eval(G, domain, x0, reps):
    f = _field(G, domain, "separate")
    s = f.encode(*x0)
    t = time.perf_counter()
    for _ in range(reps):
        f.grads(s)
        f.omega(s)
    t_grad = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        _rhs(f, s)
    t_rhs = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        f.realify(s)
    t_real = (time.perf_counter() - t) / reps
    return t_rhs, t_grad, t_real


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", nargs="+", default=GROUPS)
    ap.add_argument("--neurons", nargs="+", type=int, default=[256, 1024])
    ap.add_argument("--steps", type=int, default=4, help="retraction steps per measurement")
    ap.add_argument("--adaptive", action="store_true", help="also time RK45 on [0, |G|^1.5]")
    ap.add_argument("--quick", action="store_true", help="F21 and A5 with M = 64 only")
    args = ap.parse_args(argv)
    if args.quick:
        args.groups, args.neurons, args.steps = ["F21", "A5"], [64], 2
    head = f"{'group':>8} {'|G|':>4} {'M':>5} | {'param s/t':>10} {'fourier s/t':>11} {'ratio':>6} | {'param rhs ms':>12} {'(grad)':>7} {'fourier rhs ms':>14} {'(grad)':>7} {'realify ms':>10}"
    if args.adaptive:
        head += f" | {'RK45 param s':>12} {'RK45 fourier s':>14} {'ratio':>6}"
    print(head)
    for name in args.groups:
        G = group(name)
        g = G.order
        t = time.perf_counter()
        G.irreps  # noqa: B018  (computed once, not timed below)
        t_irr = time.perf_counter() - t
        for M in args.neurons:
            x0 = spherical_init(M, g, seed=0)
            dt = g**1.5 / 4
            per_t = {}
            for dom in ("parameter", "fourier"):
                fl = StageOneFlow(G, domain=dom)
                integrate(fl, x0, t1=dt, saves=1, method="retraction", dt=dt)  # warm-up
                sol = integrate(fl, x0, t1=args.steps * dt, saves=1, method="retraction", dt=dt)
                per_t[dom] = sol.stats["wall_s"] / (args.steps * dt)
            reps = 3 if g * g * M > 5e7 else 10
            pr, pg, _ = _per_eval(G, "parameter", x0, reps)
            fr, fg, fre = _per_eval(G, "fourier", x0, reps)
            line = (
                f"{name:>8} {g:>4} {M:>5} | {per_t['parameter']:>10.3e} {per_t['fourier']:>11.3e} "
                f"{per_t['parameter'] / per_t['fourier']:>6.1f} | {pr * 1e3:>12.2f} {pg * 1e3:>7.2f} {fr * 1e3:>14.2f} {fg * 1e3:>7.2f} {fre * 1e3:>10.2f}"
            )
            if args.adaptive:
                walls = {}
                for dom in ("parameter", "fourier"):
                    sol = integrate(StageOneFlow(G, domain=dom), x0, t1=g**1.5, saves=1, rtol=1e-8, atol=1e-11)
                    walls[dom] = sol.stats["wall_s"]
                line += f" | {walls['parameter']:>12.2f} {walls['fourier']:>14.2f} {walls['parameter'] / walls['fourier']:>6.1f}"
            print(line, flush=True)
        print(f"{'':>8} (irreps of {name}: {t_irr:.2f} s, once)")
    print(
        "s/t = wall seconds per unit of flow time (retraction RK4, dt = |G|^1.5/4, 4 field evaluations per step, "
        "Fourier projection onto real vectors every 8 steps); ratio = parameter / Fourier."
    )


if __name__ == "__main__":
    main()
