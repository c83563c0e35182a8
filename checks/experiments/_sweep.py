"""Sweeps: a grid of batched-ensemble runs, cut into cells, with results in a Parquet table.

A sweep is declared in a TOML file (``grokcheck sweep SPEC.toml``) of one of two kinds.

A grid of training runs::

    name = "c-wd"                 # optional; the output folder defaults to "<spec stem>-sweep"
    out = "sweeps/c-wd"           # optional (relative to the spec file)

    [train]                       # the base run: any option of `grokcheck train`
    group = "C23"                 #   (names with "_" or "-"; lists for options taking several values)
    model = "mlp"
    width = 128
    optimizer = "adamw"
    lr = 1e-3
    steps = 2000
    eval_every = 100
    seeds = 8                     # the ensemble size of every cell

    [grid]                        # axes: every combination is one cell
    group = ["C23", "C29"]
    train_fraction = [0.3, 0.5]
    weight_decay = [0.1, 1.0]
    seed = [0, 1]                 # run seeds (each a different set of S seeds)

    [resources]                   # per cell (Ray's task requirements; threads of a local cell)
    num_cpus = 1
    num_gpus = 0

A top-level ``fold = ["lr", "weight_decay"]`` folds those axes (``grokcheck train`` takes them
per seed) into the ensemble instead of making cells of them: a cell then has
``seeds × |lr| × |weight_decay|`` members, member ``e`` being replica ``e % seeds`` of the
``e // seeds``-th combination (in grid order), with its own seed index ``e`` (so folded and
unfolded sweeps draw different seeds). Rows carry that member's ``lr``/``weight_decay`` and its
``replica``. Fewer, larger cells are where batching pays.

A registered experiment (see :mod:`grokcheck.checks.experiments._study`), cut into the cells
its study declares and analysed by its own decision rule at the end::

    [experiment]
    id = "lyu.grokking-time-law"
    budget = "small"
    seed = 0

Cells and results
-----------------
Every cell is one batched ensemble (one :func:`~grokcheck.checks.training._train.train` call
whose S members are the seeds, or one experiment cell) and has an id: a hash of everything that
determines its result (the resolved options, the device). The results table is a Parquet dataset
``OUT/results/cell-<id>.parquet``, one file per finished cell written atomically by the driver
(temporary file, fsync, rename), so a cell is in the table entirely or not at all; a rerun skips
the cells already there, so an interrupted sweep resumes. When the sweep ends, the parts of its
cells are compacted into ``OUT/results.parquet``. Read either with pandas
(``pd.read_parquet("OUT/results.parquet")``), DuckDB (``SELECT * FROM 'OUT/results/*.parquet'``)
or :func:`read_results`.

Rows of a training sweep: one per cell × seed × evaluation step, with columns ``cell``,
``label``, every option the spec names (base and axes, as parsed by ``grokcheck train``),
``member`` (the seed's index in its ensemble), ``step``, ``train_loss``, ``train_acc``,
``test_loss``, ``test_acc``, ``alive``, ``weight_norm`` (Frobenius norm of all parameters),
``t_mem``, ``t_grok`` (the run's final values; null for "never"), ``status`` (the run's) and
``config`` (the full ``TrainConfig`` as JSON). Rows of an experiment sweep: one per cell × seed,
with ``experiment``, ``budget``, ``cell_key``, ``seed`` and ``result`` (the seed's result as JSON).

``OUT/cells/<id>.json`` records every attempted cell: ``status`` ("done" or "failed"),
``attempts``, ``seconds``, ``executor``, ``worker`` and, for a failed cell, ``error``. A cell
that fails is retried once by the executor and then recorded as failed, never dropped; a later
run of the sweep tries it again. ``OUT/summary.json`` and ``OUT/summary.png`` summarise the cells
(for an experiment: ``OUT/outcome.json`` with the verdict, and the experiment's figures).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from grokcheck.errors import InvalidInputError

__all__ = [
    "SweepSpec",
    "SweepCell",
    "SweepResult",
    "load_spec",
    "spec_from_dict",
    "plan_sweep",
    "run_sweep_cell",
    "run_sweep",
    "sweep_status",
    "read_results",
]

#: Grid axes that can be folded into the ensemble (``grokcheck train`` takes them per seed).
_FOLDABLE = ("lr", "weight_decay")
#: Options of ``grokcheck train`` a sweep sets itself (the output folder, resuming, progress).
_RESERVED = {"out", "resume", "overwrite", "no_progress", "device", "threads", "help"}
_FORMAT = 1


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep specification (see the module docstring for the TOML layout).

    ``kind`` is ``"train"`` or ``"experiment"``; ``base`` the ``[train]`` options; ``grid`` the
    axes (name → tuple of values, in the order given); ``experiment`` the ``[experiment]`` table;
    ``resources`` ``{"num_cpus": float, "num_gpus": float}`` per cell; ``device`` and ``threads``
    the defaults for the cells (the command line may override them); ``out`` the output folder.
    """

    name: str
    kind: str
    base: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, tuple] = field(default_factory=dict)
    experiment: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=lambda: {"num_cpus": 1.0, "num_gpus": 0.0})
    device: str = "cpu"
    threads: Any = "auto"
    out: str | None = None
    fold: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "base": dict(self.base),
                "grid": {k: list(v) for k, v in self.grid.items()}, "experiment": dict(self.experiment),
                "resources": dict(self.resources), "device": self.device, "threads": self.threads,
                "fold": list(self.fold)}


