"""Cost per step of every experiment's ``paper`` budget on this machine, and the CPU hours it projects.

Usage::

    python benchmarks/paper_settings.py                              # every experiment, one process, 1 thread
    python benchmarks/paper_settings.py --only egd.speedup-over-sgd --write results/costs.json

For each experiment, in this one process (torch threads 1, the ``experiments`` default), each
measured cell of the paper budget runs twice through the experiment's own ``run_cell`` with the
step cap ``max_steps`` = ``k1`` and ``k2`` (the smoke-test override every experiment honours); the
difference gives the seconds per step (per epoch for EGD's speed-up) with the set-up and the
evaluations at those caps cancelled (after a one-step warm-up run, so one-time costs do not enter
``t(k1)``; a difference that is not positive is noise and gives no projection), and the cell's projected cost is ``t(k1) + (N − k1)·s/step``
at its nominal ``N`` (``spec["steps"]`` or ``spec["epochs"]``). A cell with no nominal step count
in its spec (the derived horizons of Lyu et al.'s runs, He et al.'s flow, the EGD toy) is timed
whole, uncapped, under the guard; when the guard stops it the projection is only a lower bound.

Cells measured: all of an experiment's cells when it has at most four or its cells are timed
whole; otherwise the first, and the others are scaled by ``|G|²`` (the pool of a full-table study)
relative to it — stated in the output. Each measurement runs under ``--guard`` seconds of wall time (an alarm); a measurement
the guard stops is reported as ``> guard``.

The projection is CPU hours on this machine at its load when measured (the load average is
recorded: on a shared 2-core machine a loaded core gives a few times less than an idle one).
Experiments that stop once every seed has grokked (EGD's speed-up) cost less than the nominal
projection when they grok early; the output says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time


class _Guard(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Guard()


def _order(name) -> int | None:
    try:
        from grokcheck.theory import group

        return int(group(str(name)).order)
    except Exception:  # noqa: BLE001 - not a group name: no scaling
        return None


def _timed(exp, cell, ctx, guard: float) -> float | None:
    """Wall seconds of ``exp.run_cell(cell, ctx)``; ``None`` when the guard stopped it."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, guard)
    t0 = time.perf_counter()
    try:
        exp.run_cell(cell, ctx)
    except _Guard:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - t0


def _lyu_misgrok_steps(sp) -> int:
    # as in ``_lyu_experiments._mis_run``: horizon · log α / (lr · λ) with lr = η_λ / λ
    return int(math.ceil(sp["horizon"] * math.log(sp["alpha"]) / float(sp["eta_lambda"])))


def _lyu_group_steps(sp) -> int:
    from grokcheck.checks.experiments._lyu_experiments import _group_steps

    return _group_steps(sp)


def _lyu_mc_steps(sp) -> int:
    # as in ``_grok_time._mc``: horizon · max log α / (λ · lr), lr = min(0.1, n / (16 α²)), n observed entries
    n = round(float(sp["fraction"]) * int(sp["d"]) ** 2)
    return int(math.ceil(float(sp["horizon"]) * max(math.log(a) / (lam * min(0.1, n / (16 * a * a)))
                                                      for a in sp["alphas"] for lam in sp["lambdas"])))


#: cells whose step count is derived inside ``run_cell`` (and honour ``max_steps``): the same derivation
DERIVED_STEPS = {"lyu.group-grok-time": _lyu_group_steps, "lyu.misgrokking": _lyu_misgrok_steps,
                 "lyu.matrix-completion-grok-time": _lyu_mc_steps}


def nominal_steps(spec: dict, exp_id: str | None = None) -> int | None:
    """The cell's step count where its spec states one (``steps``, else ``epochs``, else a derived count)."""
    if exp_id in DERIVED_STEPS:
        return int(DERIVED_STEPS[exp_id](spec))
    for key in ("steps", "epochs"):
        if isinstance(spec.get(key), (int, float)) and not isinstance(spec.get(key), bool):
            return int(spec[key])
    return None


def measure(exp, *, k1: int, k2: int, guard: float, seed: int = 0) -> dict:
    """The cost record of ``exp``'s paper budget (see the module docstring)."""
    from grokcheck.checks.experiments._study import StudyContext

    settings = exp.settings("paper")
    cells = exp.cells(settings, StudyContext(budget="paper", seed=seed))
    # a cell timed whole (no nominal step count) is measured itself: such cells differ in cost (the EGD
    # toy's plateau grows as 1/ε), and each is cheap or stopped by the guard
    measured = cells if len(cells) <= 4 or nominal_steps(cells[0].spec, exp.id) is None else cells[:1]
    rows, notes = [], []
    for cell in measured:
        n = nominal_steps(cell.spec, exp.id)
        row = {"cell": cell.key, "seeds": len(cell.seeds), "nominal_steps": n}
        if n is not None:
            # a warm-up at one step first: one-time costs (imports, datasets, allocator) must not enter t(k1)
            _timed(exp, cell, StudyContext(budget="paper", seed=seed, max_steps=1), guard)
            t1 = _timed(exp, cell, StudyContext(budget="paper", seed=seed, max_steps=k1), guard)
            t2 = _timed(exp, cell, StudyContext(budget="paper", seed=seed, max_steps=k2), guard) if t1 else None
            row.update(t_k1=t1, t_k2=t2, k1=k1, k2=k2)
            if t1 is not None and t2 is not None and t2 > t1:
                per = max(t2 - t1, 0.0) / (k2 - k1)
                row["seconds_per_step"] = per
                row["projected_seconds"] = t1 + per * max(n - k1, 0)
            elif t1 is None or t2 is None:  # the guard stopped a capped run: set-up or evaluations may be all of it
                row["unresolved"] = f"{k1 if t1 is None else k2} steps ran past the {guard:g} s guard"
            else:  # t(k2) ≤ t(k1): the per-step cost is below the timing noise at these caps
                row["unresolved"] = "t(k2) <= t(k1): raise --k2"
        else:
            t = _timed(exp, cell, StudyContext(budget="paper", seed=seed), guard)
            if t is None:
                row["projected_seconds_lower"] = guard
            else:
                row["projected_seconds"] = t
        rows.append(row)
    total, lower = 0.0, False
    value = [r.get("projected_seconds", r.get("projected_seconds_lower")) for r in rows]
    if len(measured) < len(cells) and value[0] is not None:
        o0 = _order(measured[0].spec.get("group"))
        notes.append(f"{len(cells) - 1} more cells scaled from {measured[0].key} by |G|² (pool size) where the "
                     "cells name groups, else taken as equal")
        for cell in cells:
            o = _order(cell.spec.get("group"))
            total += ((o / o0) ** 2 if (o and o0) else 1.0) * value[0]
        lower = "projected_seconds" not in rows[0]
    else:
        total = sum(v for v in value if v is not None)
        lower = any("projected_seconds" not in r for r in rows) or len(measured) < len(cells)
    unresolved = [f"{r['cell']}: {r['unresolved']}" for r in rows if "unresolved" in r]
    notes += unresolved
    if all(v is None for v in value):
        total = None
    if exp.id == "egd.speedup-over-sgd":
        notes.append("stops once every seed of both methods has reached 95% test accuracy: the paper's SGD took "
                     "5,392 epochs on C97 (Table 2), so the nominal 15,000 is an upper bound")
    return {"id": exp.id, "cells": len(cells), "cells_measured": len(measured), "rows": rows,
            "projected_cpu_hours": None if total is None else total / 3600.0, "projection_is_lower_bound": lower, "notes": notes}


def _row_words(r: dict) -> str:
    if r.get("seconds_per_step") is not None:
        return f"{r['seconds_per_step']:.3g} s/step × {r['nominal_steps']:,} steps"
    if "unresolved" in r:
        return f"unresolved ({r['unresolved']})"
    if "projected_seconds" in r:
        return f"whole cell {r['projected_seconds']:.0f} s"
    return f"whole cell > {r.get('projected_seconds_lower', 0):.0f} s (guard)"


def main(argv=None) -> dict:
    import platform

    import torch

    from grokcheck.checks.experiments._reproductions import git_commit, machine_info
    from grokcheck.checks.experiments._study import all_experiments

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="experiment ids (or prefixes); default every one")
    ap.add_argument("--k1", type=int, default=3, help="first step cap (default 3)")
    ap.add_argument("--k2", type=int, default=13, help="second step cap (default 13)")
    ap.add_argument("--guard", type=float, default=300.0, help="wall seconds per measurement (default 300)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as `experiments` uses)")
    ap.add_argument("--write", metavar="JSON", help="merge the records into this costs file (e.g. results/costs.json)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    exps = [e for e in all_experiments() if not args.only or any(e.id == i or e.id.startswith(i) for i in args.only)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    out = {"machine": machine_info("cpu"), "git_commit": git_commit(), "load_average_at_start": load,
           "command": "python " + " ".join(["benchmarks/paper_settings.py", *(argv or sys.argv[1:])]),
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
           "experiments": {}}
    for e in exps:
        c0 = time.process_time()
        try:
            rec = measure(e, k1=args.k1, k2=args.k2, guard=args.guard)
        except Exception as exc:  # noqa: BLE001 - one experiment's failure (e.g. out of memory) is reported
            rec = {"id": e.id, "error": f"{type(exc).__name__}: {exc}"}
        rec["benchmark_cpu_seconds"] = round(time.process_time() - c0, 1)
        # provenance per record: a costs file merges records of several runs
        rec.update(machine=out["machine"], git_commit=out["git_commit"], command=out["command"],
                   date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None)
        out["experiments"][e.id] = rec
        per_s = ", ".join(f"{r['cell']}: {_row_words(r)}" for r in rec.get("rows", []))
        hours = rec.get("projected_cpu_hours")
        print(f"{e.id}: {per_s or rec.get('error')}; projected "
              + (f"{'≥ ' if rec.get('projection_is_lower_bound') else ''}{hours:.3g} CPU hours" if hours is not None
                 else "—") + ("".join(f"\n    note: {n}" for n in rec.get("notes", []))), flush=True)
    if args.write:
        from pathlib import Path

        from grokcheck.checks._io import atomic_write_json

        path = Path(args.write)
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"experiments": {}}
        merged = {"schema": 1, "experiments": {**old.get("experiments", {}), **out["experiments"]}}
        atomic_write_json(path, merged)
    return out


if __name__ == "__main__":
    main()
