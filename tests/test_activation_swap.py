"""He et al.'s activation-swap experiment (checks/experiments/_activation_swap.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokcheck.checks.experiments._activation_swap import ACTIVATION_SWAP, BUDGETS, DESIGN, FAIL, SUCCEED
from grokcheck.checks.experiments._study import StudyContext, run_experiment
from grokcheck.checks.training._models import activation


def _analyze(model, seed=0):
    rng = np.random.default_rng(seed)
    data = model.simulate(BUDGETS["small"], {}, rng)
    return ACTIVATION_SWAP.analyze(BUDGETS["small"], data, StudyContext(simulating=True))


def test_new_activations_are_what_they_say():
    z = torch.linspace(-2, 2, 9, dtype=torch.float64)
    assert torch.equal(activation("abs")(z), z.abs())
    assert torch.allclose(activation("quartic")(z), z**4)
    assert torch.allclose(activation("softplus2")(z), torch.log1p(torch.exp(2 * z)))  # the blog's log(1 + e^{2x})
    assert torch.allclose(activation("exp")(z), torch.exp(z))
    assert torch.equal(activation("identity")(z), z)
    assert torch.allclose(activation("cube")(z), z**3)
    for name in SUCCEED + FAIL:
        activation(name)  # every swapped activation is registered in the training layer


def test_rule_passes_the_claim_and_fails_both_rivals():
    assert _analyze(DESIGN.claim).verdict.value == "PASS"
    for rival in DESIGN.rivals:
        assert _analyze(rival).verdict.value == "FAIL", rival.name


def test_no_grokked_member_is_a_shortfall_not_a_fail():
    data = DESIGN.claim.simulate(BUDGETS["small"], {}, np.random.default_rng(0))
    for m in data["G"].values():
        m["accuracy"]["relu"] = 0.1  # memorised, never generalised
    out = ACTIVATION_SWAP.analyze(BUDGETS["small"], data, StudyContext(simulating=True))
    assert out.verdict.value == "INCONCLUSIVE" and out.shortfall is not None


def test_small_budget_runs_end_to_end():
    # the small budget is a pipeline smoke test: it trains, swaps and decides (INCONCLUSIVE when nothing grokked)
    r = run_experiment(ACTIVATION_SWAP, budget="small", max_steps=20)
    assert r.verdict.value in ("PASS", "FAIL", "INCONCLUSIVE"), r.reason


@pytest.mark.slow  # ~100 s: 4 members × 3,000 steps on C23
def test_full_budget_on_c23_keeps_the_even_powers_and_loses_the_odd_ones():
    r = run_experiment(ACTIVATION_SWAP, budget="full")
    assert r.verdict.value != "ERROR", r.reason
    d = r.details
    assert d["grokked"] >= 2, d
    # measured: |x|, x², x⁴ ≥ 0.97 and x, x³ at 0 (softplus and eˣ also fall on this proxy: the FAIL)
    assert min(d["even_min_accuracy"][a] for a in ("abs", "sqr", "quartic")) >= 0.9, d
    assert max(d["odd_max_accuracy"].values()) <= 0.5, d


def test_small_budget_draws_its_figure(tmp_path):
    r = run_experiment(ACTIVATION_SWAP, budget="small", out_dir=tmp_path, max_steps=20)
    assert r.details["figures"], r.details
    assert all((tmp_path / f).stat().st_size > 1000 for f in r.details["figures"])
