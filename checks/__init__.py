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

