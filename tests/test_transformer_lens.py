"""TransformerLens models read as TransformerLens computes them.

Two groups of tests:

* without the package: the key-layout reader on hand-made HookedTransformer state dicts — its
  refusals (no config, a config it cannot compute, shapes that are not TransformerLens's layout,
  each by name) and properties that need no reference implementation (folding LayerNorm into
  the weights by hand and reading the result as ``LNPre`` gives the same logits; ``RMS`` with unit
  weights is ``RMSPre``; ...);
* with TransformerLens 3.9 (``pytest.importorskip``): real ``HookedTransformer`` models in every
  config variant, saved with their config, read back; logits equal ``model(tokens)[:, -1]`` and
  neuron activations equal the ``blocks.L.mlp.hook_post``/``hook_pre`` hooks — through
  HookedTransformer itself and through the key-layout reader.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from grokcheck.checks.cli import main
from grokcheck.checks.training import load_model
from grokcheck.errors import InvalidInputError

F64 = torch.float64
P = 11  # labels 0..10, "=" is token 11


def _pairs(n):
    a = torch.arange(n).repeat_interleave(n)
    b = torch.arange(n).repeat(n)
    return torch.stack([a, b, torch.full_like(a, n)], dim=1)


def random_state(n=P, *, d=32, H=4, dh=8, m=64, layers=1, norm=None, vocab_out=None, ctx=3, seed=0) -> dict:
    """A HookedTransformer state dict (float64) with random weights, made without TransformerLens.

    ``norm``: ``"LN"`` (ln*.w and .b), ``"RMS"`` (.w only) or ``None`` (no LayerNorm weights)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape, s=None):
        return torch.randn(*shape, generator=g, dtype=F64) / math.sqrt(d if s is None else s)

    sd = {"embed.W_E": r(n + 1, d, s=1), "pos_embed.W_pos": r(ctx, d, s=1)}
    for L in range(layers):
        p = f"blocks.{L}."
        for w in ("W_Q", "W_K", "W_V"):
            sd[p + "attn." + w] = r(H, d, dh)
        sd[p + "attn.W_O"] = r(H, dh, d, s=dh * H)
        for b in ("b_Q", "b_K", "b_V"):
            sd[p + "attn." + b] = 0.1 * r(H, dh, s=1)
        sd[p + "attn.b_O"] = 0.1 * r(d, s=1)
        sd[p + "mlp.W_in"], sd[p + "mlp.b_in"] = r(d, m), 0.1 * r(m, s=1)
        sd[p + "mlp.W_out"], sd[p + "mlp.b_out"] = r(m, d, s=m), 0.1 * r(d, s=1)
        if norm is not None:
            for ln in ("ln1", "ln2"):
                sd[f"{p}{ln}.w"] = 1 + 0.3 * r(d, s=1)
                if norm == "LN":
                    sd[f"{p}{ln}.b"] = 0.3 * r(d, s=1)
    if norm is not None:
        sd["ln_final.w"] = 1 + 0.3 * r(d, s=1)
        if norm == "LN":
            sd["ln_final.b"] = 0.3 * r(d, s=1)
    vo = n if vocab_out is None else vocab_out
    sd["unembed.W_U"], sd["unembed.b_U"] = r(d, vo), 0.1 * r(vo, s=1)
    return sd


def save(tmp_path, sd, config=None, name="model.pt"):
    path = tmp_path / name
    torch.save(sd, path)
    if config is not None:
        path.with_name(name + ".json").write_text(json.dumps(config, default=str))
    return path


def read(path, **kw):
    kw.setdefault("engine", "key-layout")
    from grokcheck.checks.training._external import _read_state
    from grokcheck.checks.training._tl_model import read_transformer_lens

    state, ed = _read_state(path)
    return read_transformer_lens(state, path, kw.pop("group", None), eval_dtype=ed, **kw)


BASE = {"act_fn": "relu", "normalization_type": None}


# ------------------------------------------------------------------ the key-layout reader, no package needed


