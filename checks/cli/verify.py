"""``grokcheck verify GROUP``: every applicable registered check, as a report."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "verify",
        help="run every applicable check of the seeds' theorems on a group",
        description="Run every registered check on a group and write report.json, report.md and PNG "
        "figures. Verdicts: PASS, FAIL (expected when a published statement is shown false), INCONCLUSIVE "
        "(the run did not reach the claim's regime), NOT APPLICABLE, ERROR. Exit code 0 when it ran "
        "(with --strict: 1 on any unexpected FAIL or ERROR).",
    )
    add_group_arguments(p)
    p.add_argument("--budget", choices=["small", "full"], default="small", help="small: the exact checks and short trainings (a minute on a CPU); full: adds CPU-sized grokking, diagonal-net runs and the group experiments (minutes to hours on a CPU; the papers' own sizes are `grokcheck experiments --budget paper`)")
    p.add_argument("--seed", type=v.nonnegative_int, default=0)
    p.add_argument("--out", default=None, help="output folder (default: verify-<group>)")
    p.add_argument("--only", nargs="+", metavar="ID",
                   help="run only these check or experiment ids (or id prefixes); a named experiment runs at --budget")
    p.add_argument("--device", type=v.device, default="cpu", help="torch device for the trained-network checks")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 on any unexpected FAIL or ERROR, for CI (not a published statement shown false, "
                   "nor an experiment's FAIL in a proxy setting: a claim that does not transfer there)")
    p.add_argument("--model", metavar="FILE", default=None,
                   help="run the trained-network checks on this trained model instead of training one")
    p.add_argument("--format", dest="model_format", default=None,
                   choices=["onelayer-mlp", "concat-mlp", "summed-mlp", "transformer-lens", "grokcheck"],
                   help="the layout of --model (required with --model)")
    p.add_argument("--tl-config", metavar="FILE", default=None,
                   help="transformer-lens --model: its HookedTransformerConfig as JSON (default: FILE.json or config.json beside it)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.set_defaults(func=run)


def run(args) -> int:
    import re
    import sys
    from pathlib import Path

    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.checks._verify import verify

    G = group_from_args(args, large=True)  # beyond 5040: the checks that need only the character table or irreps
    if args.model is not None and args.model_format is None:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError("--model needs --format (onelayer-mlp, concat-mlp, summed-mlp, transformer-lens or grokcheck)")
    from grokcheck.checks._run_dir import content_hash, open_run_directory

    task_hash = content_hash(G.table if hasattr(G, "table") else {"order": G.order, "generators": G.generators})
    # an unnamed group (a Cayley table, permutations) gets a short hash of its table in the default
    # folder, so two groups of one order never share `verify-order12`
    out = args.out or "verify-" + re.sub(r"[^A-Za-z0-9_.-]+", "_",
                                         str(G) if G.name else f"order{G.order}-{task_hash[:8]}")

    # claim the folder before any check runs, so a bad --out fails at once
    with open_run_directory(out, command="verify", config={"group": str(G), "budget": args.budget, "seed": args.seed,
                                                           "only": args.only},
                            task_hash=task_hash, overwrite=args.overwrite, rerun_same=True,
                            outputs=("report.json", "report.md", "timing.json", "*.png")):
        model = None
        if args.model is not None:
            from grokcheck.checks.claims._given_model import model_artifacts

            model = model_artifacts(G, args.model, args.model_format, seed=args.seed, device=args.device,
                                    config=args.tl_config)
        report = verify(G, budget=args.budget, seed=args.seed, only=args.only, out_dir=out, progress=not args.quiet,
                        device=args.device, model=model, model_name=None if args.model is None else Path(args.model).name)
    width = max(len(r.id) for r in report.results) if report.results else 10
    for r in report.results:
        extra = ""
        if r.verdict.value in ("NOT APPLICABLE", "ERROR", "INCONCLUSIVE"):
            extra = r.reason + (f" (to decide: {r.decide})" if r.decide else "")
        elif r.expected_fail:
            extra = "expected: a published statement shown false"
        elif r.does_not_transfer:
            extra = r.reason
        print(f"{r.verdict.value:>14}  {r.id:<{width}}  {extra}")
    c = report.counts()

    def say(d):
        return ", ".join(f"{v} {k}" for k, v in d.items() if v) or "none"

    name = str(report.group)
    # a recognised table's name already says its order ("Dic3 (recognised; order 12, …)")
    name = name if f"order {G.order}" in name else f"{name} (order {G.order})"
    print(f"\n{name}: {say(c['group'])}; group-independent: {say(c['group_independent'])}; "
          f"self-tests: {say(c['self_tests'])}.  Report: {out}/report.md")
    if args.strict and report.unexpected:
        print("strict: " + ", ".join(f"{r.id} {r.verdict.value}" for r in report.unexpected), file=sys.stderr)
        return 1
    return 0
