"""Registered checks: egalitarian gradient descent (EGD).

The toy theory lives in :mod:`grokcheck.numerics` and the optimizer in the training layer;
its training claims are registered as experiments.
"""

from __future__ import annotations

CHECKS: tuple = ()

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._egd_experiments import EGD_SPEEDUP, EGD_TOY_PLATEAU  # noqa: E402

EXPERIMENTS = (EGD_TOY_PLATEAU, EGD_SPEEDUP)
