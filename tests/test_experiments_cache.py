"""The experiments' cell cache under damage, and `grokcheck experiments` claiming its folder like every command."""

from __future__ import annotations

import json

import pytest

from grokcheck.checks._registry import Verdict
from grokcheck.checks.experiments import _study
from grokcheck.checks.experiments._study import Cell, Experiment, Outcome, run_experiment


def _counting(calls):
    def cells(settings, ctx):
        return [Cell(key=f"c{i}", spec={"x": x}, seeds=tuple(range(settings["seeds"])))
                for i, x in enumerate(settings["xs"])]

    def run_cell(cell, ctx):
        calls.append(cell.key)
        return {s: {"y": cell.spec["x"] * 10 + s} for s in cell.seeds}

    def analyze(settings, results, ctx):
        total = sum(v["y"] for per in results.values() for v in per.values())
        return Outcome(verdict=Verdict.PASS, statistic=float(total), interval=(0.0, 1.0), test="sum")

    budgets = {b: {"xs": [1, 2, 3], "seeds": 2} for b in ("small", "full", "paper")}
    return Experiment(id="test.counting", claim="c", source="s", budgets=budgets, cells=cells, run_cell=run_cell,
                      analyze=analyze, decision_rule="always PASS")


TOTAL = 10 + 11 + 20 + 21 + 30 + 31


def _seed_file(root, key="c1", seed=1):
    (d,) = (root / "cache" / "test.counting" / "small").glob(f"{key}-*")
    return d / f"seed-{seed}.json"


@pytest.mark.parametrize("damage", [
    b"\xff\xfe\x00garbage",                      # not UTF-8
    b'{"y": 2',                                  # truncated JSON
    b"",                                         # empty
    b"[1, 2, 3]",                                # a list where a result object belongs
    b"null",
    b'{"y": 999, "_cell_seconds": 0.0}\n',       # valid JSON, but not what was written
])
def test_a_damaged_seed_file_is_named_and_its_cell_recomputed(tmp_path, capsys, damage):
    calls = []
    run_experiment(_counting(calls), out_dir=tmp_path)
    f = _seed_file(tmp_path)
    f.write_bytes(damage)
    calls.clear()
    capsys.readouterr()
    r = run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == ["c1"], "only the damaged cell is recomputed"
    assert r.verdict == Verdict.PASS and r.measurement == TOTAL
    err = capsys.readouterr().err
    assert str(f) in err and "recomputing cell c1" in err
    assert len(r.details["cache_damaged"]) == 1 and str(f) in r.details["cache_damaged"][0]
    # the file is rewritten: the next run is clean and computes nothing
    calls.clear()
    r = run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == [] and r.details["cache_damaged"] == [] and r.measurement == TOTAL
    assert capsys.readouterr().err == ""


def test_a_cache_from_before_checksums_still_loads(tmp_path):
    calls = []
    run_experiment(_counting(calls), out_dir=tmp_path)
    for spec in (tmp_path / "cache").rglob("spec.json"):
        data = json.loads(spec.read_text())
        del data["files"]
        spec.write_text(json.dumps(data))
    calls.clear()
    r = run_experiment(_counting(calls), out_dir=tmp_path)
    assert calls == [] and r.measurement == TOTAL


def test_an_unreadable_seed_file_is_named(tmp_path, capsys):
    calls = []
    run_experiment(_counting(calls), out_dir=tmp_path)
    f = _seed_file(tmp_path, "c0", 0)
    f.unlink()
    f.mkdir()  # reading it fails with an OSError (IsADirectoryError)
    calls.clear()
    r = run_experiment(_counting(calls), out_dir=tmp_path)
    # the cell is recomputed, but its file cannot be rewritten while a folder is in the way: ERROR, named
    assert calls == ["c0"] and str(f) in capsys.readouterr().err
    assert r.verdict == Verdict.ERROR


# --------------------------------------------------------------------------- the command's folder


@pytest.fixture
def counting_registry(monkeypatch):
    calls = []
    monkeypatch.setattr(_study, "all_experiments", lambda: (_counting(calls),))
    return calls


