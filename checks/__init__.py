"""Training real networks, measuring them, and comparing with the theory's predictions.

Names are imported lazily (PEP 562): ``import grokcheck.checks`` stays cheap, and torch is
only loaded when a training-layer name is first used.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "abelian_test": "grokcheck.checks._interventions",
    "AbelianRegularizer": "grokcheck.checks._interventions",
    "AbelianTest": "grokcheck.checks._interventions",
    "AccelerateConfig": "grokcheck.checks._accelerate",
    "AccelerateReport": "grokcheck.checks._accelerate",
    "adaptive_sigma": "grokcheck.checks._interventions",
    "all_checks": "grokcheck.checks._registry",
    "analyze_neurons": "grokcheck.checks._analyze",
    "analyze_run": "grokcheck.checks._analyze",
    "assert_check_passes": "grokcheck.checks._registry",
    "build_model": "grokcheck.checks._models",
    "build_optimizer": "grokcheck.checks._optimizers",
    "Check": "grokcheck.checks._registry",
    "check_abelian_test_at_grok": "grokcheck.checks._tan_huang_checks",
    "check_corollary33": "grokcheck.checks._tan_huang_checks",
    "check_diag_early_direction": "grokcheck.checks._lyu_checks",
    "check_diag_grok_time": "grokcheck.checks._lyu_checks",
    "check_diag_late_direction": "grokcheck.checks._lyu_checks",
    "check_diag_late_kkt": "grokcheck.checks._lyu_checks",
    "check_grok_time_slope": "grokcheck.checks._lyu_checks",
    "check_groks_earlier": "grokcheck.checks._tan_huang_checks",
    "check_lemma511": "grokcheck.checks._tan_huang_checks",
    "check_lemma57": "grokcheck.checks._tan_huang_checks",
    "check_lemma58": "grokcheck.checks._tan_huang_checks",
    "check_mc_kernel_zero": "grokcheck.checks._lyu_checks",
    "check_mc_nuclear_completion": "grokcheck.checks._lyu_checks",
    "check_mc_transition": "grokcheck.checks._lyu_checks",
    "check_metric_change_at_grok": "grokcheck.checks._tan_huang_checks",
    "check_theorem512": "grokcheck.checks._tan_huang_checks",
    "check_theorem59": "grokcheck.checks._tan_huang_checks",
    "checkpoint_history_callback": "grokcheck.checks._kkt_run",
    "CheckResult": "grokcheck.checks._registry",
    "ClaimResult": "grokcheck.checks._tan_huang_checks",
    "commuting_fraction": "grokcheck.checks._interventions",
    "diagonal_net_model": "grokcheck.checks._diagonal_net",
    "DiagonalNetData": "grokcheck.checks._diagonal_net",
    "DiagonalNetRun": "grokcheck.checks._diagonal_net",
    "digits_task": "grokcheck.checks._data",
    "egd_direction": "grokcheck.checks._optimizers",
    "EnsembleModel": "grokcheck.checks._models",
    "EnsembleOptimizer": "grokcheck.checks._optimizers",
    "evaluate": "grokcheck.checks._train",
    "fit_grok_time": "grokcheck.checks._grok_time",
    "generator_for": "grokcheck.checks._data",
    "get_check": "grokcheck.checks._registry",
    "grok_time_sweep": "grokcheck.checks._grok_time",
    "GrokTimeFit": "grokcheck.checks._grok_time",
    "GrokTimeSweep": "grokcheck.checks._grok_time",
    "group_task": "grokcheck.checks._data",
    "Hypothesis": "grokcheck.checks._registry",
    "kkt_trajectory": "grokcheck.checks._kkt_run",
    "KKTTrajectory": "grokcheck.checks._kkt_run",
    "li2_quantities": "grokcheck.checks._analyze",
    "Li2Config": "grokcheck.checks._models",
    "load_run": "grokcheck.checks._train",
    "LoadedRun": "grokcheck.checks._train",
    "LyuCheckResult": "grokcheck.checks._lyu_checks",
    "majority_vote": "grokcheck.checks._analyze",
    "matrix_completion_data": "grokcheck.checks._matrix_completion",
    "MatrixCompletionData": "grokcheck.checks._matrix_completion",
    "MatrixCompletionRun": "grokcheck.checks._matrix_completion",
    "Measured": "grokcheck.checks._registry",
    "method_optimizer": "grokcheck.checks._accelerate",
    "MethodResult": "grokcheck.checks._accelerate",
    "metric_change_step": "grokcheck.checks._tan_huang_checks",
    "MinibatchSampler": "grokcheck.checks._data",
    "misgrokking_data": "grokcheck.checks._diagonal_net",
    "MLPConfig": "grokcheck.checks._models",
    "mnist_task": "grokcheck.checks._data",
    "NeuronAnalysis": "grokcheck.checks._analyze",
    "nuclear_reference": "grokcheck.checks._matrix_completion",
    "OptimizerConfig": "grokcheck.checks._optimizers",
    "per_seed_loss": "grokcheck.checks._train",
    "PerturbedTraining": "grokcheck.checks._interventions",
    "plot_grok_time_collapse": "grokcheck.checks._grok_time",
    "plot_kkt_trajectory": "grokcheck.checks._kkt_run",
    "QuadraticConfig": "grokcheck.checks._models",
    "ROBUSTNESS_KEYS": "grokcheck.checks._metric_logging",
    "robustness_probe": "grokcheck.checks._interventions",
    "RobustnessLogger": "grokcheck.checks._metric_logging",
    "run_accelerate": "grokcheck.checks._accelerate",
    "run_check": "grokcheck.checks._registry",
    "RunResult": "grokcheck.checks._train",
    "seed_model_fn": "grokcheck.checks._kkt_run",
    "sparse_parity_task": "grokcheck.checks._data",
    "sparse_sign_data": "grokcheck.checks._diagonal_net",
    "swap_operands": "grokcheck.checks._interventions",
    "Task": "grokcheck.checks._data",
    "TASK_DEFAULTS": "grokcheck.checks._grok_time",
    "Tolerance": "grokcheck.checks._registry",
    "train": "grokcheck.checks._train",
    "train_diagonal_nets": "grokcheck.checks._diagonal_net",
    "train_matrix_completion": "grokcheck.checks._matrix_completion",
    "train_with_intervention": "grokcheck.checks._interventions",
    "TrainConfig": "grokcheck.checks._train",
    "TransformerConfig": "grokcheck.checks._models",
    "Verdict": "grokcheck.checks._registry",
    "verify": "grokcheck.checks._verify",
    "VerifyContext": "grokcheck.checks._registry",
    "VerifyReport": "grokcheck.checks._verify",
    "write_accelerate_report": "grokcheck.checks._accelerate",
    "write_grok_time": "grokcheck.checks._grok_time",
    "write_kkt_trajectory": "grokcheck.checks._kkt_run",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'grokcheck.checks' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
