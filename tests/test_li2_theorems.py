"""Li₂'s remaining theorems (Tian, arXiv 2509.21519) as registered checks: Proposition 1's expansion and rate,
Lemma 1's large-K scale, Theorems 3, 6, 7 and 8 and Lemma 2, each with a wrong law or implementation caught."""

import numpy as np
import pytest

from grokcheck.checks._registry import VerifyContext, compare, get_check, run_check
from grokcheck.numerics._li2 import _center, gf_closed_form, li2_projected_ascent, table_inputs
from grokcheck.numerics._li2_theorems import (
    coupon_collector_mean,
    isotypic_projector,
    muon_direction,
    reconstruction_nodes,
    reconstruction_residual,
    repulsion_signs,
    residual_target,
    theorem3_width,
    theorem8_win_frequencies,
)
from grokcheck.theory import FiniteGroup


def _cyclic(n):
    a = np.arange(n)
    return FiniteGroup.from_table((a[:, None] + a[None, :]) % n)


S3 = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])
Q8 = FiniteGroup.from_permutations(["(1,2,4,7)(3,6,8,5)", "(1,3,4,8)(2,5,7,6)"])
GROUPS = [_cyclic(5), _cyclic(6), S3, Q8]

GROUP_CHECKS = ["li2.prop1-small-t", "li2.prop1-rate", "li2.theorem3-reconstruction", "li2.theorem3-width",
                "li2.theorem6-repulsion", "li2.theorem7-top-down", "li2.lemma2-muon"]


@pytest.mark.parametrize("G", GROUPS, ids=["Z5", "Z6", "S3", "Q8"])
@pytest.mark.parametrize("check_id", GROUP_CHECKS)
def test_group_checks_pass(G, check_id):
    r = run_check(get_check(check_id), VerifyContext(G))
    assert r.verdict.value == "PASS", (r.measurement, r.reason)


@pytest.mark.parametrize("check_id, verdict", [
    ("li2.lemma1-proportional", "PASS"),
    ("li2.lemma1-scale-printed", "FAIL"),
    ("li2.lemma1-scale-corrected", "PASS"),
    ("li2.theorem8-win-probabilities", "PASS"),
    ("li2.theorem8-coverage-bound", "PASS"),
])
def test_group_independent_checks(check_id, verdict):
    check = get_check(check_id)
    assert check.group_independent and check.published_false == (verdict == "FAIL")
    r = run_check(check, VerifyContext(_cyclic(3)))
    assert r.verdict.value == verdict, (r.measurement, r.reason)


def test_top_down_is_not_applicable_without_a_missing_irrep():
    r = run_check(get_check("li2.theorem7-top-down"), VerifyContext(_cyclic(3)))  # one complex pair only
    assert r.verdict.value == "NOT APPLICABLE"


def _features(G, K=14, seed=0):
    X, Y = table_inputs(G)
    rng = np.random.default_rng(seed)
    F = (X @ rng.standard_normal((X.shape[1], K))) ** 2
    return F / np.linalg.norm(F - F.mean(axis=0), 2), Y


def test_small_t_expansion_catches_a_wrong_leading_term():
    F, Y = _features(_cyclic(5))
    Ft, Yt = _center(F), _center(Y)
    lead = Yt @ (Yt.T @ Ft)
    ts = np.geomspace(1e-4, 1e-2, 5)
    exact = gf_closed_form(F, Y, np.zeros((F.shape[1], Y.shape[1])), 0.3, ts)
    tol = get_check("li2.prop1-small-t").tolerance

    def slope(c):
        res = [np.linalg.norm(e - c * t * lead) for e, t in zip(exact, ts)]
        return float(np.polyfit(np.log(ts), np.log(res), 1)[0])

    assert compare(2.0, slope(1.0), tol)
    assert not compare(2.0, slope(2.0), tol)  # a factor 2 on t ỸỸᵀF̃ leaves an O(t) remainder
    assert not compare(2.0, slope(0.0), tol)  # G_F(t) = O(t²) (no linear term) is wrong too


def test_rate_is_sigma_min_squared_plus_eta_not_sigma_min():
    r = run_check(get_check("li2.prop1-rate"), VerifyContext(_cyclic(5)))
    d = r.details
    assert d["lambda_min_A"] == pytest.approx(d["sigma_min_sq_plus_eta"], rel=1e-12)  # λ_min(F̃ᵀF̃ + ηI), exactly
    smin = np.sqrt(d["sigma_min_sq_plus_eta"] - d["eta"])
    # the unsquared σ_min + η, or twice the rate, would not be a valid lower bound on the fitted rate
    assert d["fitted_rate"] < 2 * d["sigma_min_sq_plus_eta"]
    assert d["fitted_rate"] < smin + d["eta"]


def test_lemma1_slope_is_two_not_one():
    r = run_check(get_check("li2.lemma1-scale-corrected"), VerifyContext(_cyclic(3)))
    rows = r.details["rows"]
    # η/(2K+η)² ỸỸᵀF̃ to ~25 % (c₁ = 2 up to 1/√K fluctuations); the printed 1/K law misses by ~K
    for row in rows:
        assert 0.75 < row["coefficient_times_(2K+eta)^2_over_eta"] < 1.3
    assert not compare(-1.0, r.measurement, get_check("li2.lemma1-scale-printed").tolerance)


