"""``grokcheck table GROUP``: print the exact character table (or ``--json``)."""

from __future__ import annotations

import json


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "table",
        help="print the character table of a group",
        description="Print the exact character table of a finite group, as GAP's Display does. "
        "With --json, print {order, classes, irreps:[{dim, fs_indicator, character}]} with the "
        "character on every element in the input's labelling.",
    )
    add_group_arguments(p)
    p.add_argument("--json", action="store_true", help="print the JSON schema instead of the table")
    p.add_argument("--irreps", action="store_true", help="also construct and certify the irreps, print their residuals")
    p.set_defaults(func=run)


def run(args) -> int:
    from grokcheck.checks.cli._group_args import group_from_args

    G = group_from_args(args)
    ct = G.character_table
    if args.json:
        data = ct.to_json()
        if args.irreps:
            data["certificates"] = [dict(rho.residuals) for rho in G.irreps]
        print(json.dumps(data))
        return 0
    print(ct.display(), end="")
    print("\n2 = Frobenius–Schur indicator: + real, o complex, - quaternionic")
    if args.irreps:
        print()
        print("certified irreps (max residual over homomorphism, unitarity, character):")
        for rho in G.irreps:
            worst = max(rho.residuals.values())
            print(f"  X.{rho.index + 1}: degree {rho.dim}, indicator {rho.fs_indicator:+d}, residual {worst:.1e}")
        for r in G.real_irreps:
            print(f"  real form of orbit {[i + 1 for i in r.orbit]}: {r.kind}, dimension {r.dim}")
    return 0
