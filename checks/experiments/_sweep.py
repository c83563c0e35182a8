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
``attempts``, ``seconds``, ``executor``, ``worker``, ``rows`` (of a done cell's part) and, for a
failed cell, ``error``. A cell that fails is retried once by the executor and then recorded as
failed, never dropped; a later run of the sweep tries it again (``grokcheck sweep`` exits 1
while cells failed).

Checks. Before any work every cell is planned and checked: its options as ``grokcheck train``
parses them, its group (name, ``--perms``, Cayley file, ``--matrices``), the device, and the
spec's TOML kinds (one axis spelled ``weight_decay`` and ``weight-decay`` is refused, not
merged); a grid above :data:`MAX_CELLS` (or the spec's ``max_cells``) is refused before it is
enumerated. A part counts as done only when it reads back whole with the cell's columns and
types, its id (schema metadata), its row count (the record's) and its page checksums; a damaged
part (garbage, truncated, empty, another schema or another cell's rows) is named, moved to
``OUT/damaged/`` and recomputed, and never compacted into ``results.parquet``.

``OUT/summary.json`` and ``OUT/summary.png`` summarise the cells (for an experiment:
``OUT/outcome.json`` with the verdict, and the experiment's figures).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import socket
import stat
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
#: The most cells a sweep plans unless its spec raises the bound (``max_cells = N``): planning
#: costs 0.15 ms per cell (parsing the options as ``grokcheck train`` would; 2,000 cells on one
#: busy CPU core, warm; 0.55 ms with torch's import in a 20,000-cell plan), so up to a minute for
#: 10⁵ cells, shown by progress lines; every cell is a whole ensemble that writes a Parquet part
#: and a record, so a grid of 10⁶ cells (two million files) is refused before any work.
MAX_CELLS = 100_000
#: Seconds between the progress lines of a long planning.
_PLAN_REPORT_S = 5.0


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep specification (see the module docstring for the TOML layout).

    ``kind`` is ``"train"`` or ``"experiment"``; ``base`` the ``[train]`` options; ``grid`` the
    axes (name → tuple of values, in the order given); ``experiment`` the ``[experiment]`` table;
    ``resources`` ``{"num_cpus": float, "num_gpus": float}`` per cell; ``device`` and ``threads``
    the defaults for the cells (the command line may override them); ``out`` the output folder;
    ``max_cells`` the bound on the number of cells (see :data:`MAX_CELLS`).
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
    max_cells: int = MAX_CELLS

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "base": dict(self.base),
                "grid": {k: list(v) for k, v in self.grid.items()}, "experiment": dict(self.experiment),
                "resources": dict(self.resources), "device": self.device, "threads": self.threads,
                "fold": list(self.fold), "max_cells": self.max_cells}


def _norm_key(k: str) -> str:
    return str(k).strip().replace("-", "_")


_TOML_KINDS = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"), (list, "a list"),
               (dict, "a table"))


def _kind(v) -> str:
    """The TOML kind of ``v`` in words (``"a table"``, ``"a boolean"``, …), for messages."""
    for t, name in _TOML_KINDS:
        if isinstance(v, t):
            return name
    return f"a {type(v).__name__}"  # a TOML date or time


def _short(v, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[: n - 1] + "…"


def _table(d: Mapping, key: str) -> dict:
    """``d[key]`` as a dict: it must be a TOML table (``[key]``)."""
    v = d.get(key, {})
    if not isinstance(v, dict):
        raise InvalidInputError(f"sweep spec: {key} must be a table ([{key}] followed by `name = value` lines), got "
                                f"{_kind(v)} {_short(v)}")
    return v


def _normalized(table: Mapping, where: str) -> dict:
    """``table`` with keys normalised (``weight-decay`` → ``weight_decay``); one key spelled two ways is refused."""
    out: dict = {}
    spelled: dict = {}
    for k, v in table.items():
        n = _norm_key(k)
        if n in out:
            raise InvalidInputError(f"sweep spec: {where} names {n!r} twice, as {spelled[n]!r} and {k!r} (the same "
                                    "option of `grokcheck train`): keep one of them")
        out[n], spelled[n] = v, k
    return out


def _check_option_value(v, where: str) -> None:
    """An option's value: a string, number or boolean, or a list of them (options taking several values)."""
    if isinstance(v, dict):
        raise InvalidInputError(f"sweep spec: {where} is a table ({_short(v)}); give a value (a string, number or "
                                "boolean) or a list of values")
    if isinstance(v, list):
        for x in v:
            if not isinstance(x, (str, int, float)):
                raise InvalidInputError(f"sweep spec: {where} holds {_kind(x)} {_short(x)}; a list of values holds "
                                        "strings, numbers or booleans")
    elif not isinstance(v, (str, int, float)):  # a TOML date or time: no option of `grokcheck train` takes one
        raise InvalidInputError(f"sweep spec: {where} is {_kind(v)} {_short(v)}; give a string, number or boolean")


def _check_int(v, where: str, *, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise InvalidInputError(f"sweep spec: {where} must be an integer ≥ {minimum}, got {_kind(v)} {_short(v)}")
    return int(v)


def spec_from_dict(d: Mapping, *, name: str = "sweep", root: str | os.PathLike | None = None) -> SweepSpec:
    """A :class:`SweepSpec` from the parsed TOML ``d`` (``root``: folder that ``out`` is relative to).

    Every value is checked for its TOML kind (a table where a list belongs, a boolean where a
    number belongs, …) and refused with an :class:`~grokcheck.errors.InvalidInputError` naming it.
    """
    if not isinstance(d, Mapping):
        raise InvalidInputError(f"sweep spec: expected a table of settings, got {_kind(d)}")
    d = dict(d)
    known = {"name", "out", "train", "grid", "experiment", "resources", "device", "threads", "fold", "max_cells"}
    unknown = sorted(map(str, set(d) - known))
    if unknown:
        raise InvalidInputError(f"sweep spec: unknown top-level key(s) {unknown}; known: {sorted(known)}")
    for key in ("name", "out", "device"):
        if key in d and not isinstance(d[key], str):
            raise InvalidInputError(f"sweep spec: {key} must be a string, got {_kind(d[key])} {_short(d[key])}")
        if key in d and "\x00" in d[key]:
            raise InvalidInputError(f"sweep spec: {key} holds a NUL character: {_short(d[key])}")
    has_train, has_exp = "train" in d, "experiment" in d
    if has_train == has_exp:
        raise InvalidInputError("sweep spec: give exactly one of a [train] table (a grid of runs) or an "
                                "[experiment] table (a registered experiment)")
    grid = {}
    for k, vals in _normalized(_table(d, "grid"), "[grid]").items():
        if not isinstance(vals, list) or not vals:
            raise InvalidInputError(f"sweep spec: grid axis {k!r} must be a non-empty list of values, got "
                                    f"{_kind(vals)} {_short(vals)}")
        for x in vals:
            if isinstance(x, list):  # one point of an axis may be a list (per-seed values of --lr)
                _check_option_value(x, f"grid axis {k!r}")
            else:
                _check_option_value(x, f"a value of grid axis {k!r}")
        grid[k] = tuple(vals)
    if has_exp and grid:
        raise InvalidInputError("sweep spec: an [experiment] sweep takes its grid from the experiment; remove [grid]")
    base = _normalized(_table(d, "train"), "[train]")
    for k, v in base.items():
        _check_option_value(v, f"[train] {k}")
    for k in (*base, *grid):
        if k in _RESERVED:
            raise InvalidInputError(f"sweep spec: {k!r} is set by the sweep itself (use the command line: "
                                    f"--device, --threads, --out)")
    dup = sorted(set(base) & set(grid))
    if dup:
        raise InvalidInputError(f"sweep spec: {dup} given both in [train] and as [grid] axes; keep one")
    exp = _normalized(_table(d, "experiment"), "[experiment]")
    if has_exp:
        bad = sorted(set(exp) - {"id", "budget", "seed", "max_steps", "group"})
        if bad or "id" not in exp:
            raise InvalidInputError(f"sweep spec: [experiment] takes id, budget, seed, max_steps, group; got {sorted(exp)}")
        for key in ("id", "budget", "group"):
            if key in exp and not isinstance(exp[key], str):
                raise InvalidInputError(f"sweep spec: [experiment] {key} must be a string, got {_kind(exp[key])} "
                                        f"{_short(exp[key])}")
        if exp.get("budget", "small") not in ("small", "full", "paper"):
            raise InvalidInputError(f"sweep spec: [experiment] budget must be small, full or paper, got "
                                    f"{exp['budget']!r}")
        if "seed" in exp:
            _check_int(exp["seed"], "[experiment] seed", minimum=0)
        if "max_steps" in exp:
            _check_int(exp["max_steps"], "[experiment] max_steps", minimum=1)
    res = {"num_cpus": 1.0, "num_gpus": 0.0}
    for k, v in _table(d, "resources").items():
        if k not in res:
            raise InvalidInputError(f"sweep spec: [resources] takes num_cpus and num_gpus, got {k!r}")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not v >= 0 or not math.isfinite(v):
            raise InvalidInputError(f"sweep spec: [resources] {k} must be a number ≥ 0, got {_kind(v)} {_short(v)}")
        res[k] = float(v)
    out = d.get("out")
    if out is not None and root is not None and not os.path.isabs(out):
        out = str(Path(root) / out)
    from grokcheck.checks.training._threads import resolve_threads

    threads = d.get("threads", "auto")
    if isinstance(threads, bool) or not isinstance(threads, (str, int)):
        raise InvalidInputError(f"sweep spec: threads must be 'auto' or a positive integer, got {_kind(threads)} "
                                f"{_short(threads)}")
    resolve_threads(threads, 1)  # validate
    fold_given = d.get("fold", [])
    if not isinstance(fold_given, list) or not all(isinstance(k, str) for k in fold_given):
        raise InvalidInputError(f"sweep spec: fold must be a list of axis names (fold = [\"lr\"]), got "
                                f"{_kind(fold_given)} {_short(fold_given)}")
    fold = tuple(_norm_key(k) for k in fold_given)
    for k in fold:
        if k not in _FOLDABLE or k not in grid:
            raise InvalidInputError(f"sweep spec: fold takes grid axes among {sorted(_FOLDABLE)} (the per-seed "
                                    f"options of `grokcheck train`), got {k!r}")
    if len(set(fold)) != len(fold):
        raise InvalidInputError(f"sweep spec: fold names an axis twice: {list(fold_given)}")
    max_cells = _check_int(d["max_cells"], "max_cells", minimum=1) if "max_cells" in d else MAX_CELLS
    return SweepSpec(name=str(d.get("name", name)), kind="train" if has_train else "experiment", base=base,
                     grid=grid, experiment=exp, resources=res, device=str(d.get("device", "cpu")),
                     threads=threads, out=out, fold=fold, max_cells=max_cells)


def _printable(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 file name (surrogate escapes) shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read a sweep specification from a TOML file (UTF-8, as TOML requires)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    path = Path(path)
    shown = _printable(str(path))
    if path.is_dir():
        raise InvalidInputError(f"{shown}: a folder, not a sweep specification (give the .toml file)")
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInputError(f"{shown}: not UTF-8 text (byte {exc.start}, line {line}): a sweep specification "
                                "is TOML, which is UTF-8") from None
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{shown}: not valid TOML: {exc}") from None
    return spec_from_dict(d, name=_printable(path.stem), root=path.parent)


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


@functools.lru_cache(maxsize=1)
def _train_parser():
    """The parser of ``grokcheck train`` (built once: building it costs more than parsing with it)."""
    import argparse

    from grokcheck.checks.cli import train as train_cli

    class _Parser(argparse.ArgumentParser):
        def error(self, message):
            raise InvalidInputError(message)

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
            raise InvalidInputError(f"{key!r} is not an option of `grokcheck train` (see `grokcheck train --help`)")
        a = actions[key]
        if not a.option_strings:  # the positional group name
            if not isinstance(val, str):
                raise InvalidInputError(f"{key!r} takes one group name (a string), got {_kind(val)} {_short(val)}; "
                                        "to sweep several groups make it a [grid] axis")
            argv.insert(1, val)
            continue
        flag = a.option_strings[-1]
        if a.nargs == 0:  # a flag
            if not isinstance(val, bool):
                raise InvalidInputError(f"{key!r} is a flag: give true or false, got {_kind(val)} {_short(val)}")
            if val:
                argv.append(flag)
        elif isinstance(val, bool) or (isinstance(val, (list, tuple)) and any(isinstance(x, bool) for x in val)):
            raise InvalidInputError(f"{key!r} takes a value ({flag} VALUE), not true/false: got {_short(val)}")
        elif isinstance(val, (list, tuple)):
            argv += [flag, *map(str, val)] if a.nargs not in (None, "?") else [flag, ",".join(map(str, val))]
        else:
            argv.append(f"{flag}={val}")  # one token, so that a value such as "-1" is not read as an option
    return top.parse_args(argv)


def _column_value(v):
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    return v


_DEVICES = ("cpu", "cuda", "mps", "xpu")


def _check_device(device, *, here: bool, where: str) -> str:
    """``device`` as a torch device string; with ``here``, one this machine has (cells run in this process)."""
    import argparse

    if not isinstance(device, str):
        raise InvalidInputError(f"sweep {where}: a torch device is a string (cpu, cuda, cuda:N, mps), got "
                                f"{_kind(device)} {_short(device)}")
    s = device.strip()
    base, _, index = s.partition(":")
    if base not in _DEVICES or (index and not index.isdigit()):
        raise InvalidInputError(f"sweep {where}: {device!r} is not a torch device: expected one of cpu, cuda, "
                                "cuda:N, mps, xpu")
    if here and base != "cpu":
        from grokcheck.checks.cli._validators import device as parse_device

        try:
            parse_device(s)
        except argparse.ArgumentTypeError as exc:
            raise InvalidInputError(f"sweep {where}: {exc}") from None
    return s


#: The options of ``grokcheck train`` that say which data a cell trains on (checked once per distinct value).
_DATA_KEYS = ("task", "model", "group", "perms", "cayley", "matrices", "field", "mnist_path")


def _data_identity(ns) -> dict:
    """Check the data a cell trains on (its group, Cayley file, MNIST path) before any work.

    Returns what identifies that data beyond the options (the SHA-256 of a Cayley file, so an
    edited file is a new cell); raises a :class:`~grokcheck.errors.GrokcheckError` naming the fault.
    """
    import copy

    if ns.task == "mnist":
        if not ns.mnist_path:
            raise InvalidInputError("--task mnist needs mnist_path (an .npz or a directory of IDX files)")
        if not os.path.exists(ns.mnist_path):
            raise InvalidInputError(f"mnist_path {_printable(str(ns.mnist_path))!r} does not exist")
        return {}
    if ns.task != "group":
        return {}
    from grokcheck.checks.cli._group_args import group_from_args

    args = copy.copy(ns)
    if args.model == "transformer" and not (args.group or args.perms or args.cayley or args.matrices):
        args.group = "C113"  # as `grokcheck train` does
    group_from_args(args)
    if args.cayley:
        try:
            data = Path(args.cayley).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"cayley {_printable(str(args.cayley))!r}: {exc.strerror or exc}") from None
        return {"cayley_sha256": hashlib.sha256(data).hexdigest()}
    return {}


def check_remote_device(spec: SweepSpec, device: str | None, executor) -> None:
    """Cells on a CUDA device run by remote workers (Ray) need a GPU each: ``[resources] num_gpus > 0``."""
    device = device if device is not None else spec.device
    if not getattr(executor, "local", True) and str(device).strip().startswith("cuda") and (
            spec.kind == "train" and spec.resources.get("num_gpus", 0) <= 0):
        raise InvalidInputError(f"sweep spec: device {device!r} on {getattr(executor, 'name', 'remote')} workers needs "
                                "[resources] num_gpus > 0 (else a cell may land on a worker without a GPU)")


def plan_sweep(spec: SweepSpec, *, device: str | None = None, here: bool = True,
               progress: bool = False) -> list[SweepCell]:
    """The cells of ``spec``, in grid order (the last axis varies fastest).

    Every cell is checked before any work runs: its options as ``grokcheck train`` parses them,
    its data (the group name, ``--perms``, the Cayley file, ``--matrices``; the MNIST path) and the
    device; the first fault is refused with an :class:`~grokcheck.errors.InvalidInputError` naming
    the cell (its axis values) and the option. A grid of more than ``spec.max_cells`` cells is
    refused before it is enumerated.

    Parameters
    ----------
    device : overrides the spec's.
    here : the cells run in this process, so the device must exist on this machine (a Ray
        sweep's GPUs are on its workers: then only the device's name is checked).
    progress : a line on stderr every few seconds while a long planning runs.
    """
    from grokcheck.errors import GrokcheckError

    device = _check_device(device if device is not None else spec.device, here=here,
                           where="--device" if device is not None else "spec: device")
    if spec.kind == "experiment":
        return _plan_experiment(spec, device)
    axes = [a for a in spec.grid if a not in spec.fold]
    n_cells = math.prod(len(spec.grid[a]) for a in axes)
    if n_cells > spec.max_cells:
        sizes = " × ".join(f"{len(spec.grid[a])} {a}" for a in axes)
        raise InvalidInputError(
            f"sweep spec: the grid has {n_cells:,} cells ({sizes}), more than the bound of {spec.max_cells:,}: "
            "every cell is a whole seed ensemble and writes two files. "
            "Fold lr/weight_decay into the ensemble (fold = [...]), split the grid into several specs, or raise the "
            "bound with max_cells = N at the top of the spec")
    from grokcheck.checks.cli import train as train_cli

    folded = list(itertools.product(*(spec.grid[a] for a in spec.fold))) if spec.fold else []
    cells = []
    data_checked: dict[str, dict] = {}
    t0 = last = time.perf_counter()
    for i, values in enumerate(itertools.product(*(spec.grid[a] for a in axes)) if axes else [()]):
        point = dict(zip(axes, values))
        label = " ".join(f"{k}={v}" for k, v in point.items()) or "base"
        options = {**spec.base, **point}
        member_columns = {}
        try:
            R = None
            if folded:  # member e = (folded combination e // R, replica e % R), R = seeds
                R = int(_train_namespace(options).seeds)
                for j, k in enumerate(spec.fold):
                    options[k] = [combo[j] for combo in folded for _ in range(R)]
                options["seeds"] = R * len(folded)
            ns = _train_namespace(options)  # validates every option before anything runs
            config = train_cli.config_from_args(ns).to_dict()
            key = json.dumps([getattr(ns, k, None) for k in _DATA_KEYS], default=str)
            if key not in data_checked:
                data_checked[key] = _data_identity(ns)
        except (GrokcheckError, ValueError) as exc:
            where = f"cell {label}" if point else "[train]"
            raise InvalidInputError(f"sweep spec, {where}: {exc}") from None
        columns = {k: _column_value(getattr(ns, k)) for k in options if k not in spec.fold}
        if folded:
            member_columns = {k: [float(v) for v in getattr(ns, k)] for k in spec.fold}
            member_columns["replica"] = [e % R for e in range(R * len(folded))]
        ident = {"format": _FORMAT, "kind": "train", "config": config, "task": _task_options(ns), "device": device,
                 **data_checked[key]}
        cid = _digest(ident)
        if folded:
            label += f" [{'×'.join(spec.fold)} folded: {len(folded)}×{R} members]"
        cells.append(SweepCell(cid, label, point, {"kind": "train", "id": cid, "label": label, "options": options,
                                                   "columns": columns, "member_columns": member_columns,
                                                   "device": device}))
        now = time.perf_counter()
        if progress and now - last >= _PLAN_REPORT_S:
            print(f"sweep: planned {i + 1:,}/{n_cells:,} cells ({now - t0:.0f} s)", file=sys.stderr, flush=True)
            last = now
    ids = [c.id for c in cells]
    if len(set(ids)) != len(ids):
        seen: dict[str, str] = {}
        for c in cells:
            if c.id in seen:
                raise InvalidInputError(f"sweep spec: cells {seen[c.id]} and {c.label} resolve to the same run (an "
                                        "axis value that does not change the configuration?)")
            seen[c.id] = c.label
    return cells


def _task_options(ns) -> dict:
    keys = ("task", "group", "perms", "cayley", "train_fraction", "encoding", "seeds", "seed", "parity", "n_train",
            "mnist_path", "model")
    out = {k: getattr(ns, k, None) for k in keys}
    for k in ("matrices", "field"):  # only when given, so the ids of the other cells stay as they were
        if getattr(ns, k, None) is not None:
            out[k] = getattr(ns, k)
    return out


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
    from grokcheck.errors import GrokcheckError

    e = dict(spec.experiment)
    try:
        exp = get_experiment(e["id"])
        ctx = _experiment_context(e, device)
        grid = exp.cells(exp.settings(ctx.budget), ctx)
    except GrokcheckError as exc:
        raise InvalidInputError(f"sweep spec, [experiment]: {exc}") from None
    cells = []
    for c in grid:
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
            "status": pa.string(), "config": pa.string(), "result": pa.string(), "experiment": pa.string(),
            "budget": pa.string(), "cell_key": pa.string()}


class _LazyTypes(dict):
    def get(self, k, default=None):
        if not self:
            self.update(_types())
        return super().get(k, default)


#: Arrow types of the fixed columns (so that a column that is all null in one part still reads
#: back with the type of the others).
_TYPES = _LazyTypes()
#: Schema metadata key of a part: the id of the cell whose rows it holds.
_META_CELL = b"grokcheck.cell"
_TRAIN_COLUMNS = ("member", "step", "train_loss", "train_acc", "test_loss", "test_acc", "alive", "weight_norm",
                  "t_mem", "t_grok", "status", "config")
_EXPERIMENT_COLUMNS = ("cell", "experiment", "budget", "cell_key", "seed", "result")


def _expected_columns(cell: SweepCell) -> tuple[str, ...]:
    """The columns of the part of ``cell``, in the order :func:`run_sweep_cell` writes them."""
    p = cell.payload
    if p["kind"] == "experiment":
        return _EXPERIMENT_COLUMNS
    return ("cell", "label", *p["columns"], *(p.get("member_columns") or {}), *_TRAIN_COLUMNS)


def _arrow_table(columns: dict, cid: str):
    import pyarrow as pa

    table = pa.table({k: pa.array(v, type=_TYPES.get(k)) for k, v in columns.items()})
    return table.replace_schema_metadata({_META_CELL: cid.encode()})


def _write_table(table, path) -> None:
    """Write ``table`` as Parquet through a Python file (pyarrow's own paths refuse non-UTF-8 names),
    with a CRC per page so that a flipped byte in a part is detected when it is read back."""
    import pyarrow.parquet as pq

    with open(path, "wb") as fh:
        pq.write_table(table, fh, write_page_checksum=True)


def _read_table(path):
    import pyarrow.parquet as pq

    with open(path, "rb") as fh:
        return pq.read_table(fh, page_checksum_verification=True, use_threads=False)


def _write_part(out: Path, cid: str, table) -> None:
    from grokcheck.checks._io import atomic_write_via

    atomic_write_via(_part(out, cid), lambda tmp: _write_table(table, tmp))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _part_problem(out: Path, cell: SweepCell, record: dict | None = None) -> str | None:
    """Why the part of ``cell`` cannot stand for its result (``None``: it is sound).

    The part is read whole: it must decode, have the cell's columns with their types, at least
    one row (as many as the cell's record says, where it says), and only rows of this cell.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    f = _part(out, cell.id)
    try:
        if not stat.S_ISREG(os.stat(f).st_mode):  # a FIFO would block the read, a device never end
            return "not a regular file"
        with open(f, "rb") as fh:
            pf = pq.ParquetFile(fh, page_checksum_verification=True)
            schema = pf.schema_arrow
            n_rows = pf.metadata.num_rows
            want = _expected_columns(cell)
            missing = [c for c in want if c not in schema.names]
            extra = [c for c in schema.names if c not in want]
            if missing or extra:
                return (f"another schema: {len(missing)} column(s) missing ({', '.join(missing[:4])}"
                        f"{', …' if len(missing) > 4 else ''}), {len(extra)} unexpected ({', '.join(extra[:4])}"
                        f"{', …' if len(extra) > 4 else ''})")
            for name in want:
                t = _TYPES.get(name)
                if t is not None and schema.field(name).type != t:
                    return f"column {name!r} is {schema.field(name).type}, expected {t}"
            meta = schema.metadata or {}
            if _META_CELL in meta and meta[_META_CELL] != cell.id.encode():
                return f"written for another cell ({meta[_META_CELL].decode(errors='replace')[:20]})"
            if n_rows == 0:
                return "empty (no rows)"
            rows = (record or {}).get("rows")
            if isinstance(rows, int) and not isinstance(rows, bool) and rows != n_rows:
                return f"{n_rows} rows where its record (cells/{cell.id}.json) says {rows}"
            table = pf.read(use_threads=False)  # one small part; no thread pool to tear down on a fault
    except Exception as exc:  # noqa: BLE001 - a part that fails to decode in any way is damaged
        return f"unreadable ({_first_line(exc)})"
    if table.num_rows != n_rows:
        return f"{table.num_rows} rows decoded where its footer says {n_rows}"
    if not pc.all(pc.equal(table.column("cell"), cell.id)).as_py():
        return "holds rows of another cell"
    for name in ("member", "step") if cell.payload["kind"] == "train" else ("seed", "result"):
        if table.column(name).null_count:  # the summary and the analysis index rows by these
            return f"{table.column(name).null_count} null value(s) in column {name!r}"
    if cell.payload["kind"] == "experiment":
        seeds = table.column("seed").to_pylist()
        if sorted(seeds) != sorted(cell.payload["cell"]["seeds"]):
            return f"seeds {sorted(map(str, seeds))} where the cell has {cell.payload['cell']['seeds']}"
        for s, r in zip(seeds, table.column("result").to_pylist()):
            try:
                json.loads(r)
            except (TypeError, ValueError):
                return f"the result of seed {s} is not JSON"
    return None


def _set_aside(out: Path, cid: str) -> Path:
    """Move a damaged part to ``OUT/damaged/`` (kept for inspection, out of the table); returns its new path."""
    src = _part(out, cid)
    dst = out / "damaged" / src.name
    try:
        dst.parent.mkdir(exist_ok=True)
        os.replace(src, dst)
    except OSError as exc:
        raise InvalidInputError(f"{_printable(str(src))} is damaged and cannot be moved aside ({exc.strerror or exc}): "
                                "delete it and run the sweep again") from None
    return dst


def read_results(out_dir: str | os.PathLike, cells: list[str] | None = None):
    """The results table of a sweep folder as one ``pyarrow.Table`` (parts concatenated).

    ``cells``: only these cell ids (default: every part in ``OUT/results``). A part that cannot
    be read raises :class:`~grokcheck.errors.InvalidInputError` naming it (a rerun of the sweep
    detects it, sets it aside and recomputes its cell).
    """
    import pyarrow as pa

    out = Path(out_dir)
    files = sorted((out / "results").glob("cell-*.parquet"))
    if cells is not None:
        want = set(cells)
        files = [f for f in files if f.stem[len("cell-"):] in want]
    if not files:
        return pa.table({})
    tables = []
    for f in files:
        try:
            tables.append(_read_table(f).replace_schema_metadata(None))
        except Exception as exc:  # noqa: BLE001 - any decoding failure: name the part
            raise InvalidInputError(f"{_printable(str(f))}: not a readable results part ({_first_line(exc)}); run "
                                    "the sweep again to recompute its cell") from None
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInputError(f"{_printable(str(out / 'results'))}: the parts do not share one schema "
                                f"({_first_line(exc)})") from None


def _record(out: Path, cid: str, info: dict) -> None:
    from grokcheck.checks._io import atomic_write_json

    atomic_write_json(out / "cells" / f"{cid}.json", info)


def _read_record(out: Path, cid: str) -> dict | None:
    """The record ``OUT/cells/<id>.json`` with its fields checked (``None`` if absent or not a record).

    A crafted or damaged record (not JSON, a list, ``error`` not a string, ``attempts`` not an
    integer) reads as a record of what can be used: a field of the wrong kind becomes ``None``
    (``error``: its JSON text), never an exception.
    """
    f = out / "cells" / f"{cid}.json"
    if not f.is_file():  # absent, or a FIFO / device that a read would block on
        return None
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    rec = dict(data)
    for k in ("status", "label", "executor", "worker"):
        if not isinstance(rec.get(k), str):
            rec[k] = None
    err = rec.get("error")
    if err is not None and not isinstance(err, str):
        rec["error"] = json.dumps(err, default=str)[:2000]
    for k in ("attempts", "rows"):
        v = rec.get(k)
        if isinstance(v, bool) or not isinstance(v, int):
            rec[k] = None
    return rec


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` returns: cell ids ``done`` (now or before), ``computed`` (this
    run), ``skipped`` (already in the table), ``failed`` (``{id: error}``), the ``out`` folder,
    the wall time ``seconds`` and ``damaged`` (``{id: what was wrong}``: parts found damaged,
    set aside under ``OUT/damaged/`` and recomputed)."""

    out: str
    done: tuple[str, ...]
    computed: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: Mapping[str, str]
    seconds: float
    damaged: Mapping[str, str] = field(default_factory=dict)


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


def _check_parts(out: Path, cells: list[SweepCell], progress: bool) -> tuple[list[str], dict[str, str]]:
    """The ids of ``cells`` whose parts are sound, and ``{id: problem}`` of those whose parts are damaged."""
    sound, damaged = [], {}
    t0 = last = time.perf_counter()
    for i, c in enumerate(cells):
        f = _part(out, c.id)
        if f.exists() or f.is_symlink():
            problem = _part_problem(out, c, _read_record(out, c.id))
            if problem is None:
                sound.append(c.id)
            else:
                damaged[c.id] = problem
        now = time.perf_counter()
        if progress and now - last >= _PLAN_REPORT_S:
            print(f"sweep: checked the parts of {i + 1:,}/{len(cells):,} cells ({now - t0:.0f} s)", file=sys.stderr,
                  flush=True)
            last = now
    return sound, damaged


def run_sweep(spec: SweepSpec, out_dir: str | os.PathLike, *, executor=None, device: str | None = None,
              threads=None, progress: bool = True, summary: bool = True,
              cells: list[SweepCell] | None = None) -> SweepResult:
    """Run every cell of ``spec`` not yet in the results table of ``out_dir``.

    A part already in the table is read and checked (:func:`_part_problem`) before its cell is
    skipped; a damaged one (garbage, truncated, empty, another schema, another cell's rows) is
    named on stderr, moved to ``OUT/damaged/`` and its cell recomputed. Only sound parts are
    compacted into ``OUT/results.parquet``.

    Parameters
    ----------
    executor : an :class:`~grokcheck.checks.experiments._executors.AbstractExecutor` (default
        :class:`~grokcheck.checks.experiments._executors.LocalExecutor`, in this process).
    device, threads : override the spec's (``threads``: ``"auto"`` or a count per cell).
    progress : a progress bar over cells (plain lines when stderr is not a terminal).
    summary : compact the table and write the summary files and figures at the end.
    cells : the plan of ``spec`` (:func:`plan_sweep`) when the caller has it already.
    """
    from grokcheck.checks._io import atomic_write_json
    from grokcheck.checks.experiments._executors import LocalExecutor

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    executor = executor or LocalExecutor()
    threads = spec.threads if threads is None else threads
    check_remote_device(spec, device, executor)
    if cells is None:
        cells = plan_sweep(spec, device=device, here=getattr(executor, "local", True), progress=progress)
    atomic_write_json(out / "spec.json", {**spec.to_dict(), "cells": [{"id": c.id, "label": c.label} for c in cells]})
    sound, damaged = _check_parts(out, cells, progress)
    by_id = {c.id: c for c in cells}
    for cid, problem in damaged.items():
        moved = _set_aside(out, cid)
        print(f"sweep: warning: results/{_part(out, cid).name} (cell {by_id[cid].label}) is damaged: {problem}; "
              f"moved to {moved.relative_to(out)} and recomputing the cell", file=sys.stderr, flush=True)
    skipped = tuple(sound)
    have = set(sound)
    todo = [c for c in cells if c.id not in have]
    bar = _Progress(len(cells), len(skipped), progress)
    computed, failed = [], {}
    try:
        for oc in executor.run(todo, threads=threads, resources=dict(spec.resources)):
            cell = by_id[oc.cell_id]
            info = {"id": cell.id, "label": cell.label, "axes": dict(cell.axes), "executor": executor.name,
                    "attempts": oc.attempts, "seconds": round(oc.seconds, 3), "worker": oc.worker}
            error = oc.error
            if oc.ok:
                try:
                    table = _arrow_table(dict(oc.columns), cell.id)
                except Exception as exc:  # noqa: BLE001 - rows that do not form a table fail the cell, not the sweep
                    error = f"the cell's rows do not form a table: {_first_line(exc)}"
                else:
                    _write_part(out, cell.id, table)
                    _record(out, cell.id, {**info, "status": "done", "rows": table.num_rows})
                    computed.append(cell.id)
                    bar.update(f"{cell.label}: done in {oc.seconds:.1f} s")
                    continue
            error = error if isinstance(error, str) else repr(error)
            _record(out, cell.id, {**info, "status": "failed", "error": error})
            failed[cell.id] = error
            last = error.strip().splitlines()[-1:] or [""]
            bar.update(f"{cell.label}: FAILED after {oc.attempts} attempts: {last[0][:200]}")
    finally:
        bar.close()
    have |= set(computed)
    done = tuple(c.id for c in cells if c.id in have)
    if summary and done:
        _finish(spec, out, cells, device or spec.device, done)
    return SweepResult(str(out), done, tuple(computed), skipped, failed, time.perf_counter() - t0, damaged)


def sweep_status(spec: SweepSpec, out_dir: str | os.PathLike, *, device: str | None = None) -> dict:
    """The cells of a sweep folder: ``{"total", "done", "failed": [{id, label, error, attempts}],
    "damaged": [{id, label, problem}], "pending": [labels]}``.

    A part counts as done only when it reads back sound (:func:`_part_problem`); a damaged one
    is listed under ``damaged`` (the next run recomputes it). Nothing is written.
    """
    out = Path(out_dir)
    cells = plan_sweep(spec, device=device, here=False)
    sound, damaged = _check_parts(out, cells, False)
    have = set(sound)
    failed, bad, pending = [], [], []
    for c in cells:
        if c.id in have:
            continue
        if c.id in damaged:
            bad.append({"id": c.id, "label": c.label, "problem": damaged[c.id]})
            continue
        rec = _read_record(out, c.id)
        if rec is not None and rec.get("status") == "failed":
            failed.append({"id": c.id, "label": c.label, "error": rec.get("error") or "", "attempts": rec.get("attempts")})
        else:
            pending.append(c.label)
    return {"total": len(cells), "done": len(sound), "failed": failed, "damaged": bad, "pending": pending}


# --------------------------------------------------------------------------- summary


def _finish(spec: SweepSpec, out: Path, cells: list[SweepCell], device: str, done: tuple[str, ...]) -> None:
    from grokcheck.checks._io import atomic_write_json, atomic_write_via

    table = read_results(out, list(done))
    atomic_write_via(out / "results.parquet", lambda tmp: _write_table(table, tmp))
    if spec.kind == "experiment":
        _finish_experiment(spec, out, cells, table, device)
        return
    stats = _train_summary(table)
    atomic_write_json(out / "summary.json", {"cells": stats, "n_cells": len(cells), "n_done": len(done)})
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


def _plain(text: str) -> str:
    """``text`` drawn as written: a ``$`` of a spec's name or value is not the start of mathtext."""
    return str(text).replace("$", r"\$")


def _plot_summary(table, stats, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from grokcheck.checks._io import atomic_save_figure

    cols = table.to_pydict()
    stats = sorted(stats, key=lambda st: str(st["label"]))  # cells in the order of their labels, not their hashes
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(1, len(stats))))
    for color, st in zip(colors, stats):
        rows = [i for i, c in enumerate(cols["cell"]) if c == st["cell"]]
        steps = sorted({cols["step"][i] for i in rows})
        mean = []
        for s in steps:
            v = [cols["test_acc"][i] for i in rows if cols["step"][i] == s and cols["test_acc"][i] is not None]
            mean.append(np.mean(v) if v else np.nan)
        ax1.plot(steps, mean, color=color, lw=1.2, label=_plain(st["label"]) if len(stats) <= 12 else None)
        fin = [cols["test_acc"][i] for i in rows if cols["step"][i] == st["final_step"] and cols["test_acc"][i] is not None]
        k = stats.index(st)
        ax2.scatter([k] * len(fin), fin, color=color, s=12, alpha=0.7)
        if fin:
            ax2.hlines(np.mean(fin), k - 0.3, k + 0.3, color=color, lw=2)
    ax1.set_xscale("symlog", linthresh=1)  # logarithmic, with step 0 at 0 (not moved to 1)
    ax1.set_xlabel("step (0, then logarithmic)")
    ax1.set_ylabel("test accuracy (mean over seeds)")
    if len(stats) <= 12:
        ax1.legend(fontsize=7, loc="best", framealpha=0.6)
    ax2.set_xticks(range(len(stats)))
    ax2.set_xticklabels([_plain(s["label"]) for s in stats], rotation=60, ha="right", fontsize=7)
    ax2.set_ylabel("final test accuracy (dots: seeds; bar: mean)")
    fig.suptitle(_plain(f"sweep {title}: {len(stats)} cells"))
    fig.tight_layout(rect=(0, 0, 1, 0.94))  # room for the title above the axes' labels
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


def _finish_experiment(spec, out: Path, cells, table, device) -> None:
    from grokcheck.checks._io import atomic_write_json, json_safe
    from grokcheck.checks.experiments._study import get_experiment, judge

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
    settings = exp.settings(ctx.budget)
    # the rules every experiment shares (shortfall, power, proxy setting), as `grokcheck experiments` applies them
    outcome = judge(exp, settings, results, ctx, exp.analyze(settings, results, ctx))
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