def test_reconstruction_needs_every_node_and_complex_weights():
    G = _cyclic(5)
    W = reconstruction_nodes(G)
    assert W.shape[1] == 2 * G.order - 2 and reconstruction_residual(G, W) < 1e-12
    assert reconstruction_residual(G, reconstruction_nodes(G, drop=1)) > 0.1  # K = 2M − 3 is not enough here
    assert reconstruction_residual(G, W.real.astype(complex)) > 0.1  # the real parts alone do not reconstruct


def test_width_bound_needs_kappa_as_the_number_of_nontrivial_irreps():
    for G in (S3, Q8):
        k, bound = theorem3_width(G)
        assert k == bound  # one higher irrep: the bound is attained
        kappa_classes = len(G.irreps)  # a plausible misreading: κ = number of classes
        assert k > 2 * ((G.order - kappa_classes) ** 2 + kappa_classes - 1)
    k, bound = theorem3_width(_cyclic(7))
    assert k == bound == 12


def test_repulsion_needs_the_projection():
    # the naive rule sign b_jl = −sign(f̃_jᵀ f̃_l) fails on some pair; the projected one never does
    out = repulsion_signs(_features(_cyclic(5), K=8)[0], eta=0.3)
    assert out["agree"] == out["pairs"]
    assert out["raw_agree"] < out["pairs"]


def test_top_down_changes_the_landscape():
    G = S3
    g = G.order
    learned = [1]  # the sign irrep
    P_S = isotypic_projector(G, learned)
    # the projector fixes the sign character and kills the 2-dim irrep's coefficients
    sign = np.asarray(G.irreps[1].character).real
    np.testing.assert_allclose(P_S @ sign, sign, atol=1e-12)
    two = np.asarray(G.irreps[2].matrices)[:, 0, 1].real
    np.testing.assert_allclose(P_S @ two, 0, atol=1e-12)
    w0 = np.random.default_rng(0).standard_normal((16, 2 * g))
    # without modulation some starts end on the learned irrep (the sign maximum)
    w = li2_projected_ascent(G, w0).w
    in_s = np.linalg.norm(w[:, :g] @ P_S.T, axis=1) ** 2 + np.linalg.norm(w[:, g:] @ P_S.T, axis=1) ** 2
    assert in_s.max() > 0.9
    # the residual target has no component along the learned irrep's target functions
    R = residual_target(G, learned)
    X, Y = table_inputs(G)
    assert np.linalg.norm(R) > 0.1 * np.linalg.norm(_center(Y))  # something left to learn
    assert np.abs(sign @ R.T).max() < 1e-9  # Σ_h χ_sign(h) R[:, h] = 0


def test_muon_alignment_is_the_nuclear_norm():
    rng = np.random.default_rng(0)
    g = rng.standard_normal((6, 10))
    d = muon_direction(g)
    s = np.linalg.svd(g, compute_uv=False)
    assert np.sum(g * d) == pytest.approx(s.sum(), rel=1e-12)
    assert abs(np.sum(g * d) - np.linalg.norm(g)) > 0.1  # not the Frobenius norm
    np.testing.assert_allclose(d @ d.T, np.eye(6), atol=1e-12)


def test_theorem8_win_law_rejects_exponent_one():
    mu, a, n = np.array([1.0, 0.8, 0.6, 0.4, 0.2]), 2.0, 200_000
    freq = theorem8_win_frequencies(mu, a, trials=n, rng=np.random.default_rng(5))
    for expo, ok in ((a, True), (1.0, False)):
        p = mu**expo / np.sum(mu**expo)
        z = np.max(np.abs(freq - p) / np.sqrt(p * (1 - p) / n))
        assert (z <= 5) == ok


def test_coupon_collector_mean_exact_and_the_bound_loose():
    L = 5
    hl = sum(1 / k for k in range(1, L + 1))
    assert coupon_collector_mean(np.full(L, 1 / L)) == pytest.approx(L * hl, rel=1e-8)  # uniform: L·H_L
    p = np.array([1.0, 0.64, 0.36, 0.16, 0.04])
    p = p / p.sum()
    t0 = coupon_collector_mean(p)
    assert t0 >= max(1 / p.min(), hl) and t0 >= L * hl  # the printed bound holds; L·H_L is sharper
    assert t0 < L**3  # a plausible wrong bound T0 ≥ L³ would be violated


