"""Normalized margin and measured homogeneity degree (Lyu et al., arXiv 2311.18817, Section 3 (theorems))."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.numerics import (
    HomogeneityWarning,
    flat_model,
    homogeneity_degree,
    margins,
    normalized_margin,
)


def _diag(x):
    d = x.shape[1]
    return lambda th: x @ (th[:d] ** 2 - th[d:] ** 2)


def _mlp(depth, bias_layers, seed, n=12, din=5, width=7, k=4):
    g = torch.Generator().manual_seed(seed)
    layers = []
    dims = [din] + [width] * (depth - 1) + [k]
    for i in range(depth):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1], bias=(i in bias_layers), dtype=torch.float64))
        if i < depth - 1:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    x = torch.randn(n, din, generator=g, dtype=torch.float64)
    return net, x


@given(seed=st.integers(0, 10_000), c=st.floats(0.05, 20.0), d=st.integers(2, 30))
def test_binary_margin_invariant_to_rescaling(seed, c, d):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(9, d, generator=g, dtype=torch.float64)
    th = torch.randn(2 * d, generator=g, dtype=torch.float64)
    f = _diag(x)
    y = torch.sign(f(th))
    m1 = normalized_margin(f, th, y)
    m2 = normalized_margin(f, c * th, y)
    assert m1.degree == 2.0
    # float64 round-off on c^2 scaling of O(1) outputs
    assert math.isclose(m1.normalized, m2.normalized, rel_tol=1e-10, abs_tol=1e-13)
    assert math.isclose(m2.q_min, c**2 * m1.q_min, rel_tol=1e-10, abs_tol=1e-13)


@given(seed=st.integers(0, 10_000), c=st.floats(0.05, 20.0), depth=st.integers(2, 3))
def test_multiclass_margin_invariant_and_degree_measured(seed, c, depth):
    net, x = _mlp(depth, bias_layers=(0,), seed=seed)
    f, th = flat_model(net, x)
    y = torch.as_tensor(np.arange(x.shape[0]) % 4)
    h = homogeneity_degree(f, th)
    # a first-layer bias is itself scaled, so W_L … ReLU(W_1 x + b_1) is exactly depth-homogeneous
    assert h.homogeneous and h.degree == depth
    m1, m2 = normalized_margin(f, th, y), normalized_margin(f, c * th, y)
    assert math.isclose(m1.normalized, m2.normalized, rel_tol=1e-9, abs_tol=1e-12)  # float64 round-off


def test_output_bias_breaks_homogeneity_and_warns():
    net, x = _mlp(2, bias_layers=(0, 1), seed=3)
    f, th = flat_model(net, x)
    with pytest.warns(HomogeneityWarning, match="bias"):
        h = homogeneity_degree(f, th)
    assert not h.homogeneous
    assert h.defect > 1e-3  # a degree-1 term next to degree 2 at c = 2 is an O(1) defect
    y = torch.as_tensor(np.arange(x.shape[0]) % 4)
    with pytest.warns(HomogeneityWarning):
        m1 = normalized_margin(f, th, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HomogeneityWarning)
        m2 = normalized_margin(f, 3 * th, y)
    assert not math.isclose(m1.normalized, m2.normalized, rel_tol=1e-6)  # invariance is lost


def test_multiclass_margins_match_brute_force():
    rng = np.random.default_rng(0)
    out = rng.normal(size=(20, 6))
    y = rng.integers(0, 6, size=20)
    want = [out[i, y[i]] - max(out[i, j] for j in range(6) if j != y[i]) for i in range(20)]
    np.testing.assert_allclose(margins(out, y), want, rtol=0, atol=1e-15)  # exact arithmetic
