"""Reproductions: finished runs of an experiment's budget, kept as small results files with their provenance.

A *results file* (``results/<experiment id>.<budget>.json`` at the repository root, one per
finished run; no weights, no curves longer than :data:`MAX_LIST`) holds

* the outcome: verdict, statistic with its interval, the prediction, reason, decide, the setting
  (paper or proxy, with its differences) and the result's details (trimmed);
* the provenance: the command, the git commit (and whether the package's sources differed from
  it), the machine (platform, processor, cores, torch, device, threads, load average), the date,
  wall and CPU seconds, the cells computed and reused;
* ``fingerprint``: the SHA-256 of the budget's settings and the run seed, so a file whose setting
  no longer matches the experiment's is never reused. The device is provenance, not part of the
  setting: a paper run stored from a GPU is reused by ``--device cpu`` (the same setting; its
  numbers differ from a CPU run's only by floating-point order).

``grokcheck experiments --budget paper`` reuses the stored file of an experiment (prints it,
computes nothing) when :func:`stored_result` finds one that :func:`verify_record` accepts;
``--recompute`` runs it again, and ``--store-results`` writes the files of the runs it finished.
A run capped by ``--max-steps`` is never stored (it is a smoke test, not the setting).

Where the files are read (:func:`results_dir`): ``$GROKCHECK_RESULTS`` when set, else the
``results/`` folder of the repository checkout this package runs from (an editable install).
They are not package data: an installed wheel has none and reuses nothing, which is the safe
default (a stored verdict is evidence about a commit, kept in the repository beside it).

The costs file ``results/costs.json`` (written by ``benchmarks/paper_settings.py --write``) holds
the measured seconds per step and projected CPU hours of paper settings that did not run here; the
docs' reproduction page (:func:`reproduction_rows`) shows them as "not run here".
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from grokcheck.checks._io import atomic_write_json, json_safe
from grokcheck.errors import InvalidInputError

__all__ = [
    "SCHEMA",
    "PUBLISHED",
    "ReproductionRecord",
    "results_dir",
    "result_path",
    "fingerprint",
    "git_commit",
    "machine_info",
    "record_from_check",
    "cells_wall_seconds",
    "save_result",
    "load_result",
    "verify_record",
    "stored_result",
    "load_costs",
    "reproduction_rows",
    "cpu_seconds",
]

SCHEMA = 1
#: lists longer than this are cut in a results file (per-step curves; the statistics are short)
MAX_LIST = 200
_VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "NOT APPLICABLE", "ERROR")
_REPO = Path(__file__).resolve().parents[2]


#: the published number a reproduction is compared with, where the paper gives one (words, with its place)
PUBLISHED = {
    "egd.speedup-over-sgd": "SGD/EGD epochs to 95%: 10,099/222 = 45.5× (p = 79), 5,392/116 = 46.5× (p = 97), "
                            "3,293/62 = 53.1× (p = 127) on modular addition (EGD, arXiv 2510.04930, Table 2); "
                            "15.5× on parity k = 3, n = 100 (SGD 1,784 epochs, Table 4)",
    "li2.critical-ratio-law": "p_c ∝ log M / M over M = 23–143 (Tian, arXiv 2509.21519, Fig. 5); the released "
                              "code's constant 2.7482·log M/M",
    "tanhuang.metrics-change-at-grok": "the setting is Nanda et al.'s (arXiv 2301.05217): a one-layer transformer "
                                       "on p = 113, 30% train, AdamW lr 1e-3, weight decay 1, which groks at "
                                       "~10k full-batch steps; the PMI/PE changes at the grokking step (Tan & Huang, "
                                       "arXiv 2311.06597, Figs. 8–9)",
    "lyu.group-grok-time": "grokking at t ≈ log α / (ηλ) on C97 (Lyu et al., arXiv 2311.18817, §2; their run "
                           "~10⁷ steps)",
}


def results_dir() -> Path | None:
    """The folder of the stored results: ``$GROKCHECK_RESULTS``, else the checkout's ``results/`` (or ``None``)."""
    env = os.environ.get("GROKCHECK_RESULTS")
    if env:
        return Path(env)
    d = _REPO / "results"
    return d if d.is_dir() and (_REPO / "pyproject.toml").is_file() else None


def result_path(folder: str | Path, exp_id: str, budget: str) -> Path:
    return Path(folder) / f"{exp_id}.{budget}.json"


