"""Registered checks: trained ReLU MLPs on groups — grokking (Power et al., arXiv 2201.02177) and
single-irrep neurons (Chughtai, Chan & Nanda, arXiv 2302.03025).

Both are trained-network checks with a random-init baseline; a run that did not memorise or
grok within the budget is INCONCLUSIVE, not a refutation.
"""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._trained import _MLP_HYPS
from grokcheck.checks.claims._trained import _mlp_single_irrep
from grokcheck.checks.claims._trained import _mlp_single_irrep_baseline
from grokcheck.checks.claims._trained import _mlp_times
from grokcheck.checks.claims._trained import _mlp_times_baseline

CHECKS = (
    Check(
        id="trained.mlp-groks",
        claim="A ReLU MLP with AdamW and weight decay trained on 80% of the table groks: every seed that memorises "
              "(train ≥ 0.99) later generalises (test ≥ 0.95) after a plateau of at least two evaluations.",
        source="Power et al., arXiv 2201.02177 (grokking); Nanda et al., arXiv 2301.05217 (weight decay)",
        predict=lambda ctx: 1.0,
        measure=_mlp_times,
        baseline=_mlp_times_baseline,
        tolerance=Tolerance(0.0, "the fraction of memorising seeds that grok after a delay must be 1; a delay shorter "
                                 "than two evaluation intervals cannot be told from none (FAIL: no plateau); seeds that "
                                 "did not grok within the budget, or fewer than 2, are INCONCLUSIVE", "at_least"),
        hypotheses=_MLP_HYPS,
        layer="training",
        uses_model=True,
    ),
    Check(
        id="trained.mlp-single-irrep",
        claim="Chughtai et al.: in a grokked ReLU MLP most alive neurons (≥ 50%) are single-irrep — ≥ 0.9 of the "
              "centred input energy in one real irrep (the single-irrep fraction grokcheck analyze reports) — and "
              "significantly more often than at random initialisation.",
        source="Chughtai, Chan & Nanda, arXiv 2302.03025 (neurons read out one irrep); He et al., arXiv 2606.02993, "
               "Theorem 4.3 extrapolated to ReLU",
        predict=lambda ctx: 0.5,
        measure=_mlp_single_irrep,
        baseline=_mlp_single_irrep_baseline,
        tolerance=Tolerance(0.0, "a majority of alive neurons (the claim's 'most'); a one-sided Fisher exact test at "
                                 "p < 0.01 must put the trained fraction above the random-init one, and a group where "
                                 "random neurons already reach 0.5 (on F21 one irrep pair holds 18 of the 20 non-trivial "
                                 "dimensions) is INCONCLUSIVE", "at_least"),
        hypotheses=_MLP_HYPS,
        layer="training",
        uses_model=True,
    ),
)

# Chughtai et al.'s mechanism (character-sum logits, low-rank embeddings): checks/claims/_mechanisms.py
from grokcheck.checks.claims._mechanisms import CHECKS as _MECHANISM_CHECKS  # noqa: E402

CHECKS = CHECKS + _MECHANISM_CHECKS

# Experiments (studies over grids of training runs; `grokcheck experiments`)
from grokcheck.checks.experiments._universality_mlp import UNIVERSALITY_MLP  # noqa: E402

from grokcheck.checks.experiments._weak_universality import WEAK_UNIVERSALITY  # noqa: E402

EXPERIMENTS = (UNIVERSALITY_MLP, WEAK_UNIVERSALITY)
