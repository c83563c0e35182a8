"""``grokcheck flow`` on groups without a dense Cayley table: the Fourier-domain block flow.

Above the dense-table limit (``|G| > 5040``), or with ``--table-free`` on any group, ``grokcheck
flow`` integrates He et al.'s Stage I flow (separate spheres) on the Fourier blocks
``θ̂¹[ρ], θ̂²[ρ], ξ̂[ρ]`` from the group's exact character table alone
(:func:`grokcheck.numerics.run_block_flow`: the irrep dimensions and ``|G|``; no elements, no
irrep matrices). Supported: groups whose irreps are all of real type (Frobenius–Schur indicator
+1: every ``S_n``, and e.g. D_n, ``C2^k``); a group with a complex or quaternionic irrep is refused
with the irreps named, because the Gaussian-block initialisation does not impose the conjugation
constraints those blocks obey.

References: He et al., arXiv 2606.02993 (the model, the Stage I flow, Theorem 4.3).
"""

from __future__ import annotations

import numpy as np

from grokcheck.errors import GroupInputError, InvalidInputError

__all__ = ["check_supported", "render_block_run", "run_table_free", "BLOCK_ACCEPTANCE"]

# Acceptance bars of the converged block flow, as for the dense flow's acceptance:
# purity ≥ 0.999 and σ₂/σ₁ ≤ 1e-3 are the dense path's defaults (He et al.'s single-irrep,
# rank-one end state, with room for an incompletely converged neuron); Ω is compared
# RELATIVE to Ω* because Ω* = |G|^{-3/2}/√d shrinks with |G| (1.2e-7 on S8), so the dense
# path's absolute 1e-6 would pass any run there; 1e-6 relative is far above the RK45
# rtol = 1e-8 integration error of a converged run.
BLOCK_ACCEPTANCE = {"purity_min": 0.999, "omega_rel_error_max": 1e-6, "rank_ratio_max": 1e-3}


def check_supported(G, args) -> None:
    """Refuse (naming the reason) what the table-free flow does not do.

    Raises :class:`~grokcheck.errors.GroupInputError` when an irrep is not of real type and
    :class:`~grokcheck.errors.InvalidInputError` for a ``--domain``, ``--sphere`` or
    ``--method`` other than ``fourier``, ``separate``, ``RK45``.
    """
    for opt, value, only in (("--domain", args.domain, "fourier"), ("--sphere", args.sphere, "separate"),
                             ("--method", args.method, "RK45")):
        if value != only:
            raise InvalidInputError(
                f"{opt} {value}: the table-free flow (groups beyond the dense table, |G| > 5040, or "
                f"--table-free) integrates only {opt} {only}")
    ct = G.character_table
    fs = np.asarray(ct.fs_indicators)
    bad = [i for i in range(len(fs)) if int(fs[i]) != 1]
    if bad:
        kind = {0: "complex", -1: "quaternionic"}
        listed = ", ".join(f"X.{i + 1} ({kind[int(fs[i])]}, d={int(ct.degrees[i])})" for i in bad[:6])
        more = f" and {len(bad) - 6} more" if len(bad) > 6 else ""
        raise GroupInputError(
            f"{G}: the table-free flow supports groups whose irreps are all of real type (Frobenius–Schur "
            f"indicator +1, e.g. every S_n); this group has {listed}{more}, whose Fourier blocks obey conjugation "
            "constraints the Gaussian-block initialisation does not impose", text=str(G))


