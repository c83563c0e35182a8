"""Networks trained elsewhere: the state-dict adapters reproduce each architecture's forward pass,
the per-neuron analysis finds planted irreps through them, predicted tables a few entries off are
repaired with the count stated, and the CLI reads several files with an aggregate."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from grokcheck.checks.cli import main
from grokcheck.checks.training import analyze_model, analyze_pairwise, analyze_weights, load_model, load_models
from grokcheck.errors import InvalidInputError
from grokcheck.theory import group

F64 = torch.float64


def _all_pairs(n):
    a = torch.arange(n).repeat_interleave(n)
    b = torch.arange(n).repeat(n)
    return a, b


# ----------------------------------------------------------------- onelayer-mlp


class OneLayerMLP(nn.Module):
    """The released architecture, written independently of the adapter."""

    def __init__(self, n, e, h, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W_x = nn.Parameter(torch.randn(n, e, generator=g, dtype=F64) / math.sqrt(e))
        self.W_y = nn.Parameter(torch.randn(n, e, generator=g, dtype=F64) / math.sqrt(e))
        self.W = nn.Parameter(torch.randn(2 * e, h, generator=g, dtype=F64) / math.sqrt(2 * e))
        self.W_U = nn.Parameter(torch.randn(h, n, generator=g, dtype=F64) / math.sqrt(h))

    def forward(self, a, b):
        return torch.relu(torch.cat([self.W_x[a], self.W_y[b]], dim=-1) @ self.W) @ self.W_U


def _train(model, G, steps, lr, wd=0.0):
    a, b = _all_pairs(G.order)
    y = torch.as_tensor(G.table.reshape(-1).copy())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(a, b), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float((model(a, b).argmax(-1) == y).double().mean())


@pytest.fixture(scope="module")
def trained_onelayer(tmp_path_factory):
    G = group("S3")
    m = OneLayerMLP(6, 16, 32, seed=0)
    acc = _train(m, G, steps=300, lr=1e-2)
    assert acc == 1.0  # 36 pairs, all in training: a fit, not generalisation
    path = tmp_path_factory.mktemp("ext") / "s3.pt"
    torch.save(m.state_dict(), path)  # float64: the adapter then evaluates in float64
    torch.save({k: v.detach().float() for k, v in m.state_dict().items()}, path.with_name("s3_f32.pt"))
    return G, m, path


def test_onelayer_adapter_reproduces_the_forward_pass_and_recovers_the_group(trained_onelayer):
    G, m, path = trained_onelayer
    model = load_model(path, "onelayer-mlp")
    a, b = _all_pairs(6)
    with torch.no_grad():
        ref = m(a, b).numpy().reshape(6, 6, 6)
    assert model.meta["eval_dtype"] == "float64"
    assert np.allclose(model.logits(), ref, rtol=0, atol=1e-10)  # the same float64 products
    assert np.array_equal(model.predict_table(), G.table)
    m32 = load_model(path.with_name("s3_f32.pt"), "onelayer-mlp")  # a float32 file is evaluated in float32
    assert m32.meta["eval_dtype"] == "float32"
    assert np.allclose(m32.logits(), ref, rtol=0, atol=1e-4)  # float32 rounding of O(10) logits
    rep = analyze_model(model)  # no group: recovered from the predictions
    assert rep.labels == "table" and rep.accuracy == 1.0 and rep.repair.was_group
    assert [nm.name for nm in rep.names] == ["[3] trivial", "[1,1,1] sign", "[2,1] standard"]
    d = model.neuron_data()
    na = analyze_weights(rep.group, d["left"], d["right"], d["out"])
    assert np.array_equal(na.shares[0].winner_orbit, rep.analysis.shares[0].winner_orbit)
    js = rep.to_json()
    assert js["group"]["known_as"] == "S3" and [ir["index"] for ir in js["irreps"]] == [1, 2, 3]
    assert len(js["neurons"]) == 32 and all(r["irrep"] in (None, 2, 3) for r in js["neurons"])
    # with the group given, labels agree with its table, so they are the identity
    rep2 = analyze_model(load_model(path, "onelayer-mlp", group=G), G)
    assert rep2.labels == "identity" and np.array_equal(rep2.element_of_label, np.arange(6))


def test_labels_of_a_relabelled_model_are_matched_by_isomorphism(trained_onelayer):
    G, m, path = trained_onelayer
    perm = np.random.default_rng(3).permutation(6)  # the model's label x is element perm[x]
    H = G.relabel(perm)
    model = load_model(path, "onelayer-mlp")
    rep = analyze_model(model, H)
    assert rep.labels == "isomorphism" and rep.accuracy == 1.0
    phi = rep.element_of_label
    assert np.array_equal(H.table[np.ix_(phi, phi)], phi[G.table])
    # characters are listed per model label: the sign character of S3 in the model's labels
    sign = next(ir for ir in rep.to_json()["irreps"] if ir["name"].endswith("sign"))
    base = analyze_model(model).to_json()
    sign0 = next(ir for ir in base["irreps"] if ir["name"].endswith("sign"))
    assert sign["character"] == sign0["character"]


def test_untrained_weights_fall_back_to_identity_labels(tmp_path):
    G = group("S3")
    path = tmp_path / "init.pt"
    torch.save(OneLayerMLP(6, 16, 32, seed=5).state_dict(), path)
    rep = analyze_model(load_model(path, "onelayer-mlp"), G)
    assert rep.labels.startswith(("identity", "isomorphism"))
    assert rep.accuracy < 1.0


# ----------------------------------------------------------------- concat / summed MLP


def _lookup_net(table, wrong=()):
    """A concat-mlp that looks the answer up: one ReLU neuron per pair fires on that pair only."""
    n = table.shape[0]
    W1 = torch.zeros(n * n, 2 * n, dtype=F64)
    W2 = torch.zeros(n, n * n, dtype=F64)
    for a in range(n):
        for b in range(n):
            i = a * n + b
            W1[i, a] = W1[i, n + b] = 1.0
            W2[table[a, b], i] = 1.0
    for (a, b), new in wrong:
        W2[:, a * n + b] = 0.0
        W2[new, a * n + b] = 1.0
    net = nn.Sequential(nn.Linear(2 * n, n * n), nn.ReLU(), nn.Linear(n * n, n)).double()
    with torch.no_grad():
        net[0].weight.copy_(W1)
        net[0].bias.fill_(-1.0)
        net[2].weight.copy_(W2)
        net[2].bias.zero_()
    return net


def test_concat_mlp_adapter_matches_nn_sequential(tmp_path):
    G = group("D3")
    net = _lookup_net(G.table)
    path = tmp_path / "lookup.pt"
    torch.save(net.state_dict(), path)
    model = load_model(path, "concat-mlp")
    a, b = _all_pairs(6)
    x = torch.cat([nn.functional.one_hot(a, 6), nn.functional.one_hot(b, 6)], dim=1).double()
    with torch.no_grad():
        assert np.allclose(model.logits().reshape(36, 6), net(x).numpy(), rtol=0, atol=1e-12)
    assert np.array_equal(model.predict_table(), G.table)
    assert model.meta["layout"] == "nn.Linear" and model.meta["bias"]


def test_a_few_wrong_predictions_are_repaired_and_counted_by_the_cli(tmp_path, capsys):
    G = group("A4")
    rng = np.random.default_rng(1)
    wrong = []
    for cell in rng.choice(144, size=2, replace=False):
        a, b = divmod(int(cell), 12)
        wrong.append(((a, b), int((G.table[a, b] + 1 + rng.integers(11)) % 12)))
    path = tmp_path / "a4.pt"
    torch.save(_lookup_net(G.table, wrong).state_dict(), path)
    assert main(["analyze", str(path), "--format", "concat-mlp", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    t = js["files"][0]["table"]
    assert t["entries_changed"] == 2 and not t["was_group"]
    assert {(c["left"], c["right"]) for c in t["changes"]} == {ab for ab, _ in wrong}
    assert all(G.table[c["left"], c["right"]] == c["repaired"] for c in t["changes"])
    assert js["files"][0]["group"]["known_as"] == "A4"
    assert main(["analyze", str(path), "--format", "concat-mlp"]) == 0
    assert "2 fixed" in capsys.readouterr().out
    assert main(["analyze", str(path), "--format", "concat-mlp", "--strict-table"]) == 2
    assert "not a group" in capsys.readouterr().err


def _real_irrep_functions(G, orbit):
    """Orthonormal real functions spanning the isotypic component of ``orbit``."""
    from grokcheck.checks.training import group_spectrum

    B, starts = group_spectrum(G).basis
    stop = list(starts[1:]) + [G.order]
    return B[:, starts[orbit]:stop[orbit]].T


@pytest.mark.parametrize("layout", ["nn.Linear", "transposed"])
def test_summed_mlp_planted_irreps_are_found(tmp_path, layout):
    G = group("S4")
    spec_orbits = [3, 4, 2]  # three nontrivial orbits, by index
    rng = np.random.default_rng(0)
    rows, outs = [], []
    for o in spec_orbits:
        F = _real_irrep_functions(G, o)
        for _ in range(4):
            rows.append(rng.normal(size=F.shape[0]) @ F)
            outs.append(rng.normal(size=F.shape[0]) @ F)
    W1 = torch.as_tensor(np.array(rows))  # (12, 24)
    W2 = torch.as_tensor(np.array(outs)).T  # (24, 12)
    sd = {"fc1.weight": W1, "fc1.bias": torch.full((12,), 0.3, dtype=F64), "fc2.weight": W2}
    if layout == "transposed":
        sd = {"fc1.weight": W1.T.contiguous(), "fc1.bias": sd["fc1.bias"], "fc2.weight": W2.T.contiguous()}
    path = tmp_path / "summed.pt"
    torch.save(sd, path)
    model = load_model(path, "summed-mlp", group=G)
    assert model.meta["layout"] == layout
    a, b = _all_pairs(24)
    ref = torch.relu(W1[:, a].T + W1[:, b].T + 0.3) @ W2.T
    assert np.allclose(model.logits().reshape(576, 24), ref.numpy(), rtol=0, atol=1e-12)
    na = model.analysis()
    sh = na.shares[0]
    assert np.array_equal(sh.winner_orbit, np.repeat(spec_orbits, 4))
    # each planted vector lies in one isotypic component: shares 1 up to float64 rounding
    assert np.allclose(sh.share, 1.0, atol=1e-12) and np.allclose(sh.share_out, 1.0, atol=1e-12)
    assert sh.single.all()


def test_bad_files_and_formats_name_the_problem(tmp_path, trained_onelayer):
    _, _, path = trained_onelayer
    with pytest.raises(InvalidInputError, match="missing"):
        load_model(path, "transformer-lens")
    with pytest.raises(InvalidInputError, match="two weight matrices"):
        load_model(path, "concat-mlp")
    with pytest.raises(InvalidInputError, match="unknown model format"):
        load_model(path, "keras")
    with pytest.raises(InvalidInputError, match="no such model file"):
        load_model(tmp_path / "missing.pt", "onelayer-mlp")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    assert main(["analyze", str(tmp_path / "junk.pt"), "--format", "onelayer-mlp"]) == 2


# ----------------------------------------------------------------- transformers


class _Holder(nn.Module):
    pass


# TLLayout computes what a HookedTransformer with this config computes (a state dict does not say it)
TL_CONFIG = {"act_fn": "relu", "normalization_type": None}


class TLLayout(nn.Module):
    """A one-layer transformer whose state dict has TransformerLens's key layout (no LayerNorm),
    with its own forward pass written independently of the adapter."""

    def __init__(self, p, d=32, H=4, m=64, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        r = lambda *s: nn.Parameter(torch.randn(*s, generator=g, dtype=F64) / math.sqrt(d))  # noqa: E731
        z = lambda *s: nn.Parameter(torch.zeros(*s, dtype=F64))  # noqa: E731
        dh = d // H
        self.embed, self.pos_embed, self.unembed = _Holder(), _Holder(), _Holder()
        self.embed.W_E, self.pos_embed.W_pos = r(p + 1, d), r(3, d)
        blk = _Holder()
        blk.attn, blk.mlp = _Holder(), _Holder()
        blk.attn.W_Q, blk.attn.W_K, blk.attn.W_V = r(H, d, dh), r(H, d, dh), r(H, d, dh)
        blk.attn.W_O = r(H, dh, d)
        blk.attn.b_Q, blk.attn.b_K, blk.attn.b_V, blk.attn.b_O = z(H, dh), z(H, dh), z(H, dh), z(d)
        blk.mlp.W_in, blk.mlp.b_in, blk.mlp.W_out, blk.mlp.b_out = r(d, m), z(m), r(m, d), z(d)
        self.blocks = nn.ModuleList([blk])
        self.unembed.W_U, self.unembed.b_U = r(d, p), z(p)
        self.p = p

    def pre(self, a, b):
        tok = torch.stack([a, b, torch.full_like(a, self.p)], dim=1)
        x = self.embed.W_E[tok] + self.pos_embed.W_pos
        at, mlp = self.blocks[0].attn, self.blocks[0].mlp
        q = torch.einsum("btd,hde->bhte", x, at.W_Q) + at.b_Q[None, :, None]
        k = torch.einsum("btd,hde->bhte", x, at.W_K) + at.b_K[None, :, None]
        v = torch.einsum("btd,hde->bhte", x, at.W_V) + at.b_V[None, :, None]
        s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        s = s + torch.triu(torch.full((3, 3), float("-inf"), dtype=F64), diagonal=1)
        z = torch.softmax(s, dim=-1) @ v  # (B, H, 3, dh)
        x = x + torch.einsum("bhte,hed->btd", z, at.W_O) + at.b_O
        return x, x @ mlp.W_in + mlp.b_in

    def forward(self, a, b):
        x, pre = self.pre(a, b)
        mlp = self.blocks[0].mlp
        x = x + torch.relu(pre) @ mlp.W_out + mlp.b_out
        return (x @ self.unembed.W_U + self.unembed.b_U)[:, -1]


def test_transformer_lens_layout_trained_on_cyclic_group_is_analysed_per_mlp_neuron(tmp_path):
    G = group("C11")
    net = TLLayout(11, seed=0)
    assert _train(net, G, steps=150, lr=1e-2) == 1.0  # all 121 pairs fitted
    path = tmp_path / "tl.pt"
    torch.save(net.state_dict(), path)
    model = load_model(path, "transformer-lens", config=TL_CONFIG, mlp_site="pre")
    assert model.pairwise and model.meta["d_mlp"] == 64 and model.meta["eq_token"] == 11
    a, b = _all_pairs(11)
    with torch.no_grad():
        assert np.allclose(model.logits().reshape(121, 11), net(a, b).numpy(), rtol=0, atol=1e-10)
        pre = net.pre(a, b)[1][:, -1].numpy()  # (121, 64) at "="
    d = model.neuron_data()
    assert np.allclose(d["responses"].reshape(64, 121), pre.T, rtol=0, atol=1e-10)
    rep = analyze_model(model, G)
    assert rep.labels == "identity" and rep.accuracy == 1.0
    sh = rep.analysis.shares[0]
    assert sh.neurons == 64 and np.all((sh.share[sh.winner_orbit >= 0] >= 0) & (sh.share[sh.winner_orbit >= 0] <= 1 + 1e-12))
    spectra = rep.spectra
    assert set(spectra) == {"embedding", "unembedding"}
    for v in spectra.values():
        assert v.sum() == pytest.approx(1.0, abs=1e-12) and v[0] == 0.0
    js = rep.to_json()
    assert len(js["neurons"]) == 64 and js["spectra"]["embedding"]


def test_planted_transformer_neurons_are_attributed_to_their_frequency(tmp_path):
    # uniform attention (W_Q = W_K = 0), embeddings on frequency k: every MLP neuron's
    # pre-activation at "=" is (cos(2πka/p + θ) + cos(2πkb/p + θ))/3, so it lies in orbit ±k
    p, k = 13, 4
    G = group(f"C{p}")
    net = TLLayout(p, d=8, H=2, m=16, seed=1)
    with torch.no_grad():
        for prm in net.parameters():
            prm.zero_()
        ang = 2 * np.pi * k * np.arange(p) / p
        net.embed.W_E[:p, 0] = torch.as_tensor(np.cos(ang))
        net.embed.W_E[:p, 1] = torch.as_tensor(np.sin(ang))
        at = net.blocks[0].attn
        at.W_V[0, 0, 0] = at.W_V[0, 1, 1] = 1.0
        at.W_O[0, 0, 2] = at.W_O[0, 1, 3] = 1.0  # into fresh dimensions 2, 3
        th = np.random.default_rng(0).uniform(0, 2 * np.pi, 16)
        net.blocks[0].mlp.W_in[2] = torch.as_tensor(np.cos(th))
        net.blocks[0].mlp.W_in[3] = torch.as_tensor(-np.sin(th))
        net.blocks[0].mlp.W_out[:, 0] = 1.0
        net.unembed.W_U[0] = torch.as_tensor(np.cos(ang))
    path = tmp_path / "planted.pt"
    torch.save(net.state_dict(), path)
    rep = analyze_model(load_model(path, "transformer-lens", config=TL_CONFIG, mlp_site="pre"), G, labels="identity")
    sh = rep.analysis.shares[0]
    chars = G.character_table.on_elements()
    target = next(o for o, orb in enumerate(sh.orbits) if np.isclose(chars[orb[0]][1], np.exp(2j * np.pi * k / p))
                  or np.isclose(chars[orb[0]][1], np.exp(-2j * np.pi * k / p)))
    assert np.all(sh.winner_orbit == target)
    assert np.allclose(sh.share, 1.0, atol=1e-10)  # exact up to float64 rounding of the 2D transform
    assert np.allclose(sh.share_out, 1.0, atol=1e-10)
    assert rep.spectra["embedding"][target] == pytest.approx(1.0, abs=1e-12)


def test_pairwise_analysis_of_a_sum_equals_the_additive_analysis():
    G = group("D4")
    rng = np.random.default_rng(2)
    L, R, Out = rng.normal(size=(3, 10, 8))
    a = analyze_weights(G, L, R, Out).shares[0]
    b = analyze_pairwise(G, L[:, :, None] + R[:, None, :], Out).shares[0]
    assert np.array_equal(a.winner_orbit, b.winner_orbit)
    # input energies agree up to the factor |G| (each of the |G|² pairs counts once)
    assert np.allclose(b.energy_in[:, 1:], G.order * a.energy_in[:, 1:], rtol=1e-10)
    assert np.allclose(a.share, b.share, rtol=1e-10)


def test_real_hooked_transformer_is_read_by_key_layout(tmp_path):
    tl = pytest.importorskip("transformer_lens")
    try:
        tl.HookedTransformer  # noqa: B018 - TransformerLens 4 removed it (TransformerBridge instead)
    except (AttributeError, ImportError):
        pytest.skip("this transformer_lens has no HookedTransformer")
    p = 11
    cfg = tl.HookedTransformerConfig(n_layers=1, d_model=32, d_head=8, n_heads=4, d_mlp=64, d_vocab=p + 1,
                                     d_vocab_out=p, n_ctx=3, act_fn="relu", normalization_type=None, seed=0)
    ht = tl.HookedTransformer(cfg)
    a, b = _all_pairs(p)
    tok = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    y = (a + b) % p
    opt = torch.optim.AdamW(ht.parameters(), lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        nn.functional.cross_entropy(ht(tok)[:, -1], y).backward()
        opt.step()
    path = tmp_path / "ht.pt"
    torch.save(ht.state_dict(), path)
    model = load_model(path, "transformer-lens", config=ht.cfg, mlp_site="pre")
    with torch.no_grad():
        logits, cache = ht.run_with_cache(tok)
    # float32 model against the float64 re-evaluation of its weights: float32 rounding
    assert np.allclose(model.logits().reshape(p * p, p), logits[:, -1].double().numpy(), rtol=0, atol=1e-4)
    pre = cache["blocks.0.mlp.hook_pre"][:, -1].double().numpy()
    assert np.allclose(model.neuron_data()["responses"].reshape(64, p * p), pre.T, rtol=0, atol=1e-4)
    rep = analyze_model(model, group(f"C{p}"))
    assert rep.analysis.shares[0].neurons == 64


# ----------------------------------------------------------------- grokcheck runs and the CLI


def test_grokcheck_run_seeds_and_several_files_aggregate(tmp_path, trained_onelayer, capsys):
    from grokcheck.checks.training import MLPConfig, OptimizerConfig, TrainConfig, group_task, train

    G = group("C5")
    task = group_task(G, train_fraction=1.0, n_seeds=2, seed=0)
    cfg = TrainConfig(model=MLPConfig(widths=(16,)), optimizer=OptimizerConfig(name="adamw", lr=1e-2), steps=30,
                      n_seeds=2, seed=0, eval_every=10, checkpoint_every=30, plot=False)
    run_dir = tmp_path / "run"
    res = train(cfg, task, out_dir=run_dir, progress=False)
    models = load_models(run_dir, "grokcheck")
    assert [m.source.endswith(f"#seed{s}") for s, m in enumerate(models)] == [True, True]
    x = task.x[None].expand(2, *task.x.shape).to(res.model.w1.dtype)
    with torch.no_grad():
        ref = res.model(x).double().numpy()
    for s, m in enumerate(models):
        assert m.group == G
        assert np.allclose(m.logits().reshape(25, 5), ref[s], rtol=0, atol=1e-5)  # float32 run, float64 re-evaluation
        assert m.analysis().shares[0].neurons == 16
    _, _, path = trained_onelayer
    assert main(["analyze", str(path), str(path), "--format", "onelayer-mlp", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "aggregate over 2 models of S3" in out and "[2,1] standard" in out
    js = json.loads((tmp_path / "o" / "analysis.json").read_text())
    assert js["schema"] == "grokcheck.analyze/1" and len(js["files"]) == 2
    agg = js["aggregate"]["groups"][0]
    assert agg["models"] == 2 and all(r["models"] in (0, 2) for r in agg["irreps"])
    assert main(["analyze", str(run_dir), "--format", "grokcheck", "--json"]) == 0
    js2 = json.loads(capsys.readouterr().out)
    assert len(js2["files"]) == 2 and js2["files"][0]["group"]["labels"] == "identity"


def test_cli_group_after_format_and_by_permutations(trained_onelayer, capsys):
    _, _, path = trained_onelayer
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "S3", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["files"][0]
    assert js["group"]["name"] == "S3" and js["group"]["labels"] in ("identity", "isomorphism")
    assert js["table"]["accuracy"] == 1.0
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "--perms", "(1,2)", "(1,2,3)", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["files"][0]
    assert js["group"]["known_as"] == "S3" and js["table"]["accuracy"] == 1.0
    assert {ir["name"] for ir in js["irreps"]} == {"[3] trivial", "[1,1,1] sign", "[2,1] standard"}
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "C6"]) == 2  # not isomorphic: refused
    assert "not isomorphic" in capsys.readouterr().err
    assert main(["analyze", str(path), "--format", "tflite"]) == 2


def test_grokcheck_transformer_run_is_analysed_per_mlp_neuron(tmp_path):
    from grokcheck.checks.training import OptimizerConfig, TrainConfig, TransformerConfig, group_task, train

    G = group("C7")
    task = group_task(G, train_fraction=1.0, n_seeds=1, seed=0, encoding="sequence")
    cfg = TrainConfig(model=TransformerConfig(d_model=16, n_heads=2, d_mlp=32),
                      optimizer=OptimizerConfig(name="adamw", lr=1e-2), steps=10, n_seeds=1, seed=0, eval_every=10,
                      checkpoint_every=10, plot=False)
    res = train(cfg, task, out_dir=tmp_path / "run", progress=False)
    (m,) = load_models(tmp_path / "run", "grokcheck")
    assert m.pairwise
    with torch.no_grad():
        h = res.model._last_after_attention(task.x[None])
        pre = (torch.bmm(h, res.model.w_in.transpose(1, 2)) + res.model.b_in[:, None, :])[0]  # (49, 32)
    assert np.allclose(m.neuron_data()["responses"].reshape(32, 49), pre.double().T.numpy(), rtol=0, atol=1e-5)
    rep = analyze_model(m)
    assert rep.labels == "identity" and rep.analysis.shares[0].neurons == 32


def test_cli_elements_pin_the_labels_and_exact_partitions(trained_onelayer, tmp_path, capsys):
    import itertools

    _, _, path = trained_onelayer
    # grokcheck's S3 (the training table) is the lexicographic permutations of 0..2
    els = [list(p) for p in itertools.permutations(range(3))]
    f = tmp_path / "elements.json"
    f.write_text(json.dumps(els))
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "--elements", str(f), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["files"][0]
    assert js["group"]["labels"] == "identity" and js["table"]["accuracy"] == 1.0
    assert js["group"]["known_as"] == "S3" and all(ir["note"] is None for ir in js["irreps"])
    assert js["group"]["element_of_label"] == ["()", "(2,3)", "(1,2)", "(1,2,3)", "(1,3,2)", "(1,3)"]
    # the sign character, per label, is the sign of that label's permutation
    sign = next(ir for ir in js["irreps"] if ir["alias"] == "sign")
    assert [c[0] for c in sign["character"]] == [1.0, -1.0, -1.0, 1.0, 1.0, -1.0]
    f.write_text(json.dumps(els[:5]))  # not closed under products
    assert main(["analyze", str(path), "--format", "onelayer-mlp", "--elements", str(f)]) == 2


# ----------------------------------------------------------------- size bound


def _onelayer_file(tmp_path, n, e=4, h=8):
    g = torch.Generator().manual_seed(0)
    state = {"W_x": torch.randn(n, e, generator=g), "W_y": torch.randn(n, e, generator=g),
             "W": torch.randn(2 * e, h, generator=g), "W_U": torch.randn(h, n, generator=g)}
    p = tmp_path / f"m{n}.pt"
    torch.save(state, p)
    return p


def test_a_model_with_too_many_labels_is_refused_before_any_forward_pass(tmp_path, monkeypatch, capsys):
    """A model whose n×n arrays do not fit the machine is refused up front, naming the size and the fix, at exit 2
    (3000 labels on a pretend 0.5 GB machine: 8·8·3000² bytes ≈ 0.58 GB)."""
    import grokcheck.checks.training._external as ext
    from grokcheck.checks.cli import main

    monkeypatch.setattr(ext, "_available_memory", lambda: 5 * 10**8)
    calls = []
    monkeypatch.setattr(ext.ExternalModel, "predict_table", lambda self: calls.append(1))
    p = _onelayer_file(tmp_path, 3000)
    with pytest.raises(InvalidInputError) as err:
        ext.load_model(p, "onelayer-mlp")
    msg = str(err.value)
    assert "3000 output labels" in msg and "3000² = 9,000,000 pairs" in msg and "0.576 GB" in msg
    assert "this machine has 0.5 GB" in msg and "Fix: run on a machine with more memory" in msg
    n_fit = int(msg.split("up to about ")[1].split()[0])
    assert ext.model_path_memory(n_fit) <= 5 * 10**8 < ext.model_path_memory(int(n_fit * 1.06))
    assert main(["analyze", str(p), "--format", "onelayer-mlp"]) == 2
    assert "3000 output labels" in capsys.readouterr().err
    assert not calls  # refused before the model was evaluated on any pair


def test_a_far_from_group_table_is_refused_before_the_vote(tmp_path):
    """A random 600-label model's predictions are far from any group: the vote refuses it from the count of entries
    without a majority (more than the limit it is guaranteed to repair) instead of voting on each (O(n³) memory)."""
    from grokcheck.errors import NotAGroupError
    from grokcheck.theory import repair_table

    rng = np.random.default_rng(0)
    t = rng.integers(0, 600, size=(600, 600))
    t[0, rng.choice(600, size=300, replace=False)] = 7  # one label predicted for half of a row
    with pytest.raises(NotAGroupError, match="no majority among their 256 sampled") as err:
        repair_table(t)
    assert "… (300 in all)" in str(err.value)  # the Latin-square witness names a few places, not hundreds


def test_the_size_bound_lets_ordinary_models_through_and_counts_transformer_responses(tmp_path):
    import dataclasses

    import grokcheck.checks.training._external as ext

    m = ext.load_model(_onelayer_file(tmp_path, 60), "onelayer-mlp")
    ext.check_model_size(m, available=ext.model_path_memory(60))  # exactly enough: accepted
    with pytest.raises(InvalidInputError, match="60 output labels"):
        ext.check_model_size(m, available=ext.model_path_memory(60) - 1)
    # a transformer's (d_mlp, n, n) float64 responses count too
    assert ext.model_path_memory(60, width=512, pairwise=True) - ext.model_path_memory(60) == 8 * 512 * 60 * 60
    with pytest.raises(InvalidInputError, match="MAX_ORDER = 5040"):
        ext.check_model_size(dataclasses.replace(m, order=5041), available=None)