def _norm_key(k: str) -> str:
    return str(k).strip().replace("-", "_")


def spec_from_dict(d: Mapping, *, name: str = "sweep", root: str | os.PathLike | None = None) -> SweepSpec:
    """A :class:`SweepSpec` from the parsed TOML ``d`` (``root``: folder that ``out`` is relative to)."""
    d = dict(d)
    known = {"name", "out", "train", "grid", "experiment", "resources", "device", "threads", "fold"}
    unknown = sorted(set(d) - known)
    if unknown:
        raise InvalidInputError(f"sweep spec: unknown top-level key(s) {unknown}; known: {sorted(known)}")
    has_train, has_exp = "train" in d, "experiment" in d
    if has_train == has_exp:
        raise InvalidInputError("sweep spec: give exactly one of a [train] table (a grid of runs) or an "
                                "[experiment] table (a registered experiment)")
    grid = {}
    for k, vals in dict(d.get("grid", {})).items():
        if not isinstance(vals, list) or not vals:
            raise InvalidInputError(f"sweep spec: grid axis {k!r} must be a non-empty list of values, got {vals!r}")
        grid[_norm_key(k)] = tuple(vals)
    if has_exp and grid:
        raise InvalidInputError("sweep spec: an [experiment] sweep takes its grid from the experiment; remove [grid]")
    base = {_norm_key(k): v for k, v in dict(d.get("train", {})).items()}
    for k in (*base, *grid):
        if k in _RESERVED:
            raise InvalidInputError(f"sweep spec: {k!r} is set by the sweep itself (use the command line: "
                                    f"--device, --threads, --out)")
    dup = sorted(set(base) & set(grid))
    if dup:
        raise InvalidInputError(f"sweep spec: {dup} given both in [train] and as [grid] axes; keep one")
    exp = dict(d.get("experiment", {}))
    if has_exp:
        bad = sorted(set(exp) - {"id", "budget", "seed", "max_steps", "group"})
        if bad or "id" not in exp:
            raise InvalidInputError(f"sweep spec: [experiment] takes id, budget, seed, max_steps, group; got {sorted(exp)}")
    res = {"num_cpus": 1.0, "num_gpus": 0.0}
    for k, v in dict(d.get("resources", {})).items():
        if k not in res:
            raise InvalidInputError(f"sweep spec: [resources] takes num_cpus and num_gpus, got {k!r}")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0 or not math.isfinite(v):
            raise InvalidInputError(f"sweep spec: [resources] {k} must be a number ≥ 0, got {v!r}")
        res[k] = float(v)
    out = d.get("out")
    if out is not None and root is not None and not os.path.isabs(out):
        out = str(Path(root) / out)
    from grokcheck.checks.training._threads import resolve_threads

    threads = d.get("threads", "auto")
    resolve_threads(threads, 1)  # validate
    fold = tuple(_norm_key(k) for k in d.get("fold", ()))
    for k in fold:
        if k not in _FOLDABLE or k not in grid:
            raise InvalidInputError(f"sweep spec: fold takes grid axes among {sorted(_FOLDABLE)} (the per-seed "
                                    f"options of `grokcheck train`), got {k!r}")
    return SweepSpec(name=str(d.get("name", name)), kind="train" if has_train else "experiment", base=base,
                     grid=grid, experiment=exp, resources=res, device=str(d.get("device", "cpu")),
                     threads=threads, out=out, fold=fold)


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read a sweep specification from a TOML file."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    path = Path(path)
    try:
        with open(path, "rb") as f:
            d = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: not valid TOML: {exc}") from None
    return spec_from_dict(d, name=path.stem, root=path.parent)


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class SweepCell:
    """One unit of work: ``id`` (hash of everything that determines it), ``label``, ``axes``, ``payload``.

    ``payload`` is what :func:`run_sweep_cell` needs, JSON-able (it travels to Ray workers).
    """

    id: str
    label: str
    axes: Mapping[str, Any]
    payload: Mapping[str, Any]


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _train_parser():
    import argparse

    from grokcheck.checks.cli import train as train_cli

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            raise InvalidInputError(f"sweep spec: {message}")

    top = _Parser(prog="grokcheck")
    sub = top.add_subparsers(dest="command")
    train_cli.register(sub)
    return top, sub.choices["train"]


