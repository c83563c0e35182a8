"""Tan & Huang (arXiv 2311.06597) §3 and §5.2: Lemma 3.1, Theorem 3.2 (as printed and with same-label
neighbours), Corollary 3.4 and Propositions 5.5–5.6, each shown to FAIL on a wrong law or outside its
hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokcheck.checks._registry import Verdict
from grokcheck.checks.claims._tan_huang_verdicts import (
    check_lemma31,
    check_propositions_55_56,
    check_theorem32,
    robustness_setting,
)
from grokcheck.numerics._tan_huang import tanh_mlp, theorem32_radius


@pytest.fixture(scope="module")
def setting():
    return robustness_setting(seed=0)


def test_the_setting_interpolates_and_is_not_vacuous(setting):
    assert setting["residual"] < 1e-10  # an exact (min-norm least-squares) interpolation, up to rounding
    assert 0 < setting["epsilon_l1"] <= setting["epsilon"] <= 1  # ‖W‖₁² ≥ ‖W‖²_F shrinks the radius
    res = check_theorem32(setting)
    assert res.details["delta"] > 0.2, res  # a quarter or more of the near test points are within ε


def test_lemma_3_1_holds_and_needs_a_first_layer_linear_in_x(setting):
    res = check_lemma31(setting["params"], setting["X"])
    assert res.verdict == Verdict.PASS and res.measurement < 1e-2, res

    def wiggly(params, x):  # the first layer sees sin(300x): ∇ₓf gains a factor ~300 that ∂f/∂W1 does not
        return tanh_mlp(params, torch.sin(300.0 * x))

    bad = check_lemma31(setting["params"], setting["X"], model=wiggly)
    assert bad.verdict == Verdict.FAIL and bad.measurement > 1, bad


def test_theorem_3_2_same_label_passes_printed_fails(setting):
    assert check_theorem32(setting, test="near").verdict == Verdict.PASS
    printed = check_theorem32(setting, test="flipped", same_label=False)
    assert printed.verdict == Verdict.FAIL, printed
    assert printed.details["accuracy"] == 0.0 and printed.details["delta"] > 0
    # the natural test distribution: no point within ε of the training set, the bound says nothing
    assert check_theorem32(setting, test="natural").verdict == Verdict.INCONCLUSIVE


def test_corollary_3_4(setting):
    res = check_theorem32(setting, norm="l1")
    assert res.verdict == Verdict.PASS and res.details["delta"] > 0, res
    assert res.details["epsilon"] < theorem32_radius(setting["params"], setting["X"])["epsilon"]


def test_propositions_5_5_and_5_6():
    assert check_propositions_55_56().verdict == Verdict.PASS
    assert check_propositions_55_56(printed_log_n=1.0).verdict == Verdict.FAIL  # 'log n' for '2 log n'


def test_radius_rejects_an_unknown_norm(setting):
    from grokcheck.errors import GrokcheckError

    with pytest.raises(GrokcheckError, match="norm"):
        theorem32_radius(setting["params"], np.asarray(setting["X"]), norm="l2")
