"""Every public name of ``grokcheck.checks`` before the layout by role still imports from it.

``NAMES_BEFORE`` is the list of keys of the lazy table ``_LAZY`` in ``checks/__init__.py`` at
commit 4f68e2a (the layout change), read with
``git show 4f68e2a:checks/__init__.py``. Names may be added; none of these may go.
"""

from __future__ import annotations

import importlib

import pytest

import grokcheck.checks

NAMES_BEFORE = (
    "abelian_test", "AbelianRegularizer", "AbelianTest", "AccelerateConfig", "AccelerateReport",
    "adaptive_sigma", "all_checks", "analyze_neurons", "analyze_run", "assert_check_passes", "build_model",
    "build_optimizer", "Check", "check_abelian_test_at_grok", "check_corollary33",
    "check_diag_early_direction", "check_diag_grok_time", "check_diag_late_direction", "check_diag_late_kkt",
    "check_grok_time_slope", "check_groks_earlier", "check_lemma511", "check_lemma57", "check_lemma58",
    "check_mc_kernel_zero", "check_mc_nuclear_completion", "check_mc_transition",
    "check_metric_change_at_grok", "check_theorem512", "check_theorem59", "checkpoint_history_callback",
    "CheckResult", "ClaimResult", "commuting_fraction", "diagonal_net_model", "DiagonalNetData",
    "DiagonalNetRun", "digits_task", "egd_direction", "EnsembleModel", "EnsembleOptimizer", "evaluate",
    "fit_grok_time", "generator_for", "get_check", "grok_time_sweep", "GrokTimeFit", "GrokTimeSweep",
    "group_task", "Hypothesis", "kkt_trajectory", "KKTTrajectory", "li2_quantities", "Li2Config", "load_run",
    "LoadedRun", "LyuCheckResult", "majority_vote", "matrix_completion_data", "MatrixCompletionData",
    "MatrixCompletionRun", "Measured", "method_optimizer", "MethodResult", "metric_change_step",
    "MinibatchSampler", "misgrokking_data", "MLPConfig", "mnist_task", "NeuronAnalysis", "nuclear_reference",
    "OptimizerConfig", "per_seed_loss", "PerturbedTraining", "plot_grok_time_collapse", "plot_kkt_trajectory",
    "QuadraticConfig", "ROBUSTNESS_KEYS", "robustness_probe", "RobustnessLogger", "run_accelerate",
    "run_check", "RunResult", "seed_model_fn", "sparse_parity_task", "sparse_sign_data", "swap_operands",
    "Task", "TASK_DEFAULTS", "Tolerance", "train", "train_diagonal_nets", "train_matrix_completion",
    "train_with_intervention", "TrainConfig", "TransformerConfig", "Verdict", "verify", "VerifyContext",
    "VerifyReport", "write_accelerate_report", "write_grok_time", "write_kkt_trajectory",
)

SUBPACKAGES = ("training", "experiments", "claims")  # cli is the command line, not a library namespace


@pytest.mark.parametrize("name", NAMES_BEFORE)
def test_name_imports_from_grokcheck_checks(name):
    obj = getattr(grokcheck.checks, name)
    assert obj is not None
    ns: dict = {}
    exec(f"from grokcheck.checks import {name}", ns)  # the spelling users write
    assert ns[name] is obj
    assert name in dir(grokcheck.checks)


def test_every_subpackage_export_is_also_a_top_level_name():
    top = set(grokcheck.checks.__all__)
    for sub in SUBPACKAGES:
        mod = importlib.import_module(f"grokcheck.checks.{sub}")
        missing = sorted(set(getattr(mod, "__all__", ())) - top)
        assert not missing, f"grokcheck.checks.{sub} exports names missing from grokcheck.checks._LAZY: {missing}"