def test_no_config_is_refused_with_what_the_keys_cannot_say(tmp_path):
    path = save(tmp_path, random_state())
    with pytest.raises(InvalidInputError, match=r"'LNPre' \(LayerNorm folded") as exc:
        load_model(path, "transformer-lens")
    msg = str(exc.value)
    for words in ("act_fn", "shortformer", "attn_scale", "--tl-config", "model.pt.json", "config.json", "d_model 32"):
        assert words in msg
    assert main(["analyze", str(path), "--format", "transformer-lens", "C11"]) == 2
    # RMS keys (weights without biases) are named as such: no KeyError on ln1.b
    path = save(tmp_path, random_state(norm="RMS"), name="rms.pt")
    with pytest.raises(InvalidInputError, match="normalization_type 'RMS'"):
        load_model(path, "transformer-lens")


def test_config_sources_beside_the_file_in_the_checkpoint_and_given(tmp_path):
    sd = random_state(norm="LN")
    cfg = {"act_fn": "gelu", "normalization_type": "LN"}
    ref = read(save(tmp_path, sd, cfg, name="beside.pt")).logits()
    (tmp_path / "f").mkdir()
    path = save(tmp_path / "f", sd, name="m.pt")
    (tmp_path / "f" / "config.json").write_text(json.dumps(cfg))
    m = read(path)
    assert m.meta["config_source"].endswith("config.json") and np.array_equal(m.logits(), ref)
    torch.save({"model": sd, "config": cfg}, tmp_path / "ckpt.pt")
    m = read(tmp_path / "ckpt.pt")
    assert "its 'config'" in m.meta["config_source"] and np.array_equal(m.logits(), ref)
    (tmp_path / "given.json").write_text(json.dumps(cfg))
    m = read(path, config=tmp_path / "given.json")  # the given config wins over config.json
    assert m.meta["config_source"] == str(tmp_path / "given.json") and np.array_equal(m.logits(), ref)
    assert read(path, config=dict(cfg, act_fn="relu")).meta["activation"] == "relu"
    # the CLI flag
    out = tmp_path / "o"
    assert main(["analyze", str(tmp_path / "ckpt.pt"), "--format", "transformer-lens", "C11", "--tl-config",
                 str(tmp_path / "given.json"), "--tl-mlp-site", "pre", "--out", str(out)]) == 0
    js = json.loads((out / "analysis.json").read_text())["files"][0]
    assert js["model"]["neuron_site"] == "blocks.0.mlp.hook_pre" and js["model"]["activation"] == "gelu"


def test_folding_layernorm_by_hand_and_reading_lnpre_gives_the_same_logits(tmp_path):
    # TransformerLens's fold_ln: LN(x)·W + b = x̂·(w ⊙ W) + (b_ln·W + b) with x̂ the centred, scaled x; the folded
    # reading weights are then centred over d_model (x̂ has mean zero, so this changes nothing)
    sd = random_state(norm="LN", layers=2)
    folded = {k: v.clone() for k, v in sd.items() if ".ln" not in k and not k.startswith("ln_final")}
    for L in range(2):
        p = f"blocks.{L}."
        w1, b1, w2, b2 = (sd[p + k] for k in ("ln1.w", "ln1.b", "ln2.w", "ln2.b"))
        for x in "QKV":
            W = sd[p + f"attn.W_{x}"]
            folded[p + f"attn.b_{x}"] = sd[p + f"attn.b_{x}"] + torch.einsum("d,hde->he", b1, W)
            Wf = w1[None, :, None] * W
            folded[p + f"attn.W_{x}"] = Wf - Wf.mean(1, keepdim=True)
        folded[p + "mlp.b_in"] = sd[p + "mlp.b_in"] + b2 @ sd[p + "mlp.W_in"]
        Wf = w2[:, None] * sd[p + "mlp.W_in"]
        folded[p + "mlp.W_in"] = Wf - Wf.mean(0, keepdim=True)
    folded["unembed.b_U"] = sd["unembed.b_U"] + sd["ln_final.b"] @ sd["unembed.W_U"]
    Wf = sd["ln_final.w"][:, None] * sd["unembed.W_U"]
    folded["unembed.W_U"] = Wf - Wf.mean(0, keepdim=True)
    ln = read(save(tmp_path, sd, dict(BASE, normalization_type="LN"), name="ln.pt"))
    pre = read(save(tmp_path, folded, dict(BASE, normalization_type="LNPre"), name="pre.pt"))
    # float64 weights, so float64 rounding of two orders of the same sums
    assert np.abs(ln.logits() - pre.logits()).max() < 1e-10
    assert np.abs(ln.neuron_data()["responses"] - pre.neuron_data()["responses"]).max() < 1e-10
    # the folded file read as if it had no normalization computes other logits: why a config is required
    other = read(save(tmp_path, folded, BASE, name="none.pt"))
    assert np.abs(other.logits() - ln.logits()).max() > 0.1
    # and the unfolded config on the folded file is refused, pointing at LNPre
    with pytest.raises(InvalidInputError, match="'LNPre'"):
        read(save(tmp_path, folded, dict(BASE, normalization_type="LN"), name="wrong.pt"))


