"""Training real networks, measuring them, and comparing with the theory's predictions."""

from grokcheck.checks._registry import (
    Check,
    CheckResult,
    Hypothesis,
    Measured,
    Tolerance,
    Verdict,
    VerifyContext,
    all_checks,
    assert_check_passes,
    get_check,
    run_check,
)
from grokcheck.checks._verify import VerifyReport, verify


# training layer (issue 5): tasks, batched-ensemble models, per-seed optimizers, runs, measurements
from grokcheck.checks._analyze import (
    NeuronAnalysis,
    analyze_neurons,
    analyze_run,
    li2_quantities,
    majority_vote,
)
from grokcheck.checks._data import (
    MinibatchSampler,
    Task,
    digits_task,
    generator_for,
    group_task,
    mnist_task,
    sparse_parity_task,
)
from grokcheck.checks._models import (
    EnsembleModel,
    Li2Config,
    MLPConfig,
    QuadraticConfig,
    TransformerConfig,
    build_model,
)
from grokcheck.checks._optimizers import EnsembleOptimizer, OptimizerConfig, build_optimizer, egd_direction
from grokcheck.checks._train import LoadedRun, RunResult, TrainConfig, evaluate, load_run, per_seed_loss, train

# Lyu et al. dichotomy (issue 7): diagonal nets, matrix completion, grokking-time law, KKT along runs
from grokcheck.checks._diagonal_net import (
    DiagonalNetData,
    DiagonalNetRun,
    diagonal_net_model,
    misgrokking_data,
    sparse_sign_data,
    train_diagonal_nets,
)
from grokcheck.checks._grok_time import (
    TASK_DEFAULTS,
    GrokTimeFit,
    GrokTimeSweep,
    fit_grok_time,
    grok_time_sweep,
    plot_grok_time_collapse,
    write_grok_time,
)
from grokcheck.checks._kkt_run import (
    KKTTrajectory,
    checkpoint_history_callback,
    kkt_trajectory,
    plot_kkt_trajectory,
    seed_model_fn,
    write_kkt_trajectory,
)
from grokcheck.checks._lyu_checks import (
    LyuCheckResult,
    check_diag_early_direction,
    check_diag_grok_time,
    check_diag_late_direction,
    check_diag_late_kkt,
    check_grok_time_slope,
    check_mc_kernel_zero,
    check_mc_nuclear_completion,
    check_mc_transition,
)
from grokcheck.checks._matrix_completion import (
    MatrixCompletionData,
    MatrixCompletionRun,
    matrix_completion_data,
    nuclear_reference,
    train_matrix_completion,
)

# Tan & Huang interventions and metric logging, accelerator comparison, claim checks (issue 8)
from grokcheck.checks._interventions import (
    AbelianRegularizer,
    AbelianTest,
    PerturbedTraining,
    abelian_test,
    adaptive_sigma,
    commuting_fraction,
    robustness_probe,
    swap_operands,
    train_with_intervention,
)
from grokcheck.checks._metric_logging import ROBUSTNESS_KEYS, RobustnessLogger
from grokcheck.checks._accelerate import (
    AccelerateConfig,
    AccelerateReport,
    MethodResult,
    method_optimizer,
    run_accelerate,
    write_accelerate_report,
)
from grokcheck.checks._tan_huang_checks import (
    ClaimResult,
    check_abelian_test_at_grok,
    check_corollary33,
    check_groks_earlier,
    check_lemma57,
    check_lemma58,
    check_lemma511,
    check_metric_change_at_grok,
    check_theorem59,
    check_theorem512,
    metric_change_step,
)