def _train_namespace(options: Mapping[str, Any]):
    """Parse ``options`` exactly as ``grokcheck train --OPTION VALUE …`` would."""
    top, train_p = _train_parser()
    actions = {a.dest: a for a in train_p._actions if a.dest != "help"}
    argv = ["train", "--out", "-"]
    for key, val in options.items():
        if key not in actions:
            raise InvalidInputError(f"sweep spec: {key!r} is not an option of `grokcheck train` "
                                    f"(see `grokcheck train --help`)")
        a = actions[key]
        if not a.option_strings:  # the positional group name
            argv.insert(1, str(val))
            continue
        flag = a.option_strings[-1]
        if a.nargs == 0:  # a flag
            if not isinstance(val, bool):
                raise InvalidInputError(f"sweep spec: {key!r} is a flag: give true or false, got {val!r}")
            if val:
                argv.append(flag)
        elif isinstance(val, (list, tuple)):
            argv += [flag, *map(str, val)] if a.nargs not in (None, "?") else [flag, ",".join(map(str, val))]
        else:
            argv += [flag, str(val)]
    return top.parse_args(argv)


def _column_value(v):
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    return v


def plan_sweep(spec: SweepSpec, *, device: str | None = None) -> list[SweepCell]:
    """The cells of ``spec``, in grid order (the last axis varies fastest)."""
    device = device or spec.device
    if spec.kind == "experiment":
        return _plan_experiment(spec, device)
    axes = [a for a in spec.grid if a not in spec.fold]
    folded = list(itertools.product(*(spec.grid[a] for a in spec.fold))) if spec.fold else []
    cells = []
    for values in itertools.product(*(spec.grid[a] for a in axes)) if axes else [()]:
        point = dict(zip(axes, values))
        options = {**spec.base, **point}
        member_columns = {}
        if folded:  # member e = (folded combination e // R, replica e % R), R = seeds
            R = int(_train_namespace(options).seeds)
            for j, k in enumerate(spec.fold):
                options[k] = [combo[j] for combo in folded for _ in range(R)]
            options["seeds"] = R * len(folded)
        ns = _train_namespace(options)  # validates every option before anything runs
        from grokcheck.checks.cli import train as train_cli

        config = train_cli.config_from_args(ns).to_dict()
        columns = {k: _column_value(getattr(ns, k)) for k in options if k not in spec.fold}
        if folded:
            R = len(options[spec.fold[0]]) // len(folded)
            member_columns = {k: [float(v) for v in getattr(ns, k)] for k in spec.fold}
            member_columns["replica"] = [e % R for e in range(R * len(folded))]
        ident = {"format": _FORMAT, "kind": "train", "config": config, "task": _task_options(ns), "device": device}
        cid = _digest(ident)
        label = " ".join(f"{k}={v}" for k, v in point.items()) or "base"
        if folded:
            label += f" [{'×'.join(spec.fold)} folded: {len(folded)}×{R} members]"
        cells.append(SweepCell(cid, label, point, {"kind": "train", "id": cid, "label": label, "options": options,
                                                   "columns": columns, "member_columns": member_columns,
                                                   "device": device}))
    ids = [c.id for c in cells]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("sweep spec: two grid points resolve to the same run (an axis value that "
                                "does not change the configuration?)")
    return cells