def test_settings_that_must_agree_agree(tmp_path):
    # RMS with unit weights is RMSPre; use_attn_scale=False is attn_scale 1; shortformer with W_pos = 0 is standard;
    # d_vocab_out = n + 1 predicts as the first n logits; float64 weights: float64 rounding only (1e-12)
    sd = random_state(norm="RMS")
    unit = {k: (torch.ones_like(v) if ".ln" in k or k.startswith("ln_final") else v) for k, v in sd.items()}
    a = read(save(tmp_path, unit, dict(BASE, normalization_type="RMS"), name="a.pt")).logits()
    no_ln = {k: v for k, v in sd.items() if ".ln" not in k and not k.startswith("ln_final")}
    b = read(save(tmp_path, no_ln, dict(BASE, normalization_type="RMSPre"), name="b.pt")).logits()
    assert np.abs(a - b).max() < 1e-12
    sd = random_state()
    a = read(save(tmp_path, sd, dict(BASE, use_attn_scale=False), name="c.pt")).logits()
    b = read(save(tmp_path, sd, dict(BASE, attn_scale=1.0), name="d.pt")).logits()
    s8 = read(save(tmp_path, sd, BASE, name="e.pt")).logits()
    assert np.abs(a - b).max() < 1e-12 and np.abs(a - s8).max() > 1e-3
    zero = dict(sd, **{"pos_embed.W_pos": torch.zeros_like(sd["pos_embed.W_pos"])})
    a = read(save(tmp_path, zero, dict(BASE, positional_embedding_type="shortformer"), name="f.pt")).logits()
    b = read(save(tmp_path, zero, BASE, name="g.pt")).logits()
    assert np.abs(a - b).max() < 1e-12
    a = read(save(tmp_path, sd, dict(BASE, positional_embedding_type="shortformer"), name="h.pt")).logits()
    assert np.abs(a - s8).max() > 1e-3
    wide = random_state(vocab_out=P + 1)
    m = read(save(tmp_path, wide, BASE, name="i.pt"))
    assert m.order == P and m.meta["logits_not_predicted"] == [P] and m.logits().shape == (P, P, P)
    narrow = dict(wide, **{"unembed.W_U": wide["unembed.W_U"][:, :P], "unembed.b_U": wide["unembed.b_U"][:P]})
    assert np.abs(read(save(tmp_path, narrow, BASE, name="j.pt")).logits() - m.logits()).max() < 1e-12


def test_layer_and_site_choose_the_neurons(tmp_path, monkeypatch):
    sd = random_state(layers=2, norm="LN")
    path = save(tmp_path, sd, dict(BASE, normalization_type="LN"))
    last = read(path)
    assert last.meta["neurons_of_block"] == 1 and last.meta["neuron_site"] == "blocks.1.mlp.hook_post"
    post0 = read(path, layer=0).neuron_data()["responses"]
    pre0 = read(path, layer=-2, mlp_site="pre").neuron_data()["responses"]
    assert np.array_equal(post0, np.maximum(pre0, 0))  # ReLU: post = max(pre, 0) exactly
    assert not np.allclose(post0, last.neuron_data()["responses"])
    with pytest.raises(InvalidInputError, match="layer 2 does not exist"):
        read(path, layer=2)
    with pytest.raises(InvalidInputError, match="mlp_site"):
        read(path, mlp_site="mid")
    from grokcheck.checks.training import _tl_model

    monkeypatch.setattr(_tl_model, "RESPONSE_BYTES", 8 * 64 * P * P - 1)  # one byte short of these responses
    with pytest.raises(InvalidInputError, match="out of reach"):
        read(path).neuron_data()


