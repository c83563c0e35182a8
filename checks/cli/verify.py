"""``grokcheck verify GROUP``: every applicable registered check, as a report."""

from __future__ import annotations


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "verify",
        help="run every applicable check of the seeds' theorems on a group",
        description="Run every registered check on a group and write report.json, report.md and PNG "
        "figures. Exit code 0 when it ran, whatever the verdicts.",
    )
    add_group_arguments(p)
    p.add_argument("--budget", choices=["small", "full"], default="small", help="small: CPU minutes; full: paper-sized runs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="output folder (default: verify-<group>)")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these check ids (or id prefixes)")
    p.add_argument("--device", default="cpu", help="torch device for the trained-network checks")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import re

    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.checks._verify import verify

    G = group_from_args(args)
    out = args.out or "verify-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", str(G) if G.name else f"order{G.order}")
    report = verify(G, budget=args.budget, seed=args.seed, only=args.only, out_dir=out, progress=not args.quiet, device=args.device)
    width = max(len(r.id) for r in report.results) if report.results else 10
    for r in report.results:
        extra = r.reason if r.verdict.value in ("NOT APPLICABLE", "ERROR") else ""
        print(f"{r.verdict.value:>14}  {r.id:<{width}}  {extra}")
    s = report.summary()
    print(f"\n{G} (order {G.order}): " + ", ".join(f"{v} {k}" for k, v in s.items() if v) + f".  Report: {out}/report.md")
    return 0