def _task_options(ns) -> dict:
    keys = ("task", "group", "perms", "cayley", "train_fraction", "encoding", "seeds", "seed", "parity", "n_train",
            "mnist_path", "model")
    return {k: getattr(ns, k, None) for k in keys}


def _experiment_context(exp_spec: Mapping, device: str):
    from grokcheck.checks.experiments._study import StudyContext

    group = exp_spec.get("group")
    if group is not None:
        from grokcheck.theory import group as parse_group

        group = parse_group(group)
    return StudyContext(budget=exp_spec.get("budget", "small"), seed=int(exp_spec.get("seed", 0)), device=device,
                        group=group, max_steps=exp_spec.get("max_steps"))


def _plan_experiment(spec: SweepSpec, device: str) -> list[SweepCell]:
    from grokcheck.checks.experiments._study import get_experiment

    e = dict(spec.experiment)
    exp = get_experiment(e["id"])
    ctx = _experiment_context(e, device)
    cells = []
    for c in exp.cells(exp.settings(ctx.budget), ctx):
        ident = {"format": _FORMAT, "kind": "experiment", "experiment": exp.id, "budget": ctx.budget,
                 "seed": ctx.seed, "max_steps": ctx.max_steps, "group": e.get("group"), "device": device,
                 "cell": {"key": c.key, "spec": c.spec, "seeds": list(c.seeds)}}
        cid = _digest(ident)
        cells.append(SweepCell(cid, c.key, {"cell_key": c.key}, {**ident, "id": cid, "label": c.key}))
    return cells


# --------------------------------------------------------------------------- one cell


def run_sweep_cell(payload: Mapping[str, Any], *, threads="auto", cores: int | None = None) -> dict:
    """Compute one cell and return its rows as columns ``{name: [values]}`` (picklable, JSON-able).

    ``threads``: ``"auto"`` (from the step size, capped by ``cores``) or a count.
    """
    from grokcheck.checks.training._threads import (auto_threads, resolve_threads, torch_threads,
                                                    train_step_elements)

    if payload["kind"] == "experiment":
        return _run_experiment_cell(payload, threads)
    from grokcheck.checks.cli import train as train_cli
    from grokcheck.checks.training._train import train

    ns = _train_namespace(payload["options"])
    config = train_cli.config_from_args(ns)
    task = train_cli.task_from_args(ns)
    elements = train_step_elements(config, task)
    n = auto_threads(elements, cores=cores) if threads in (None, "auto") else resolve_threads(threads)
    with torch_threads(n):
        result = train(config, task, out_dir=None, device=payload["device"], progress=False)
    S = config.n_seeds
    member_columns = payload.get("member_columns") or {}
    rows: dict[str, list] = {k: [] for k in ("cell", "label", *payload["columns"], *member_columns, "member",
                                             "step", "train_loss",
                                             "train_acc", "test_loss", "test_acc", "alive", "weight_norm", "t_mem",
                                             "t_grok", "status", "config")}
    cfg_json = json.dumps(config.to_dict(), sort_keys=True, default=str)
    t_mem = [int(t) if t >= 0 else None for t in result.t_mem]
    t_grok = [int(t) if t >= 0 else None for t in result.t_grok]
    for h in result.history:
        norms = h.get("weight_norm", {})
        for s in range(S):
            rows["cell"].append(payload["id"])
            rows["label"].append(payload["label"])
            for k, v in payload["columns"].items():
                rows[k].append(v)
            for k, v in member_columns.items():
                rows[k].append(v[s])
            rows["member"].append(s)
            rows["step"].append(int(h["step"]))
            for k in ("train_loss", "train_acc", "test_loss", "test_acc"):
                rows[k].append(h[k][s])
            rows["alive"].append(bool(h["alive"][s]))
            parts = [v[s] for v in norms.values()]
            rows["weight_norm"].append(None if any(p is None for p in parts) else math.sqrt(sum(p * p for p in parts)))
            rows["t_mem"].append(t_mem[s])
            rows["t_grok"].append(t_grok[s])
            rows["status"].append(result.status)
            rows["config"].append(cfg_json)
    return rows


