"""Matrix completion W = UUᵀ − VVᵀ in Lyu et al.'s two phases (Lyu et al., arXiv 2311.18817, experimental settings, Cor. 3.11).

Default size: d = 30, 20% observed, α = 10, λ = 0.02, η = 0.1 (horizon 4·log α/(ηλ) ≈ 4600
steps). The paper's d = 97, 5% is the slow test (λ = 1e-3 instead of 1e-4 to fit a CPU).
"""

import math

import numpy as np
import pytest

from grokcheck.checks.claims._lyu_verdicts import check_mc_kernel_zero, check_mc_nuclear_completion, check_mc_transition
from grokcheck.checks.experiments._matrix_completion import matrix_completion_data, nuclear_reference, train_matrix_completion


ALPHA, LAM, LR = 10.0, 2e-2, 0.1
T = math.log(ALPHA) / (LAM * LR)


@pytest.fixture(scope="module")
def run():
    data = matrix_completion_data(d=30, fraction=0.2, seeds=[0])
    return train_matrix_completion(data, alphas=[ALPHA], lambdas=[LAM], lrs=LR, steps=int(4 * T), eval_every=20,
                                   snapshot_fractions=(0.5,))


def test_unobserved_entries_stay_zero_in_kernel_phase(run):
    res = check_mc_kernel_zero(run)
    assert res.verdict == "PASS" and res.measurement < 0.01  # leak is O(e^{-λt}/α²)-small
    assert check_mc_kernel_zero(run, predicted_fill=1.0).verdict == "FAIL"


def test_kernel_phase_fits_observed_entries_symmetrically(run):
    # Cor. 3.11: W → X* on Ω ∪ Ωᵀ, 0 elsewhere
    W = run.W_snapshots[0, 0, 0]
    K = run.data.kernel_prediction(0)
    # finite α: at t = ½·log α/λ the kernel scale α²e^{−2λt} = α is finite, so weight decay
    # still shrinks the fit like a ridge of relative size ≈ nλ/(4α) ≈ 0.09 on observed entries
    assert np.linalg.norm(W - K) / np.linalg.norm(K) < 0.1
    never = ~(run.data.observed_mask(0) | run.data.observed_mask(0).T)
    assert np.abs(W[never]).max() < 1e-2 * np.abs(K).max()  # the zero fill is much tighter


def test_transition_within_factor_two(run):
    res = check_mc_transition(run)
    assert res.verdict == "PASS"
    assert check_mc_transition(run, predicted=10 * T).verdict == "FAIL"
    assert run.test_loss[0, 0, -1] < 0.5 * run.plateau[0]


def test_final_W_is_the_nuclear_norm_fit(run):
    ref = nuclear_reference(run)
    assert ref.converged
    res = check_mc_nuclear_completion(run, ref)
    assert res.verdict == "PASS" and res.measurement < 0.01  # GD has converged after 4·log α/(ηλ)
    wrong = check_mc_nuclear_completion(run, run.data.kernel_prediction(0))  # claim: stays kernel
    assert wrong.verdict == "FAIL"


@pytest.mark.slow
def test_paper_size():
    data = matrix_completion_data(d=97, fraction=0.05, seeds=[0])
    a, lam, lr = 10.0, 1e-3, 0.1
    Tp = math.log(a) / (lam * lr)
    r = train_matrix_completion(data, alphas=[a], lambdas=[lam], lrs=lr, steps=int(4 * Tp), eval_every=200)
    assert check_mc_kernel_zero(r).passed
    assert check_mc_transition(r).passed
    assert check_mc_nuclear_completion(r, nuclear_reference(r)).passed


def test_divergence_is_a_value_or_an_error():
    from grokcheck.errors import NumericalFailure

    data = matrix_completion_data(d=10, fraction=0.3, seeds=[0])
    kw = dict(alphas=[10.0], lambdas=[1e-2], lrs=50.0, steps=200, eval_every=1)  # η·α² ≫ n: GD blows up
    with pytest.raises(NumericalFailure) as exc:
        train_matrix_completion(data, **kw)
    assert exc.value.where["seed"] == 0
    r = train_matrix_completion(data, throw=False, **kw)
    assert r.status == "nan_encountered"


# ---------------------------------------------------------------- the group table through a character

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from grokcheck.checks.experiments._matrix_completion import character_table_target  # noqa: E402
from grokcheck.errors import GrokcheckError  # noqa: E402
from grokcheck.theory import group  # noqa: E402
from grokcheck.theory.strategies import groups  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(G=groups(min_order=2, max_order=40), pick=st.integers(0, 10**6))
def test_character_table_target_is_symmetric_with_rank_d2_or_2d2(G, pick):
    """Re χ(gh)/χ(1) is symmetric; its rank is d² for a real-valued χ and 2d² for a complex one
    (Schur orthogonality of the matrix coefficients), whatever the labelling of the elements."""
    degs = sorted({int(x) for x in G.character_table.degrees})
    d = degs[pick % len(degs)]
    try:
        X, info = character_table_target(G, d)
    except GrokcheckError:
        assert d == 1 and all(int(x) != 1 for x in list(G.character_table.degrees)[1:])  # only the trivial one
        return
    assert np.array_equal(X, X.T)
    assert np.abs(X).max() <= 1 + 1e-9
    chi = np.asarray(G.character_table.on_elements())[info["irrep"]]
    real = np.allclose(chi.imag, 0, atol=1e-9)
    assert info["rank"] == (d * d if real else 2 * d * d)
    assert (info["fs_indicator"] != 0) == real
    e = int(G.identity)
    assert np.allclose(X[e], chi.real / d)  # the row of the identity is the character itself


def test_matrix_completion_data_rejects_bad_targets():
    with pytest.raises(GrokcheckError, match="symmetric"):
        matrix_completion_data(fraction=0.3, target=np.arange(16.0).reshape(4, 4))
    with pytest.raises(GrokcheckError, match="square"):
        matrix_completion_data(fraction=0.3, target=np.zeros((3, 4)))
    with pytest.raises(GrokcheckError, match="non-finite"):
        matrix_completion_data(fraction=0.3, target=np.full((3, 3), np.nan))
    with pytest.raises(GrokcheckError, match="degree 5"):
        character_table_target(group("S4"), 5)


def test_completing_a_character_table_takes_log_alpha_over_lambda():
    """C13 through a faithful character (rank 2), 60% observed: the test loss falls below half its
    kernel plateau at λ·t ≈ log α (+ an α-independent offset), so the two α's λ·t differ by
    ≈ log 10; the band ±0.35 is 1/3 of log 10 (the lower-order term, as in the experiment's rule)."""
    X, info = character_table_target(group("C13"), 1)
    assert info["rank"] == 2
    data = matrix_completion_data(fraction=0.6, seeds=[0], target=X)
    alphas, lam = np.array([3.0, 30.0]), 0.02
    lrs = np.minimum(0.1, data.n / (16 * alphas**2))
    steps = int(1.8 * np.max(np.log(alphas) / (lam * lrs)))
    run = train_matrix_completion(data, alphas=alphas, lambdas=[lam, lam], lrs=lrs, steps=steps,
                                  eval_every=max(1, steps // 400))
    t = run.transition_step[0] * lrs
    assert np.all(np.isfinite(t))
    assert abs(lam * (t[1] - t[0]) - math.log(10)) < math.log(10) / 3
