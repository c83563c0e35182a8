"""The training layer: tasks and data, batched-ensemble models, per-seed optimizers, the one training loop, per-neuron analysis and metric logging.

Names are imported lazily, so importing this package does not load torch.
"""

from __future__ import annotations

from grokcheck._lazy import lazy_exports

_EXPORTS = {
    "NeuronAnalysis": "grokcheck.checks.training._analyze",
    "NeuronShares": "grokcheck.checks.training._analyze",
    "GroupSpectrum": "grokcheck.checks.training._analyze",
    "group_spectrum": "grokcheck.checks.training._analyze",
    "analyze_weights": "grokcheck.checks.training._analyze",
    "analyze_pairwise": "grokcheck.checks.training._analyze",
    "ExternalModel": "grokcheck.checks.training._external",
    "ModelReport": "grokcheck.checks.training._external",
    "TableMemo": "grokcheck.checks.training._external",
    "load_model": "grokcheck.checks.training._external",
    "load_models": "grokcheck.checks.training._external",
    "analyze_model": "grokcheck.checks.training._external",
    "MODEL_FORMATS": "grokcheck.checks.training._external",
    "analyze_neurons": "grokcheck.checks.training._analyze",
    "analyze_run": "grokcheck.checks.training._analyze",
    "li2_quantities": "grokcheck.checks.training._analyze",
    "majority_vote": "grokcheck.checks.training._analyze",
    "MinibatchSampler": "grokcheck.checks.training._data",
    "Task": "grokcheck.checks.training._data",
    "digits_task": "grokcheck.checks.training._data",
    "generator_for": "grokcheck.checks.training._data",
    "group_task": "grokcheck.checks.training._data",
    "mnist_task": "grokcheck.checks.training._data",
    "sparse_parity_task": "grokcheck.checks.training._data",
    "CheckpointHistory": "grokcheck.checks.training._callbacks",
    "TrainCallback": "grokcheck.checks.training._callbacks",
    "log_spaced_steps": "grokcheck.checks.training._callbacks",
    "ROBUSTNESS_KEYS": "grokcheck.checks.training._metric_logging",
    "RobustnessLogger": "grokcheck.checks.training._metric_logging",
    "EnsembleModel": "grokcheck.checks.training._models",
    "Li2Config": "grokcheck.checks.training._models",
    "MLPConfig": "grokcheck.checks.training._models",
    "auto_threads": "grokcheck.checks.training._threads",
    "available_cores": "grokcheck.checks.training._threads",
    "forward_threads": "grokcheck.checks.training._threads",
    "resolve_threads": "grokcheck.checks.training._threads",
    "step_elements": "grokcheck.checks.training._threads",
    "train_step_elements": "grokcheck.checks.training._threads",
    "torch_threads": "grokcheck.checks.training._threads",
    "one_hot_columns": "grokcheck.checks.training._models",
    "QuadraticConfig": "grokcheck.checks.training._models",
    "TransformerConfig": "grokcheck.checks.training._models",
    "build_model": "grokcheck.checks.training._models",
    "EnsembleOptimizer": "grokcheck.checks.training._optimizers",
    "OptimizerConfig": "grokcheck.checks.training._optimizers",
    "build_optimizer": "grokcheck.checks.training._optimizers",
    "egd_direction": "grokcheck.checks.training._optimizers",
    "LoadedRun": "grokcheck.checks.training._train",
    "RunResult": "grokcheck.checks.training._train",
    "TrainConfig": "grokcheck.checks.training._train",
    "evaluate": "grokcheck.checks.training._train",
    "load_run": "grokcheck.checks.training._train",
    "per_seed_loss": "grokcheck.checks.training._train",
    "train": "grokcheck.checks.training._train",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