def _run_experiment_cell(payload, threads) -> dict:
    from grokcheck.checks._io import json_safe
    from grokcheck.checks.experiments._study import Cell, get_experiment
    from grokcheck.checks.training._threads import resolve_threads, torch_threads

    exp = get_experiment(payload["experiment"])
    ctx = _experiment_context(payload, payload["device"])
    c = payload["cell"]
    with torch_threads(resolve_threads(threads)):
        got = exp.run_cell(Cell(c["key"], c["spec"], tuple(c["seeds"])), ctx)
    rows: dict[str, list] = {k: [] for k in ("cell", "experiment", "budget", "cell_key", "seed", "result")}
    for s in c["seeds"]:
        if s not in got and str(s) not in got:
            raise InvalidInputError(f"experiment {exp.id}: cell {c['key']} returned no result for seed {s}")
        rows["cell"].append(payload["id"])
        rows["experiment"].append(exp.id)
        rows["budget"].append(ctx.budget)
        rows["cell_key"].append(c["key"])
        rows["seed"].append(int(s))
        rows["result"].append(json.dumps(json_safe(got[s] if s in got else got[str(s)]), sort_keys=True))
    return rows


# --------------------------------------------------------------------------- the table


def _part(out: Path, cid: str) -> Path:
    return out / "results" / f"cell-{cid}.parquet"


def _types():
    import pyarrow as pa

    f, i = pa.float64(), pa.int64()
    return {"member": i, "step": i, "train_loss": f, "train_acc": f, "test_loss": f, "test_acc": f, "alive": pa.bool_(),
            "weight_norm": f, "t_mem": i, "t_grok": i, "seed": i, "replica": i, "cell": pa.string(), "label": pa.string(),
            "status": pa.string(), "config": pa.string(), "result": pa.string()}


class _LazyTypes(dict):
    def get(self, k, default=None):
        if not self:
            self.update(_types())
        return super().get(k, default)


#: Arrow types of the fixed columns (so that a column that is all null in one part still reads
#: back with the type of the others).
_TYPES = _LazyTypes()


