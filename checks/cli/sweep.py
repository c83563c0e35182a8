"""``grokcheck sweep``: a grid of batched-ensemble runs (or a registered experiment), in cells, to a Parquet table."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v

__all__ = ["register"]

SWEEP_OUTPUTS = ("spec.json", "results/*", "cells/*", "damaged/*", "results.parquet", "summary.json", "summary.png",
                 "outcome.json")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a grid of training runs (or a registered experiment) as cells, into a Parquet results table",
        description="Run the sweep declared in SPEC (TOML: a [train] base run and [grid] axes, or an [experiment]). "
        "Every cell is one batched seed ensemble; finished cells go to OUT/results/cell-<id>.parquet (atomic), are "
        "compacted into OUT/results.parquet and summarised in OUT/summary.json and OUT/summary.png. A rerun skips "
        "the cells already in the table (a damaged part is named, moved to OUT/damaged/ and recomputed), so an "
        "interrupted sweep resumes. Every cell's options are checked before any work; the command exits 1 when "
        "cells failed (their errors are in OUT/cells/<id>.json and `--status` lists them).",
    )
    p.add_argument("spec", help="the sweep specification (TOML)")
    p.add_argument("--out", default=None, help="output folder (default: the spec's `out`, else <spec stem>-sweep)")
    p.add_argument("--status", action="store_true",
                   help="show which cells are done, failed, damaged or pending, and exit")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local: in this process; ray: one Ray task per cell (pip install 'grokcheck[ray]')")
    p.add_argument("--address", default=None,
                   help="Ray: 'auto' (the cluster of this machine), HOST:PORT of a head node, or ray://HOST:10001; "
                   "default: start a local Ray instance")
    p.add_argument("--connect-timeout", type=v.positive_float, default=30.0, metavar="SECONDS",
                   help="Ray: seconds to wait for the head of --address to answer before giving up")
    p.add_argument("--device", type=_device_arg, default=None,
                   help="torch device of the cells (default: the spec's, else cpu)")
    p.add_argument("--threads", type=_threads_arg, default=None,
                   help="torch threads per cell: 'auto' (from the step size; capped by the free cores, or by num_cpus "
                   "under Ray) or a count (default: the spec's, else auto)")
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def _threads_arg(text: str):
    from grokcheck.checks.cli.train import threads_arg

    return threads_arg(text)


def _device_arg(text: str) -> str:
    # the device's name only: whether this machine has it depends on the executor (Ray's GPUs are
    # on its workers), and the sweep checks that when it plans
    import argparse

    from grokcheck.checks.experiments._sweep import _check_device
    from grokcheck.errors import InvalidInputError

    try:
        return _check_device(text, here=False, where="--device")
    except InvalidInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _out(args, spec):
    from pathlib import Path

    if args.out:
        return Path(args.out)
    if spec.out:
        return Path(spec.out)
    return Path(args.spec).with_name(f"{Path(args.spec).stem}-sweep")


def _shown(path) -> str:
    """A path as text that any terminal prints (the bytes of a non-UTF-8 name as U+FFFD)."""
    from grokcheck.checks.experiments._sweep import _printable

    return _printable(str(path))


def run(args) -> int:
    import json

    from grokcheck.checks.experiments._executors import make_executor
    from grokcheck.checks.experiments._sweep import (check_remote_device, load_spec, plan_sweep, run_sweep,
                                                     sweep_status)

    spec = load_spec(args.spec)
    out = _out(args, spec)
    if args.status:
        st = sweep_status(spec, out, device=args.device)
        print(f"sweep {spec.name} in {_shown(out)}: {st['done']}/{st['total']} cells done, {len(st['failed'])} "
              f"failed, {len(st['damaged'])} damaged, {len(st['pending'])} pending")
        for f in st["failed"]:
            last = (f["error"] or "").strip().splitlines()[-1:] or [""]
            print(f"  FAILED {f['label']} ({f['id']}): {last[0]}")
        for d in st["damaged"]:
            print(f"  DAMAGED {d['label']} (results/cell-{d['id']}.parquet): {d['problem']}; the next run recomputes it")
        for label in st["pending"][:20]:
            print(f"  pending {label}")
        if len(st["pending"]) > 20:
            print(f"  … and {len(st['pending']) - 20} more pending")
        return 0
    from grokcheck.checks._run_dir import open_run_directory, read_manifest

    executor = make_executor(args.executor, address=args.address, connect_timeout=args.connect_timeout)
    # every cell is checked (options, group, device) before the folder is claimed or anything runs
    check_remote_device(spec, args.device, executor)
    cells = plan_sweep(spec, device=args.device, here=executor.local, progress=not args.no_progress)
    executor.start()  # a dead cluster fails here, within --connect-timeout
    resume = read_manifest(out) is not None
    # cells are keyed by what determines them, so a changed spec (another axis value) reuses the
    # cells it shares with the earlier one: every key of the spec may change between runs
    with open_run_directory(out, command="sweep", config=spec.to_dict(), resume=resume, outputs=SWEEP_OUTPUTS,
                            may_change=tuple(spec.to_dict())):
        res = run_sweep(spec, out, executor=executor, device=args.device, threads=args.threads,
                        progress=not args.no_progress, cells=cells)
    print(json.dumps({"done": len(res.done), "computed": len(res.computed), "skipped": len(res.skipped),
                      "failed": len(res.failed), "damaged": len(res.damaged), "seconds": round(res.seconds, 2)}))
    for cid, err in res.failed.items():
        print(f"FAILED cell {cid}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    if res.done:
        print(f"results: {_shown(out / 'results.parquet')} (parts in {_shown(out / 'results')})")
    if res.failed:
        n = len(cells)
        print(f"sweep: {len(res.failed)} of {n} cells failed ({len(res.done)} done); their errors are in "
              f"{_shown(out / 'cells')}/<id>.json (`grokcheck sweep {_shown(args.spec)} --status` lists them); a rerun "
              "tries them again")
        return 1
    return 0
