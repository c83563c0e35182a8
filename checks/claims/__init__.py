"""The registered checks, one public module per paper (``he_et_al``, ``li2``, ``tan_huang``, ``lyu``,
``egd``, ``universality``, ``library``), and the run-level verdict functions of Lyu et al. and Tan & Huang (returning
:class:`~grokcheck.checks.CheckResult`; ``LyuCheckResult`` and ``ClaimResult`` are its aliases).

Names are imported lazily, so importing this package does not load torch.
"""

from __future__ import annotations

from grokcheck._lazy import lazy_exports

_EXPORTS = {
    "LyuCheckResult": "grokcheck.checks.claims._lyu_verdicts",
    "check_diag_early_direction": "grokcheck.checks.claims._lyu_verdicts",
    "check_diag_grok_time": "grokcheck.checks.claims._lyu_verdicts",
    "check_diag_grok_time_law": "grokcheck.checks.claims._lyu_verdicts",
    "check_diag_kkt_in_alpha": "grokcheck.checks.claims._lyu_verdicts",
    "TrainedNet": "grokcheck.checks.claims._trained",
    "trained_net_from_run": "grokcheck.checks.claims._trained",
    "check_diag_late_direction": "grokcheck.checks.claims._lyu_verdicts",
    "check_diag_late_kkt": "grokcheck.checks.claims._lyu_verdicts",
    "check_grok_time_slope": "grokcheck.checks.claims._lyu_verdicts",
    "check_mc_kernel_zero": "grokcheck.checks.claims._lyu_verdicts",
    "check_mc_nuclear_completion": "grokcheck.checks.claims._lyu_verdicts",
    "check_mc_transition": "grokcheck.checks.claims._lyu_verdicts",
    "ClaimResult": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_abelian_test_at_grok": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_corollary33": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_groks_earlier": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_lemma511": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_lemma57": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_lemma58": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_metric_change_at_grok": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_theorem512": "grokcheck.checks.claims._tan_huang_verdicts",
    "check_theorem59": "grokcheck.checks.claims._tan_huang_verdicts",
    "metric_change_step": "grokcheck.checks.claims._tan_huang_verdicts",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
