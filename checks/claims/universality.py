"""Registered checks: Trained ReLU MLPs on groups: grokking (Power et al.) and single-irrep neurons (Chughtai, Chan & Nanda 2023)."""

from __future__ import annotations

from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._trained import _SPLIT_HYPS
from grokcheck.checks.claims._trained import _mlp_single_irrep
from grokcheck.checks.claims._trained import _mlp_times

CHECKS = (
    Check(
        id="trained.mlp-groks",
        claim="A ReLU MLP with AdamW and weight decay trained on 80% of the table groks: test accuracy ≥ 0.95 at t_grok ≥ t_mem (MATH.md §1.5).",
        source="MATH.md §1.5; Power et al.'s grokking phenomenology as used by (b), (d), (e)",
        predict=lambda ctx: 0.5,
        measure=_mlp_times,
        tolerance=Tolerance(0.0, "fraction of the 2 seeds that grok after memorising; at least one of two", "at_least"),
        hypotheses=_SPLIT_HYPS,
        layer="training",
    ),
    Check(
        id="trained.mlp-single-irrep",
        claim="T-a1 extrapolated to ReLU MLPs with weight decay: most live neurons (≥ 50%) are single-irrep (purity ≥ 0.9).",
        source="MATH.md §2.4 ('not covered by T-a1: ReLU'), §8.1; issue 5 (ReLU MLP on a non-Abelian group)",
        predict=lambda ctx: 0.5,
        measure=_mlp_single_irrep,
        tolerance=Tolerance(0.0, "an extrapolation: the training layer's S4 run reaches > 0.5 at weight decay 2", "at_least"),
        hypotheses=_SPLIT_HYPS,
        layer="training",
    ),
)
