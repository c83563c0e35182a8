"""Tan & Huang's theory: Corollary 3.3, Theorem 3.2, Lemmas 5.7/5.8/5.11, Theorems 5.9/5.12."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.checks.claims._tan_huang_verdicts import (
    check_abelian_test_at_grok,
    check_corollary33,
    check_groks_earlier,
    check_lemma57,
    check_lemma58,
    check_lemma511,
    check_metric_change_at_grok,
    check_theorem59,
    check_theorem512,
    metric_change_step,
)
from grokcheck.errors import GrokcheckError
from grokcheck.numerics._tan_huang import (
    COROLLARY33_TABLE,
    corollary33_accuracy,
    corollary33_saturation_step,
    lemma57_sides,
    lemma58_sides,
    lemma511_sides,
    rescaling_counterexample,
    theorem32_epsilon,
)


def test_corollary33_table_reproduced():
    steps = np.array(sorted(COROLLARY33_TABLE), dtype=float)
    got = corollary33_accuracy(steps)
    want = np.array([COROLLARY33_TABLE[int(s)] for s in steps])
    assert np.max(np.abs(got - want)) < 1e-3  # table printed to 3 significant digits
    assert corollary33_accuracy(15000.0) == pytest.approx(1.0, abs=1e-12)  # erf(1/0.1414) = 1 - 4e-23
    assert corollary33_saturation_step() == pytest.approx(10**3.85, rel=1e-12)  # 10^(a/b)


def test_corollary33_is_theorem32_with_the_modelled_decay():
    # ‖W‖²S = max²{a − b log10 t, 0}/(4n), ‖x‖ = 1 ⇒ ε = 1/(2L + max{…}) (the corollary's algebra)
    n, L, a, b = 4000, 0.5, 1925.0, 500.0
    for t in (1000.0, 5000.0, 6900.0):
        decay = max(a - b * math.log10(t), 0.0)
        eps = theorem32_epsilon(n=n, min_x_norm_sq=1.0, weight_norm_sq=decay**2 / (4 * n), sharpness=1.0, L=L)
        assert eps == pytest.approx(1.0 / (2 * L + decay), rel=1e-12)  # exact algebra in float64


def test_corollary_validation():
    with pytest.raises(GrokcheckError):
        corollary33_accuracy(100.0, L=0.4)
    with pytest.raises(GrokcheckError):
        corollary33_accuracy(0.0)


unit_dim = st.integers(2, 6)


@st.composite
def unit_quads(draw):
    d = draw(unit_dim)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    v = rng.normal(size=(4, d))
    scale = draw(st.sampled_from([1e-4, 1e-2, 1.0]))
    v[2] = v[0] + scale * rng.normal(size=d)
    v[3] = v[1] + scale * rng.normal(size=d)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@given(q=unit_quads())
def test_lemma57_holds_even_with_sharp_constant(q):
    assert lemma57_sides(q[0], q[1], q[2], q[3]).holds
    assert lemma57_sides(q[0], q[1], q[2], q[3], constant=1.0).holds


@st.composite
def unit_rows_pairs(draw, count=1):
    n = draw(st.integers(2, 8))
    d = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    scale = draw(st.sampled_from([1e-4, 1e-2, 1.0]))
    out = []
    for _ in range(count):
        z = rng.normal(size=(n, d))
        zp = z + scale * rng.normal(size=(n, d))
        out += [z / np.linalg.norm(z, axis=1, keepdims=True), zp / np.linalg.norm(zp, axis=1, keepdims=True)]
    return out


@given(zz=unit_rows_pairs())
def test_lemma58_holds(zz):
    assert lemma58_sides(zz[0], zz[1]).holds


@given(zz=unit_rows_pairs(count=2))
def test_lemma511_holds(zz):
    z1, z1p, z2, z2p = zz
    assert lemma511_sides(z1, z2, z1p, z2p).holds


def test_lemmas_reject_unnormalised_vectors():
    with pytest.raises(GrokcheckError):
        lemma57_sides(np.ones(3), np.ones(3), np.ones(3), np.ones(3))


@pytest.mark.parametrize("theorem", ["5.9", "5.12"])
def test_published_theorems_fail_under_output_rescaling(theorem):
    ce = rescaling_counterexample(theorem, seed=0)
    # the left side (ED or MID) does not depend on the scale …
    assert float(ce.published.lhs) == pytest.approx(float(ce.published_unit_scale.lhs), rel=1e-9)  # float64 Gram round-off
    # … the published right side shrinks with it, and the bound fails by the built-in 10× margin
    assert not ce.published.holds
    assert float(ce.published.ratio) == pytest.approx(10.0, rel=1e-9)  # c chosen as lhs/(10·rhs(1))
    # the normalised-feature version (Lemma 5.8 / 5.11) holds on the same instance
    assert ce.normalized.holds
    assert ce.scale < 1e-3


def test_claim_checks_verdicts_and_can_fail():
    assert check_corollary33().verdict == "PASS"
    assert check_corollary33({1000: 0.0187, 7000: 0.90}).verdict == "FAIL"
    assert check_lemma57().verdict == "PASS" and check_lemma57(1.0).verdict == "PASS"
    assert check_lemma57(0.9).verdict == "FAIL"  # extremal family reaches ratio 1 at C = 1
    assert check_lemma58().verdict == "PASS" and check_lemma58(0.5).verdict == "FAIL"  # C=1 ratio ≈ 0.71
    assert check_lemma511().verdict == "PASS" and check_lemma511(0.4).verdict == "FAIL"  # C=1 ratio ≈ 0.54
    for check in (check_theorem59, check_theorem512):
        published = check()
        assert published.verdict == "FAIL"
        assert published.measurement["ratio"] > 1
        assert check("normalized").verdict == "PASS"
        assert published.tolerance.reason and published.prediction and published.measurement  # one CheckResult type


def _history(t_grok, jump_at, steps=range(0, 2001, 100), abelian_at=None):
    rows = []
    for t in steps:
        rows.append({
            "step": t,
            "test_acc": [1.0 if t >= t_grok else 0.1],
            "train_acc": [1.0 if t >= 300 else 0.5],
            "pe": [0.2 + (1.0 if t >= jump_at else 0.0) + 0.001 * t / 100],
            "abelian_acc": [1.0 if abelian_at is not None and t >= abelian_at else 0.3],
        })
    return rows


def test_metric_change_check_pass_and_fail():
    h = _history(t_grok=1200, jump_at=1200)
    # the trailing 0.1-decade window sees the jump from t = 1200 up to t = 1200·10^0.1 ≈ 1511
    assert 1200 <= metric_change_step(h, "pe") <= 1511
    assert check_metric_change_at_grok(h).verdict == "PASS"
    assert check_metric_change_at_grok(h, predicted_step=400).verdict == "FAIL"
    assert check_metric_change_at_grok(_history(t_grok=1200, jump_at=500)).verdict == "FAIL"


def test_abelian_and_earlier_checks():
    h = _history(t_grok=1200, jump_at=1200, abelian_at=1200)
    assert check_abelian_test_at_grok(h).verdict == "PASS"
    assert check_abelian_test_at_grok(h, reference="t_mem").verdict == "FAIL"  # t_mem = 300
    assert check_groks_earlier([1000, None], [400, 800], budget=2000).verdict == "PASS"
    assert check_groks_earlier([1000, 500], [400, 800], budget=2000).verdict == "FAIL"
