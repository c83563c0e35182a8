#!/usr/bin/env python
"""Weak universality (Chughtai, Chan & Nanda, arXiv 2302.03025, §6) over a population of given models.

Reads the JSON of one ``grokcheck analyze`` run with the paper's attribution, so the models are
analysed once and the aggregation is rerun for free::

    grokcheck analyze S5_seed*.pt --format onelayer-mlp --elements sympy:S5 --attribution paper --out DIR
    python scripts/weak_universality.py DIR/analysis.json --out DIR

and writes ``DIR/weak_universality.{json,md,png}``: the number of key irreps per model (mean,
Student-t 95%), how often each irrep is key (Wilson 95%), how often a lowest-dimensional faithful
irrep is key against the higher-dimensional ones, and the verdict of the weak-universality
decision rule (``grokcheck.checks.experiments._weak_universality.DECISION``, its rivals simulated
at the population's size without an order measured, as a file holds one checkpoint). Exit status 2 on an
input it cannot read, naming what is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("analysis", help="analysis.json of `grokcheck analyze FILE... --attribution paper --out DIR` "
                                    "(or its --json output saved to a file)")
    p.add_argument("--out", required=True, help="folder for weak_universality.json, .md and .png")
    p.add_argument("--sims", type=int, default=None,
                   help="simulated populations per rival for the rule's power condition (default 200; 0: the rule's "
                        "statistics alone, without the rivals)")
    args = p.parse_args(argv)

    from grokcheck.checks.experiments._weak_universality import (
        members_from_analysis,
        population_report,
        write_population_report,
    )
    from grokcheck.errors import GrokcheckError

    try:
        try:
            doc = json.loads(Path(args.analysis).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: cannot read {args.analysis}: {exc}", file=sys.stderr)
            return 2
        group, members = members_from_analysis(doc)
        if args.sims is not None and args.sims < 0:
            print(f"error: --sims must be ≥ 0, got {args.sims}", file=sys.stderr)
            return 2
        rep = population_report(members, group=group, **({} if args.sims is None else {"n_sims": args.sims}))
        paths = write_population_report(rep, args.out)
    except GrokcheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(Path(paths["markdown"]).read_text())
    print("wrote " + ", ".join(str(v) for v in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
