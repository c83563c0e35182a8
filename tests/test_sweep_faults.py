"""Sweeps under bad input and faults: refused at planning, damaged parts recomputed, bounds, Ray timeouts, crafted files."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import types

import pytest

from grokcheck.checks.experiments import _executors
from grokcheck.checks.experiments._sweep import (
    _part,
    load_spec,
    plan_sweep,
    read_results,
    run_sweep,
    spec_from_dict,
    sweep_status,
)
from grokcheck.errors import GrokcheckError, InvalidInputError

BASE = {"model": "mlp", "width": 8, "steps": 2, "eval_every": 2, "seeds": 1, "lr": 0.01}
TOML_BASE = '[train]\nmodel = "mlp"\nwidth = 8\nseeds = 1\nsteps = 2\neval_every = 2\n'


def _main(argv):
    from grokcheck.checks.cli import main

    return main([*argv, "--no-progress", "--threads", "1"] if argv[0] == "sweep" and "--status" not in argv else argv)


# --------------------------------------------------------------------------- planning


@pytest.mark.parametrize("spec, needle", [
    ({"train": BASE, "grid": {"group": ["C5", "C0"], "weight_decay": [0.0, 0.1]}}, "cell group=C0 weight_decay=0.0"),
    ({"train": {**BASE, "group": "C5"}, "device": "tpu"}, "'tpu' is not a torch device"),
    ({"train": BASE, "grid": {"cayley": ["no-such-table.json"]}}, "cell cayley=no-such-table.json"),
    ({"train": {**BASE, "task": "mnist"}, "grid": {"weight_decay": [0.1]}}, "mnist"),
    ({"train": {**BASE, "group": "C5"}, "grid": {"weight_decay": [0.1], "weight-decay": [1.0]}},
     "'weight_decay' and 'weight-decay'"),
    ({"train": {**BASE, "group": "C5", "lr": 0.1, "LR": 0.2}}, "not an option"),
])
def test_bad_cells_are_refused_before_any_work(tmp_path, capsys, spec, needle):
    with pytest.raises(InvalidInputError) as e:
        plan_sweep(spec_from_dict(spec))
    assert needle in str(e.value)
    # the command line: exit 2, the message, and no folder left behind
    f = tmp_path / "s.toml"
    f.write_text(_toml(spec))
    assert _main(["sweep", str(f)]) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "s-sweep").exists()


def _toml(d) -> str:
    """The TOML text of a spec dict (scalars and lists of them; one level of tables)."""
    top = [f"{k} = {json.dumps(v)}" for k, v in d.items() if not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "".join(f"{kk} = {json.dumps(vv)}\n" for kk, vv in v.items())
              for k, v in d.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n" + "".join(tables)


def test_cuda_without_a_gpu_is_refused_for_local_cells_only(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    spec = spec_from_dict({"train": {**BASE, "group": "C5"}, "device": "cuda", "resources": {"num_gpus": 1}})
    with pytest.raises(InvalidInputError, match="CUDA is not available"):
        plan_sweep(spec)
    # a Ray sweep's GPUs are on its workers: the name is checked here, the GPU there
    (cell,) = plan_sweep(spec, here=False)
    assert cell.payload["device"] == "cuda"
    no_gpus = spec_from_dict({"train": {**BASE, "group": "C5"}, "device": "cuda"})
    assert len(plan_sweep(no_gpus, here=False)) == 1  # --status of a cuda sweep on a machine without one
    from grokcheck.checks.experiments._sweep import check_remote_device

    remote = types.SimpleNamespace(local=False, name="ray")
    with pytest.raises(InvalidInputError, match="num_gpus"):
        check_remote_device(no_gpus, None, remote)
    check_remote_device(spec, None, remote)
    check_remote_device(no_gpus, "cpu", remote)


def test_failed_cells_make_the_sweep_exit_1_and_say_where(tmp_path, monkeypatch, capsys):
    def boom(*a):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_executors, "_timed_cell", boom)
    f = tmp_path / "s.toml"
    f.write_text(TOML_BASE + 'group = "C5"\n[grid]\nlr = [0.01, 0.02]\n')
    assert _main(["sweep", str(f)]) == 1
    out = capsys.readouterr().out
    assert "2 of 2 cells failed" in out and "cells" in out and "--status" in out
    assert _main(["sweep", str(f), "--status"]) == 0
    assert "0/2 cells done, 2 failed" in capsys.readouterr().out


# --------------------------------------------------------------------------- bounds


def test_a_huge_grid_is_refused_at_once_with_the_bound():
    base = {k: v for k, v in BASE.items() if k != "lr"}
    big = {"train": {**base, "group": "C5"},
           "grid": {"lr": [i / 1000 + 1e-3 for i in range(100)], "weight_decay": [i / 100 for i in range(100)],
                    "seed": list(range(100))}}
    t0 = time.perf_counter()
    with pytest.raises(InvalidInputError) as e:
        plan_sweep(spec_from_dict(big))
    assert time.perf_counter() - t0 < 5  # refused before enumerating (10⁶ cells would take minutes)
    assert "1,000,000 cells" in str(e.value) and "100,000" in str(e.value) and "max_cells" in str(e.value)
    # a spec may raise the bound; below it the grid is planned
    with pytest.raises(InvalidInputError, match="bound of 3"):
        plan_sweep(spec_from_dict({**big, "grid": {"lr": [0.01, 0.02, 0.03, 0.04]}, "max_cells": 3}))
    assert len(plan_sweep(spec_from_dict({**big, "grid": {"lr": [0.01, 0.02, 0.03, 0.04]}, "max_cells": 4}))) == 4


def test_long_planning_reports_progress(monkeypatch, capsys):
    from grokcheck.checks.experiments import _sweep

    monkeypatch.setattr(_sweep, "_PLAN_REPORT_S", 0.0)  # a line per cell instead of one per 5 s
    plan_sweep(spec_from_dict({"train": {**BASE, "group": "C5"}, "grid": {"weight_decay": [0.0, 0.1, 0.2]}}), progress=True)
    err = capsys.readouterr().err
    assert "sweep: planned 3/3 cells" in err


# --------------------------------------------------------------------------- damaged parts


def _garbage(p):
    p.write_bytes(b"not a parquet file\n" * 3)


def _truncated(p):
    p.write_bytes(p.read_bytes()[:100])


def _empty(p):
    p.write_bytes(b"")


def _foreign(p):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1, 2], "cell": ["a", "b"]}), str(p))


def _flipped(p):
    import pyarrow.parquet as pq

    rg = pq.ParquetFile(str(p)).metadata.row_group(0)
    col = next(rg.column(i) for i in range(rg.num_columns) if rg.column(i).path_in_schema == "test_acc")
    b = bytearray(p.read_bytes())
    start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
    b[start + col.total_compressed_size - 1] ^= 0xFF  # a byte of the last data page: caught by its CRC
    p.write_bytes(bytes(b))


def _directory(p):
    p.unlink()
    p.mkdir()  # unreadable as a file


@pytest.mark.parametrize("damage", [_garbage, _truncated, _empty, _foreign, _flipped, _directory])
def test_a_damaged_part_is_named_not_counted_and_recomputed(tmp_path, capsys, damage):
    spec = spec_from_dict({"train": {**BASE, "group": "C5"}, "grid": {"weight_decay": [0.0, 0.1]}})
    run_sweep(spec, tmp_path, progress=False, threads=1)
    good = read_results(tmp_path)
    cells = plan_sweep(spec)
    victim = _part(tmp_path, cells[0].id)
    damage(victim)
    st = sweep_status(spec, tmp_path)
    assert st["done"] == 1 and [d["id"] for d in st["damaged"]] == [cells[0].id]
    capsys.readouterr()
    res = run_sweep(spec, tmp_path, progress=False, threads=1)
    assert res.computed == (cells[0].id,) and set(res.damaged) == {cells[0].id}
    err = capsys.readouterr().err
    assert f"cell-{cells[0].id}.parquet" in err and "damaged" in err
    assert (tmp_path / "damaged" / victim.name).exists()  # kept for inspection, out of the table
    assert sweep_status(spec, tmp_path)["done"] == 2
    import pyarrow.parquet as pq

    compact = pq.read_table(tmp_path / "results.parquet")
    assert compact.schema.names == good.schema.names and compact.num_rows == good.num_rows


def test_another_cells_part_in_a_slot_is_not_merged(tmp_path):
    spec = spec_from_dict({"train": {**BASE, "group": "C5"}, "grid": {"weight_decay": [0.0, 0.1]}})
    run_sweep(spec, tmp_path, progress=False, threads=1)
    a, b = plan_sweep(spec)
    _part(tmp_path, b.id).write_bytes(_part(tmp_path, a.id).read_bytes())
    st = sweep_status(spec, tmp_path)
    assert st["done"] == 1 and "another cell" in st["damaged"][0]["problem"]
    run_sweep(spec, tmp_path, progress=False, threads=1)
    import pyarrow.parquet as pq

    cells = pq.read_table(tmp_path / "results.parquet").column("cell").to_pylist()
    assert sorted(set(cells)) == sorted([a.id, b.id]) and cells.count(a.id) == cells.count(b.id)


def test_null_steps_in_a_part_are_damage_not_a_traceback(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    spec = spec_from_dict({"train": {**BASE, "group": "C5"}})
    run_sweep(spec, tmp_path, progress=False, threads=1)
    (cell,) = plan_sweep(spec)
    t = pq.read_table(_part(tmp_path, cell.id))
    i = t.schema.get_field_index("step")
    t = t.set_column(i, "step", pa.nulls(t.num_rows, pa.int64()))
    pq.write_table(t, str(_part(tmp_path, cell.id)))
    assert "null" in sweep_status(spec, tmp_path)["damaged"][0]["problem"]
    assert run_sweep(spec, tmp_path, progress=False, threads=1).computed == (cell.id,)


def test_read_results_names_an_unreadable_part(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "cell-abc.parquet").write_bytes(b"junk")
    with pytest.raises(InvalidInputError, match="cell-abc.parquet"):
        read_results(tmp_path)


# --------------------------------------------------------------------------- crafted records and manifests


@pytest.mark.parametrize("record", [
    [1, 2, 3],
    {"status": "failed", "error": {"nested": [1, 2]}, "attempts": None},
    {"status": "failed", "error": 42, "attempts": "two"},
    {"status": None, "error": None},
    "just a string",
    None,
])
def test_crafted_cell_records_are_read_without_a_traceback(tmp_path, capsys, record):
    f = tmp_path / "s.toml"
    f.write_text(TOML_BASE + 'group = "C5"\n[grid]\nlr = [0.01]\n')
    (cell,) = plan_sweep(load_spec(f))
    rec = tmp_path / "s-sweep" / "cells" / f"{cell.id}.json"
    rec.parent.mkdir(parents=True)
    rec.write_text(json.dumps(record))
    assert _main(["sweep", str(f), "--status"]) == 0
    assert "0/1 cells done" in capsys.readouterr().out


def test_a_non_utf8_cell_record_reads_as_absent(tmp_path):
    spec = spec_from_dict({"train": {**BASE, "group": "C5"}})
    (cell,) = plan_sweep(spec)
    (tmp_path / "cells").mkdir()
    (tmp_path / "cells" / f"{cell.id}.json").write_bytes(b"\xff\xfe{")
    assert sweep_status(spec, tmp_path)["pending"] == ["base"]


@pytest.mark.parametrize("manifest", [[1, 2], {"command": "sweep", "config": None, "files": "x"}, "text", 7])
def test_a_crafted_manifest_is_a_named_error_or_resumed(tmp_path, capsys, manifest):
    f = tmp_path / "s.toml"
    f.write_text(TOML_BASE + 'group = "C5"\n[grid]\nlr = [0.01]\n')
    out = tmp_path / "s-sweep"
    out.mkdir()
    (out / "grokcheck-run.json").write_text(json.dumps(manifest))
    rc = _main(["sweep", str(f)])
    assert rc in (0, 2)  # refused by name, or taken over as a sweep's folder: never a traceback
    if rc == 2:
        assert "s-sweep" in capsys.readouterr().err


# --------------------------------------------------------------------------- spec files


@pytest.mark.parametrize("text, needle", [
    ('grid = [1, 2]\n' + TOML_BASE, "grid must be a table"),
    ('train = 3\n', "train must be a table"),
    (TOML_BASE + '[grid]\nlr = {a = 1}\n', "non-empty list"),
    (TOML_BASE + 'group = "C5"\n[grid]\nlr = [{a = 1}]\n', "table"),
    (TOML_BASE + 'group = "C5"\n[grid]\nlr = [[[0.1]]]\n', "a list"),
    (TOML_BASE + 'group = "C5"\nlr = true\n', "not true/false"),
    (TOML_BASE + 'group = true\n', "group name"),
    (TOML_BASE + 'group = "C5"\nzero_last = 1\n', "flag"),
    (TOML_BASE + 'group = "C5"\nlr = {x = 1}\n', "table"),
    ('name = 5\n' + TOML_BASE, "name must be a string"),
    ('out = ["x"]\n' + TOML_BASE, "out must be a string"),
    ('device = 0\n' + TOML_BASE, "device must be a string"),
    ('threads = true\n' + TOML_BASE, "threads"),
    ('threads = 1.5\n' + TOML_BASE, "threads"),
    ('fold = "lr"\n' + TOML_BASE, "fold must be a list"),
    ('fold = [1]\n' + TOML_BASE, "fold must be a list"),
    ('max_cells = true\n' + TOML_BASE, "max_cells"),
    ('max_cells = 0\n' + TOML_BASE, "max_cells"),
    ('resources = [1]\n' + TOML_BASE, "resources must be a table"),
    (TOML_BASE + '[resources]\nnum_cpus = true\n', "num_cpus"),
    ('[experiment]\nid = 5\n', "id must be a string"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\nseed = "x"\n', "seed"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\nseed = true\n', "seed"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\nmax_steps = 1.5\n', "max_steps"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\nbudget = "huge"\n', "budget"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\ngroup = ["C5"]\n', "group must be a string"),
    ('[experiment]\nid = "egd.toy-plateau-scaling"\ngroup = "C0"\n', "C0"),
    ('experiment = [1]\n', "experiment must be a table"),
    (TOML_BASE + 'group = "C5"\nwarmup = 1979-05-27\n', "warmup"),
    (TOML_BASE + 'group = "C5"\n[grid]\nactivation = [1979-05-27]\n', "a date"),
    (TOML_BASE + 'group = "C5"\nactivation = 07:32:00\n', "a time"),
    ('[train]\ngroup = "C5"\n[train.sub]\nx = 1\n', "table"),
])
def test_odd_toml_types_are_named_errors(tmp_path, capsys, text, needle):
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(GrokcheckError) as e:
        plan_sweep(load_spec(f))
    assert needle in str(e.value)
    assert _main(["sweep", str(f)]) == 2
    assert needle in capsys.readouterr().err


def test_non_utf8_spec_content_is_a_named_error(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_bytes(b'[train]\ngroup = "C\xff5"\n')
    assert _main(["sweep", str(f)]) == 2
    err = capsys.readouterr().err
    assert "s.toml" in err and "not UTF-8" in err and "line 2" in err


@pytest.mark.skipif(sys.platform != "linux", reason="file names of arbitrary bytes are a POSIX matter")
def test_a_non_utf8_spec_name_runs(tmp_path, capsys):
    name = os.fsdecode(b"\xffsweep.toml")
    f = tmp_path / name
    try:
        f.write_text(TOML_BASE + 'group = "C5"\n[grid]\nlr = [0.01]\n')
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    assert _main(["sweep", str(f)]) == 0
    out = capsys.readouterr().out
    assert '"done": 1' in out and "\ufffdsweep-sweep" in out
    assert (tmp_path / os.fsdecode(b"\xffsweep-sweep") / "results.parquet").is_file()
    assert _main(["sweep", str(f), "--status"]) == 0
    assert "1/1 cells done" in capsys.readouterr().out


# --------------------------------------------------------------------------- Ray


@pytest.fixture
def fake_ray(monkeypatch):
    """A stand-in ``ray`` module recording ``init`` calls (Ray itself need not be installed)."""
    calls = []
    ray = types.ModuleType("ray")
    ray.is_initialized = lambda: False
    ray.init = lambda *a, **kw: calls.append((a, kw))
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return calls


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


def test_ray_at_a_dead_address_fails_fast_with_the_address(fake_ray):
    port = _dead_port()
    ex = _executors.make_executor("ray", address=f"127.0.0.1:{port}", connect_timeout=5)
    t0 = time.perf_counter()
    with pytest.raises(InvalidInputError) as e:
        ex.start()
    assert time.perf_counter() - t0 < 5
    assert f"127.0.0.1:{port}" in str(e.value) and "ray start --head" in str(e.value)
    assert fake_ray == []  # ray.init never ran
    # RAY_ADDRESS behind "auto", and Ray Client addresses, are checked the same way
    os.environ["RAY_ADDRESS"] = f"127.0.0.1:{port}"
    try:
        with pytest.raises(InvalidInputError, match=str(port)):
            _executors.make_executor("ray", address="auto").start()
    finally:
        del os.environ["RAY_ADDRESS"]
    with pytest.raises(InvalidInputError, match=str(port)):
        _executors.make_executor("ray", address=f"ray://127.0.0.1:{port}").start()


def test_ray_connect_timeout_bounds_an_unanswering_head(fake_ray, monkeypatch):
    seen = {}

    def black_hole(addr, timeout=None):
        seen["timeout"] = timeout
        raise TimeoutError("timed out")

    monkeypatch.setattr(_executors.socket, "create_connection", black_hole)
    with pytest.raises(InvalidInputError, match=r"no answer .* timeout 7 s"):
        _executors.make_executor("ray", address="10.255.255.1:6379", connect_timeout=7).start()
    assert seen["timeout"] == 7 and fake_ray == []
    with pytest.raises(InvalidInputError, match="HOST:PORT"):
        _executors.make_executor("ray", address="no-port-here").start()
    with pytest.raises(InvalidInputError, match="connect_timeout"):
        _executors.RayExecutor("h:1", connect_timeout=0)


def test_ray_at_a_live_port_is_joined(fake_ray):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        _executors.make_executor("ray", address=f"127.0.0.1:{srv.getsockname()[1]}").start()
    finally:
        srv.close()
    assert len(fake_ray) == 1


def test_sweep_cli_with_a_dead_ray_cluster_exits_2_quickly(tmp_path, capsys, fake_ray):
    f = tmp_path / "s.toml"
    f.write_text(TOML_BASE + 'group = "C5"\n')
    t0 = time.perf_counter()
    rc = _main(["sweep", str(f), "--executor", "ray", "--address", f"127.0.0.1:{_dead_port()}",
                "--connect-timeout", "3"])
    assert rc == 2 and time.perf_counter() - t0 < 10
    assert "no Ray head reachable" in capsys.readouterr().err
    assert not (tmp_path / "s-sweep").exists()  # nothing claimed before the cluster answered


def test_experiment_parts_are_checked_for_their_seeds_and_json(tmp_path):
    from grokcheck.checks.experiments._sweep import SweepCell, _arrow_table, _part_problem, _write_part

    cell = SweepCell("abc123", "k", {"cell_key": "k"}, {"kind": "experiment", "cell": {"seeds": [0, 1]}})

    def part(seeds, results):
        n = len(seeds)
        _write_part(tmp_path, cell.id, _arrow_table({"cell": [cell.id] * n, "experiment": ["e"] * n,
                                                      "budget": ["small"] * n, "cell_key": ["k"] * n,
                                                      "seed": seeds, "result": results}, cell.id))
        return _part_problem(tmp_path, cell)

    assert part([0, 1], ['{"a": 1}', "{}"]) is None
    assert "seeds" in part([0], ['{"a": 1}'])
    assert "not JSON" in part([0, 1], ['{"a": 1}', "{oops"])
    assert "null" in part([0, 1], ['{"a": 1}', None])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX matter")
def test_a_fifo_in_a_parts_or_records_slot_does_not_block(tmp_path):
    spec = spec_from_dict({"train": {**BASE, "group": "C5"}})
    (cell,) = plan_sweep(spec)
    (tmp_path / "results").mkdir()
    (tmp_path / "cells").mkdir()
    os.mkfifo(_part(tmp_path, cell.id))
    os.mkfifo(tmp_path / "cells" / f"{cell.id}.json")
    st = sweep_status(spec, tmp_path)  # returns: nothing is opened for reading
    assert st["damaged"][0]["problem"] == "not a regular file"
    assert run_sweep(spec, tmp_path, progress=False, threads=1).computed == (cell.id,)


def test_a_name_with_dollars_and_a_nul_out(tmp_path):
    spec = spec_from_dict({"name": r"$\frac$ {x", "train": {**BASE, "group": "C5"}})
    run_sweep(spec, tmp_path, progress=False, threads=1)  # the summary figure's title is not mathtext
    assert (tmp_path / "summary.png").stat().st_size > 0
    with pytest.raises(InvalidInputError, match="NUL"):
        spec_from_dict({"out": "a\x00b", "train": {**BASE, "group": "C5"}})


def test_ray_head_that_answers_but_never_joins_is_given_up(fake_ray, monkeypatch):
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(__import__("signal"), "setitimer"):
        pytest.skip("the join bound is a SIGALRM timer (main thread, POSIX)")
    ray = sys.modules["ray"]
    monkeypatch.setattr(ray, "init", lambda *a, **kw: time.sleep(30), raising=False)  # a stopped head
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    t0 = time.perf_counter()
    try:
        with pytest.raises(InvalidInputError, match="did not complete joining within 0.5 s"):
            _executors.make_executor("ray", address=f"127.0.0.1:{srv.getsockname()[1]}", connect_timeout=0.5).start()
    finally:
        srv.close()
    assert time.perf_counter() - t0 < 5


def test_ray_join_errors_are_named(fake_ray, monkeypatch):
    def refuse(*a, **kw):
        raise RuntimeError("version mismatch between the driver and the cluster")

    monkeypatch.setattr(sys.modules["ray"], "init", refuse)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        with pytest.raises(InvalidInputError, match="could not join the cluster: RuntimeError: version mismatch"):
            _executors.make_executor("ray", address=f"127.0.0.1:{srv.getsockname()[1]}").start()
    finally:
        srv.close()