def fingerprint(settings: Mapping, *, seed: int) -> str:
    """SHA-256 (first 16 hex) of the budget's settings and the run seed."""
    blob = json.dumps(json_safe({"settings": dict(settings), "seed": int(seed)}), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def git_commit(repo: Path = _REPO) -> dict | None:
    """``{"commit", "dirty"}`` of the checkout (dirty: the package's sources differ from it), ``None`` outside git."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        st = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "--",
                             "theory", "numerics", "checks"], capture_output=True, text=True, timeout=10,
                            check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(st.strip())}


def machine_info(device: str) -> dict:
    """The machine in a few fields (no host name): platform, processor, cores, torch, device, threads, load."""
    import torch

    info = {"platform": platform.platform(terse=True), "machine": platform.machine(),
            "processor": platform.processor() or None, "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}
    if str(device).startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def _trim(obj, depth: int = 0):
    """``obj`` with lists cut to :data:`MAX_LIST` entries (the cut is marked) and depth bounded."""
    if depth > 12:
        return "…"
    if isinstance(obj, dict):
        return {str(k): _trim(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_trim(v, depth + 1) for v in obj[:MAX_LIST]]
        return items + ([f"… {len(obj) - MAX_LIST} more"] if len(obj) > MAX_LIST else [])
    return obj


@dataclass(frozen=True)
class ReproductionRecord:
    """One finished run of an experiment's budget and how it was obtained (see the module docstring).

    ``check``: the run's :class:`~grokcheck.checks.CheckResult` as JSON (details trimmed);
    ``provenance``: command, git, machine, date, wall/CPU seconds, cells computed/cached.
    """

    id: str
    budget: str
    seed: int
    fingerprint: str
    verdict: str
    check: dict
    provenance: dict = field(default_factory=dict)
    schema: int = SCHEMA

    def __post_init__(self):
        if self.verdict not in _VERDICTS:
            raise InvalidInputError(f"results file of {self.id}: unknown verdict {self.verdict!r}")

    @property
    def statistic(self):
        return self.check.get("measurement")

    @property
    def interval(self):
        iv = (self.check.get("details") or {}).get("interval")
        return tuple(iv) if isinstance(iv, list) and len(iv) == 2 else None

    @property
    def cpu_hours(self) -> float | None:
        """This invocation's CPU hours, or, when it reused cached cells, the cells' wall hours (one thread each).

        The cells' wall time bounds their CPU time from above (a cell runs on one thread); the
        invocation's CPU time alone would leave out the cells an earlier invocation computed.
        """
        p = self.provenance
        s = p.get("cpu_seconds")
        if p.get("cells_cached") and p.get("cells_wall_seconds") is not None:
            s = max(float(p["cells_wall_seconds"]), float(s or 0.0))
        return None if s is None else float(s) / 3600.0

    def cpu_words(self) -> str:
        """The run's CPU hours in words: exact for one invocation, an upper bound when cells were reused."""
        p = self.provenance
        cpu = p.get("cpu_seconds")
        if p.get("cells_cached") and p.get("cells_wall_seconds") is not None:
            return (f"≤ {float(p['cells_wall_seconds']) / 3600:.3g} (the cells' wall time, one thread each; "
                    f"{float(cpu or 0) / 3600:.3g} in the invocation that stored it)")
        return "—" if cpu is None else f"{float(cpu) / 3600:.3g}"

    def to_json(self) -> dict:
        return json_safe({"schema": self.schema, "id": self.id, "budget": self.budget, "seed": self.seed,
                          "fingerprint": self.fingerprint, "verdict": self.verdict, "check": self.check,
                          "provenance": self.provenance})

    def to_check_result(self):
        """The stored result as a :class:`~grokcheck.checks.CheckResult` (``details["reused"]`` names the file)."""
        from grokcheck.checks._registry import CheckResult, Verdict

        c = self.check
        details = dict(c.get("details") or {})
        details["reused"] = {"commit": (self.provenance.get("git") or {}).get("commit"),
                             "date": self.provenance.get("date"), "command": self.provenance.get("command")}
        return CheckResult(id=self.id, claim=c.get("claim", ""), source=c.get("source", ""),
                           verdict=Verdict(self.verdict), prediction=c.get("prediction"),
                           measurement=c.get("measurement"), details=details, reason=c.get("reason", ""),
                           published_false=bool(c.get("published_false", False)), seconds=0.0,
                           decide=c.get("decide", ""), statistic=c.get("statistic"),
                           baseline=c.get("baseline"), setting=c.get("setting"))


def cells_wall_seconds(exp, *, budget: str, seed: int, device: str, out_dir: str | Path,
                       max_steps: int | None = None) -> float | None:
    """Wall seconds of every cell of the run in ``out_dir``'s cell cache, whichever invocation computed it.

    Each cached seed file records its cell's ``_cell_seconds`` (one thread per cell); a resumed
    run's own CPU time leaves out the cells an earlier invocation computed, this sum does not.
    ``None`` when a cell is missing from the cache.
    """
    from grokcheck.checks.experiments._study import StudyContext, _cell_dir

    ctx = StudyContext(budget=budget, seed=int(seed), device=device, max_steps=max_steps)
    extra = {"device": device, "max_steps": max_steps, "seed": int(seed), "group": None}
    total = 0.0
    for cell in exp.cells(exp.settings(budget), ctx):
        f = _cell_dir(Path(out_dir), exp, budget, cell, extra) / f"seed-{cell.seeds[0]}.json"
        try:
            total += float(json.loads(f.read_text(encoding="utf-8"))["_cell_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return total


def record_from_check(result, *, budget: str, seed: int, device: str, settings: Mapping, command: str,
                      wall_seconds: float, cpu_seconds: float,
                      cells_seconds: float | None = None) -> ReproductionRecord:
    """The record of a finished run: ``result`` (a CheckResult) with the provenance of this process.

    ``cells_seconds``: :func:`cells_wall_seconds` of the run (the cells' own time, cached ones included).
    """
    data = _trim(json.loads(json.dumps(json_safe(result.to_json()), default=str)))
    data.get("details", {}).pop("traceback", None)
    det = result.details if isinstance(result.details, dict) else {}
    prov = {"command": command, "git": git_commit(), "machine": machine_info(device),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wall_seconds": round(float(wall_seconds), 1), "cpu_seconds": round(float(cpu_seconds), 1),
            "compute_seconds": det.get("compute_seconds"), "cells_computed": det.get("cells_computed"),
            "cells_cached": det.get("cells_cached"),
            "cells_wall_seconds": None if cells_seconds is None else round(float(cells_seconds), 1)}
    return ReproductionRecord(id=result.id, budget=budget, seed=int(seed),
                              fingerprint=fingerprint(settings, seed=seed),
                              verdict=result.verdict.value, check=data, provenance=prov)


def save_result(record: ReproductionRecord, folder: str | Path) -> Path:
    """Write ``record`` atomically to ``folder/<id>.<budget>.json``; returns the path."""
    path = result_path(folder, record.id, record.budget)
    atomic_write_json(path, record.to_json(), allow_nan=False)
    return path


def load_result(path: str | Path) -> ReproductionRecord:
    """Read one results file; a malformed one is an :class:`~grokcheck.errors.InvalidInputError` naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"results file {path}: unreadable ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"results file {path}: holds {type(data).__name__}, not an object")
    missing = [k for k in ("schema", "id", "budget", "seed", "fingerprint", "verdict", "check") if k not in data]
    if missing:
        raise InvalidInputError(f"results file {path}: missing field(s) {missing}")
    if data["schema"] != SCHEMA:
        raise InvalidInputError(f"results file {path}: schema {data['schema']!r}, this grokcheck reads {SCHEMA}")
    if not isinstance(data["check"], dict):
        raise InvalidInputError(f"results file {path}: 'check' is not an object")
    return ReproductionRecord(id=str(data["id"]), budget=str(data["budget"]), seed=int(data["seed"]),
                              fingerprint=str(data["fingerprint"]), verdict=str(data["verdict"]),
                              check=data["check"], provenance=dict(data.get("provenance") or {}),
                              schema=int(data["schema"]))


def verify_record(record: ReproductionRecord, exp, *, budget: str, seed: int) -> list[str]:
    """Why ``record`` cannot stand for ``exp`` at ``budget``/``seed`` now (empty: it can)."""
    problems = []
    if record.id != exp.id:
        problems.append(f"it is the result of {record.id}, not {exp.id}")
    if record.budget != budget:
        problems.append(f"its budget is {record.budget}, not {budget}")
    if record.seed != int(seed):
        problems.append(f"its run seed is {record.seed}, not {seed}")
    if record.verdict == "ERROR":
        problems.append("it records an ERROR")
    want = fingerprint(exp.settings(budget), seed=seed)
    if record.fingerprint != want:
        problems.append(f"its settings fingerprint {record.fingerprint} differs from the experiment's now ({want}): "
                        "the setting changed since it was stored")
    return problems


def stored_result(exp, *, budget: str, seed: int,
                  folder: str | Path | None = None) -> tuple[ReproductionRecord | None, Path | None, list[str]]:
    """The stored record of ``exp`` that may be reused, its path, and why a file present was not accepted."""
    folder = results_dir() if folder is None else Path(folder)
    if folder is None:
        return None, None, []
    path = result_path(folder, exp.id, budget)
    if not path.is_file():
        return None, path, []
    try:
        rec = load_result(path)
    except InvalidInputError as exc:
        return None, path, [str(exc)]
    problems = verify_record(rec, exp, budget=budget, seed=seed)
    return (None if problems else rec), path, problems


def load_costs(folder: str | Path | None = None) -> dict:
    """``{experiment id: cost record}`` from ``costs.json`` (``benchmarks/paper_settings.py --write``)."""
    folder = results_dir() if folder is None else Path(folder)
    path = None if folder is None else Path(folder) / "costs.json"
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"costs file {path}: unreadable ({type(exc).__name__}: {exc})") from None
    exps = data.get("experiments") if isinstance(data, dict) else None
    if not isinstance(exps, dict):
        raise InvalidInputError(f"costs file {path}: no 'experiments' object")
    return exps


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return "—" if v is None else str(v)


def _ours(rec: ReproductionRecord | None) -> str:
    if rec is None:
        return ""
    iv = rec.interval
    ci = f" [{_fmt(iv[0])}, {_fmt(iv[1])}]" if iv and None not in iv else ""
    return f"{_fmt(rec.statistic)}{ci}"


def reproduction_rows(folder: str | Path | None = None, experiments=None) -> list[dict]:
    """One row per experiment: claim, published number and source, ours at paper and full, verdict, CPU hours.

    ``ours_paper`` is the stored paper run, or "not run here: X CPU-hours projected (…)" from the
    costs file; ``differences`` are the full budget's from the paper (the paper budget's are none
    when its setting is the paper's).
    """
    from grokcheck.checks.experiments._study import all_experiments

    exps = all_experiments() if experiments is None else experiments
    folder = results_dir() if folder is None else Path(folder)
    costs = load_costs(folder) if folder is not None else {}
    rows = []
    for e in exps:
        recs = {}
        for b in ("paper", "full"):
            path = None if folder is None else result_path(folder, e.id, b)
            recs[b] = load_result(path) if path is not None and path.is_file() else None
        st_paper, st_full = e.setting_of("paper"), e.setting_of("full")
        published = PUBLISHED.get(e.id) or (e.magnitude.words if e.magnitude is not None else "")
        paper = recs["paper"]
        if paper is not None:
            ours_paper = _ours(paper)
            verdict = paper.verdict
            hours = paper.cpu_hours
            hours_words = paper.cpu_words()
            run_on = (paper.provenance.get("machine") or {}).get("device", "")
        else:
            cost = costs.get(e.id) or {}
            h = cost.get("projected_cpu_hours")
            if h is not None:
                per = [r.get("seconds_per_step") for r in cost.get("rows", []) if r.get("seconds_per_step")]
                lo, hi = (f"{min(per):.3g}", f"{max(per):.3g}") if per else ("", "")
                per_s = f", {lo}{'–' + hi if hi != lo else ''} s/step measured" if per else ""
                bound = "≥ " if cost.get("projection_is_lower_bound") else ""
                ours_paper = f"not run here: {bound}{h:.3g} CPU-hours projected{per_s}"
            elif cost.get("rows"):
                why = "; ".join(f"{r.get('cell')}: {r['unresolved']}" for r in cost["rows"] if r.get("unresolved"))
                ours_paper = f"not run here: cost not resolved ({why or 'no projection'})"
            else:
                ours_paper = "not run here (cost not measured)"
            verdict, hours, run_on = "", h, ""
            hours_words = "—" if h is None else f"{h:.3g} (projected)"
        rows.append({"id": e.id, "claim": e.claim, "source": e.source, "published": published,
                     "paper_setting": (st_paper.words() if st_paper is not None else ""),
                     "ours_paper": ours_paper, "verdict_paper": verdict, "ours_full": _ours(recs["full"]),
                     "verdict_full": recs["full"].verdict if recs["full"] is not None else "",
                     "full_differences": list(st_full.differences) if st_full is not None else [],
                     "cpu_hours": hours, "cpu_words": hours_words, "ran_on": run_on, "has_paper_run": paper is not None,
                     "figures": list((paper.check.get("details") or {}).get("figures", [])) if paper else []})
    return rows


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the run's own cost)."""
    import resource

    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime

