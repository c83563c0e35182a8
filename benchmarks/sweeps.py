"""Wall time of one sweep: local vs Ray with 1 and 2 workers, Ray's per-cell overhead, and a folded axis.

Usage::

    python benchmarks/sweeps.py                       # 8 cells (C11 MLPs, 4 seeds each), threads 1
    python benchmarks/sweeps.py --steps 400 --width 64

The same spec runs into fresh folders: ``local`` (in this process), ``ray-1``
(a local Ray instance with ``num_cpus=1``: one worker at a time) and ``ray-2`` (``num_cpus=2``).
Every cell uses one torch thread, so the cells themselves cost the same everywhere. Reported:

* wall time of ``run_sweep`` (for Ray including ``ray.init`` and shutdown, shown apart);
* the cells' own compute time (the seconds measured inside the worker, summed);
* ``local-fold``: the same grid with ``fold = ["weight_decay"]`` (2 cells of 4 × seeds members
  instead of 8 cells), locally: what folding an axis into the ensemble buys;
* Ray's overhead per cell: ``(wall − init − Σ cell seconds) / cells`` for ``ray-1``, where the
  cells run one after the other — scheduling, shipping the payload and the rows, the driver's
  Parquet writes. (The driver writes parts in the local run too; that is in its line.)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def _cell_seconds(out: Path) -> float:
    return sum(json.loads(f.read_text())["seconds"] for f in (out / "cells").glob("*.json"))


def main(argv=None) -> dict:
    from grokcheck.checks.experiments._executors import RayExecutor
    from grokcheck.checks.experiments._sweep import run_sweep, spec_from_dict

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", default="C11")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args(argv)
    spec_dict = {
        "name": "bench",
        "train": {"group": args.group, "model": "mlp", "width": args.width, "steps": args.steps, "eval_every": 50,
                  "seeds": args.seeds, "lr": 0.01},
        "grid": {"weight_decay": [0.0, 0.1, 0.5, 1.0], "train_fraction": [0.4, 0.6]},
    }
    spec = spec_from_dict(spec_dict)
    import pyarrow.parquet  # noqa: F401 - imported before timing, as the Ray runs find it imported
    import ray

    from grokcheck.checks.experiments._sweep import plan_sweep

    plan_sweep(spec)  # the train CLI modules imported once, outside the timings
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sweep(spec, Path(tmp) / "local", progress=False, threads=1, summary=False)
        rows["local"] = {"wall": time.perf_counter() - t0, "init": 0.0, "cells": _cell_seconds(Path(tmp) / "local")}
        folded = spec_from_dict({**spec_dict, "fold": ["weight_decay"]})
        t0 = time.perf_counter()
        run_sweep(folded, Path(tmp) / "fold", progress=False, threads=1, summary=False)
        rows["local-fold"] = {"wall": time.perf_counter() - t0, "init": 0.0, "cells": _cell_seconds(Path(tmp) / "fold")}
        for n in (1, 2):
            t0 = time.perf_counter()
            ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
            init = time.perf_counter() - t0
            try:
                run_sweep(spec, Path(tmp) / f"ray-{n}", executor=RayExecutor(), progress=False, threads=1,
                          summary=False)
            finally:
                ray.shutdown()
            rows[f"ray-{n}"] = {"wall": time.perf_counter() - t0, "init": init, "cells": _cell_seconds(Path(tmp) / f"ray-{n}")}
    n_cells = 8
    load = os.getloadavg()
    print(f"sweep of {n_cells} cells ({args.group}, MLP width {args.width}, {args.seeds} seeds, {args.steps} steps; "
          f"one torch thread per cell); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'executor':<10}{'wall s':>9}{'ray.init s':>12}{'Σ cell s':>10}")
    for k, r in rows.items():
        print(f"{k:<10}{r['wall']:>9.1f}{r['init']:>12.1f}{r['cells']:>10.1f}")
    r1 = rows["ray-1"]
    overhead = (r1["wall"] - r1["init"] - r1["cells"]) / n_cells
    local_overhead = (rows["local"]["wall"] - rows["local"]["cells"]) / n_cells
    print(f"Ray overhead per cell (ray-1): {overhead:.2f} s; the local executor's per-cell bookkeeping: "
          f"{local_overhead:.2f} s")
    return {"rows": rows, "ray_overhead_per_cell": overhead}


if __name__ == "__main__":
    main()