@pytest.mark.parametrize("change, match", [
    ({"act_fn": "swish"}, "act_fn = 'swish' is not one of"),
    ({"normalization_type": "BatchNorm"}, "normalization_type = 'BatchNorm'"),
    ({"normalisation_type": None}, r"\['normalisation_type'\] is not a field"),
    ({"d_model": 64}, "d_model = 64 but the weights have 32"),
    ({"n_heads": 8}, "n_heads = 8 but the weights have 4"),
    ({"d_vocab_out": -1}, "d_vocab_out = -1 means d_vocab"),
    ({"attn_only": True}, "attention-only"),
    ({"positional_embedding_type": "rotary"}, "pos_embed.W_pos"),
    ({"eps": "small"}, "eps = 'small' is not a finite number"),
])
def test_configs_that_do_not_fit_are_refused_by_name(tmp_path, change, match):
    path = save(tmp_path, random_state(), dict(BASE, **change))
    with pytest.raises(InvalidInputError, match=match):
        read(path)


def test_key_layout_refuses_what_it_does_not_compute(tmp_path):
    path = save(tmp_path, random_state(), dict(BASE, attn_scores_soft_cap=30.0))
    with pytest.raises(InvalidInputError, match=r"attn_scores_soft_cap = 30.0, which the key-layout reader does not"):
        read(path)
    path = save(tmp_path, random_state(), dict(BASE, act_fn="xielu"), name="x.pt")
    with pytest.raises(InvalidInputError, match="act_fn = 'xielu'"):
        read(path)


def _with(sd, **changes):
    out = dict(sd)
    for k, v in changes.items():
        if v is None:
            out.pop(k.replace("__", "."))
        else:
            out[k.replace("__", ".")] = v
    return out


@pytest.mark.parametrize("make, match", [
    (lambda sd: _with(sd, blocks__0__mlp__W_in=sd["blocks.0.mlp.W_in"].T.contiguous()),
     r"blocks.0.mlp.W_in has shape \(64, 32\); TransformerLens stores \(d_model, d_mlp\) with d_model 32"),
    (lambda sd: _with(sd, blocks__0__attn__W_K=torch.zeros(2, 32, 16, dtype=F64)),
     r"blocks.0.attn.W_K has shape \(2, 32, 16\) but blocks.0.attn.W_Q has \(4, 32, 8\)"),
    (lambda sd: _with(sd, blocks__0__attn__W_Q=torch.zeros(32, 32, dtype=F64)),
     r"blocks.0.attn.W_Q has shape \(32, 32\); TransformerLens stores \(n_heads, d_model, d_head\)"),
    (lambda sd: {k.replace("blocks.0.", "blocks.x."): v for k, v in sd.items()},
     r"key 'blocks.x.attn.W_Q': the block index 'x' is not"),
    (lambda sd: _with(sd, blocks__0__mlp__b_in=torch.zeros((), dtype=F64)), r"blocks.0.mlp.b_in has shape \(\)"),
    (lambda sd: _with(sd, blocks__0__mlp__W_out=torch.full((64, 32), float("nan"), dtype=F64)), "NaN"),
    (lambda sd: _with(sd, unembed__W_U=None), "missing"),
    (lambda sd: {**sd, **{k.replace("blocks.0.", "blocks.2."): v for k, v in sd.items() if k.startswith("blocks.0.")}},
     "without gaps"),
])
def test_state_dicts_with_mismatched_shapes_are_named_errors(tmp_path, make, match):
    path = save(tmp_path, make(random_state()), BASE)
    with pytest.raises(InvalidInputError, match=match):
        read(path)
    assert main(["analyze", str(path), "--format", "transformer-lens", "C11"]) == 2


def test_labels_and_the_eq_token(tmp_path):
    from grokcheck.theory import FiniteGroup

    path = save(tmp_path, random_state(), BASE)
    with pytest.raises(InvalidInputError, match="must be a token that is not a label"):
        read(path, eq_token=3)
    def cyclic(n):
        return FiniteGroup.from_table(np.add.outer(np.arange(n), np.arange(n)) % n)

    m = read(path, group=cyclic(P))
    assert m.order == P and m.meta["eq_token"] == P and m.meta["logits_not_predicted"] == []
    for n in (7, 13):  # a group of another order: its labels and '=' are not the model's tokens
        with pytest.raises(InvalidInputError, match=f"order {n}"):
            read(path, group=cyclic(n))
    # d_vocab_out = n + 1 (one logit for '=') with a group of order n; more outputs than inputs is refused
    wide = save(tmp_path, random_state(vocab_out=P + 1), BASE, name="wide.pt")
    assert read(wide, group=cyclic(P)).meta["logits_not_predicted"] == [P]
    sd = random_state(vocab_out=P + 2)
    with pytest.raises(InvalidInputError, match="d_vocab_out 13 > d_vocab 12"):
        read(save(tmp_path, sd, BASE, name="wider.pt"))


