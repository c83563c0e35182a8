"""Batched-ensemble models: each seed's slice is the textbook formula, seeds are independent,
the quadratic model satisfies the small-logit expansion of He et al., arXiv 2606.02993, the energy Ω, the sphere steps stay
on the spheres, Li₂'s ridge V solves its normal equations, the transformer's last-position
shortcut equals full causal attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from grokcheck.checks.training._data import group_task, sparse_parity_task
from grokcheck.checks.training._models import (
    Li2Config,
    MLPConfig,
    QuadraticConfig,
    TransformerConfig,
    build_model,
    model_config_from_dict,
    model_config_to_dict,
)
from grokcheck.theory import FiniteGroup

S3 = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"], name="S3")
C5 = FiniteGroup.from_table((np.arange(5)[:, None] + np.arange(5)) % 5, name="C5")
F64 = torch.float64


def test_mlp_slices_are_independent_per_seed_nets():
    t = group_task(S3, train_fraction=0.5, n_seeds=3, seed=0)
    m = build_model(MLPConfig(widths=(16,)), t, seed=4, dtype=F64)
    x, _ = t.split("train", dtype=F64)
    out = m(x)
    for s in range(3):
        ref = torch.relu(x[s] @ m.w1[s].T + m.b1[s]) @ m.w2[s].T
        assert torch.allclose(out[s], ref, atol=1e-12)  # float64 matmul, different summation order
    single = build_model(MLPConfig(widths=(16,)), group_task(S3, train_fraction=0.5, n_seeds=1, seed=0), seed=4, dtype=F64)
    assert torch.equal(single.w1[0], m.w1[0])  # seed 0's init does not depend on the ensemble size
    assert not torch.equal(m.w1[0], m.w1[1])
    # He init: Var = 2 / fan_in (empirical variance of 16·12 draws: loose 40% band)
    assert abs(m.w1.var().item() * 12 / 2 - 1) < 0.4


def test_mlp_neuron_view():
    t = group_task(C5, n_seeds=2)
    m = build_model(MLPConfig(widths=(8,)), t, dtype=F64)
    th1, th2, xi = m.neuron_weights()
    assert th1.shape == (2, 8, 5) and xi.shape == (2, 8, 5)
    g1, g2 = 3, 4
    pre = m.w1[1] @ t.x[g1 * 5 + g2].to(F64)
    assert np.allclose(pre.detach().numpy(), th1[1][:, g1] + th2[1][:, g2], atol=1e-14)
    assert np.array_equal(xi[1], m.w2[1].detach().numpy().T)


def test_deep_mlp_and_parity_shapes():
    t = sparse_parity_task(10, 2, n_train=16, n_test=4, n_seeds=2)
    m = build_model(MLPConfig(widths=(12, 12), bias="all"), t)
    assert m(t.split("train")[0]).shape == (2, 16, 1)
    assert m.default_egd_layers == ("w1", "w2", "w3")  # deeper nets: all layers (EGD's MNIST choice)
    with pytest.raises(NotImplementedError):
        m.neuron_weights()


def _omega(G, th1, th2, xi):
    """Ω_m = E_{g1,g2}[ξ̃(g1g2) θ¹(g1) θ²(g2)] in parameter space (He et al., arXiv 2606.02993, the energy Ω)."""
    T = np.asarray(G.table)
    xit = xi - xi.mean(-1, keepdims=True)
    return np.einsum("mab,ma,mb->m", xit[:, T], th1, th2) / G.order**2


@pytest.mark.parametrize("constraint", ["separate", "joint"])
def test_quadratic_forward_and_small_logit_expansion(constraint):
    """R(Θ) = log|G| − (2a/M) Σ_m Ω_m + O(a²): the residual's log-log slope in a is 2."""
    G = S3
    t = group_task(G, n_seeds=1)
    x, y = t.split("train", dtype=F64)
    errs, scales = [], [1e-1, 1e-2, 1e-3]
    for a in scales:
        m = build_model(QuadraticConfig(width=24, scale=a, constraint=constraint), t, seed=2, dtype=F64)
        th1, th2, xi = (v[0] for v in m.neuron_weights())
        out = m(x)[0]
        pre = th1[:, np.repeat(np.arange(6), 6)] + th2[:, np.tile(np.arange(6), 6)]  # (M, 36)
        ref = a / 24 * (pre**2).T @ xi
        assert np.allclose(out.detach().numpy(), ref, atol=1e-15)
        R = torch.nn.functional.cross_entropy(out, y[0]).item()
        errs.append(abs(R - (math.log(6) - 2 * a / 24 * _omega(G, th1, th2, xi).sum())))
    slope = np.polyfit(np.log(scales), np.log(errs), 1)[0]
    assert abs(slope - 2) < 0.1  # second-order remainder; exact slope 2 as a → 0


