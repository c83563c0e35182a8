"""``grokcheck experiments``: the registered experiments (studies over grids of runs), as a report."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v


def register(sub) -> None:
    p = sub.add_parser(
        "experiments",
        help="run the registered experiments (grids of training runs with a fitted law and a verdict)",
        description="Run the registered experiments: each is a claim of a paper measured by a study over a grid "
        "(groups × train fractions × hyperparameters × seeds), with confidence intervals over seeds, a fitted law "
        "where the claim is one, a figure and a verdict (PASS, FAIL, INCONCLUSIVE) by the rule the experiment "
        "states. Writes report.md, report.json and PNG figures in the format of `grokcheck verify`; finished "
        "cells are cached under OUT/cache, so a rerun computes only what changed and an interrupted run resumes. "
        "OUT is claimed like every run folder (a lock and grokcheck-run.json): a folder of another command's run is "
        "refused, and a rerun into a folder of `experiments` continues it.",
    )
    p.add_argument("--budget", choices=["small", "full", "paper"], default="small",
                   help="small: seconds (CI); full: CPU minutes; paper: the papers' sizes (use --device cuda)")
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these experiment ids (or id prefixes)")
    p.add_argument("--device", type=v.device, default="cpu", help="torch device for the training runs")
    p.add_argument("--seed", type=v.nonnegative_int, default=0, help="run seed (every member's randomness derives from it)")
    p.add_argument("--out", default="experiments-out", help="output folder (report, figures, cell cache)")
    p.add_argument("--resume", action="store_true",
                   help="continue the experiments run in --out (its cached cells are reused); without it a rerun "
                   "into a folder of `experiments` continues as well, and any other folder is refused")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the outputs of an earlier run in --out, its cell cache included (files grokcheck "
                   "did not write are kept)")
    p.add_argument("--list", action="store_true", help="list the experiments (id, claim, grid per budget) and exit")
    p.add_argument("--max-steps", type=v.positive_int, default=None,
                   help="cap every training run at this many steps (a smoke test of a large budget)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 on any unexpected FAIL or ERROR, for CI (a FAIL in a proxy setting — a claim that does "
                   "not transfer there — is not unexpected)")
    p.add_argument("--recompute", action="store_true",
                   help="at --budget paper, run every selected experiment even where a stored results file "
                   "(results/<id>.paper.json, or $GROKCHECK_RESULTS) records a finished run of the same setting")
    p.add_argument("--store-results", action="store_true",
                   help="write a results file (verdict, statistics, intervals, command, commit, machine, wall and CPU "
                   "time; no weights) for each experiment this run finished, into results/ of the checkout or "
                   "$GROKCHECK_RESULTS (never for a run capped by --max-steps)")
    p.add_argument("--threads", type=_threads_arg, default="auto",
                   help="torch threads: 'auto' (one: experiment cells are small batched ensembles) or a count "
                   "(default auto)")
    p.set_defaults(func=run)


def _threads_arg(text: str):
    from grokcheck.checks.cli.train import threads_arg

    return threads_arg(text)


def _select(experiments, only):
    from grokcheck.errors import InvalidInputError

    if not only:
        return experiments
    known = [e.id for e in experiments]
    missing = [i for i in only if not any(k == i or k.startswith(i) for k in known)]
    if missing:
        raise InvalidInputError(f"unknown experiment id(s) {missing}; `grokcheck experiments --list` lists them")
    return tuple(e for e in experiments if any(e.id == i or e.id.startswith(i) for i in only))


#: What `experiments` writes into its folder (cleared by --overwrite even without a manifest).
EXPERIMENTS_OUTPUTS = ("report.json", "report.md", "timing.json", "*.png", "cache/**/*")


def _claim(out, args):
    """Take ``out`` for this run through the run-folder code (lock, manifest, --overwrite/--resume).

    The cell cache is keyed by everything that determines a cell, so a rerun into a folder of an
    earlier ``experiments`` run continues it whatever its options (each may change); a folder
    of another command, or of files grokcheck did not write, is refused unless --overwrite.
    """
    from grokcheck.checks._run_dir import open_run_directory, read_manifest

    config = {"budget": args.budget, "only": args.only, "device": args.device, "seed": args.seed,
              "max_steps": args.max_steps}
    resume = args.resume
    if not args.overwrite and not resume:
        prev = read_manifest(out) if out.is_dir() else None
        # an experiments run continues; so does a folder of experiments from before manifests (its cache)
        resume = (prev is not None and prev.get("command") == "experiments") or (
            prev is None and (out / "cache").is_dir())
    return open_run_directory(out, command="experiments", config=config, overwrite=args.overwrite, resume=resume,
                              may_change=tuple(config), outputs=EXPERIMENTS_OUTPUTS)


def _reused(exp, args):
    """The stored paper-budget result of ``exp`` as a CheckResult, or ``None`` (run it).

    Reused only at ``--budget paper``, without ``--recompute`` or ``--max-steps``, when the stored
    file's settings fingerprint and seed match (``_reproductions.verify_record``; the device that
    computed it is provenance, so a GPU run is reused on a CPU);
    a file present but not accepted is named on stderr with the reason, and the experiment runs.
    """
    import sys

    from grokcheck.checks.experiments._reproductions import stored_result

    if args.budget != "paper" or getattr(args, "recompute", False) or args.max_steps is not None:
        return None
    rec, path, problems = stored_result(exp, budget=args.budget, seed=args.seed)
    if rec is None:
        if problems:
            print(f"experiments: not reusing {path}: " + "; ".join(problems), file=sys.stderr, flush=True)
        return None
    if not args.quiet:
        git = rec.provenance.get("git") or {}
        print(f"experiments: {exp.id}: reusing {path} (commit {str(git.get('commit'))[:10]}, "
              f"{rec.provenance.get('date')}; --recompute runs it again)", file=sys.stderr, flush=True)
    return rec.to_check_result()


def _run_and_store(exp, args, out, run_experiment):
    """Run ``exp``; with ``--store-results`` keep a results file of a finished, uncapped run."""
    import shlex
    import sys
    import time

    from grokcheck.checks.experiments import _reproductions as rp

    store = getattr(args, "store_results", False) and args.max_steps is None
    folder = rp.results_dir() if store else None
    if store and folder is None:  # said before hours of training, not after
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError("--store-results: no results folder (set GROKCHECK_RESULTS, or run from a "
                                "checkout with a results/ folder)")
    t0, c0 = time.perf_counter(), rp.cpu_seconds()
    r = run_experiment(exp, budget=args.budget, seed=args.seed, device=args.device, out_dir=out,
                       max_steps=args.max_steps, progress=False)
    if store and r.verdict.value != "ERROR":
        rec = rp.record_from_check(r, budget=args.budget, seed=args.seed, device=args.device,
                                   settings=exp.settings(args.budget),
                                   command=shlex.join(["grokcheck", *sys.argv[1:]]),
                                   wall_seconds=time.perf_counter() - t0, cpu_seconds=rp.cpu_seconds() - c0,
                                   cells_seconds=rp.cells_wall_seconds(exp, budget=args.budget, seed=args.seed,
                                                                       device=args.device, out_dir=out))
        path = rp.save_result(rec, folder)
        if not args.quiet:
            print(f"experiments: {exp.id}: results stored in {path}", file=sys.stderr, flush=True)
    return r


def run(args) -> int:
    import dataclasses
    import json
    import sys
    from pathlib import Path

    from grokcheck.checks._io import atomic_write_json, atomic_write_text
    from grokcheck.checks._verify import VerifyReport
    from grokcheck.checks.experiments._study import all_experiments, run_experiment

    exps = _select(all_experiments(), args.only)
    if args.list:
        for e in exps:
            print(f"{e.id}\n    {e.claim}\n    source: {e.source}\n    rule: {e.decision_rule}")
            if e.design is not None:
                print("    rivals: " + "; ".join(f"{r.name} ({r.description})" for r in e.design.rivals))
            for b in ("small", "full", "paper"):
                st = e.setting_of(b)
                print(f"    {b}: {json.dumps(e.budgets[b], default=str)}" + (f"\n      setting: {st.words()}" if st else ""))
        return 0
    out = Path(args.out)
    import torch

    from grokcheck.checks.training._threads import resolve_threads

    torch.set_num_threads(resolve_threads(args.threads))  # the command-line edge: once per process
    results, figures = [], []
    with _claim(out, args):
        for i, e in enumerate(exps):
            if not args.quiet:
                print(f"experiments [{i + 1}/{len(exps)}] {e.id} (budget {args.budget})", file=sys.stderr, flush=True)
            r = _reused(e, args)
            if r is None:
                r = _run_and_store(e, args, out, run_experiment)
            # one table: every experiment states its own groups
            results.append(dataclasses.replace(r, group_independent=False))
            figures.extend(r.details.get("figures", []))
        report = VerifyReport("the registered experiments", 0, args.budget, args.seed, tuple(results), tuple(figures),
                              title="grokcheck experiments")
        data = report.to_json()
        data.pop("group", None)
        data.pop("order", None)
        atomic_write_json(out / "report.json", data)
        atomic_write_text(out / "report.md", report.to_markdown())
        atomic_write_json(out / "timing.json", {r.id: round(r.seconds, 3) for r in results})
    width = max((len(r.id) for r in results), default=10)
    for r in results:
        ci = r.details.get("interval") if isinstance(r.details, dict) else None
        stat = r.measurement
        stat_s = f"{stat:.4g}" if isinstance(stat, float) else str(stat)
        ci_s = f" [{ci[0]:.3g}, {ci[1]:.3g}]" if ci and None not in ci else ""
        print(f"{r.verdict.value:>14}  {r.id:<{width}}  {stat_s}{ci_s}  {r.reason}")
    print(f"\nReport: {out}/report.md")
    if getattr(args, "strict", False) and report.unexpected:
        print("strict: " + ", ".join(f"{r.id} {r.verdict.value}" for r in report.unexpected), file=sys.stderr)
        return 1
    return 0
