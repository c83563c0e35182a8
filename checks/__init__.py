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