def _write_part(out: Path, cid: str, columns: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from grokcheck.checks._io import atomic_write_via

    table = pa.table({k: pa.array(v, type=_TYPES.get(k)) for k, v in columns.items()})
    atomic_write_via(_part(out, cid), lambda tmp: pq.write_table(table, tmp))


def read_results(out_dir: str | os.PathLike, cells: list[str] | None = None):
    """The results table of a sweep folder as one ``pyarrow.Table`` (parts concatenated).

    ``cells``: only these cell ids (default: every part in ``OUT/results``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    files = sorted((out / "results").glob("cell-*.parquet"))
    if cells is not None:
        want = set(cells)
        files = [f for f in files if f.stem[len("cell-"):] in want]
    if not files:
        return pa.table({})
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def _record(out: Path, cid: str, info: dict) -> None:
    from grokcheck.checks._io import atomic_write_json

    atomic_write_json(out / "cells" / f"{cid}.json", info)


def _read_record(out: Path, cid: str) -> dict | None:
    f = out / "cells" / f"{cid}.json"
    try:
        return json.loads(f.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` returns: cell ids ``done`` (now or before), ``computed`` (this
    run), ``skipped`` (already in the table), ``failed`` (``{id: error}``), the ``out`` folder and
    the wall time ``seconds``."""

    out: str
    done: tuple[str, ...]
    computed: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: Mapping[str, str]
    seconds: float


class _Progress:
    """A tqdm bar on a terminal; plain one-line messages (no cursor escapes) otherwise."""

    def __init__(self, total: int, initial: int, enabled: bool, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.n = total, initial
        self.bar = None
        self.enabled = enabled
        if enabled and hasattr(self.stream, "isatty") and self.stream.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="cell", desc="sweep", file=self.stream)

    def update(self, msg: str) -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(msg[:60])
        elif self.enabled:
            print(f"sweep [{self.n}/{self.total}] {msg}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_sweep(spec: SweepSpec, out_dir: str | os.PathLike, *, executor=None, device: str | None = None,
              threads=None, progress: bool = True, summary: bool = True) -> SweepResult:
    """Run every cell of ``spec`` not yet in the results table of ``out_dir``.

    Parameters
    ----------
    executor : an :class:`~grokcheck.checks.experiments._executors.AbstractExecutor` (default
        :class:`~grokcheck.checks.experiments._executors.LocalExecutor`, in this process).
    device, threads : override the spec's (``threads``: ``"auto"`` or a count per cell).
    progress : a progress bar over cells (plain lines when stderr is not a terminal).
    summary : compact the table and write the summary files and figures at the end.
    """
    from grokcheck.checks._io import atomic_write_json
    from grokcheck.checks.experiments._executors import LocalExecutor

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    executor = executor or LocalExecutor()
    threads = spec.threads if threads is None else threads
    cells = plan_sweep(spec, device=device)
    atomic_write_json(out / "spec.json", {**spec.to_dict(), "cells": [{"id": c.id, "label": c.label} for c in cells]})
    todo = [c for c in cells if not _part(out, c.id).exists()]
    skipped = tuple(c.id for c in cells if c not in todo)
    bar = _Progress(len(cells), len(skipped), progress)
    computed, failed = [], {}
    try:
        for oc in executor.run(todo, threads=threads, resources=dict(spec.resources)):
            cell = next(c for c in todo if c.id == oc.cell_id)
            info = {"id": cell.id, "label": cell.label, "axes": dict(cell.axes), "executor": executor.name,
                    "attempts": oc.attempts, "seconds": round(oc.seconds, 3), "worker": oc.worker}
            if oc.ok:
                _write_part(out, cell.id, oc.columns)
                _record(out, cell.id, {**info, "status": "done"})
                computed.append(cell.id)
                bar.update(f"{cell.label}: done in {oc.seconds:.1f} s")
            else:
                _record(out, cell.id, {**info, "status": "failed", "error": oc.error})
                failed[cell.id] = oc.error
                bar.update(f"{cell.label}: FAILED after {oc.attempts} attempts: {oc.error.splitlines()[-1][:200]}")
    finally:
        bar.close()
    done = tuple(c.id for c in cells if _part(out, c.id).exists())
    if summary and done:
        _finish(spec, out, cells, device or spec.device)
    return SweepResult(str(out), done, tuple(computed), skipped, failed, time.perf_counter() - t0)


def sweep_status(spec: SweepSpec, out_dir: str | os.PathLike, *, device: str | None = None) -> dict:
    """``{"total", "done", "failed": [{id, label, error, attempts}], "pending": [labels]}`` of a sweep folder."""
    out = Path(out_dir)
    cells = plan_sweep(spec, device=device)
    done, failed, pending = [], [], []
    for c in cells:
        if _part(out, c.id).exists():
            done.append(c.id)
            continue
        rec = _read_record(out, c.id)
        if rec is not None and rec.get("status") == "failed":
            failed.append({"id": c.id, "label": c.label, "error": rec.get("error", ""), "attempts": rec.get("attempts")})
        else:
            pending.append(c.label)
    return {"total": len(cells), "done": len(done), "failed": failed, "pending": pending}


# --------------------------------------------------------------------------- summary


def _finish(spec: SweepSpec, out: Path, cells: list[SweepCell], device: str) -> None:
    import pyarrow.parquet as pq

    from grokcheck.checks._io import atomic_write_json, atomic_write_via

    ids = [c.id for c in cells if _part(out, c.id).exists()]
    table = read_results(out, ids)
    atomic_write_via(out / "results.parquet", lambda tmp: pq.write_table(table, tmp))
    if spec.kind == "experiment":
        _finish_experiment(spec, out, cells, table, device)
        return
    stats = _train_summary(table)
    atomic_write_json(out / "summary.json", {"cells": stats, "n_cells": len(cells), "n_done": len(ids)})
    _plot_summary(table, stats, out / "summary.png", spec.name)


def _train_summary(table) -> list[dict]:
    import numpy as np

    cols = table.to_pydict()
    by_cell: dict[str, dict] = {}
    for i, cid in enumerate(cols["cell"]):
        d = by_cell.setdefault(cid, {"label": cols["label"][i], "rows": []})
        d["rows"].append(i)
    stats = []
    for cid, d in by_cell.items():
        rows = d["rows"]
        last = max(cols["step"][i] for i in rows)
        fin = [i for i in rows if cols["step"][i] == last]
        te = [cols["test_acc"][i] for i in fin if cols["test_acc"][i] is not None]
        tr = [cols["train_acc"][i] for i in fin if cols["train_acc"][i] is not None]
        tg = [cols["t_grok"][i] for i in fin]
        grokked = [t for t in tg if t is not None]
        stats.append({"cell": cid, "label": d["label"], "seeds": len(fin), "final_step": last,
                      "train_acc_mean": float(np.mean(tr)) if tr else None,
                      "test_acc_mean": float(np.mean(te)) if te else None,
                      "grokked": len(grokked), "t_grok_median": float(np.median(grokked)) if grokked else None})
    return stats


def _plot_summary(table, stats, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from grokcheck.checks._io import atomic_save_figure

    cols = table.to_pydict()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(1, len(stats))))
    for color, st in zip(colors, stats):
        rows = [i for i, c in enumerate(cols["cell"]) if c == st["cell"]]
        steps = sorted({cols["step"][i] for i in rows})
        mean = []
        for s in steps:
            v = [cols["test_acc"][i] for i in rows if cols["step"][i] == s and cols["test_acc"][i] is not None]
            mean.append(np.mean(v) if v else np.nan)
        ax1.plot(np.maximum(steps, 1), mean, color=color, lw=1.2, label=st["label"] if len(stats) <= 12 else None)
        fin = [cols["test_acc"][i] for i in rows if cols["step"][i] == st["final_step"] and cols["test_acc"][i] is not None]
        k = stats.index(st)
        ax2.scatter([k] * len(fin), fin, color=color, s=12, alpha=0.7)
        if fin:
            ax2.hlines(np.mean(fin), k - 0.3, k + 0.3, color=color, lw=2)
    ax1.set_xscale("log")
    ax1.set_xlabel("step")
    ax1.set_ylabel("test accuracy (mean over seeds)")
    if len(stats) <= 12:
        ax1.legend(fontsize=7, loc="best")
    ax2.set_xticks(range(len(stats)))
    ax2.set_xticklabels([s["label"] for s in stats], rotation=60, ha="right", fontsize=7)
    ax2.set_ylabel("final test accuracy (dots: seeds; bar: mean)")
    fig.suptitle(f"sweep {title}: {len(stats)} cells")
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


