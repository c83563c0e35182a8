"""Time to the exact character table and to the certified irreps, per group.

Usage::

    python benchmarks/character_tables.py            # the issue's list + every name of order ≤ 64
    python benchmarks/character_tables.py --quick    # only the issue's list

Each group is rebuilt from its table before timing, so no cached result is reused.
Targets: each table < 10 s on a 2-core CPU, the irreps of S6 < 14 s.
"""

from __future__ import annotations

import argparse
import itertools
import time

from grokcheck.theory import FiniteGroup, group

LARGE = ["S5", "SL(2,5)", "PSL(2,7)", "SL(2,7)", "A6", "S6", "C5xS5", "GL(2,5)"]


def small_names(max_order: int = 64) -> list[str]:
    """Every single-family name of order ≤ max_order, and products of two of them."""
    base = [f"C{n}" for n in range(1, max_order + 1)]
    base += [f"D{n}" for n in range(3, max_order // 2 + 1)]
    base += ["S3", "S4", "A4", "A5", "Q8", "F21", "F20"]
    base += [f"Dic{n}" for n in range(2, max_order // 4 + 1)]
    base += ["SL(2,2)", "SL(2,3)", "GL(2,2)", "GL(2,3)", "PSL(2,3)", "PSL(2,5)"]
    orders = {name: group(name).order for name in base}
    names = [b for b in base if orders[b] <= max_order]
    nontrivial = [b for b in names if orders[b] > 1]
    for a, b in itertools.combinations_with_replacement(nontrivial, 2):
        if orders[a] * orders[b] <= max_order:
            names.append(f"{a}x{b}")
    return names


def time_group(name: str) -> tuple[int, int, float, float]:
    G = FiniteGroup(group(name).table)  # fresh object: nothing cached
    t0 = time.perf_counter()
    ct = G.character_table
    t1 = time.perf_counter()
    G.irreps
    G.real_irreps
    t2 = time.perf_counter()
    return G.order, ct.num_irreps, t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the issue's list of larger groups")
    args = parser.parse_args()
    print(f"{'group':>12} {'order':>6} {'irreps':>6} {'table s':>9} {'irreps s':>9}")
    for name in LARGE:
        n, k, tt, ti = time_group(name)
        print(f"{name:>12} {n:>6} {k:>6} {tt:>9.3f} {ti:>9.3f}")
    if args.quick:
        return
    names = small_names()
    worst_t = worst_i = (0.0, "")
    total_t = total_i = 0.0
    t_start = time.perf_counter()
    for name in names:
        n, k, tt, ti = time_group(name)
        total_t += tt
        total_i += ti
        worst_t = max(worst_t, (tt, name))
        worst_i = max(worst_i, (ti, name))
    print(
        f"\n{len(names)} named groups of order ≤ 64 in {time.perf_counter() - t_start:.1f} s: "
        f"tables {total_t:.2f} s in all (slowest {worst_t[1]} {worst_t[0]:.3f} s), "
        f"irreps {total_i:.2f} s in all (slowest {worst_i[1]} {worst_i[0]:.3f} s)"
    )


if __name__ == "__main__":
    main()
