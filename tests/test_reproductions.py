"""Results files of finished runs (provenance, verification, reuse by the CLI) and the reproduction page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from grokcheck.checks._registry import CheckResult, Verdict
from grokcheck.checks.experiments import _reproductions as rp
from grokcheck.checks.experiments._study import get_experiment
from grokcheck.errors import InvalidInputError

EXP = "egd.toy-plateau-scaling"  # the cheapest experiment: its small budget runs in seconds


def _check(exp_id=EXP, verdict=Verdict.PASS, **kw) -> CheckResult:
    e = get_experiment(exp_id)
    details = {"budget": "paper", "interval": [0.9, 1.1], "compute_seconds": 12.0, "cells_computed": 5,
               "cells_cached": 0, "figures": ["egd_toy_plateau.png"], "curve": list(range(1000))}
    return CheckResult(id=e.id, claim=e.claim, source=e.source, verdict=verdict, measurement=1.0,
                       details=details, reason="a stored reason", **kw)


def _record(exp_id=EXP, budget="paper", seed=0, device="cpu", **kw) -> rp.ReproductionRecord:
    e = get_experiment(exp_id)
    return rp.record_from_check(_check(exp_id, **kw), budget=budget, seed=seed, device=device,
                                settings=e.settings(budget), command="grokcheck experiments --budget paper",
                                wall_seconds=30.0, cpu_seconds=28.5)


def test_a_record_round_trips_with_its_provenance_and_no_long_lists(tmp_path):
    rec = _record()
    path = rp.save_result(rec, tmp_path)
    assert path.name == f"{EXP}.paper.json"
    back = rp.load_result(path)
    assert back == rec
    prov = back.provenance
    assert prov["command"].startswith("grokcheck experiments")
    assert prov["wall_seconds"] == 30.0 and prov["cpu_seconds"] == 28.5 and prov["cells_computed"] == 5
    assert {"platform", "cpu_count", "torch", "device"} <= set(prov["machine"])
    assert prov["git"] is None or len(prov["git"]["commit"]) == 40
    # a per-step curve is cut (the file stays small); the statistics are kept whole
    assert len(back.check["details"]["curve"]) == rp.MAX_LIST + 1
    assert back.interval == (0.9, 1.1) and back.statistic == 1.0
    assert back.cpu_hours == pytest.approx(28.5 / 3600)
    r = back.to_check_result()
    assert r.verdict == Verdict.PASS and r.measurement == 1.0 and r.details["reused"]["command"] == prov["command"]


def test_a_record_stands_only_for_its_own_setting_and_seed():
    e = get_experiment(EXP)
    rec = _record()
    assert rp.verify_record(rec, e, budget="paper", seed=0) == []
    # the device is provenance: a GPU run stands for the same setting on a CPU
    assert rp.verify_record(rec, e, budget="paper", seed=0) == []
    assert any("run seed" in p for p in rp.verify_record(rec, e, budget="paper", seed=1))
    assert _record(device="cuda").fingerprint == rec.fingerprint
    assert any("budget" in p for p in rp.verify_record(rec, e, budget="full", seed=0))
    other = get_experiment("li2.critical-ratio-law")
    assert any("not li2" in p for p in rp.verify_record(rec, other, budget="paper", seed=0))
    changed = rp.fingerprint({**e.settings("paper"), "seeds": 99}, seed=0)
    assert changed != rec.fingerprint
    moved = rp.ReproductionRecord(**{**{k: getattr(rec, k) for k in ("id", "budget", "seed", "verdict", "check",
                                                                     "provenance")}, "fingerprint": changed})
    assert any("fingerprint" in p for p in rp.verify_record(moved, e, budget="paper", seed=0))
    assert any("ERROR" in p for p in rp.verify_record(_record(verdict=Verdict.ERROR), e, budget="paper", seed=0))


@pytest.mark.parametrize("text, words", [
    ("not json", "unreadable"),
    ("[1, 2]", "not an object"),
    ('{"schema": 1, "id": "x"}', "missing field"),
    ('{"schema": 99, "id": "x", "budget": "paper", "seed": 0, "fingerprint": "f", "verdict": "PASS", "check": {}}',
     "schema 99"),
    ('{"schema": 1, "id": "x", "budget": "paper", "seed": 0, "fingerprint": "f", "verdict": "MAYBE", "check": {}}',
     "unknown verdict"),
])
def test_a_malformed_results_file_is_a_named_error(tmp_path, text, words):
    path = tmp_path / "x.paper.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=words) as info:
        rp.load_result(path)
    # the record's own check names the experiment instead of the file
    assert "x.paper.json" in str(info.value) or words == "unknown verdict"


def test_stored_result_names_why_a_present_file_is_not_reused(tmp_path):
    e = get_experiment(EXP)
    assert rp.stored_result(e, budget="paper", seed=0, folder=tmp_path) == (
        None, tmp_path / f"{EXP}.paper.json", [])
    rp.save_result(_record(seed=3), tmp_path)
    rec, path, problems = rp.stored_result(e, budget="paper", seed=0, folder=tmp_path)
    assert rec is None and problems and "run seed is 3" in problems[0]
    rp.save_result(_record(), tmp_path)
    rec, path, problems = rp.stored_result(e, budget="paper", seed=0, folder=tmp_path)
    assert rec is not None and problems == []
    (tmp_path / f"{EXP}.paper.json").write_text("{", encoding="utf-8")
    rec, path, problems = rp.stored_result(e, budget="paper", seed=0, folder=tmp_path)
    assert rec is None and "unreadable" in problems[0]


def test_results_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GROKCHECK_RESULTS", str(tmp_path))
    assert rp.results_dir() == tmp_path
    monkeypatch.delenv("GROKCHECK_RESULTS")
    d = rp.results_dir()
    assert d is None or d.name == "results"


def test_the_cli_reuses_a_stored_paper_result_and_recomputes_on_request(tmp_path, monkeypatch, capsys):
    from grokcheck.checks.cli import experiments as cli_exp
    from grokcheck.checks.cli import main

    monkeypatch.setenv("GROKCHECK_RESULTS", str(tmp_path / "results"))
    rp.save_result(_record(), tmp_path / "results")
    # the paper budget of the toy is minutes of work: reuse must compute nothing (no cell cache written)
    out = tmp_path / "out"
    assert main(["experiments", "--budget", "paper", "--only", EXP, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "reusing" in err and f"{EXP}.paper.json" in err
    data = json.loads((out / "report.json").read_text())
    assert data["checks"][0]["verdict"] == "PASS" and data["checks"][0]["reason"] == "a stored reason"
    assert not (out / "cache").exists()
    args = argparse.Namespace(budget="paper", recompute=True, max_steps=None, seed=0, device="cuda", quiet=True)
    assert cli_exp._reused(get_experiment(EXP), args) is None
    assert cli_exp._reused(get_experiment(EXP), argparse.Namespace(**{**vars(args), "recompute": False})) is not None
    # a capped run is a smoke test: never reused, never stored
    assert cli_exp._reused(get_experiment(EXP), argparse.Namespace(**{**vars(args), "recompute": False,
                                                                      "max_steps": 5})) is None


def test_store_results_writes_the_file_of_a_finished_run(tmp_path, monkeypatch):
    from grokcheck.checks.cli import main

    monkeypatch.setenv("GROKCHECK_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(sys, "argv", ["grokcheck", "experiments", "--budget", "small"])
    out = tmp_path / "out"
    assert main(["experiments", "--budget", "small", "--only", EXP, "--out", str(out), "--quiet",
                 "--store-results"]) == 0
    rec = rp.load_result(tmp_path / "results" / f"{EXP}.small.json")
    e = get_experiment(EXP)
    assert rp.verify_record(rec, e, budget="small", seed=0) == []
    report = json.loads((out / "report.json").read_text())
    assert rec.verdict == report["checks"][0]["verdict"]
    assert rec.provenance["cpu_seconds"] > 0 and rec.provenance["command"].startswith("grokcheck experiments")
    assert rec.provenance["cells_wall_seconds"] > 0 and rec.provenance["cells_computed"] >= 1
    # a rerun that reuses every cached cell still records the cells' time
    (tmp_path / "results" / f"{EXP}.small.json").unlink()
    assert main(["experiments", "--budget", "small", "--only", EXP, "--out", str(out), "--quiet",
                 "--store-results"]) == 0
    again = rp.load_result(tmp_path / "results" / f"{EXP}.small.json")
    assert again.provenance["cells_cached"] == rec.provenance["cells_computed"]
    assert again.provenance["cells_wall_seconds"] == rec.provenance["cells_wall_seconds"]
    assert again.cpu_hours * 3600 >= again.provenance["cells_wall_seconds"]
    # --max-steps: a smoke run, not stored
    (tmp_path / "results" / f"{EXP}.small.json").unlink()
    assert main(["experiments", "--budget", "small", "--only", EXP, "--out", str(out), "--quiet",
                 "--store-results", "--max-steps", "3"]) == 0
    assert not (tmp_path / "results" / f"{EXP}.small.json").exists()


def _docs_ext():
    here = Path(__file__).resolve().parents[1] / "docs" / "_ext"
    sys.path.insert(0, str(here))
    try:
        import grokcheck_docs
    finally:
        sys.path.remove(str(here))
    return grokcheck_docs


def test_the_reproduction_page_shows_runs_and_projected_costs(tmp_path):
    rp.save_result(_record(), tmp_path)
    costs = {"schema": 1, "experiments": {"egd.speedup-over-sgd": {
        "projected_cpu_hours": 6.74, "projection_is_lower_bound": False,
        "rows": [{"cell": "group-C97", "seconds_per_step": 1.62}]},
        "lyu.group-grok-time": {"projected_cpu_hours": None, "rows": [{"cell": "C97", "unresolved": "guard"}]},
        "li2.critical-ratio-law": {"projected_cpu_hours": 575.0, "projection_is_lower_bound": True, "rows": [
            {"cell": "C23", "seconds_per_step": 5.3}, {"cell": "C41", "seconds_per_step": 12.0}]}}}
    (tmp_path / "costs.json").write_text(json.dumps(costs), encoding="utf-8")
    rows = {r["id"]: r for r in rp.reproduction_rows(tmp_path)}
    assert rows[EXP]["verdict_paper"] == "PASS" and rows[EXP]["ours_paper"] == "1 [0.9, 1.1]"
    assert rows[EXP]["cpu_hours"] == pytest.approx(28.5 / 3600)
    egd = rows["egd.speedup-over-sgd"]
    assert egd["ours_paper"] == "not run here: 6.74 CPU-hours projected, 1.62 s/step measured"
    assert "45.5×" in egd["published"] and egd["full_differences"]
    assert rows["lyu.group-grok-time"]["ours_paper"] == "not run here: cost not resolved (C97: guard)"
    assert rows["lyu.misgrokking"]["ours_paper"] == "not run here (cost not measured)"
    assert rows["li2.critical-ratio-law"]["ours_paper"] == ("not run here: ≥ 575 CPU-hours projected, 5.3–12 s/step "
                                                           "measured")
    rst = _docs_ext().reproductions_rst(tmp_path)
    assert "not run here: 6.74 CPU-hours projected" in rst and f"``{EXP}``" in rst
    assert rst.count("   * - ``") == len(rows)


def test_a_malformed_costs_file_is_a_named_error(tmp_path):
    (tmp_path / "costs.json").write_text('{"experiments": 3}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="costs file"):
        rp.load_costs(tmp_path)


def test_the_repository_results_files_verify_against_their_experiments():
    """Every committed results file reads, and its fingerprint matches the experiment's setting now."""
    folder = Path(__file__).resolve().parents[1] / "results"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in files:
        if path.name == "costs.json":
            assert rp.load_costs(folder) is not None
            continue
        rec = rp.load_result(path)
        e = get_experiment(rec.id)
        assert rp.verify_record(rec, e, budget=rec.budget, seed=rec.seed) == [], path.name


def test_the_benchmark_reads_each_cells_nominal_steps():
    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        import paper_settings
    finally:
        sys.path.remove(str(bench))
    assert paper_settings.nominal_steps({"steps": 3000}) == 3000
    assert paper_settings.nominal_steps({"task": "group:C97", "epochs": 15000}) == 15000
    assert paper_settings.nominal_steps({"horizon": 2.0}) is None
    assert paper_settings.nominal_steps({"steps": True}) is None


def test_store_results_without_a_results_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    from grokcheck.checks.cli import main

    monkeypatch.setattr(rp, "results_dir", lambda: None)
    out = tmp_path / "out"
    assert main(["experiments", "--budget", "small", "--only", EXP, "--out", str(out), "--quiet",
                 "--store-results"]) == 2
    assert "no results folder" in capsys.readouterr().err
    assert not (out / "cache").exists()