def _finish_experiment(spec, out: Path, cells, table, device) -> None:
    from grokcheck.checks._io import atomic_write_json, json_safe
    from grokcheck.checks.experiments._study import get_experiment

    e = dict(spec.experiment)
    exp = get_experiment(e["id"])
    ctx = _experiment_context(e, device)
    cols = table.to_pydict()
    results: dict[str, dict] = {}
    for key, s, r in zip(cols["cell_key"], cols["seed"], cols["result"]):
        results.setdefault(key, {})[int(s)] = json.loads(r)
    if len(results) < len(cells):
        atomic_write_json(out / "outcome.json", {"experiment": exp.id, "verdict": None,
                                                 "reason": f"{len(cells) - len(results)} of {len(cells)} cells missing"})
        return
    outcome = exp.analyze(exp.settings(ctx.budget), results, ctx)
    figures = []
    for name, draw in sorted(outcome.figures.items()):
        draw(out / name)
        figures.append(name)
    atomic_write_json(out / "outcome.json", json_safe({
        "experiment": exp.id, "claim": exp.claim, "source": exp.source, "budget": ctx.budget,
        "verdict": getattr(outcome.verdict, "value", str(outcome.verdict)), "statistic": outcome.statistic, "predicted": outcome.predicted,
        "interval": outcome.interval, "reason": outcome.reason, "decision_rule": exp.decision_rule,
        "figures": figures}))


def worker_name() -> str:
    """``host:pid`` of the process running a cell."""
    return f"{socket.gethostname()}:{os.getpid()}"
