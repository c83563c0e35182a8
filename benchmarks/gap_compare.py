"""grokcheck and GAP side by side: time to the exact character table and to the irreps.

Usage::

    python benchmarks/gap_compare.py                 # tables (both) and irreps (grokcheck; GAP with --gap-irreps)
    python benchmarks/gap_compare.py --gap-irreps    # also GAP's IrreducibleRepresentations (slow; per-group timeout)
    python benchmarks/gap_compare.py --only S8 M11

GAP (``apt-get install gap``) is optional: without it only grokcheck's times are printed.
grokcheck rebuilds each group from scratch (no cache); GAP times are GAP's own ``Runtime()``
in ms for ``Irr(CharacterTable(G))`` (resp. ``IrreducibleRepresentations(G)``) on a freshly
constructed group, excluding GAP's start-up. grokcheck's irreps are unitary and certified
(dense groups: regular-representation projections; ``Sn`` above 5040: Young's orthogonal
form); GAP's are not unitary. Large groups are permutation groups without a dense table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time

# name → (how grokcheck builds it, GAP expression)
GROUPS = {
    "SL(2,5)": ("name", "SL(2,5)"),
    "SL(2,7)": ("name", "SL(2,7)"),
    "S6": ("name", "SymmetricGroup(6)"),
    "S8": ("large", "SymmetricGroup(8)"),
    "A8": ("large", "AlternatingGroup(8)"),
    "M11": ("perms:(1,2,3,4,5,6,7,8,9,10,11) (3,7,11,8)(4,10,5,6)", "MathieuGroup(11)"),
    "PSL(2,23)": ("large", "PSL(2,23)"),
    "GL(2,11)": ("large", "Action(GL(2,11), Difference(Elements(GF(11)^2), [Zero(GF(11)^2)]), OnRight)"),
}


def build(name: str, how: str):
    from grokcheck.theory import FiniteGroup, PermutationGroup, group, large_group

    if how == "name":
        return FiniteGroup(group(name).table)  # fresh object: nothing cached
    if how == "large":
        return large_group(name)
    return PermutationGroup.from_permutations(how[len("perms:") :].split())


def time_grokcheck(name: str, how: str, irreps: bool) -> tuple[int, int, float, float | None, float | None]:
    t0 = time.perf_counter()
    G = build(name, how)
    ct = G.character_table
    t_table = time.perf_counter() - t0
    t_irr, worst = None, None
    if irreps:
        try:
            t1 = time.perf_counter()
            irr = G.irreps
            t_irr = time.perf_counter() - t1 + t_table
            worst = max(max(r.residuals.values()) for r in irr)
        except Exception:  # noqa: BLE001 - groups whose irreps grokcheck does not build
            t_irr = None
    return G.order, ct.num_irreps, t_table, t_irr, worst


def time_gap(expr: str, what: str, timeout: float) -> float | None:
    body = "Irr(CharacterTable(G));;" if what == "table" else "IrreducibleRepresentations(G);;"
    script = "G:=" + expr + ";; t:=Runtime();; " + body + ' Print(Runtime()-t, "\\n");\nQUIT;\n'
    try:
        out = subprocess.run(["gap", "-q"], input=script, capture_output=True, text=True, timeout=timeout).stdout
        return float(out.strip().splitlines()[-1]) / 1000.0
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", help="a subset of the groups")
    ap.add_argument("--gap-irreps", action="store_true", help="also time GAP's IrreducibleRepresentations")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per GAP run (default 300)")
    args = ap.parse_args()
    have_gap = shutil.which("gap") is not None
    names = args.only or list(GROUPS)
    time_grokcheck("S3", "name", irreps=True)  # warm-up: imports and first-call set-up are not timed
    fmt = "{:<10} {:>7} {:>4}  {:>10} {:>10}  {:>10} {:>10} {:>9}"
    print(fmt.format("group", "order", "k", "table gc", "table GAP", "irreps gc", "irreps GAP", "residual"))

    def f(t):
        return "—" if t is None else f"{t:.2f} s"

    for name in names:
        how, expr = GROUPS[name]
        order, k, tt, ti, worst = time_grokcheck(name, how, irreps=True)
        gt = time_gap(expr, "table", args.timeout) if have_gap else None
        gi = time_gap(expr, "irreps", args.timeout) if have_gap and args.gap_irreps else None
        gi_s = f(gi) if (gi is not None or not (have_gap and args.gap_irreps)) else f">{args.timeout:.0f} s"
        print(fmt.format(name, order, k, f(tt), f(gt), f(ti), gi_s, "—" if worst is None else f"{worst:.1e}"), flush=True)
    if not have_gap:
        print("(GAP not installed: apt-get install gap)")


if __name__ == "__main__":
    main()