def test_quadratic_sphere_projection_and_retraction():
    t = group_task(C5, n_seeds=2)
    m = build_model(QuadraticConfig(width=6, constraint="separate"), t, dtype=F64)
    th1, th2, xi = m.neuron_weights()
    for v in (th1, th2, xi):
        assert np.allclose(np.linalg.norm(v, axis=-1), 1, atol=1e-14)
    assert not m.a.requires_grad and m.theta.requires_grad
    x, y = t.split("train", dtype=F64)
    torch.nn.functional.cross_entropy(m(x).flatten(0, 1), y.flatten()).backward()
    m.project_gradients()
    g = m.theta.grad
    assert (g[..., :5] * m.theta[..., :5]).sum(-1).abs().max() < 1e-15  # tangent to each sphere
    assert (g[..., 5:] * m.theta[..., 5:]).sum(-1).abs().max() < 1e-15
    assert (m.xi.grad * m.xi).sum(-1).abs().max() < 1e-15
    with torch.no_grad():
        m.theta.add_(g, alpha=100.0)
    m.retract()
    th1, th2, _ = m.neuron_weights()
    assert np.allclose(np.linalg.norm(th1, axis=-1), 1, atol=1e-14)
    joint = build_model(QuadraticConfig(width=6, constraint="joint"), t, dtype=F64)
    assert torch.allclose(joint.theta.norm(dim=-1), torch.ones(2, 6, dtype=F64), atol=1e-14)
    stage2 = build_model(QuadraticConfig(width=6, stage="II", per_neuron_scale=True), t)
    assert stage2.a.shape == (2, 6) and stage2.a.requires_grad and not stage2.theta.requires_grad


def test_li2_ridge_v_solves_normal_equations_and_zero_init():
    t = group_task(C5, train_fraction=0.8, n_seeds=2)
    x, y = t.split("train", dtype=F64)
    m = build_model(Li2Config(width=7, ridge_v=0.3), t, dtype=F64)
    assert not m.V.requires_grad
    m.before_step(x, y)
    F = m.hidden(x)
    Ft = F - F.mean(1, keepdim=True)
    Y = torch.nn.functional.one_hot(y, 5).to(F64)
    Yt = Y - Y.mean(1, keepdim=True)
    V = m.V.transpose(1, 2)
    lhs = (Ft.transpose(1, 2) @ Ft + 0.3 * torch.eye(7, dtype=F64)) @ V
    assert torch.allclose(lhs, Ft.transpose(1, 2) @ Yt, atol=1e-10)  # (F̃ᵀF̃ + ηI) V = F̃ᵀỸ
    z = build_model(Li2Config(width=7, v_init="zero"), t)
    assert torch.count_nonzero(z(t.split("train")[0])) == 0


def _naive_transformer(m, s, tokens):
    """Full causal attention at every position, then read the last one (Nanda et al.)."""
    r = m.w_e[s][tokens] + m.w_pos[s]  # (B, L, d)
    L = tokens.shape[1]
    heads = []
    for h in range(m.config.n_heads):
        q, k, v = r @ m.w_q[s, h].T, r @ m.w_k[s, h].T, r @ m.w_v[s, h].T
        sc = q @ k.transpose(1, 2) / math.sqrt(m.dh)
        sc = sc.masked_fill(torch.triu(torch.ones(L, L, dtype=torch.bool), 1), float("-inf"))
        heads.append(torch.softmax(sc, -1) @ v)
    r = r + torch.cat(heads, -1) @ m.w_o[s].T
    r = r + torch.relu(r @ m.w_in[s].T + m.b_in[s]) @ m.w_out[s].T + m.b_out[s]
    return (r @ m.w_u[s].T)[:, -1]


def test_transformer_matches_full_causal_attention():
    t = group_task(C5, n_seeds=2, encoding="sequence")
    m = build_model(TransformerConfig(d_model=16, n_heads=4, d_mlp=24), t, dtype=F64)
    x, _ = t.split("train")
    out = m(x)
    assert out.shape == (2, 25, 5)
    for s in range(2):
        assert torch.allclose(out[s], _naive_transformer(m, s, x[s]), atol=1e-12)
    assert TransformerConfig().d_model == 128 and TransformerConfig().n_heads == 4 and TransformerConfig().d_mlp == 512


def test_config_round_trip_and_validation():
    for cfg in (QuadraticConfig(constraint="joint"), Li2Config(ridge_v=1e-3), MLPConfig(widths=(3, 4)), TransformerConfig()):
        assert model_config_from_dict(model_config_to_dict(cfg)) == cfg
    for bad in (lambda: QuadraticConfig(stage="III"), lambda: MLPConfig(activation="gelu2"), lambda: TransformerConfig(d_model=10, n_heads=4)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError):
        build_model(TransformerConfig(), group_task(C5))  # needs tokens


# --------------------------------------------------------------------------- gathered first layers

GATHER_CASES = [
    ("mlp-first-bias", lambda: MLPConfig(widths=(12,)), "concat"),
    ("mlp-sum-encoding", lambda: MLPConfig(widths=(12,), bias="all", activation="silu"), "sum"),
    ("mlp-no-bias", lambda: MLPConfig(widths=(12,), bias="none"), "concat"),
    ("mlp-deep", lambda: MLPConfig(widths=(12, 10), bias="all"), "concat"),
    ("quadratic-I", lambda: QuadraticConfig(width=12), "concat"),
    ("quadratic-II", lambda: QuadraticConfig(width=12, stage="II", per_neuron_scale=True), "sum"),
    ("li2", lambda: Li2Config(width=12), "concat"),
    ("li2-ridge", lambda: Li2Config(width=12, ridge_v=0.1), "concat"),
]


