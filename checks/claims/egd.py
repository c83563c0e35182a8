"""Registered checks: egalitarian gradient descent (EGD).

The toy theory lives in :mod:`grokcheck.numerics` and the optimizer in the training layer;
its training claims are registered as experiments.
"""

from __future__ import annotations

CHECKS: tuple = ()
