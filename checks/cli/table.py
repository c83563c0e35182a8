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
        description="Print the exact character table of a finite group as GAP's "
        "Display(CharacterTable(G), rec(indicator := true)) does: GAP's names for irrationalities, and the "
        "power-map rows GAP shows (2P, 3P, ... for every prime up to the largest element order, as GAP's "
        "Dixon-Schneider computes them; none for Abelian groups; the prime divisors of n! for Sn; --power-maps to choose). With --json, print "
        "{group, order, classes: [{name, size, order, centralizer, representative, ...}], power_maps: "
        "{p: [class of g^p for each class]} for every prime p up to the largest element order, elements, "
        "irreps: [{index, dim, fs_indicator, values, exact, character}]}: values per class as [re, im], "
        "exact values in GAP's E(n) "
        "notation, the character on every element in the input's labelling. With --irreps --json, "
        "each irrep also carries its matrices (one d×d matrix of [re, im] per element) and certificate.",
    )
    add_group_arguments(p)
    p.add_argument(
        "--power-maps",
        metavar="PRIMES",
        default="auto",
        help="power-map rows to print: auto (default; what GAP's Display shows for a table it computes by "
        "Dixon-Schneider, for an Abelian group or for SymmetricGroup(n)), all (every prime up to the largest element order), "
        "divisors (the prime divisors of |G|, the ATLAS rows), none, or a comma-separated list such as 2,3",
    )
    p.add_argument("--json", action="store_true", help="print the table as JSON ({order, classes, power_maps, elements, irreps}) instead of GAP's Display layout")
    p.add_argument(
        "--irreps", action="store_true", help="also construct and certify the irreps (with --json: their matrices)"
    )
    p.set_defaults(func=run)


def _clean(x: float) -> float:
    return 0.0 if abs(x) < _ZERO else float(x)


def _matrix_json(m) -> list:
    return [[[_clean(z.real), _clean(z.imag)] for z in row] for row in m]


def _power_map_primes(spec: str, ct) -> list[int] | None:
    """The primes of ``--power-maps`` (``None``: GAP's default rows)."""
    from grokcheck.errors import InvalidInputError
    from grokcheck.theory._integers import is_prime

    spec = spec.strip().lower()
    if spec == "auto":
        return None
    if spec == "all":
        return ct.power_map_primes()
    if spec == "none":
        return []
    if spec == "divisors":
        n = ct.group.order
        return [p for p in ct.power_map_primes() if n % p == 0]
    try:
        primes = sorted({int(t) for t in spec.split(",") if t.strip()})
    except ValueError:
        primes = []
    if not primes or not all(is_prime(p) for p in primes):
        raise InvalidInputError(
            f"--power-maps {spec!r}: give auto, all, divisors, none, or primes separated by commas (e.g. 2,3)",
            option="--power-maps",
        )
    return primes


def run(args) -> int:
    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.theory import MAX_ORDER

    G = group_from_args(args, large=True)
    ct = G.character_table
    primes = _power_map_primes(args.power_maps, ct)
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
        print(ct.display(power_maps=primes), end="")
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
    print(ct.display(power_maps=primes), end="")
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
