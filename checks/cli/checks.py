"""``grokcheck checks``: list the registry (id, claim, source, hypotheses; for a check another package
registered through the ``grokcheck.claims`` entry point, which package and module)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("checks", help="list the registered checks", description="List every registered check.")
    p.add_argument("--json", action="store_true", help="print the registry as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from grokcheck.checks._registry import registered_with_origin

    pairs = registered_with_origin("CHECKS")
    checks = [c for c, _ in pairs]
    if args.json:
        print(json.dumps([{**c.to_json(), "registered_by": o.to_json()} for c, o in pairs], indent=2))
        return 0
    for c, origin in pairs:
        flags = []
        if c.published_false:
            flags.append("published statement grokcheck shows false")
        if c.group_independent:
            flags.append("group-independent")
        if c.baseline is not None:
            flags.append("trained network, with a random-init baseline")
        flag = f"  [{'; '.join(flags)}]" if flags else ""
        print(f"{c.id}{flag}\n    {c.claim}\n    source: {c.source}\n    decision: {c.tolerance.words()}")
        if origin.user:
            print(f"    registered by: {origin.words()}")
        if c.why_false:
            print(f"    why false: {c.why_false}")
        if c.effective_hypotheses():
            print("    hypotheses: " + "; ".join(h.name for h in c.effective_hypotheses()))
    users = sum(1 for _, o in pairs if o.user)
    print(f"\n{len(checks)} checks" + (f" ({users} registered by other packages)." if users else "."))
    return 0
