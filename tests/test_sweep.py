"""Sweeps: TOML specs, cells, the Parquet results table, resume, failures, status, progress."""

from __future__ import annotations

import io
import json

import pytest

from grokcheck.checks.experiments._executors import LocalExecutor
from grokcheck.checks.experiments._sweep import (
    _Progress,
    load_spec,
    plan_sweep,
    read_results,
    run_sweep,
    spec_from_dict,
    sweep_status,
)
from grokcheck.errors import GrokcheckError

BASE = {"group": "C5", "model": "mlp", "width": 8, "steps": 4, "eval_every": 2, "seeds": 2, "lr": 0.01}
SPEC = {"name": "t", "train": BASE, "grid": {"weight_decay": [0.0, 1.0], "train_fraction": [0.4, 0.6]}}


def _rows(table):
    cols = table.to_pydict()
    keys = sorted(cols)
    return sorted(tuple(cols[k][i] for k in keys) for i in range(table.num_rows))


def test_spec_from_toml_and_cells(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "x"\nout = "res"\n[train]\ngroup = "C5"\nwidth = 8\nseeds = 2\n'
                 '[grid]\nlr = [0.01, 0.001]\nseed = [0, 1]\n[resources]\nnum_cpus = 2\n')
    spec = load_spec(f)
    assert spec.kind == "train" and spec.out == str(tmp_path / "res") and spec.resources["num_cpus"] == 2.0
    cells = plan_sweep(spec)
    assert [c.label for c in cells] == ["lr=0.01 seed=0", "lr=0.01 seed=1", "lr=0.001 seed=0", "lr=0.001 seed=1"]
    assert len({c.id for c in cells}) == 4
    assert [c.id for c in plan_sweep(load_spec(f))] == [c.id for c in cells]  # ids are a function of the configuration


@pytest.mark.parametrize("bad, needle", [
    ({"train": BASE, "experiment": {"id": "x"}}, "exactly one"),
    ({"grid": {"lr": [0.1]}}, "exactly one"),
    ({"train": {**BASE, "nonsense": 1}}, "nonsense"),
    ({"train": {**BASE, "out": "x"}}, "set by the sweep"),
    ({"train": BASE, "grid": {"lr": []}}, "non-empty list"),
    ({"train": BASE, "grid": {"width": [8]}}, "both in [train]"),
    ({"train": BASE, "bogus": 1}, "bogus"),
    ({"train": BASE, "resources": {"num_gpus": -1}}, "num_gpus"),
    ({"train": {**BASE, "width": -3}}, "width"),
])
def test_bad_specs_name_the_culprit(bad, needle):
    with pytest.raises(GrokcheckError, match=None) as e:
        plan_sweep(spec_from_dict(bad))
    assert needle in str(e.value)


def test_sweep_table_resume_and_agreement_with_train(tmp_path):
    from grokcheck.checks.cli import train as train_cli
    from grokcheck.checks.experiments._sweep import _train_namespace
    from grokcheck.checks.training._train import train

    spec = spec_from_dict(SPEC)
    res = run_sweep(spec, tmp_path, progress=False, threads=1)
    assert len(res.computed) == 4 and not res.failed
    table = read_results(tmp_path)
    # one row per cell × seed × evaluation step (steps 0, 2, 4)
    assert table.num_rows == 4 * 2 * 3
    for col in ("cell", "label", "weight_decay", "train_fraction", "member", "step", "test_acc", "config"):
        assert col in table.column_names
    import pyarrow.parquet as pq

    compact = pq.read_table(tmp_path / "results.parquet").to_pydict()
    assert len(compact["cell"]) == table.num_rows
    # the sweep's numbers are train()'s numbers for that configuration
    cell = plan_sweep(spec)[3]
    ns = _train_namespace(cell.payload["options"])
    direct = train(train_cli.config_from_args(ns), train_cli.task_from_args(ns), progress=False)
    got = sorted((st, m, a) for c, st, m, a in zip(compact["cell"], compact["step"], compact["member"],
                                                     compact["test_acc"]) if c == cell.id)
    want = [(h["step"], s, h["test_acc"][s]) for h in direct.history for s in range(2)]
    assert got == want  # same code, same seeds, one thread: bit-identical
    # resume: a lost part is recomputed, nothing else
    before = _rows(table)
    (tmp_path / "results" / f"cell-{cell.id}.parquet").unlink()
    res2 = run_sweep(spec, tmp_path, progress=False, threads=1)
    assert res2.computed == (cell.id,) and len(res2.skipped) == 3
    assert _rows(read_results(tmp_path)) == before
    st = sweep_status(spec, tmp_path)
    assert st == {"total": 4, "done": 4, "failed": [], "damaged": [], "pending": []}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["cells"]) == 4 and (tmp_path / "summary.png").stat().st_size > 0


