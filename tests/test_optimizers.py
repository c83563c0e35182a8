"""Per-seed optimizers: agreement with torch.optim, EGD identities (EGD, arXiv 2510.04930, Eq. (11)),
Muon's Newton–Schulz, Grokfast, per-seed learning rates and dead-seed masking."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grokcheck.checks.training._optimizers import (
    EnsembleOptimizer,
    OptimizerConfig,
    egd_direction,
    newton_schulz,
    polar_factor,
)


class Stack(torch.nn.Module):
    """A stand-in batched model: one (S, m, n) parameter."""

    def __init__(self, w):
        super().__init__()
        self.n_seeds = w.shape[0]
        self.w = torch.nn.Parameter(w.clone())
        self.default_egd_layers = ("w",)
        self.default_muon_layers = ("w",)


def _run(cfg, w0, grads, alive=None):
    m = Stack(w0)
    opt = EnsembleOptimizer(m, cfg, seed=3)
    alive = torch.ones(w0.shape[0], dtype=torch.bool) if alive is None else alive
    for g in grads:
        m.w.grad = g.clone()
        opt.step(alive)
    return m.w.detach(), opt


REFS = {
    "sgd": (dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "adam": (dict(lr=0.01, weight_decay=0.1), lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1)),
    "adamw": (dict(lr=0.01, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_elementwise_rules_match_torch_optim_per_seed(name):
    kw, ref = REFS[name]
    g = torch.Generator().manual_seed(0)
    w0 = torch.randn(3, 6, 4, generator=g, dtype=torch.float64)
    grads = [torch.randn(3, 6, 4, generator=g, dtype=torch.float64) for _ in range(6)]
    ours, _ = _run(OptimizerConfig(name, **kw), w0, grads)
    for s in range(3):
        p = torch.nn.Parameter(w0[s].clone())
        r = ref([p])
        for gr in grads:
            p.grad = gr[s].clone()
            r.step()
        # float64, same formulas in a different order of operations: a few ulps
        assert torch.allclose(ours[s], p.detach(), rtol=0, atol=1e-13)


def test_muon_matches_torch_muon():
    g = torch.Generator().manual_seed(1)
    w0 = torch.randn(1, 8, 5, generator=g)
    grads = [torch.randn(1, 8, 5, generator=g) for _ in range(4)]
    ours, _ = _run(OptimizerConfig("muon", lr=0.02, weight_decay=0.1), w0, grads)
    p = torch.nn.Parameter(w0[0].clone())
    r = torch.optim.Muon([p], lr=0.02, weight_decay=0.1)
    for gr in grads:
        p.grad = gr[0].clone()
        r.step()
    moved = (p.detach() - w0[0]).norm()
    # torch.optim.Muon runs Newton–Schulz in bfloat16 (8 mantissa bits), we run it in float32:
    # the updates agree to bf16 precision (~2⁻⁸ relative), not to float32 precision.
    assert (ours[0] - p.detach()).norm() / moved < 2e-2


def test_newton_schulz_approximates_the_polar_factor():
    g = torch.Generator().manual_seed(2)
    G = torch.randn(4, 7, 5, generator=g, dtype=torch.float64)
    X = newton_schulz(G)
    s = torch.linalg.svdvals(X)
    # the quintic is tuned for speed, not convergence: singular values land in ≈ (0.5, 1.5)
    assert s.min() > 0.3 and s.max() < 1.6
    P = polar_factor(G)
    cos = (X * P).sum((-1, -2)) / (X.norm(dim=(-1, -2)) * P.norm(dim=(-1, -2)))
    assert cos.min() > 0.95  # same singular vectors; only the singular values are off


@given(m=st.integers(1, 6), n=st.integers(1, 6), r=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_egd_polar_identities(m, n, r, seed):
    """G̃ = UVᵀ = (GGᵀ)^{+1/2}G = G(GᵀG)^{+1/2} and ‖G̃‖_F² = rank G."""
    g = torch.Generator().manual_seed(seed)
    r = min(r, m, n)
    G = torch.randn(m, r, generator=g, dtype=torch.float64) @ torch.randn(r, n, generator=g, dtype=torch.float64)
    Gt = polar_factor(G)
    # rank-deficient directions have σ ~ 1e-16 and are scaled by σ/ε ≈ 1e-10: tolerance 1e-8
    assert abs(Gt.norm() ** 2 - r) < 1e-8
    evals, evecs = torch.linalg.eigh(G @ G.T)
    inv_sqrt = evecs @ torch.diag(torch.where(evals > 1e-10, evals.clamp_min(1e-300).rsqrt(), torch.zeros_like(evals))) @ evecs.T
    assert torch.allclose(Gt, inv_sqrt @ G, atol=1e-8)
    evals, evecs = torch.linalg.eigh(G.T @ G)
    inv_sqrt = evecs @ torch.diag(torch.where(evals > 1e-10, evals.clamp_min(1e-300).rsqrt(), torch.zeros_like(evals))) @ evecs.T
    assert torch.allclose(Gt, G @ inv_sqrt, atol=1e-8)


def test_rsvd_and_colnorm():
    g = torch.Generator().manual_seed(5)
    G = torch.randn(3, 9, 12, generator=g, dtype=torch.float64)
    full = egd_direction(G, method="rsvd", rank=9, generator=torch.Generator().manual_seed(0))
    # rank ≥ min(m, n): the sketch spans the row space, so RSVD is the exact polar factor
    assert torch.allclose(full, polar_factor(G), atol=1e-10)
    low = egd_direction(G, method="rsvd", rank=4, generator=torch.Generator().manual_seed(0))
    assert torch.linalg.svdvals(low)[:, 4:].max() < 1e-8  # the rank-r version has rank r
    G4 = torch.randn(3, 9, 4, generator=g, dtype=torch.float64) @ torch.randn(3, 4, 12, generator=g, dtype=torch.float64)
    exact = egd_direction(G4, method="rsvd", rank=4, generator=torch.Generator().manual_seed(0))
    # on a rank-4 gradient a rank-4 sketch captures the whole range: the exact polar factor
    assert torch.allclose(exact, polar_factor(G4), atol=1e-10)
    cn = egd_direction(G, method="colnorm")
    assert torch.allclose(cn.norm(dim=-1), torch.ones(3, 9, dtype=torch.float64), atol=1e-12)


def test_egd_steps_each_seed_with_its_own_svd():
    g = torch.Generator().manual_seed(6)
    w0 = torch.randn(2, 5, 4, generator=g, dtype=torch.float64)
    G = torch.randn(2, 5, 4, generator=g, dtype=torch.float64)
    w, opt = _run(OptimizerConfig("egd", lr=0.5), w0, [G])
    for s in range(2):
        U, _, Vh = torch.linalg.svd(G[s], full_matrices=False)
        assert torch.allclose(w[s], w0[s] - 0.5 * U @ Vh, atol=1e-12)
    assert not OptimizerConfig("egd").test_leakage
    assert OptimizerConfig("egd", egd_switch_off_test_acc=0.95).test_leakage
    opt.switch_off_egd(torch.tensor([True, False]))
    assert opt.egd_active.tolist() == [False, True] and opt.used_test_accuracy


def test_grokfast_with_alpha_zero_amplifies_the_gradient():
    w0 = torch.zeros(1, 2, 2, dtype=torch.float64)
    G = torch.ones(1, 2, 2, dtype=torch.float64)
    w, _ = _run(OptimizerConfig("sgd", lr=0.1, grokfast_alpha=0.0, grokfast_lamb=2.0), w0, [G])
    assert torch.allclose(w, -0.1 * 3 * G)  # ema = g, so g + λ·ema = 3g


def test_per_seed_lr_and_dead_seeds():
    w0 = torch.zeros(3, 2, 2, dtype=torch.float64)
    G = torch.ones(3, 2, 2, dtype=torch.float64)
    w, _ = _run(OptimizerConfig("sgd", lr=(0.1, 0.2, 0.3)), w0, [G], alive=torch.tensor([True, False, True]))
    assert torch.equal(w[1], w0[1])  # a dead seed is frozen
    assert torch.allclose(w[0], -0.1 * G[0]) and torch.allclose(w[2], -0.3 * G[2])
    Gnan = G.clone()
    Gnan[1] = float("nan")
    w, _ = _run(OptimizerConfig("egd", lr=0.1), w0, [Gnan], alive=torch.tensor([True, False, True]))
    assert torch.isfinite(w).all()  # the dead seed's NaN gradient never reaches the batched SVD
    with pytest.raises(ValueError):
        _run(OptimizerConfig("sgd", lr=(0.1, 0.2)), w0, [G])


def test_state_dict_round_trip_continues_identically():
    g = torch.Generator().manual_seed(8)
    w0 = torch.randn(2, 6, 5, generator=g)
    grads = [torch.randn(2, 6, 5, generator=g) for _ in range(6)]
    cfg = OptimizerConfig("egd", lr=0.05, egd_method="rsvd", egd_rank=2, egd_base="adam")
    straight, _ = _run(cfg, w0, grads)
    half, opt = _run(cfg, w0, grads[:3])
    m = Stack(half)
    opt2 = EnsembleOptimizer(m, cfg, seed=99)  # a different seed: the state must override it
    opt2.load_state_dict(opt.state_dict())
    for gr in grads[3:]:
        m.w.grad = gr.clone()
        opt2.step(torch.ones(2, dtype=torch.bool))
    assert torch.equal(m.w.detach(), straight)


def test_config_validation():
    for bad in (dict(name="lbfgs"), dict(egd_method="qr"), dict(egd_base="rmsprop")):
        with pytest.raises(ValueError):
            OptimizerConfig(**bad)


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_single_pass_adam_kernel_equals_the_foreach_formulas(name, monkeypatch):
    """With one lr and decay for all seeds the step takes torch's fused kernel; it must give the
    foreach path's parameters and moments (float32, a different operation order: a few ulps)."""
    g = torch.Generator().manual_seed(1)
    w0 = torch.randn(4, 7, 5, generator=g)
    grads = [torch.randn(4, 7, 5, generator=g) for _ in range(5)]
    cfg = OptimizerConfig(name, lr=0.01, weight_decay=0.3)
    calls = []
    orig = EnsembleOptimizer._fused_adam
    monkeypatch.setattr(EnsembleOptimizer, "_fused_adam", lambda self, *a: calls.append(orig(self, *a)) or calls[-1])
    fused, opt_f = _run(cfg, w0, grads)
    assert calls == [True] * len(grads)  # the kernel ran at every step
    monkeypatch.setattr(EnsembleOptimizer, "_fused_adam", lambda self, *a: False)
    plain, opt_p = _run(cfg, w0, grads)
    assert torch.allclose(fused, plain, rtol=1e-6, atol=1e-7)
    sf, sp = opt_f.state_dict(), opt_p.state_dict()
    assert sf["t"] == sp["t"] == len(grads)
    for n, state in sp["state"].items():
        assert state.keys() == sf["state"][n].keys()
        for k, v in state.items():  # the moments the next step reads
            assert torch.allclose(sf["state"][n][k], v, rtol=1e-6, atol=1e-7), k  # float32 eps × |g| ~ 1
