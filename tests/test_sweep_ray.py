"""The Ray executor on a real local Ray cluster: a worker killed mid-sweep costs nothing.

Skipped when Ray is not installed (``pip install 'grokcheck[ray]'``). Slow: starting Ray and
its workers takes tens of seconds on two cores.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from grokcheck.checks.experiments._executors import RayExecutor  # noqa: E402
from grokcheck.checks.experiments._sweep import read_results, run_sweep, spec_from_dict, sweep_status  # noqa: E402

pytestmark = pytest.mark.slow

SPEC = {"name": "ray", "train": {"group": "C7", "model": "mlp", "width": 32, "steps": 300, "eval_every": 100,
                                 "seeds": 2, "lr": 0.01},
        "grid": {"weight_decay": [0.0, 1.0], "train_fraction": [0.4, 0.6]}}


def _rows(table):
    cols = table.to_pydict()
    keys = sorted(cols)
    return sorted(tuple(cols[k][i] for k in keys) for i in range(table.num_rows))


def _task_workers(name: str) -> list[int]:
    """PIDs of Ray worker processes now running the task function ``name`` (Ray sets the title)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"ray::{name}" in cmd:
            pids.append(int(d.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's worker processes through /proc")
def test_ray_sweep_with_a_killed_worker_equals_the_local_sweep(tmp_path):
    spec = spec_from_dict(SPEC)
    local = run_sweep(spec, tmp_path / "local", progress=False, threads=1)
    assert not local.failed
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = []
        th = threading.Thread(target=lambda: out.append(
            run_sweep(spec, tmp_path / "ray", executor=RayExecutor(), progress=False, threads=1)))
        th.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and th.is_alive():
            pids = _task_workers("_ray_cell")
            if pids:
                killed = pids[0]
                os.kill(killed, signal.SIGKILL)  # a worker dies in the middle of a cell
            time.sleep(0.05)
        th.join(timeout=600)
        assert not th.is_alive()
    finally:
        ray.shutdown()
    assert killed is not None, "no Ray worker was seen running a cell"
    (res,) = out
    assert not res.failed and len(res.done) == 4  # the killed cell was retried
    assert sweep_status(spec, tmp_path / "ray")["done"] == 4
    # same code, seeds and one thread per cell: the tables are identical up to row order
    assert _rows(read_results(tmp_path / "ray")) == _rows(read_results(tmp_path / "local"))
