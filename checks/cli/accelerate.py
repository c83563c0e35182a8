"""``grokcheck accelerate GROUP --methods sgd,egd,... --seeds 4``: compare grokking accelerators.

Renders :func:`grokcheck.checks.experiments._accelerate.run_accelerate`; the logic lives there.
"""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v


def _pairs(items, what, methods=None, *, positive=False):
    import math

    from grokcheck.errors import InvalidInputError

    out = {}
    for it in items or ():
        if "=" not in it:
            raise InvalidInputError(f"{what} expects METHOD=VALUE, got {it!r}", option=what)
        k, v = it.split("=", 1)
        k = k.strip()
        if methods is not None and k not in methods:
            raise InvalidInputError(f"{what} {it!r}: {k!r} is not one of the methods run ({', '.join(methods)})",
                                    option=what)
        try:
            x = float(v)
        except ValueError:
            raise InvalidInputError(f"{what}: {v!r} is not a number", option=what) from None
        if not math.isfinite(x) or x < 0 or (positive and x == 0):
            raise InvalidInputError(f"{what} {it!r}: expected a finite number {'> 0' if positive else '≥ 0'}",
                                    option=what)
        out[k] = x
    return out


def register(sub) -> None:
    from grokcheck.checks.experiments._accelerate import DEFAULT_METHODS
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "accelerate",
        help="compare grokking accelerators (EGD, RSVD, column norm, Muon, Grokfast) in one controlled run",
        description="Train every method on the same model, split, initialisation, batch order and budget; "
        "report epochs to 95% test accuracy per seed (censored seeds as lower bounds), wall-clock per "
        "epoch, a PNG of the test-accuracy curves, and JSON + Markdown reports. No method sees test "
        "accuracy. GROUP is used with --task group (default); --task parity / digits ignore it.",
    )
    add_group_arguments(p)
    p.add_argument("--task", choices=("group", "parity", "digits"), default="group")
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                   help="comma-separated: sgd, egd, egd-rsvdR (e.g. egd-rsvd64), colnorm, muon, grokfast, adamw")
    p.add_argument("--seeds", type=v.positive_int, default=4, help="number of paired seeds (default 4)")
    p.add_argument("--seed", type=v.nonnegative_int, default=0, help="run seed (default 0)")
    p.add_argument("--epochs", type=v.positive_int, default=1000, help="budget per method in epochs (default 1000)")
    p.add_argument("--eval-every", type=v.positive_int, default=1, help="evaluate every N epochs (default 1)")
    p.add_argument("--chunk", type=v.positive_int, default=50, help="epochs between early-stop checks (default 50)")
    p.add_argument("--no-early-stop", action="store_true", help="train every method for the full budget")
    p.add_argument("--lr", action="append", metavar="METHOD=LR", help="override a method's learning rate")
    p.add_argument("--wd", action="append", metavar="METHOD=WD", help="override a method's weight decay")
    p.add_argument("--batch-size", type=v.positive_int, default=None, help="override the task preset's batch size")
    p.add_argument("--width", type=v.positive_int, action="append", default=None,
                   help="hidden width; repeat for deeper MLPs (overrides the task preset)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--device", type=v.device, default="cpu")
    p.add_argument("--threads", type=v.int_at_least(1, 4096), default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--out", default="accelerate-out", help="output directory (default accelerate-out)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.set_defaults(func=run)


def run(args) -> int:
    from grokcheck.checks.experiments._accelerate import AccelerateConfig, accelerate_markdown, run_accelerate, write_accelerate_report
    from grokcheck.checks.cli._group_args import group_from_args

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    group = group_from_args(args) if args.task == "group" else None
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    if not methods:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"--methods {args.methods!r} names no method", option="--methods")
    cfg = AccelerateConfig(
        task=args.task,
        methods=methods,
        n_seeds=args.seeds,
        seed=args.seed,
        epochs=args.epochs,
        eval_every_epochs=args.eval_every,
        chunk_epochs=args.chunk,
        stop_when_grokked=not args.no_early_stop,
        lr=_pairs(args.lr, "--lr", methods, positive=True),
        wd=_pairs(args.wd, "--wd", methods),
        dtype=args.dtype,
        preset_overrides={k: v for k, v in (("batch_size", args.batch_size),
                                            ("widths", tuple(args.width) if args.width else None)) if v is not None},
    )
    from grokcheck.checks._run_dir import content_hash, open_run_directory

    # the folder is claimed before any training, so a bad --out fails at once
    with open_run_directory(args.out, command="accelerate", config=cfg.to_dict(),
                            task_hash=content_hash(group.table) if group is not None else None,
                            overwrite=args.overwrite, rerun_same=True,
                            outputs=("accelerate.json", "accelerate.md", "accelerate.png", "runs/*/*", "runs/*/*/*")):
        report = run_accelerate(cfg, group=group, out_dir=args.out, device=args.device, progress=not args.quiet and _stderr_is_terminal())
        paths = write_accelerate_report(report, args.out)
    print(accelerate_markdown(report))
    print(f"wrote {paths['json']}, {paths['markdown']}, {paths['png']}")
    return 0


def _stderr_is_terminal() -> bool:
    """A progress bar redraws its line with ``\\r``: only a terminal gets one, never a log file or a pipe."""
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())