@pytest.mark.parametrize("name, make, encoding", GATHER_CASES, ids=[c[0] for c in GATHER_CASES])
@pytest.mark.parametrize("chunk_bytes", [1, 1 << 30], ids=["one-seed-chunks", "one-chunk"])
@pytest.mark.parametrize("keep_bytes", [0, 1 << 30], ids=["recompute", "kept"])
def test_gather_path_equals_the_one_hot_product(name, make, encoding, chunk_bytes, keep_bytes, monkeypatch):
    """The gathered first layer (embedding bag + index_add) is the one-hot matrix product.

    Forward values: the product adds two columns and exact zeros, the gather adds the same two
    columns, so they agree to rounding of the output layer's summation order (float64: 1e-12
    relative). Gradients: the first-layer gradient is the same sum over the batch taken in a
    different order (index_add vs the matmul's blocking), so again float64 rounding, 1e-10.
    """
    import grokcheck.checks.training._models as models

    monkeypatch.setattr(models, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(models, "_KEEP_BYTES", keep_bytes)  # the backward pass recomputes or reuses the ReLU
    t = group_task(S3 if encoding == "concat" else C5, train_fraction=0.7, n_seeds=3, seed=1, encoding=encoding)
    m = build_model(make(), t, seed=5, dtype=F64)
    x, y = t.split("train", dtype=F64)
    assert m._row_indices(x, x.shape[-1], False) is not None  # the fast path is taken on these inputs
    m.before_step(x, y)

    def run(gather):
        m.gather_inputs = gather
        for p in m.parameters():
            p.grad = None
        out = m(x)
        (out * torch.linspace(-1, 1, out.shape[-1], dtype=F64)).sum().backward()
        hidden = m.hidden(x)
        return out.detach(), hidden.detach(), {n: p.grad.clone() for n, p in m.named_parameters() if p.grad is not None}

    o1, h1, g1 = run(True)
    o0, h0, g0 = run(False)
    assert torch.allclose(o1, o0, rtol=1e-12, atol=1e-13)
    assert torch.allclose(h1, h0, rtol=1e-12, atol=1e-13)
    assert g1.keys() == g0.keys() and g1
    for n in g0:
        scale = g0[n].abs().max().item() or 1.0
        assert (g1[n] - g0[n]).abs().max().item() <= 1e-10 * scale, n


def test_gather_forward_is_bit_identical_for_the_mlp():
    """float32 MLP: x·W₁ᵀ + b is a sum of two columns and the bias either way: identical bits."""
    t = group_task(S3, train_fraction=0.6, n_seeds=2, seed=0)
    m = build_model(MLPConfig(widths=(16,)), t, seed=0)
    x, _ = t.split("train")
    m.gather_inputs = False
    dense = m.hidden(x)
    m.gather_inputs = True
    assert torch.equal(m.hidden(x), dense)


def test_one_hot_columns_is_exact():
    from grokcheck.checks.training._models import one_hot_columns

    x = torch.tensor([[1.0, 0, 1, 0], [0, 2, 0, 0], [0, 0, 0, 1]])
    assert one_hot_columns(x[:2], 2).sort(-1).values.tolist() == [[0, 2], [1, 1]]  # 2·e_1 is e_1 + e_1
    assert one_hot_columns(x, 2) is None  # the last row has one entry
    assert one_hot_columns(torch.tensor([[0.5, 0.5, 1.0, 0.0]]), 2) is None
    assert one_hot_columns(torch.tensor([[float("nan"), 1.0, 1.0, 0.0]]), 2) is None
    assert one_hot_columns(x[:2].clone().requires_grad_(), 2) is None  # input gradients need the product
    # a non-group task (±1 parity bits) never takes the gather path
    p = sparse_parity_task(10, 2, n_train=8, n_test=4, n_seeds=2)
    mp = build_model(MLPConfig(widths=(4,)), p)
    assert mp._row_indices(p.split("train")[0], 10, True) is None


def test_gather_path_steps_aside_under_torch_func():
    """``torch.func`` transforms (Jacobians in the KKT code) see the plain product."""
    t = group_task(S3, train_fraction=0.6, n_seeds=1, seed=0)
    m = build_model(MLPConfig(widths=(6,)), t, dtype=F64)
    x, _ = t.split("train", dtype=F64)
    params = {k: v.detach() for k, v in m.named_parameters()}
    J = torch.func.jacrev(lambda p: torch.func.functional_call(m, p, (x,)).sum())(params)
    m.gather_inputs = False
    J0 = torch.func.jacrev(lambda p: torch.func.functional_call(m, p, (x,)).sum())(params)
    for k in J:
        assert torch.allclose(J[k], J0[k], rtol=1e-12, atol=1e-13)
