"""``grokcheck kkt RUN_DIR``: margin and KKT residual on every checkpoint of a run (Lyu et al.)."""

from __future__ import annotations

from grokcheck.checks.cli import _validators as v

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "kkt",
        help="normalized margin and (R1) KKT residual on every checkpoint of a training run",
        description="Evaluate the normalized margin and the KKT certificate of the margin problem "
        "(R1) on every checkpoint of RUN_DIR (checkpoint.pt and checkpoints/step_*.pt), and plot "
        "them against t·λ/log α with the predicted switch at 1 (Lyu et al., arXiv 2311.18817). "
        "Writes kkt.json and kkt.png. A run made with `grokcheck train --checkpoint-history N` has "
        "about N checkpoints; without it only the last one exists.",
        epilog=COLUMNS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `grokcheck train`")
    p.add_argument("--out", default=None, help="output directory (default: RUN_DIR/kkt)")
    p.add_argument("--seeds", type=v.nonnegative_int, nargs="+", default=None, help="ensemble members to evaluate (default all)")
    p.add_argument("--max-constraints", type=v.positive_int, default=400, help="tightest margin constraints kept in the NNLS")
    p.add_argument("--device", type=v.device, default="cpu")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn only when stderr is a terminal, never into a log file)")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.set_defaults(func=run)


COLUMNS = """output columns (one row per checkpoint and seed):
  step      optimizer updates done at the checkpoint
  tλ/logα   rescaled time η·step·λ / log α (α = init scale, λ = weight decay, η = learning rate);
            Lyu et al. predict the switch to the max-margin (KKT) regime at 1
  seed      ensemble member
  L         measured homogeneity degree of the network in its parameters (f(cθ) = c^L f(θ))
  margin    normalized margin min_i (f_y(x_i) − max_{j≠y} f_j(x_i)) / ‖θ‖^L on the training set
  stat      relative stationarity residual of the KKT conditions of the margin problem (R1)
            min ‖θ‖² s.t. q_c(θ) ≥ 1: with θ̂ = θ rescaled to min_c q_c = 1,
            min over μ ≥ 0 of ‖θ̂ − Σ_c μ_c ∇q_c(θ̂)‖ / ‖θ̂‖ on the tightest constraints; → 0 at a KKT point
  compl     relative complementary-slackness residual Σ_c μ_c (q_c(θ̂) − 1) / Σ_c μ_c q_c(θ̂); → 0 at a KKT point
  test      test accuracy at that step (from metrics.jsonl)
  —         not defined there: the seed does not separate its training set (margin ≤ 0), or no metrics line
"""


def _f(v):
    return "—" if v != v else f"{v:.3g}"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from grokcheck.checks.experiments._kkt_run import kkt_trajectory, write_kkt_trajectory

    from grokcheck.checks._run_dir import open_run_directory, refuse_writing_into_live_run, require_run_directory

    run_dir = require_run_directory(args.run_dir)
    out = args.out or Path(args.run_dir) / "kkt"
    refuse_writing_into_live_run(run_dir, out, command="kkt")  # not into the folder of a training still running
    with open_run_directory(out, command="kkt", config={"run_dir": str(run_dir.resolve()), "seeds": args.seeds,
                                                        "max_constraints": args.max_constraints},
                            overwrite=args.overwrite, rerun_same=True, outputs=("kkt.json", "kkt.png")):
        traj = kkt_trajectory(args.run_dir, seeds=args.seeds, max_constraints=args.max_constraints,
                              device=args.device, progress=not args.no_progress and _stderr_is_terminal())
        paths = write_kkt_trajectory(traj, out)
    if traj.alpha > 1 and traj.lam > 0:
        print(f"α={traj.alpha:g} λ={traj.lam:g} η={traj.lr:g}: predicted switch at step "
              f"{__import__('math').log(traj.alpha) / (traj.lam * traj.lr):.0f} (t·λ/log α = 1)")
    else:
        print(f"α={traj.alpha:g} λ={traj.lam:g} η={traj.lr:g}: margins and KKT residuals only; Lyu et al.'s switch "
              "t·λ/log α = 1 needs α > 1 and λ > 0 (train with --init-scale > 1 and --weight-decay > 0)")
    print(f"{'step':>9} {'tλ/logα':>8} {'seed':>4} {'L':>5} {'margin':>10} {'stat':>9} {'compl':>9} {'test':>6}")
    for k, step in enumerate(traj.steps):
        for a, s in enumerate(traj.seeds):
            print(f"{step:>9d} {traj.rescaled_time[k]:>8.3f} {s:>4d} {_f(traj.degree[a, k]):>5} "
                  f"{_f(traj.margin[a, k]):>10} {_f(traj.stationarity[a, k]):>9} "
                  f"{_f(traj.complementarity[a, k]):>9} {_f(traj.test_acc[a, k]):>6}")
    if len(traj.steps) < 2:
        print("only one checkpoint: train with --checkpoint-history N to get a trajectory")
    print(COLUMNS, end="")
    print(f"wrote {paths['json']} and {paths['png']}")
    return 0


def _stderr_is_terminal() -> bool:
    """A progress bar redraws its line with ``\\r``: only a terminal gets one, never a log file or a pipe."""
    import sys

    return bool(getattr(sys.stderr, "isatty", lambda: False)())
