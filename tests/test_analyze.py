"""Measurements on trained nets: planted Fourier neurons are recognised, dead neurons are
skipped, the majority-vote regression recovers planted coefficients, Li₂'s closed form holds
at the ridge V and node energies respect the corrected maximum |G|/4 (Tian, arXiv 2509.21519, Theorem 2, corrected constants (docs/errata.md))."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grokcheck.checks.training._analyze import analyze_neurons, li2_quantities, majority_vote, plot_neuron_heatmap, plot_neuron_histograms
from grokcheck.checks.training._data import group_task
from grokcheck.checks.training._models import EnsembleModel, Li2Config, MLPConfig, build_model
from grokcheck.theory import FiniteGroup

F64 = torch.float64


def cyclic(n):
    return FiniteGroup.from_table((np.arange(n)[:, None] + np.arange(n)) % n, name=f"C{n}")


def _planted_mlp(G, freqs, phases, dead=()):
    n = G.order
    t = group_task(G, n_seeds=1)
    m = build_model(MLPConfig(widths=(len(freqs),)), t, dtype=F64)
    g = np.arange(n)
    W1 = np.zeros((len(freqs), 2 * n))
    W2 = np.zeros((n, len(freqs)))
    for i, (k, (p1, p2)) in enumerate(zip(freqs, phases)):
        w = 2 * np.pi * k / n
        W1[i, :n] = np.cos(w * g + p1)
        W1[i, n:] = np.cos(w * g + p2)
        W2[:, i] = np.cos(w * g + p1 + p2)  # the phase law ψ = φ¹ + φ²
        if i in dead:
            W1[i] *= 1e-6
            W2[:, i] *= 1e-6
    with torch.no_grad():
        m.w1.copy_(torch.as_tensor(W1)[None])
        m.w2.copy_(torch.as_tensor(W2)[None])
    return m


def test_planted_fourier_neurons_are_pure_aligned_and_in_the_right_orbit(tmp_path):
    G = cyclic(7)
    rng = np.random.default_rng(0)
    freqs = [1, 2, 3, 1, 2, 3]
    phases = rng.uniform(0, 2 * np.pi, (6, 2))
    m = _planted_mlp(G, freqs, phases, dead=(5,))
    na = analyze_neurons(G, m)
    meas = na.measurements[0]
    assert na.live[0].tolist() == [True] * 5 + [False]  # the 1e-6-scaled neuron is not live
    # exact single-frequency vectors: purity 1 and alignment 1 up to float64 rounding
    assert np.allclose(meas.purity, 1, atol=1e-12)
    assert np.allclose(meas.align_re, 1, atol=1e-12)
    assert np.allclose(np.abs(meas.phase_residual), 0, atol=1e-10)
    chars = [np.asarray(ir.character) for ir in G.irreps]
    for i, o in enumerate(meas.winner_orbit):
        k = freqs[i]
        hit = [np.isclose(chars[j][1], np.exp(2j * np.pi * k / 7)) or np.isclose(chars[j][1], np.exp(-2j * np.pi * k / 7))
               for j in meas.orbits[o]]
        assert any(hit)
    summ = na.summary()
    assert summ["neurons_live"] == 5 and summ["purity_fraction_ge_0.95"] == 1.0
    assert sorted(o["count"] for o in summ["occupancy"]) == [1, 2, 2]
    plot_neuron_heatmap(na, tmp_path / "h.png")
    plot_neuron_histograms(na, tmp_path / "hist.png")
    assert (tmp_path / "h.png").stat().st_size > 0 and (tmp_path / "hist.png").stat().st_size > 0


def test_mixed_neuron_has_low_purity():
    G = cyclic(7)
    m = _planted_mlp(G, [1], [(0.3, 1.1)])
    with torch.no_grad():  # add an equal-energy frequency-2 component to θ¹
        m.w1[0, 0, :7] += torch.cos(2 * np.pi * 2 / 7 * torch.arange(7, dtype=F64))
    meas = analyze_neurons(G, m).measurements[0]
    assert meas.purity[0] < 0.6  # θ¹ splits its energy evenly between two orbits


class Planted(EnsembleModel):
    """Logits 2·1{j=g1g2} + 1{j=g1²} + 1{j=g2²} − 4/|G| on concatenated one-hot input."""

    def __init__(self, G):
        super().__init__(None, 1)
        self.T = torch.as_tensor(np.array(G.table))
        self.n = G.order
        self.dummy = torch.nn.Parameter(torch.zeros(1, 1, dtype=F64))

    def forward(self, x):
        g1, g2 = x[..., : self.n].argmax(-1), x[..., self.n :].argmax(-1)
        oh = lambda v: torch.nn.functional.one_hot(v, self.n).to(F64)  # noqa: E731
        return 2 * oh(self.T[g1, g2]) + oh(self.T[g1, g1]) + oh(self.T[g2, g2]) - 4 / self.n


def test_majority_vote_recovers_planted_coefficients():
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"], name="S3")
    mv = majority_vote(G, Planted(G), group_task(G))["per_seed"][0]
    assert np.allclose(mv["coef_normalized"], [1, 0.5, 0.5, -2 / 6], atol=1e-12)  # exact linear model
    assert mv["r2"] == pytest.approx(1.0, abs=1e-12)
    # the flawed indicator: where g1² = g2² ≠ g1g2 the ghost ties the correct answer (2 = 2)
    T = np.array(G.table)
    g1, g2 = np.repeat(np.arange(6), 6), np.tile(np.arange(6), 6)
    tie = (T[g1, g1] == T[g2, g2]) & (T[g1, g1] != T[g1, g2])
    assert mv["margin_min"] == 0.0 and mv["margin_positive_fraction"] == pytest.approx(1 - tie.mean(), abs=1e-15)


def test_li2_closed_form_at_the_ridge_v_and_energy_bound():
    G = cyclic(5)
    t = group_task(G, train_fraction=0.8, n_seeds=2)
    x, y = t.split("train", dtype=F64)
    m = build_model(Li2Config(width=9, ridge_v=0.2), t, dtype=F64)
    m.before_step(x, y)
    rows = li2_quantities(m, x, y, eta=0.2, G=G)
    for r in rows:
        # at V = V_ridge, G_F equals Eq. (4)'s closed form (an exact identity; float64 solves)
        assert r["v_vs_ridge_rel"] < 1e-10
        assert r["gf_vs_closed_form_rel"] < 1e-9 and r["ridge_identity_rel"] < 1e-9
        assert 0 <= r["kernel_offdiag_ratio_FtF"]
        # corrected Theorem 2: on the unit sphere E ≤ |G|/4 for odd cyclic groups (no real irrep)
        assert r["node_energy_normalized"]["max"] <= 5 / 4 + 1e-12


# ----------------------------------------------------------------- analyze_weights


def _isotypic(G, orbit):
    from grokcheck.checks.training import group_spectrum

    B, starts = group_spectrum(G).basis
    stop = list(starts[1:]) + [G.order]
    return B[:, starts[orbit]:stop[orbit]].T


def test_analyze_weights_shares_of_planted_mixtures():
    from grokcheck.checks.training import analyze_weights
    from grokcheck.theory import group

    G = group("S4")
    rng = np.random.default_rng(0)
    A, B = _isotypic(G, 3), _isotypic(G, 2)
    u = rng.normal(size=A.shape[0]) @ A
    w = rng.normal(size=B.shape[0]) @ B
    u, w = u / np.linalg.norm(u), w / np.linalg.norm(w)
    # neuron 0: 70% of its input energy in orbit 3, 30% in orbit 2, plus a constant (trivial) part
    left = np.stack([np.sqrt(0.7) * u + 5.0, u, 1e-9 * u])
    right = np.stack([np.sqrt(0.3) * w, w, 1e-9 * w])
    out = np.stack([w, u, u])
    na = analyze_weights(G, left, right, out)
    sh = na.shares[0]
    assert sh.winner_orbit[0] == 3 and sh.share[0] == pytest.approx(0.7, abs=1e-12)  # exact projections
    assert sh.share_out[0] == pytest.approx(0.0, abs=1e-12)
    assert sh.share[1] == pytest.approx(0.5, abs=1e-12)  # equal energy in two orbits
    assert sh.alive.tolist() == [True, True, False]  # the 1e-9-scaled neuron lies below a ×100 drop (gap rule)
    assert not sh.single.any()  # no share reaches 0.9
    # output weights counting: neuron 0's input says orbit 3 (0.7), its output orbit 2 (1.0)
    sh2 = analyze_weights(G, left, right, out, count_output=True).shares[0]
    assert sh2.winner_orbit[0] == 2
    assert analyze_weights(G, left, right, out, alive_rule="all").shares[0].alive.all()
    js = na.to_json()
    assert [r["alive"] for r in js["neurons"]] == [True, True, False]
    assert js["neurons"][0]["irrep"] == G.character_table.orbits[3][0] + 1  # 1-based, GAP's X.i
    assert js["summary"]["alive_rule"] == "gap" and js["summary"]["share_threshold"] == 0.9
    assert js["summary"]["definition"].startswith("single-irrep fraction = alive neurons with ≥ 0.9")
    assert js["summary"]["fraction_single_irrep"] == 0.0
    assert [ir["index"] for ir in js["irreps"]] == list(range(1, 6))


def test_analyze_weights_fires_rule_and_bad_shapes():
    from grokcheck.checks.training import analyze_weights
    from grokcheck.errors import InvalidInputError

    G = cyclic(5)
    left = np.array([[1.0, 0, 0, 0, 0], [1.0, 0, 0, 0, 0]])
    out = np.ones((2, 5))
    sh = analyze_weights(G, left, left, out, bias=np.array([0.0, -3.0]), alive_rule="fires").shares[0]
    assert sh.alive.tolist() == [True, False]  # max pre-activation 1 + 1 - 3 < 0: never fires
    with pytest.raises(InvalidInputError, match="right"):
        analyze_weights(G, left, left[:, :4], out)
    with pytest.raises(InvalidInputError, match="alive_rule"):
        analyze_weights(G, left, left, out, alive_rule="loud")


def test_group_spectrum_is_cached_per_group_object():
    import gc
    import weakref

    from grokcheck.checks.training import group_spectrum

    G = cyclic(9)
    s1 = group_spectrum(G)
    assert group_spectrum(G) is s1
    H = FiniteGroup.from_table(np.array(G.table))  # equal table, another object: its own entry
    assert group_spectrum(H) is not s1
    key, ref = id(H), weakref.ref(H)
    assert key in group_spectrum._store
    del H
    gc.collect()
    assert ref() is None and key not in group_spectrum._store  # the entry died with its group


def test_elements_sympy_shortcut_is_sympys_generate_order():
    """``--elements sympy:Sn`` is the JSON file of sympy's ``SymmetricGroup(n).generate()`` order, not a relabelling."""
    from sympy.combinatorics.named_groups import SymmetricGroup

    from grokcheck.checks.cli.analyze import _sympy_symmetric_elements
    from grokcheck.errors import InvalidInputError

    data = _sympy_symmetric_elements("sympy:S4")
    assert data == [p.array_form for p in SymmetricGroup(4).generate()]
    assert len({tuple(p) for p in data}) == 24
    for bad in ("sympy:S8", "sympy:A5", "sympy:S", "sympy:S1"):
        with pytest.raises(InvalidInputError, match="sympy:Sn"):
            _sympy_symmetric_elements(bad)


def test_analyze_threads_option(tmp_path, capsys):
    """``--threads`` takes ``auto`` or a count (the same numbers either way) and refuses anything else by name."""
    import json

    from grokcheck.checks.cli import main

    torch.manual_seed(0)
    n, e, h = 7, 8, 16
    path = tmp_path / "c7.pt"
    torch.save({"W_x": torch.randn(n, e), "W_y": torch.randn(n, e), "W": torch.randn(2 * e, h),
                "W_U": torch.randn(h, n)}, path)
    outs = []
    for threads in ("auto", "1"):
        assert main(["analyze", str(path), "--format", "onelayer-mlp", "C7", "--json", "--threads", threads]) == 0
        outs.append(json.loads(capsys.readouterr().out)["files"][0]["summary"])
    assert outs[0] == outs[1]
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "C7", "--threads", "x"]) == 2
    assert "threads" in capsys.readouterr().err