# ------------------------------------------------------------------ against TransformerLens itself


def _tl():
    tl = pytest.importorskip("transformer_lens")
    try:
        tl.HookedTransformer  # noqa: B018 - TransformerLens 4 removed it
    except (AttributeError, ImportError):
        pytest.skip("this transformer_lens has no HookedTransformer")
    return tl


VARIANTS = {
    "none": {},
    "LN": {"normalization_type": "LN"},
    "RMS": {"normalization_type": "RMS"},
    "LNPre": {"normalization_type": "LNPre"},
    "RMSPre": {"normalization_type": "RMSPre"},
    "shortformer": {"positional_embedding_type": "shortformer"},
    "no-attn-scale": {"use_attn_scale": False},
    "attn-scale-3": {"attn_scale": 3.0},
    "gelu": {"act_fn": "gelu"},
    "gelu_new": {"act_fn": "gelu_new"},
    "silu": {"act_fn": "silu"},
    "solu_ln": {"act_fn": "solu_ln", "normalization_type": "LN"},
    "d_vocab_out=n+1": {"d_vocab_out": -1},
    "2 layers": {"n_layers": 2, "normalization_type": "LN"},
    "2 layers RMS shortformer": {"n_layers": 2, "normalization_type": "RMS", "positional_embedding_type": "shortformer",
                                 "act_fn": "gelu_new"},
}


def hooked(tl, dtype=torch.float32, seed=0, **kw):
    cfg = dict(n_layers=1, d_model=32, d_head=8, n_heads=4, d_mlp=64, d_vocab=P + 1, d_vocab_out=P, n_ctx=3,
               act_fn="relu", normalization_type=None, seed=seed, dtype=dtype, device="cpu")
    cfg.update(kw)
    model = tl.HookedTransformer(tl.HookedTransformerConfig(**cfg))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # move biases and LayerNorm weights off their initial 0 and 1
        for prm in model.parameters():
            prm.add_(0.3 * torch.randn(prm.shape, generator=g, dtype=F64).to(dtype))
    return model


def save_hooked(tmp_path, model, name="model.pt", config=True):
    path = tmp_path / name
    torch.save(model.state_dict(), path)
    if config:
        path.with_name(name + ".json").write_text(json.dumps(model.cfg.to_dict(), default=str))
    return path


def reference(model, layer, site="post"):
    with torch.no_grad():
        logits, cache = model.run_with_cache(_pairs(P))
    return logits[:, -1].double().numpy(), cache[f"blocks.{layer}.mlp.hook_{site}"][:, -1].double().numpy()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_logits_and_neurons_equal_transformer_lens(tmp_path, variant):
    tl = _tl()
    model = hooked(tl, **VARIANTS[variant])
    path = save_hooked(tmp_path, model)
    L = model.cfg.n_layers - 1
    ref, post = reference(model, L)
    m = load_model(path, "transformer-lens")
    assert m.meta["engine"].startswith("transformer_lens") and m.order == P
    # the same HookedTransformer code on the same float32 weights; only the batch (all 121 pairs at once in both
    # here) could change float32 summation order: 1e-6 relative to the logits' scale
    scale = max(1.0, np.abs(ref).max())
    assert np.abs(m.logits().reshape(P * P, P) - ref[:, :P]).max() <= 1e-6 * scale
    assert np.abs(m.neuron_data()["responses"].reshape(-1, P * P).T - post).max() <= 1e-6 * max(1.0, np.abs(post).max())
    # the key-layout reader on the same float32 file: float32 rounding of differently ordered sums through a few
    # layers (each about 2^-24 relative; 1e-4 of the scale leaves room for ~100 of them to add up)
    k = read(path)
    assert k.meta["engine"] == "key-layout"
    assert np.abs(k.logits().reshape(P * P, P) - ref[:, :P]).max() <= 1e-4 * scale
    assert np.abs(k.neuron_data()["responses"].reshape(-1, P * P).T - post).max() <= 1e-4 * max(1.0, np.abs(post).max())


@pytest.mark.parametrize("variant", ["LN", "RMS", "shortformer", "no-attn-scale", "gelu_new", "solu_ln",
                                     "2 layers RMS shortformer"])
