"""``grokcheck checks``: list the registry (id, claim, source, hypotheses)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("checks", help="list the registered checks", description="List every registered check.")
    p.add_argument("--json", action="store_true", help="print the registry as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from grokcheck.checks._registry import all_checks

    checks = all_checks()
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=2))
        return 0
    for c in checks:
        flags = []
        if c.published_false:
            flags.append("published statement grokcheck shows false")
        if c.group_independent:
            flags.append("group-independent")
        if c.baseline is not None:
            flags.append("trained network, with a random-init baseline")
        flag = f"  [{'; '.join(flags)}]" if flags else ""
        print(f"{c.id}{flag}\n    {c.claim}\n    source: {c.source}\n    decision: {c.tolerance.words()}")
        if c.why_false:
            print(f"    why false: {c.why_false}")
        if c.effective_hypotheses():
            print("    hypotheses: " + "; ".join(h.name for h in c.effective_hypotheses()))
    print(f"\n{len(checks)} checks.")
    return 0