def _experiments(out, *extra):
    from grokcheck.checks.cli import main

    return main(["experiments", "--out", str(out), "--quiet", *extra])


def test_experiments_writes_a_manifest_and_a_rerun_reuses_the_cache(tmp_path, counting_registry, capsys):
    out = tmp_path / "exp"
    assert _experiments(out) == 0
    m = json.loads((out / "grokcheck-run.json").read_text())
    assert m["command"] == "experiments" and m["status"] == "completed"
    assert any(f.startswith("cache/") for f in m["files"]) and "report.json" in m["files"]
    assert counting_registry == ["c0", "c1", "c2"]
    counting_registry.clear()
    # a rerun (other options too: the cache is keyed by what determines a cell) continues the run
    assert _experiments(out) == 0
    assert _experiments(out, "--resume", "--max-steps", "5") == 0
    assert counting_registry == ["c0", "c1", "c2"]  # only the run with --max-steps had new cells
    report = json.loads((out / "report.json").read_text())
    assert "PASS" in json.dumps(report)
    # --overwrite starts afresh, the cache included
    counting_registry.clear()
    assert _experiments(out, "--overwrite") == 0
    assert counting_registry == ["c0", "c1", "c2"]


def test_experiments_refuses_another_commands_folder(tmp_path, counting_registry, capsys):
    from grokcheck.checks._run_dir import open_run_directory

    out = tmp_path / "trainrun"
    with open_run_directory(out, command="train", config={"lr": 0.1}):
        (out / "metrics.jsonl").write_text("{}\n")
    assert _experiments(out) == 2
    err = capsys.readouterr().err
    assert "another run" in err and "train" in err
    assert counting_registry == [] and not (out / "cache").exists()
    # a folder of someone's own files
    own = tmp_path / "mine"
    own.mkdir()
    (own / "notes.txt").write_text("mine")
    assert _experiments(own) == 2
    assert (own / "notes.txt").read_text() == "mine" and not (own / "report.json").exists()


def test_two_experiments_runs_cannot_share_a_folder(tmp_path, counting_registry, capsys):
    from grokcheck.checks._run_dir import open_run_directory

    out = tmp_path / "exp"
    assert _experiments(out) == 0
    # another run holds the folder's lock (a second `experiments` started meanwhile)
    keys = ("budget", "only", "device", "seed", "max_steps")
    with open_run_directory(out, command="experiments", config={}, resume=True, may_change=keys):
        counting_registry.clear()
        assert _experiments(out) == 2
        assert "another grokcheck run" in capsys.readouterr().err
        assert counting_registry == []


def test_resume_needs_a_run_and_contradicts_overwrite(tmp_path, counting_registry, capsys):
    assert _experiments(tmp_path / "new", "--resume") == 2
    assert "cannot resume" in capsys.readouterr().err
    assert _experiments(tmp_path / "x", "--resume", "--overwrite") == 2
    assert "contradict" in capsys.readouterr().err
    assert counting_registry == []


def test_a_folder_of_experiments_from_before_manifests_continues(tmp_path, counting_registry):
    out = tmp_path / "old"
    run_experiment(_counting([]), out_dir=out)  # a cache, as an older version left it (no manifest)
    (out / "report.md").write_text("# old report\n")
    assert _experiments(out) == 0
    assert counting_registry == []  # every cell came from the cache
    assert json.loads((out / "grokcheck-run.json").read_text())["command"] == "experiments"


@pytest.mark.parametrize("manifest", [[1, 2], {"command": "experiments", "config": None, "files": "x"},
                                      {"command": 5}, {"command": "experiments", "config": [1]}, "text"])
def test_a_crafted_manifest_is_refused_by_name_or_continued(tmp_path, counting_registry, capsys, manifest):
    out = tmp_path / "exp"
    out.mkdir()
    (out / "grokcheck-run.json").write_text(json.dumps(manifest))
    rc = _experiments(out)
    assert rc in (0, 2)  # never a traceback (exit 1)
    if rc == 2:
        assert str(out) in capsys.readouterr().err