def test_key_layout_reader_equals_transformer_lens_in_float64(tmp_path, variant):
    # a float64 HookedTransformer: the key-layout reader's formulas equal TransformerLens's to float64 rounding
    tl = _tl()
    model = hooked(tl, dtype=F64, **VARIANTS[variant])
    path = save_hooked(tmp_path, model)
    ref, post = reference(model, model.cfg.n_layers - 1)
    k = read(path)
    assert np.abs(k.logits().reshape(P * P, P) - ref[:, :P]).max() < 1e-10
    assert np.abs(k.neuron_data()["responses"].reshape(-1, P * P).T - post).max() < 1e-10


def test_folded_layernorm_from_process_weights(tmp_path):
    tl = _tl()
    model = hooked(tl, normalization_type="LN", n_layers=2)
    raw_cfg = json.loads(json.dumps(model.cfg.to_dict(), default=str))  # to_dict is the live dict: copy it now
    torch.save(model.state_dict(), tmp_path / "unfolded.pt")
    before, _ = reference(model, 1)
    model.process_weights_(fold_ln=True)  # LN folded into the weights: the config becomes LNPre
    assert model.cfg.normalization_type == "LNPre"
    path = save_hooked(tmp_path, model, "folded.pt")
    ref, post = reference(model, 1)
    for engine in ("auto", "key-layout"):
        m = read(path, engine=engine)
        L = m.logits().reshape(P * P, P)
        scale = max(1.0, np.abs(ref).max())
        assert np.abs(L - ref).max() <= 1e-4 * scale  # float32 (reason as above)
        # folding keeps the computation; centring W_U shifts every logit of a pair by one constant
        shift = L - before
        assert np.abs(shift - shift.mean(1, keepdims=True)).max() <= 1e-4 * scale
        assert np.abs(m.neuron_data()["responses"].reshape(-1, P * P).T - post).max() <= 1e-4 * max(1, np.abs(post).max())
    # the folded weights with the config from before folding (LN) are refused, naming LNPre
    (tmp_path / "folded-old.pt.json").write_text(json.dumps(raw_cfg, default=str))
    torch.save(model.state_dict(), tmp_path / "folded-old.pt")
    with pytest.raises(InvalidInputError, match="'LNPre'"):
        load_model(tmp_path / "folded-old.pt", "transformer-lens")
    # the unfolded file read with its own config predicts what the folded model predicts
    (tmp_path / "unfolded.pt.json").write_text(json.dumps(raw_cfg, default=str))
    assert np.array_equal(load_model(tmp_path / "unfolded.pt", "transformer-lens").predict_table(),
                          read(path).predict_table())


def test_layers_sites_and_config_objects(tmp_path):
    tl = _tl()
    model = hooked(tl, n_layers=2, normalization_type="LN", act_fn="gelu")
    path = save_hooked(tmp_path, model, config=False)
    with pytest.raises(InvalidInputError, match="--tl-config"):
        load_model(path, "transformer-lens")
    for config in (model, model.cfg, model.cfg.to_dict()):
        for layer in (0, 1):
            for site in ("post", "pre"):
                _, act = reference(model, layer, site)
                m = load_model(path, "transformer-lens", config=config, layer=layer, mlp_site=site)
                assert m.meta["neuron_site"] == f"blocks.{layer}.mlp.hook_{site}"
                assert np.abs(m.neuron_data()["responses"].reshape(-1, P * P).T - act).max() <= 1e-6 * max(1, np.abs(act).max())
    out = m.neuron_data()["out"]
    assert np.allclose(out, (model.blocks[1].mlp.W_out @ model.unembed.W_U).detach().double().numpy(), rtol=0, atol=1e-5)


def test_rms_state_dict_reads_and_the_cli_takes_its_config(tmp_path, capsys):
    tl = _tl()
    model = hooked(tl, normalization_type="RMS")
    path = save_hooked(tmp_path, model, config=False)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(model.cfg.to_dict(), default=str))
    assert main(["analyze", str(path), "--format", "transformer-lens", "C11", "--tl-config", str(cfg), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)["files"][0]
    assert js["model"]["normalization_type"] == "RMS" and js["model"]["engine"].startswith("transformer_lens")
    assert js["model"]["neuron_site"] == "blocks.0.mlp.hook_post"
