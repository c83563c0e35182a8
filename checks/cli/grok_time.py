"""``grokcheck grok-time``: sweep (α, λ), measure t_grok, fit the (1/λ)·log α law of Lyu et al."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v

import argparse


def _kv(text: str):
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    try:
        val = int(v)
    except ValueError:
        try:
            val = float(v)
        except ValueError:
            val = v
        else:
            if val != val or val in (float("inf"), float("-inf")):
                raise argparse.ArgumentTypeError(f"{text!r}: the value must be a finite number")
    return k.replace("-", "_"), val


def register(sub) -> None:
    p = sub.add_parser(
        "grok-time",
        help="measure t_grok over an (α, λ) grid and fit t_grok against (1/λ)·log α",
        description="Train every (α, λ) cell × seed (batched), measure the grokking time "
        "(continuous time η·steps), fit t_grok against log α at each λ (prediction: slope 1/λ), "
        "and write grok_time.json (table, fit, residuals) and collapse.png.",
    )
    p.add_argument("--task", choices=("diag", "mc", "modadd"), required=True)
    p.add_argument("--alphas", type=v.float_in(1.0, 1e12, lo_open=True), nargs="+", required=True)
    p.add_argument("--lambdas", type=v.float_in(0.0, 1e6, lo_open=True), nargs="+", required=True)
    p.add_argument("--seeds", type=v.nonnegative_int, nargs="+", default=[0])
    p.add_argument("--set", type=_kv, nargs="*", default=[], metavar="KEY=VALUE",
                   help="override a task setting (e.g. d=500 horizon=1.5); see TASK_DEFAULTS")
    p.add_argument("--paper-size", action="store_true",
                   help="modadd only: the paper's GPU setting (p=97, h=1024, lr 0.002, wd 1e-4; MODADD_PAPER_SETTINGS)")
    p.add_argument("--device", type=v.device, default=None, help="modadd only: torch device (default: the setting's, cpu)")
    p.add_argument("--out", default="grok_time", help="output directory")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal, never into a log file)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.set_defaults(func=run)


def _f(v, spec=".3f"):
    return "—" if v is None or v != v else format(v, spec)


def run(args: argparse.Namespace) -> int:
    from grokcheck.checks.experiments._grok_time import grok_time_sweep, write_grok_time

    from grokcheck.checks.experiments._grok_time import MODADD_PAPER_SETTINGS
    from grokcheck.errors import GrokcheckError

    settings = {}
    if args.paper_size or args.device:
        if args.task != "modadd":
            raise GrokcheckError("--paper-size and --device apply to --task modadd only")
        if args.paper_size:
            settings.update(MODADD_PAPER_SETTINGS)
        if args.device:
            settings["device"] = args.device
    settings.update(dict(args.set))
    from grokcheck.checks._run_dir import open_run_directory

    # the folder is claimed before the sweep, so a bad --out fails at once
    with open_run_directory(args.out, command="grok-time",
                            config={"task": args.task, "alphas": args.alphas, "lambdas": args.lambdas,
                                    "seeds": args.seeds, "settings": settings},
                            overwrite=args.overwrite, rerun_same=True, outputs=("grok_time.json", "collapse.png")):
        sweep = grok_time_sweep(args.task, alphas=args.alphas, lambdas=args.lambdas, seeds=args.seeds,
                                progress=not args.no_progress and _stderr_is_terminal(), **settings)
        paths = write_grok_time(sweep, args.out)
    print(f"task {sweep.task}, seeds {list(sweep.seeds)}, settings {sweep.settings}")
    print(f"{'alpha':>9} {'lambda':>9} {'lr':>8} {'t_grok (mean)':>14} {'log α/λ':>10} {'tλ/logα':>8} {'resid':>8}")
    for row in sweep.table():
        print(f"{row['alpha']:>9g} {row['lambda']:>9g} {row['lr']:>8.3g} {_f(row['t_grok_mean'], '.2f'):>14} "
              f"{row['predicted']:>10.2f} {_f(row['ratio']):>8} {_f(row['residual'], '.2f'):>8}")
    f = sweep.fit
    for k, lam in enumerate(f.lambdas):
        print(f"λ={lam:g}: slope of t_grok vs log α = {_f(f.slopes[k], '.2f')} ± {_f(f.slope_stderr[k], '.2f')} "
              f"(prediction 1/λ = {1 / lam:.2f}); λ·slope = {_f(f.lambda_slope[k])}; "
              f"finite-α shift b = λ·intercept = {_f(f.correction[k])}")
    print(f"wrote {paths['json']} and {paths['png']}")
    return 0


def _stderr_is_terminal() -> bool:
    """A progress bar redraws its line with ``\\r``: only a terminal gets one, never a log file or a pipe."""
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())