def summary(run) -> dict:
    """Per dominant irrep: count, worst purity, rank ratio and |Ω − Ω*|; plus the acceptance values.

    Returns a JSON-ready dict (irreps numbered ``X.1 … X.k`` as in ``grokcheck table``).
    """
    rel = np.abs(run.omega - run.omega_star) / run.omega_star
    rows = []
    for i in sorted(set(int(x) for x in run.dominant)):
        m = run.dominant == i
        rows.append({
            "irrep": f"X.{i + 1}", "dim": int(run.dims[i]), "count": int(m.sum()),
            "purity_min": float(run.purity[m].min()), "rank_ratio_max": float(run.rank_ratio[m].max()),
            "omega_mean": float(run.omega[m].mean()), "omega_star": float(run.omega_star[m][0]),
            "omega_error_max": float(np.abs(run.omega - run.omega_star)[m].max()),
            "omega_rel_error_max": float(rel[m].max()),
        })
    values = {"purity_min": float(run.purity.min()), "omega_rel_error_max": float(rel.max()),
              "rank_ratio_max": float(run.rank_ratio.max())}
    acceptance = {k: {"passed": bool(v >= BLOCK_ACCEPTANCE[k]) if k == "purity_min" else bool(v <= BLOCK_ACCEPTANCE[k]),
                      "value": v, "bar": BLOCK_ACCEPTANCE[k]} for k, v in values.items()}
    return {"rows": rows, "acceptance": acceptance}


def _status(run) -> str:
    """The dense flow's words for how the run ended, not scipy's sentence (kept as ``solver_message``)."""
    return "t1_reached" if run.ok else "solver_failed"


def render_block_run(G, run) -> str:
    """The text report of a table-free run (one row per dominant irrep)."""
    s = summary(run)
    status = _status(run) if run.ok else f"{_status(run)} ({run.status})"
    lines = [
        f"group {G} (order {run.order}, {len(run.dims)} irreps, all of real type), {run.neurons} neurons, seed "
        f"{run.seed}, table-free Fourier-domain flow (separate spheres), RK45: {status} at t={run.t_final:.4g} "
        f"({run.seconds:.1f} s)",
        f"{'irrep':>6} {'d':>3} {'count':>6} {'purity≥':>9} {'σ2/σ1≤':>9} {'Ω mean':>12} {'Ω*':>12} {'|Ω-Ω*|≤':>9} "
        f"{'rel≤':>9}",
    ]
    for r in s["rows"]:
        lines.append(
            f"{r['irrep']:>6} {r['dim']:>3} {r['count']:>6} {r['purity_min']:>9.6f} {r['rank_ratio_max']:>9.2e} "
            f"{r['omega_mean']:>12.6e} {r['omega_star']:>12.6e} {r['omega_error_max']:>9.1e} {r['omega_rel_error_max']:>9.1e}"
        )
    lines.append("acceptance: " + ", ".join(f"{k} {'ok' if v['passed'] else 'FAIL'} ({v['value']:.3g})"
                                            for k, v in s["acceptance"].items()))
    return "\n".join(lines)


def run_table_free(args, G) -> int:
    """Integrate, print the report, write ``flow.json`` to ``--out``; exit 0 iff the solver reached ``t1``."""
    from pathlib import Path

    from grokcheck.numerics._block_flow import run_block_flow

    check_supported(G, args)
    degrees = [int(d) for d in G.character_table.degrees]
    run = run_block_flow(G.order, degrees, neurons=args.neurons, seed=args.seed, t1=args.t1)
    print(render_block_run(G, run))
    if args.out:
        from grokcheck.checks._io import atomic_write_json, json_safe

        out = Path(args.out)
        obj = {"group": str(G), "order": run.order, "dims": list(run.dims), "neurons": run.neurons, "seed": run.seed,
               "domain": "fourier (table-free blocks)", "sphere": "separate", "method": "RK45", "status": _status(run), "solver_message": run.status,
               "ok": run.ok, "t_final": run.t_final, "seconds": run.seconds,
               "omega": run.omega.tolist(), "omega_star": run.omega_star.tolist(),
               "dominant": [f"X.{int(i) + 1}" for i in run.dominant], "purity": run.purity.tolist(),
               "rank_ratio": run.rank_ratio.tolist(), **summary(run)}
        atomic_write_json(out / "flow.json", json_safe(obj), indent=1, allow_nan=False)
        print(f"wrote {out / 'flow.json'}")
    return 0 if run.ok else 1
