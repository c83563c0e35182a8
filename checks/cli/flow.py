"""``grokcheck flow GROUP``: integrate the Stage I flow of He et al. and compare with Ω*."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v

import os
from pathlib import Path

from grokcheck.checks._io import json_safe
from grokcheck.checks.cli._group_args import add_group_arguments, group_from_args

__all__ = ["register"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "flow",
        help="integrate the Stage I Riemannian flow of Ω and compare each neuron with the theory",
        description="Integrate ν̇ = ∇Ω − Ω ν (He et al., arXiv 2606.02993, the Stage I flow) from uniform spherical initialisation, "
        "then print per-orbit occupancy, purity, rank ratio, alignment and Ω vs Ω*.",
    )
    add_group_arguments(p)
    p.add_argument("--neurons", type=v.positive_int, default=256)
    p.add_argument("--seed", type=v.nonnegative_int, default=0)
    p.add_argument("--domain", choices=["fourier", "parameter"], default="fourier")
    p.add_argument("--sphere", choices=["separate", "joint"], default="separate")
    p.add_argument("--method", choices=["RK45", "DOP853", "retraction"], default="RK45")
    p.add_argument("--t1", type=v.float_in(0.0, 1e9, lo_open=True), default=None, help="final flow time (default 400·|G|^1.5, early stop at convergence)")
    p.add_argument("--out", metavar="DIR", default=None, help="write flow.json and PNG figures here")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal, never into a log file)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.add_argument("--table-free", action="store_true",
                   help="integrate the Fourier blocks from the character table alone (automatic above |G| = 5040; "
                        "groups whose irreps are all of real type, e.g. every Sn; --domain fourier, --sphere separate, "
                        "--method RK45 only; no early stop, no figures)")
    p.set_defaults(func=_run)


def _fmt(v, spec=".4g"):
    return "-" if v is None else format(v, spec)


def _irrep_names(irreps) -> str:
    """``X.i`` names of 0-based irrep indices, as ``grokcheck table`` and the figures number them."""
    return "+".join(f"X.{int(i) + 1}" for i in irreps)


def one_based(js: dict) -> dict:
    """``run.to_json()`` with orbits and irreps numbered from 1, as every other output of grokcheck.

    Internally orbit 0 is the trivial irrep's; in the text and in ``flow.json`` it is orbit 1, and
    irrep ``i`` is ``X.(i+1)`` (also given as ``"irrep_names"``).
    """
    out = dict(js)
    meas = dict(out["measurements"])
    summary = dict(meas["summary"])
    summary["orbits"] = [{**r, "orbit": r["orbit"] + 1, "irreps": [i + 1 for i in r["irreps"]],
                          "irrep_names": _irrep_names(r["irreps"])} for r in summary["orbits"]]
    meas["summary"] = summary
    meas["neurons"] = {**meas["neurons"], "winner_orbit": [w + 1 for w in meas["neurons"]["winner_orbit"]]}
    out["measurements"] = meas
    pred = dict(out["predictions"])
    pred["orbits"] = [{**o, "index": o["index"] + 1, "orbit": [i + 1 for i in o["orbit"]],
                       "irrep_names": _irrep_names(o["orbit"])} for o in pred["orbits"]]
    out["predictions"] = pred
    out["numbering"] = "1-based: orbit 1 is the trivial irrep's; irrep i is X.i of grokcheck table"
    return out


def render(run) -> str:
    s = run.measurements.summary()
    lines = [
        f"group {run.group_name} (order {run.predictions.order}), {run.neurons} neurons, seed {run.seed}, "
        f"{run.solution.domain} domain, {run.solution.method}: {run.solution.status} at t={run.solution.t_final:.4g} "
        f"({run.solution.stats['wall_s']:.1f} s)",
        f"{'orbit':>5} {'irreps':>8} {'d':>2} {'ι':>2} {'count':>6} {'frac':>6} {'purity≥':>9} {'σ2/σ1≤':>9} "
        f"{'Re-align≥':>10} {'Ω mean':>11} {'Ω*':>11} {'|Ω-Ω*|≤':>9}",
    ]
    for r in s["orbits"]:
        lines.append(
            f"{r['orbit'] + 1:>5} {_irrep_names(r['irreps']):>8} {r['dim']:>2} {r['fs_indicator']:>2} {r['count']:>6} "
            f"{r['fraction']:>6.3f} {_fmt(r['purity_min'], '.6f'):>9} {_fmt(r['rank_ratio_max'], '.2e'):>9} "
            f"{_fmt(r['align_re_min'], '.7f'):>10} {_fmt(r['omega_mean'], '.6e'):>11} {r['omega_star']:>11.6e} "
            f"{_fmt(r['omega_error_max'], '.1e'):>9}"
        )
    mon = run.solution.monitors
    lines.append(f"monitors: max Ω decrease {mon.omega_max_decrease:.1e}, max norm drift per save/step {mon.norm_max_error:.1e}, final norm error {mon.final_norm_error:.1e}, final speed {mon.final_speed:.1e}")
    acc = run.acceptance()
    lines.append("acceptance: " + ", ".join(f"{k} {'ok' if v[0] else 'FAIL'} ({v[1]:.3g})" for k, v in acc.items()))
    return "\n".join(lines)


def _write_json(path: Path, obj) -> None:
    from grokcheck.checks._io import atomic_write_json

    atomic_write_json(path, obj, indent=1, allow_nan=False, default=lambda o: None)
    os.chmod(path, 0o644)


def _run(args) -> int:
    import contextlib

    from grokcheck.checks._run_dir import content_hash, open_run_directory

    G = group_from_args(args, large=True)
    table_free = args.table_free or not hasattr(G, "table")  # above the dense-table limit
    config = {k: getattr(args, k) for k in ("neurons", "seed", "domain", "sphere", "method", "t1")}
    if table_free:
        from grokcheck.checks.cli._flow_table_free import check_supported

        check_supported(G, args)  # refuse before claiming --out
        config["table_free"] = True
    task = G.table if hasattr(G, "table") else {"order": G.order, "generators": G.generators}
    # --out is claimed before the integration, so a bad folder fails at once
    claim = (open_run_directory(args.out, command="flow", config={"group": str(G), **config},
                                task_hash=content_hash(task), overwrite=args.overwrite, rerun_same=True,
                                outputs=("flow.json", "*.png")) if args.out else contextlib.nullcontext())
    with claim:
        if table_free:
            from grokcheck.checks.cli._flow_table_free import run_table_free

            return run_table_free(args, G)
        return _integrate_and_write(args, G)


def _integrate_and_write(args, G) -> int:
    from grokcheck.numerics._flow import run_stage_one

    run = run_stage_one(
        G,
        neurons=args.neurons,
        seed=args.seed,
        domain=args.domain,
        sphere=args.sphere,
        method=args.method,
        t1=args.t1,
        progress=not args.no_progress and _stderr_is_terminal(),
        throw=False,
    )
    print(render(run))
    if args.out:
        from grokcheck.numerics._plots_flow import plot_stage_one

        out = Path(args.out)
        _write_json(out / "flow.json", json_safe(one_based(run.to_json())))
        paths = plot_stage_one(run, out)
        print(f"wrote {out / 'flow.json'} and {', '.join(p.name for p in paths)}")
    return 0 if run.solution.ok else 1


def _stderr_is_terminal() -> bool:
    """A progress bar redraws its line with ``\\r``: only a terminal gets one, never a log file or a pipe."""
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())
