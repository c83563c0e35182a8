"""Drivers of multi-run studies: diagonal nets, matrix completion, grokking-time sweeps, KKT trajectories, interventions and optimizer comparisons.

Names are imported lazily, so importing this package does not load torch.
"""

from __future__ import annotations

from grokcheck._lazy import lazy_exports

_EXPORTS = {
    "AccelerateConfig": "grokcheck.checks.experiments._accelerate",
    "AccelerateReport": "grokcheck.checks.experiments._accelerate",
    "MethodResult": "grokcheck.checks.experiments._accelerate",
    "method_optimizer": "grokcheck.checks.experiments._accelerate",
    "run_accelerate": "grokcheck.checks.experiments._accelerate",
    "write_accelerate_report": "grokcheck.checks.experiments._accelerate",
    "DiagonalNetData": "grokcheck.checks.experiments._diagonal_net",
    "DiagonalNetRun": "grokcheck.checks.experiments._diagonal_net",
    "diagonal_net_model": "grokcheck.checks.experiments._diagonal_net",
    "misgrokking_data": "grokcheck.checks.experiments._diagonal_net",
    "sparse_sign_data": "grokcheck.checks.experiments._diagonal_net",
    "train_diagonal_nets": "grokcheck.checks.experiments._diagonal_net",
    "GrokTimeFit": "grokcheck.checks.experiments._grok_time",
    "GrokTimeSweep": "grokcheck.checks.experiments._grok_time",
    "TASK_DEFAULTS": "grokcheck.checks.experiments._grok_time",
    "fit_grok_time": "grokcheck.checks.experiments._grok_time",
    "grok_time_sweep": "grokcheck.checks.experiments._grok_time",
    "plot_grok_time_collapse": "grokcheck.checks.experiments._grok_time",
    "write_grok_time": "grokcheck.checks.experiments._grok_time",
    "AbelianRegularizer": "grokcheck.checks.experiments._interventions",
    "AbelianTest": "grokcheck.checks.experiments._interventions",
    "PerturbedTraining": "grokcheck.checks.experiments._interventions",
    "abelian_test": "grokcheck.checks.experiments._interventions",
    "adaptive_sigma": "grokcheck.checks.experiments._interventions",
    "commuting_fraction": "grokcheck.checks.experiments._interventions",
    "robustness_probe": "grokcheck.checks.experiments._interventions",
    "swap_operands": "grokcheck.checks.experiments._interventions",
    "train_with_intervention": "grokcheck.checks.experiments._interventions",
    "intervention_callback": "grokcheck.checks.experiments._interventions",
    "PerturbedTrainingCallback": "grokcheck.checks.experiments._interventions",
    "AbelianRegularizerCallback": "grokcheck.checks.experiments._interventions",
    "describe_intervention": "grokcheck.checks.experiments._interventions",
    "KKTTrajectory": "grokcheck.checks.experiments._kkt_run",
    "checkpoint_history_callback": "grokcheck.checks.experiments._kkt_run",
    "kkt_trajectory": "grokcheck.checks.experiments._kkt_run",
    "plot_kkt_trajectory": "grokcheck.checks.experiments._kkt_run",
    "seed_model_fn": "grokcheck.checks.experiments._kkt_run",
    "write_kkt_trajectory": "grokcheck.checks.experiments._kkt_run",
    "MatrixCompletionData": "grokcheck.checks.experiments._matrix_completion",
    "MatrixCompletionRun": "grokcheck.checks.experiments._matrix_completion",
    "matrix_completion_data": "grokcheck.checks.experiments._matrix_completion",
    "nuclear_reference": "grokcheck.checks.experiments._matrix_completion",
    "train_matrix_completion": "grokcheck.checks.experiments._matrix_completion",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