def test_a_failing_cell_is_retried_once_then_recorded(tmp_path):
    # a cell that passes planning and fails when it runs (here: its training raises)
    spec = spec_from_dict({"train": BASE, "grid": {"weight_decay": [0.0]}})
    calls = []

    class Counting(LocalExecutor):
        def run(self, cells, **kw):
            from grokcheck.checks.experiments import _executors

            orig = _executors._timed_cell

            def counted(*a):
                calls.append(1)
                raise RuntimeError("the cell's training diverged (injected)")

            _executors._timed_cell = counted
            try:
                yield from super().run(cells, **kw)
            finally:
                _executors._timed_cell = orig

    res = run_sweep(spec, tmp_path, executor=Counting(), progress=False)
    assert len(calls) == 2  # the first try and one retry
    (cid, err), = res.failed.items()
    assert "injected" in err
    st = sweep_status(spec, tmp_path)
    assert st["done"] == 0 and st["failed"][0]["attempts"] == 2 and "injected" in st["failed"][0]["error"]
    rec = json.loads((tmp_path / "cells" / f"{cid}.json").read_text())
    assert rec["status"] == "failed"


def test_progress_without_a_terminal_has_no_cursor_escapes():
    buf = io.StringIO()
    p = _Progress(3, 1, True, stream=buf)
    p.update("a: done")
    p.update("b: done")
    p.close()
    text = buf.getvalue()
    assert text == "sweep [2/3] a: done\nsweep [3/3] b: done\n"
    assert "\r" not in text and "\x1b" not in text


def test_sweep_cli_status(tmp_path, capsys):
    from grokcheck.checks.cli import main

    f = tmp_path / "s.toml"
    f.write_text('[train]\ngroup = "C5"\nwidth = 8\nseeds = 1\nsteps = 2\neval_every = 2\n[grid]\nlr = [0.01, 0.02]\n')
    assert main(["sweep", str(f), "--status"]) == 0
    assert "0/2 cells done" in capsys.readouterr().out
    assert main(["sweep", str(f), "--no-progress", "--threads", "1"]) == 0
    assert main(["sweep", str(f), "--status"]) == 0
    assert "2/2 cells done, 0 failed" in capsys.readouterr().out
    # a grown grid reuses the cells it shares with the earlier spec
    f.write_text(f.read_text().replace("lr = [0.01, 0.02]", "lr = [0.01, 0.02, 0.03]"))
    assert main(["sweep", str(f), "--no-progress", "--threads", "1"]) == 0
    assert '"computed": 1, "skipped": 2' in capsys.readouterr().out


def test_thread_policy():
    import torch

    from grokcheck.checks.training._threads import (ELEMENTS_PER_THREAD, auto_threads, resolve_threads,
                                                    torch_threads)

    assert auto_threads(10, cores=16) == 1  # a small step: waking threads costs more than it saves
    assert auto_threads(5 * ELEMENTS_PER_THREAD, cores=16) == 5
    assert auto_threads(100 * ELEMENTS_PER_THREAD, cores=3) == 3  # never more than the free cores
    assert resolve_threads("auto", None) == 1 and resolve_threads(4) == 4 and resolve_threads("2") == 2
    for bad in (0, -1, "many", 1.5):
        with pytest.raises(GrokcheckError):
            resolve_threads(bad)
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_folded_axes_become_ensemble_members(tmp_path):
    spec = spec_from_dict({"train": BASE, "grid": {"weight_decay": [0.0, 1.0], "train_fraction": [0.5]},
                           "fold": ["weight_decay"]})
    (cell,) = plan_sweep(spec)
    assert cell.payload["options"]["seeds"] == 4 and cell.payload["options"]["weight_decay"] == [0.0, 0.0, 1.0, 1.0]
    run_sweep(spec, tmp_path, progress=False, threads=1)
    cols = read_results(tmp_path).to_pydict()
    assert sorted(set(zip(cols["member"], cols["weight_decay"], cols["replica"]))) == [
        (0, 0.0, 0), (1, 0.0, 1), (2, 1.0, 0), (3, 1.0, 1)]
    # no cross-talk: members 0, 1 (wd 0) are bit-identical to an ensemble where every member has wd 0
    flat = spec_from_dict({"train": {**BASE, "seeds": 4, "weight_decay": [0.0, 0.0, 0.0, 0.0], "train_fraction": 0.5}})
    run_sweep(flat, tmp_path / "flat", progress=False, threads=1)
    ref = read_results(tmp_path / "flat").to_pydict()

    def pick(c):
        return sorted((st, m, a) for st, m, a in zip(c["step"], c["member"], c["test_loss"]) if m < 2)

    assert pick(cols) == pick(ref)
    with pytest.raises(GrokcheckError, match="fold"):
        spec_from_dict({"train": BASE, "grid": {"train_fraction": [0.5]}, "fold": ["train_fraction"]})
