"""``grokcheck table GROUP``: print the exact character table (or ``--json``)."""

from __future__ import annotations

import json

# Certified irreps are exact to ~1e-13 (their residuals are required below 1e-10);
# matrix entries below this are rounding noise of an exact zero and are printed as 0.
_ZERO = 1e-12


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "table",
        help="print the character table of a group",
        description="Print the exact character table of a finite group exactly as GAP's "
        "Display(tbl, rec(indicator := true)) does (one power map per prime divisor of |G|, GAP's "
        "names for irrationalities). With --json, print {group, order, classes: [{name, size, order, "
        "centralizer, representative, ...}], power_maps, elements, irreps: [{index, dim, fs_indicator, "
        "values, exact, character}]}: values per class as [re, im], exact values in GAP's E(n) "
        "notation, the character on every element in the input's labelling. With --irreps --json, "
        "each irrep also carries its matrices (one d×d matrix of [re, im] per element) and certificate.",
    )
    add_group_arguments(p)
    p.add_argument("--json", action="store_true", help="print the table as JSON ({order, classes, power_maps, elements, irreps}) instead of GAP's Display layout")
    p.add_argument(
        "--irreps", action="store_true", help="also construct and certify the irreps (with --json: their matrices)"
    )
    p.set_defaults(func=run)


def _clean(x: float) -> float:
    return 0.0 if abs(x) < _ZERO else float(x)


def _matrix_json(m) -> list:
    return [[[_clean(z.real), _clean(z.imag)] for z in row] for row in m]


def run(args) -> int:
    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.theory import MAX_ORDER

    G = group_from_args(args, large=True)
    ct = G.character_table
    dense = G.order <= MAX_ORDER and hasattr(G, "table")
    if args.irreps and not dense:
        irreps = G.irreps  # raises with the reason for groups other than S_n
        if args.json:
            data = ct.to_json()
            gens = G.elements_array[list(G.generator_indices)]
            for item, rho in zip(data["irreps"], irreps):
                if hasattr(rho, "partition"):  # Young's form: matrices of the generators only
                    item["partition"] = list(rho.partition)
                    mats = [rho.of_permutation(g) for g in gens]
                else:
                    mats = [rho.matrices[int(g)] for g in G.generator_indices]
                item["certificate"] = {k: float(v) for k, v in rho.residuals.items()}
                item["generators"] = [G.cycle_string(int(g)) for g in G.generator_indices]
                item["generator_matrices"] = [_matrix_json(m) for m in mats]
            print(json.dumps(data))
            return 0
        print(ct.display(), end="")
        young = hasattr(irreps[0], "partition")
        how = (
            "Young's orthogonal form (max residual over Coxeter relations, orthogonality, character)"
            if young
            else "from the point and pair permutation modules (max residual over homomorphism, unitarity, character)"
        )
        print(f"\ncertified irreps, {how}:")
        for rho in irreps:
            worst = max(rho.residuals.values())
            what = f"partition {list(rho.partition)}, " if young else f"{rho.module} module, indicator {rho.fs_indicator:+d}, "
            print(f"  X.{rho.index + 1}: {what}degree {rho.dim}, residual {worst:.1e}")
        return 0
    if args.json:
        data = ct.to_json()
        if args.irreps:
            for item, rho in zip(data["irreps"], G.irreps):
                item["certificate"] = {k: float(v) for k, v in rho.residuals.items()}
                item["matrices"] = [_matrix_json(m) for m in rho.matrices]
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
