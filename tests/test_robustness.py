"""Robustness metrics (Tan & Huang, arXiv 2311.06597, Section 4.3 (robustness metrics)): perturbation error, Hutchinson sharpness, PMI/PE/MID/ED, PMI′."""

import math

import numpy as np
import pytest
import torch

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._matrix_information import matrix_entropy, normalized_gram
from grokcheck.numerics._robustness import (
    RobustnessProbe,
    hutchinson_trace,
    information_metrics,
    perturbation_error,
    pmi_prime,
    sharpness,
)


def _linear_probe(w1, w2, scale=1.0):
    # an ensemble of two-layer ReLU nets: x (S, B, d) → h = relu(x W1ᵀ) (S, B, k) → f = c·h W2ᵀ
    def fwd(e):
        h = torch.relu(e @ w1.mT)
        return h, scale * (h @ w2.mT)
    return RobustnessProbe(embed=lambda x: x, forward=fwd, perturb_site="input", first_layer="relu(W1 x)")


def _setup(seed=0, S=2, B=24, d=5, k=7, c=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(S, 3 * B, d, dtype=torch.float64, generator=g)
    w1 = torch.randn(S, k, d, dtype=torch.float64, generator=g)
    w2 = torch.randn(S, c, k, dtype=torch.float64, generator=g)
    return x, w1, w2, [x[:, i * B:(i + 1) * B] for i in range(3)]


def test_sigma_zero_gives_zero_mid_ed_and_consumes_no_noise():
    x, w1, w2, batches = _setup()
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state()
    m = information_metrics(_linear_probe(w1, w2), batches, sigma=0.0, generator=gen)
    assert torch.equal(m.mid, torch.zeros(2, dtype=torch.float64)) and torch.equal(m.ed, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(gen.get_state(), state)


def test_protocol_one_draw_per_batch_averaged():
    x, w1, w2, batches = _setup()
    probe = _linear_probe(w1, w2)
    m = information_metrics(probe, batches, sigma=0.3, generator=torch.Generator().manual_seed(5))
    # oracle: replay the same noise stream by hand, one draw per batch, and average
    gen = torch.Generator().manual_seed(5)
    pe, pmi = [], []
    for xb in batches:
        noise = torch.randn(xb.shape, dtype=xb.dtype, generator=gen)
        h, f = probe.forward(xb + 0.3 * noise)
        g1, g2 = normalized_gram(h), normalized_gram(f)
        pe.append(matrix_entropy(g2))
        pmi.append(matrix_entropy(g1) + matrix_entropy(g2) - matrix_entropy(g1 * g2))
    assert torch.allclose(m.pe, torch.stack(pe).mean(0), atol=1e-12, rtol=0)  # identical arithmetic
    assert torch.allclose(m.pmi, torch.stack(pmi).mean(0), atol=1e-12, rtol=0)  # same arithmetic, same order
    assert torch.allclose(m.ed, (m.pe - m.pe0).abs(), atol=0, rtol=0)  # definition: exact
    assert m.n_batches == 3
    assert torch.all(m.pe <= math.log(24) + 1e-12) and torch.all(m.pe >= 0)


def test_metrics_are_invariant_to_output_scale():
    # PMI/PE/MID/ED see only normalised features (the reason Theorems 5.9/5.12 fail as published)
    x, w1, w2, batches = _setup(seed=1)
    a = information_metrics(_linear_probe(w1, w2), batches, sigma=0.2, generator=torch.Generator().manual_seed(1))
    b = information_metrics(_linear_probe(w1, w2, scale=1e-4), batches, sigma=0.2, generator=torch.Generator().manual_seed(1))
    for k in ("pmi", "pe", "mid", "ed"):
        assert torch.allclose(getattr(a, k), getattr(b, k), atol=1e-9, rtol=0)  # float64 normalisation round-off


def test_per_seed_sigma_tensor():
    x, w1, w2, batches = _setup(seed=2)
    sig = torch.tensor([0.0, 0.5], dtype=torch.float64)
    m = information_metrics(_linear_probe(w1, w2), batches, sigma=sig, generator=torch.Generator().manual_seed(0))
    assert m.mid[0] == 0 and m.ed[0] == 0 and m.ed[1] > 0


def test_perturbation_error_linear_oracle():
    # f(e) = e Wᵀ: E Σ_i ‖W Δ_i‖² = B σ² ‖W‖_F²
    g = torch.Generator().manual_seed(3)
    w = torch.randn(1, 3, 6, dtype=torch.float64, generator=g)
    probe = RobustnessProbe(embed=lambda x: x, forward=lambda e: (e, e @ w.mT), perturb_site="input", first_layer="identity")
    x = torch.zeros(1, 20000, 6, dtype=torch.float64)
    pe = perturbation_error(probe, x, sigma=0.1, generator=g)
    want = 20000 * 0.01 * float((w**2).sum())
    assert float(pe) == pytest.approx(want, rel=0.03)  # χ² with 60000 dof: relative sd ≈ 0.6%


def _quadratic_model(seed=0, S=2, n=40, d=6, C=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(S, n, d, dtype=torch.float64, generator=g)
    y = torch.randint(0, C, (S, n), generator=g)
    w = torch.randn(S, C, d, dtype=torch.float64, generator=g).requires_grad_(True)
    return x, y, w, C


def test_hutchinson_sharpness_linear_oracle_and_variance():
    # linear f = W x with L = (1/2n)Σ‖Wx − t‖²: H = I_C ⊗ (XᵀX/n), tr H = C·tr(XᵀX)/n;
    # Rademacher variance = 2(‖H‖_F² − Σ H_ii²) = 2C(‖A‖_F² − Σ A_jj²), A = XᵀX/n
    x, y, w, C = _quadratic_model()
    est = sharpness(lambda xx: xx @ w.mT, [w], x, y, num_classes=C, num_samples=200,
                    generator=torch.Generator().manual_seed(0), per_seed=True)
    a = x.mT @ x / x.shape[1]
    trace = C * torch.diagonal(a, dim1=-2, dim2=-1).sum(-1)
    var = 2 * C * ((a**2).sum((-2, -1)) - (torch.diagonal(a, dim1=-2, dim2=-1) ** 2).sum(-1))
    assert torch.all((est.mean - trace).abs() <= 4 * est.stderr)  # 4 standard errors
    assert torch.allclose(est.variance, var, rtol=0.35)  # sample variance of 200 draws: rel. sd ≈ 0.1–0.12, so ~3 sd
    assert est.samples.shape == (200, 2)


def test_hutchinson_total_equals_sum_of_seeds():
    x, y, w, C = _quadratic_model(seed=1)
    kw = dict(num_classes=C, num_samples=8)
    per = sharpness(lambda xx: xx @ w.mT, [w], x, y, generator=torch.Generator().manual_seed(0), per_seed=True, **kw)
    tot = sharpness(lambda xx: xx @ w.mT, [w], x, y, generator=torch.Generator().manual_seed(0), **kw)
    assert torch.allclose(per.samples.sum(1), tot.samples, atol=1e-10, rtol=0)  # same Rademacher draws
    with pytest.raises(GrokcheckError):
        hutchinson_trace(lambda: (w**2).sum(), [w], num_samples=1)


def test_pmi_prime_perfect_logits_equal_label_entropy():
    # f = onehot(y): G(f) = YYᵀ, and I(G, G) = 2H(G) − H(G⊙G) = H(G) = −Σ_c p_c log p_c (class frequencies)
    y = torch.tensor([[0, 0, 1, 2, 2, 2, 1, 0]])
    probe = RobustnessProbe(embed=lambda x: x, forward=lambda e: (e, e), perturb_site="input", first_layer="identity")
    x = torch.nn.functional.one_hot(y, 3).double()
    val = pmi_prime(probe, [(x, y)], num_classes=3, sigma=0.0)
    p = np.array([3, 2, 3]) / 8
    assert float(val) == pytest.approx(float(-(p * np.log(p)).sum()), abs=1e-12)  # eigenvalues of YYᵀ/n are p_c