def _dihedral(n):
    r = "(" + ",".join(str(i) for i in range(1, n + 1)) + ")"
    s = "(" + ")(".join(f"{i},{n + 2 - i}" for i in range(2, (n + 1) // 2 + 1)) + ")"
    return FiniteGroup.from_permutations([r, s])


def _theorem4_verdicts(G):
    ctx = VerifyContext(G)  # one context: both checks share the thresholds (an artifact)
    printed = run_check(get_check("li2.theorem4-dk-squared-printed"), ctx)
    corrected = run_check(get_check("li2.theorem4-dimension-factor"), ctx)
    return printed, corrected


def test_theorem4_dimension_factor_on_s3():
    printed, corrected = _theorem4_verdicts(S3)
    assert printed.verdict.value == "FAIL" and corrected.verdict.value == "PASS", printed.details
    assert printed.measurement == pytest.approx(1.0, abs=0.35)
    # the d_k (linear) law, ratio 2, is rejected too
    assert not compare(2.0, printed.measurement, get_check("li2.theorem4-dimension-factor").tolerance)


@pytest.mark.slow
@pytest.mark.parametrize("n", [5, 7])
def test_theorem4_dimension_factor_on_larger_dihedral_groups(n):
    printed, corrected = _theorem4_verdicts(_dihedral(n))
    assert printed.verdict.value == "FAIL" and corrected.verdict.value == "PASS", printed.details


def test_theorem4_needs_real_two_dimensional_irreps():
    for G in (Q8, _cyclic(6)):  # quaternionic 2-dim irrep (𝓔* = M/8); Abelian
        r = run_check(get_check("li2.theorem4-dimension-factor"), VerifyContext(G))
        assert r.verdict.value == "NOT APPLICABLE"


def test_theorem5_memorization_kinds():
    from grokcheck.numerics._li2_theorems import memorization_ascent, memorization_prediction

    r = run_check(get_check("li2.theorem5-memorization"), VerifyContext(S3))
    assert r.verdict.value == "PASS", r.details
    # the wrong kind of memorisation is far from where the ascent ends
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(6))
    w_sq = memorization_ascent(S3, 2, p, "square", starts=4, rng=rng, steps=5000)
    w_relu = memorization_ascent(S3, 2, p, "relu", starts=4, rng=rng, steps=5000)
    assert np.linalg.norm(w_sq - memorization_prediction(S3, 2, p, "relu"), axis=1).min() > 0.3
    assert np.linalg.norm(w_relu - memorization_prediction(S3, 2, p, "square"), axis=1).min() > 0.3
    # spreading for ReLU: s_g ∝ p_g, so the weights are proportional to the pair probabilities
    w = memorization_prediction(S3, 2, p, "relu")
    np.testing.assert_allclose(w[:6] / w[:6].sum(), p, atol=1e-12)


def test_weight_decay_scale_needs_more_nodes_than_samples():
    r = run_check(get_check("li2.weight-decay-gf-scale"), VerifyContext(_cyclic(3)))
    assert r.verdict.value == "PASS"
    tol = get_check("li2.weight-decay-gf-scale").tolerance
    # below the interpolation threshold G_F(∞) does not vanish with η: slope ≈ 0, which the bar rejects
    assert abs(r.details["K=12 (K < n)"]["slope"]) < 0.05
    assert not compare(1.0, r.details["K=12 (K < n)"]["slope"], tol)
    assert not compare(2.0, r.measurement, tol)  # a quadratic law in η is rejected too


# --------------------------------------------------------------------------- the zero-init experiment


def test_zero_init_experiment_rivals_never_pass():
    from grokcheck.checks.experiments._li2_theorems import LI2_ZERO_INIT
    from grokcheck.checks.experiments._study import StudyContext

    exp = LI2_ZERO_INIT
    settings = exp.settings("full")
    noise = exp.design.stated_noise(settings)
    ctx = StudyContext(seed=0, simulating=True)

    def verdicts(model, n=4):
        return [exp.analyze(settings, model.simulate(settings, noise, np.random.default_rng([i, 7])), ctx).verdict.value
                for i in range(n)]

    assert verdicts(exp.design.claim).count("PASS") >= 3
    for rival in exp.design.rivals:
        v = verdicts(rival)
        assert v.count("PASS") <= (1 if rival.name == "no effect" else 0), (rival.name, v)
    # the opposite law (default init faster) is a FAIL, not an INCONCLUSIVE
    assert verdicts(exp.design.rivals[1]).count("FAIL") >= 3


def test_zero_init_experiment_is_inconclusive_before_grokking():
    from grokcheck.checks.experiments._li2_theorems import LI2_ZERO_INIT
    from grokcheck.checks.experiments._study import StudyContext

    # zero init clearly ahead in area, but no seed of either arm reached 0.9: the regime was not reached
    res = {a: {s: {"auc": (0.3 if a == "zero" else 0.1) + 0.01 * s, "final_test": 0.5, "curve_steps": [0, 1],
                   "curve_test": [0.0, 0.5]} for s in range(4)} for a in ("zero", "default")}
    out = LI2_ZERO_INIT.analyze(LI2_ZERO_INIT.settings("full"), res, StudyContext(seed=0))
    assert out.verdict.value == "PASS" and out.shortfall is not None  # run_experiment turns this into INCONCLUSIVE


def test_zero_init_experiment_is_registered():
    from grokcheck.checks.experiments._study import get_experiment

    e = get_experiment("li2.zero-init-accelerates")
    assert e.design is not None and e.design.rivals and set(e.setting) == {"small", "full", "paper"}
