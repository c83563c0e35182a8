"""Training real networks, measuring them, and comparing with the theory's predictions.

Names are imported lazily (PEP 562): ``import grokcheck.checks`` stays cheap, and torch is
only loaded when a training-layer name is first used.
"""

from __future__ import annotations

from grokcheck._lazy import lazy_exports

# The sub-packages list their own public names; this package re-exports all of them (reading those
# tables imports no sub-module) plus the registry's and verify's.
from grokcheck.checks.claims import _EXPORTS as _CLAIMS
from grokcheck.checks.experiments import _EXPORTS as _EXPERIMENTS
from grokcheck.checks.training import _EXPORTS as _TRAINING

_LAZY = {
    "result_from_comparison": "grokcheck.checks._registry",
    "all_checks": "grokcheck.checks._registry",
    "assert_check_passes": "grokcheck.checks._registry",
    "Check": "grokcheck.checks._registry",
    "CheckResult": "grokcheck.checks._registry",
    "get_check": "grokcheck.checks._registry",
    "group_display_name": "grokcheck.checks._names",
    "Hypothesis": "grokcheck.checks._registry",
    "Measured": "grokcheck.checks._registry",
    "run_check": "grokcheck.checks._registry",
    "Tolerance": "grokcheck.checks._registry",
    "Verdict": "grokcheck.checks._registry",
    "verify": "grokcheck.checks._verify",
    "VerifyContext": "grokcheck.checks._registry",
    "VerifyReport": "grokcheck.checks._verify",
    **_TRAINING,
    **_EXPERIMENTS,
    **_CLAIMS,
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY)
