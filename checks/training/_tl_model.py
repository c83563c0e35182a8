"""TransformerLens models: a ``HookedTransformer`` state dict read as TransformerLens computes it.

:func:`read_transformer_lens` is what :func:`grokcheck.checks.training.load_model` calls for
``format="transformer-lens"``. A state dict alone does not say how the model computes: the
activation function, whether LayerNorm was folded into the weights (``LNPre``), shortformer
positions and the attention scale live in the model's ``HookedTransformerConfig``. So the
config is required, from the first of

1. ``config=`` (Python API) or ``--tl-config FILE`` (CLI): a ``HookedTransformerConfig``, a
   ``HookedTransformer`` (its ``cfg``), a ``dict`` or a JSON file of the config's fields;
2. a ``"config"`` (or ``"cfg"``) mapping saved in the checkpoint beside the state dict
   (``{"model": state_dict, "config": cfg.to_dict()}``);
3. ``FILE.json`` beside the file (``model.pt.json``);
4. ``config.json`` in the file's folder.

A file without one is refused, naming what its keys show and what they cannot. The config means
what ``HookedTransformerConfig(**config)`` means in TransformerLens 3.9: a field it leaves out
takes TransformerLens's default (``act_fn="relu"``, ``normalization_type="LN"``,
``positional_embedding_type="standard"``, ``use_attn_scale=True``); the sizes (``d_model``,
``n_heads``, ``d_head``, ``d_mlp``, ``n_layers``, ``n_ctx``, ``d_vocab``, ``d_vocab_out``) may be
left out and are then read from the weights' shapes, and when given must agree with them. A field
TransformerLens 3.9 does not have is refused by name (a misspelt field would otherwise be a
silent default).

Engines (``meta["engine"]``)

``transformer_lens``
    When the package is importable and has ``HookedTransformer`` (TransformerLens ≤ 3.9; 4.0
    removed it): a ``HookedTransformer`` is built from the config in the file's dtype, the
    weights are loaded with its own ``load_state_dict`` (strict: every parameter from the file,
    nothing left over; no re-processing, so folded weights stay as saved), and the model is run
    on every ``[a, b, =]``. Logits: ``model(tokens)[:, -1]``; neurons: the hook
    ``blocks.L.mlp.hook_post`` (``mlp_site="post"``) or ``hook_pre`` at the last position.
``key-layout``
    Without the package, or with ``engine="key-layout"``: the same forward pass written here from
    the weights and the config, for the settings it implements (``act_fn`` relu, gelu,
    gelu_new, gelu_fast, gelu_pytorch_tanh, silu, relu2, solu, solu_ln; ``normalization_type``
    LN, LNPre, RMS, RMSPre, None, with ``final_rms`` and ``eps``; ``positional_embedding_type``
    standard or shortformer; ``use_attn_scale``/``attn_scale``, ``scale_attn_by_inverse_layer_idx``;
    causal or bidirectional attention; any number of layers). Any other setting that changes the
    forward pass (rotary positions, gated or mixture-of-experts MLPs, grouped-query attention,
    soft caps, a pretrained ``original_architecture``, ...) is refused by name. Logits in the
    file's dtype; neuron activations in float64 (equal to the hooks' to float32 rounding).

Labels. Tokens ``0..n-1`` are the labels and ``eq_token`` (default ``n``) is "="; with a group
``n`` is its order, else ``n = d_vocab_out`` when ``d_vocab_out < d_vocab`` and
``n = d_vocab - 1`` when ``d_vocab_out = d_vocab`` (TransformerLens's default, one logit for
"="). Output logits beyond the first ``n`` (the "=" logit) are not part of the prediction.

Neurons (``pairwise``): ``responses[i, a, b]`` is neuron ``i`` of block ``layer`` (default the
last) at the "=" position on the pair ``(a, b)``, after the activation function (``"post"``, the
activations Nanda et al., arXiv 2301.05217, analyse) or before it (``"pre"``); ``out[i] =
W_out[i] @ W_U[:, :n]``, the neuron's direct logit weights.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import torch

from grokcheck.checks.training._external import ExternalModel, _pairs
from grokcheck.errors import InvalidInputError

__all__ = ["read_transformer_lens", "tl_config", "hooked_transformer_class", "ENGINES", "MLP_SITES"]

F64 = torch.float64
ENGINES = ("auto", "transformer_lens", "key-layout")
MLP_SITES = ("post", "pre")
FMT = "transformer-lens"

#: Every field of TransformerLens 3.9's ``HookedTransformerConfig`` with its default (``dtype`` as a name).
TL_DEFAULTS = {
    "d_model": None, "d_head": None, "n_layers": None, "n_ctx": None, "n_heads": -1, "d_mlp": None, "d_vocab": -1,
    "device": None, "use_attn_result": False, "use_split_qkv_input": False, "default_prepend_bos": True,
    "positional_embedding_type": "standard", "n_key_value_heads": None, "attn_only": False, "gated_mlp": False,
    "uses_rms_norm": False, "eps": 1e-5, "layer_norm_folding": False, "act_fn": "relu", "normalization_type": "LN",
    "num_experts": None, "experts_per_token": None, "final_rms": False, "dtype": "float32", "model_name": "custom",
    "use_attn_scale": True, "attn_scale": -1.0, "use_hook_mlp_in": False, "use_attn_in": False, "use_qk_norm": False,
    "clip_qkv": None, "use_logn_attn": False, "train_seq_length": None, "use_dynamic_ntk_rope": False,
    "use_local_attn": False, "ungroup_grouped_query_attention": False, "original_architecture": None,
    "from_checkpoint": False, "checkpoint_index": None, "checkpoint_label_type": None, "checkpoint_value": None,
    "tokenizer_name": None, "window_size": None, "attn_types": None, "init_mode": "gpt2", "n_devices": 1,
    "attention_dir": "causal", "seed": None, "initializer_range": -1.0, "init_weights": True,
    "scale_attn_by_inverse_layer_idx": False, "d_vocab_out": -1, "parallel_attn_mlp": False, "rotary_dim": None,
    "n_params": None, "use_hook_tokens": False, "tokenizer_prepends_bos": None, "post_embedding_ln": False,
    "rotary_base": 10000, "rotary_base_local": None, "rotary_scaling_factor": 1.0, "trust_remote_code": False,
    "rotary_adjacent_pairs": False, "load_in_4bit": False, "quantization_method": None,
    "relative_attention_max_distance": None, "relative_attention_num_buckets": None, "decoder_start_token_id": None,
    "tie_word_embeddings": False, "use_normalization_before_and_after": False, "attn_scores_soft_cap": -1.0,
    "output_logits_soft_cap": -1.0, "use_NTK_by_parts_rope": False, "NTK_by_parts_low_freq_factor": 1.0,
    "NTK_by_parts_high_freq_factor": 4.0, "NTK_by_parts_factor": 8.0, "NTK_original_ctx_len": 8192,
    "use_yarn_rope": False, "yarn_factor": 1.0, "yarn_attention_factor": 1.0, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "yarn_original_max_position_embeddings": 4096, "yarn_truncate": True,
    "yarn_global_attn_only": False, "use_attention_sinks": False, "norm_topk_prob": False,
}
SIZE_FIELDS = ("n_layers", "d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "d_vocab_out", "n_ctx")
NORMALIZATION_TYPES = ("LN", "LNPre", "RMS", "RMSPre", None)
#: settings neither engine reads a model with: no MLP neurons, or MLP neurons without these hooks/keys.
UNREAD = {"attn_only": "an attention-only model has no MLP neurons",
          "num_experts": "a mixture-of-experts MLP has per-expert neurons",
          "n_key_value_heads": "grouped-query attention stores _W_K/_W_V",
          "load_in_4bit": "4-bit weights are not a plain state dict"}
#: forward-pass settings the key-layout reader does not implement (refused unless at TransformerLens's default).
NOT_IN_KEY_LAYOUT = ("gated_mlp", "use_qk_norm", "clip_qkv", "use_logn_attn", "use_local_attn", "parallel_attn_mlp",
                     "post_embedding_ln", "use_normalization_before_and_after", "attn_scores_soft_cap",
                     "output_logits_soft_cap", "use_attention_sinks", "original_architecture")
KEY_LAYOUT_POSITIONS = ("standard", "shortformer")
KEY_LAYOUT_ACTS = ("relu", "gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "silu", "relu2", "solu", "solu_ln")
#: buffers TransformerLens recomputes from the config; a file may hold them or not.
BUFFERS = re.compile(r"blocks\.\d+\.attn\.(IGNORE|mask|rotary_sin|rotary_cos)$")
CONFIG_BYTES = 1 << 20  # a config is a few kB; a larger "config" file is not one
#: the neuron responses (d_mlp, n, n) are float64 in memory; beyond this they are refused before they are computed
RESPONSE_BYTES = 4 << 30


def _bad(path, msg, option="--format"):
    return InvalidInputError(f"{path} ({FMT}): {msg}", option=option)


def _cfg_error(source, msg):
    return InvalidInputError(f"TransformerLens config {source}: {msg}", option="--tl-config")


# --------------------------------------------------------------------------- the package


def hooked_transformer_class():
    """``(HookedTransformer, HookedTransformerConfig, version)`` of the installed TransformerLens, or
    ``None`` when it is not installed or has no ``HookedTransformer`` (4.0 removed it)."""
    try:
        import transformer_lens
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except (ImportError, AttributeError):
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("transformer-lens")
    except PackageNotFoundError:  # an unpacked source tree
        v = getattr(transformer_lens, "__version__", "unknown")
    return HookedTransformer, HookedTransformerConfig, v


# --------------------------------------------------------------------------- key layout


def _layout(state: dict, path) -> dict:
    """Sizes from the weights' shapes, every shape checked against TransformerLens's layout.

    Returns ``{"n_layers", "d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "d_vocab_out",
    "n_ctx" (None without W_pos), "ln_keys": "LN" | "RMS" | None}``.
    """
    blocks: dict[int, set] = {}
    for k in state:
        if not k.startswith("blocks."):
            continue
        parts = k.split(".")
        if not re.fullmatch(r"[0-9]{1,6}", parts[1]):
            raise _bad(path, f"key {k!r}: the block index {parts[1]!r} is not a non-negative integer "
                       "(TransformerLens names blocks.0., blocks.1., ...)")
        if len(parts) < 3:
            raise _bad(path, f"key {k!r} names no weight inside block {parts[1]}")
        blocks.setdefault(int(parts[1]), set()).add(".".join(parts[2:]))
    missing = [k for k in ("embed.W_E", "unembed.W_U") if k not in state]
    if missing or not blocks:
        raise _bad(path, f"not a TransformerLens HookedTransformer state dict: missing "
                   f"{missing or ['blocks.0.*']}; it has {sorted(state)[:12]}")
    layers = sorted(blocks)
    if layers != list(range(len(layers))):
        raise _bad(path, f"blocks {layers}: the block indices must be 0..{len(layers) - 1} without gaps")

    def shape(k):
        return tuple(state[k].shape)

    def want(k, shp, what):
        if k in state and shape(k) != shp:
            raise _bad(path, f"{k} has shape {shape(k)} but {what} is {shp}")

    WE = state["embed.W_E"]
    if WE.ndim != 2:
        raise _bad(path, f"embed.W_E has shape {shape('embed.W_E')}; TransformerLens stores (d_vocab, d_model)")
    V, d = WE.shape
    WU = state["unembed.W_U"]
    if WU.ndim != 2 or WU.shape[0] != d:
        raise _bad(path, f"unembed.W_U has shape {shape('unembed.W_U')}; TransformerLens stores (d_model, d_vocab_out) "
                   f"with d_model {d} (from embed.W_E {shape('embed.W_E')})")
    Vo = WU.shape[1]
    want("unembed.b_U", (Vo,), "(d_vocab_out,)")
    ctx = None
    if "pos_embed.W_pos" in state:
        Wp = state["pos_embed.W_pos"]
        if Wp.ndim != 2 or Wp.shape[1] != d:
            raise _bad(path, f"pos_embed.W_pos has shape {shape('pos_embed.W_pos')}; TransformerLens stores (n_ctx, d_model) "
                       f"with d_model {d}")
        ctx = Wp.shape[0]
    for k in (f"ln_final.{s}" for s in "wb"):
        want(k, (d,), "(d_model,)")
    heads = None
    mlp = None
    for L in layers:
        p = f"blocks.{L}."
        for k in ("attn.W_Q", "attn.W_K", "attn.W_V", "attn.W_O", "mlp.W_in", "mlp.W_out"):
            if p + k not in state:
                if k in ("attn.W_K", "attn.W_V") and p + "attn._" + k[5:] in state:
                    raise _bad(path, f"{p}attn._{k[5:]}: grouped-query attention (n_key_value_heads) is not read")
                raise _bad(path, f"{p}{k} is missing; a HookedTransformer block has attn.W_Q/W_K/W_V/W_O and "
                           "mlp.W_in/W_out (attention-only and gated or mixture-of-experts MLPs are not read)")
        WQ = state[p + "attn.W_Q"]
        if WQ.ndim != 3:
            raise _bad(path, f"{p}attn.W_Q has shape {shape(p + 'attn.W_Q')}; TransformerLens stores (n_heads, d_model, d_head)")
        H, dq, dh = WQ.shape
        if dq != d:
            raise _bad(path, f"{p}attn.W_Q has shape {tuple(WQ.shape)}: its d_model {dq} is not embed.W_E's {d}")
        for k in ("attn.W_K", "attn.W_V"):
            if shape(p + k) != (H, d, dh):
                raise _bad(path, f"{p}{k} has shape {shape(p + k)} but {p}attn.W_Q has {(H, d, dh)} "
                           "(n_heads, d_model, d_head): they must agree")
        want(p + "attn.W_O", (H, dh, d), "(n_heads, d_head, d_model)")
        for k in ("attn.b_Q", "attn.b_K", "attn.b_V"):
            want(p + k, (H, dh), "(n_heads, d_head)")
        want(p + "attn.b_O", (d,), "(d_model,)")
        Win = state[p + "mlp.W_in"]
        if Win.ndim != 2 or Win.shape[0] != d:
            raise _bad(path, f"{p}mlp.W_in has shape {shape(p + 'mlp.W_in')}; TransformerLens stores (d_model, d_mlp) "
                       f"with d_model {d} (from embed.W_E)")
        m = Win.shape[1]
        want(p + "mlp.b_in", (m,), "(d_mlp,)")
        want(p + "mlp.W_out", (m, d), "(d_mlp, d_model)")
        want(p + "mlp.W_gate", (d, m), "(d_model, d_mlp)")
        want(p + "mlp.b_out", (d,), "(d_model,)")
        for k in ("ln1.w", "ln1.b", "ln2.w", "ln2.b"):
            want(p + k, (d,), "(d_model,)")
        for k in ("mlp.ln.w", "mlp.ln.b"):
            want(p + k, (m,), "(d_mlp,)")
        if heads is None:
            heads, mlp = (H, dh), m
        elif (H, dh) != heads or m != mlp:
            raise _bad(path, f"block {L} has {H} heads of size {dh} and d_mlp {m}, block 0 {heads[0]} of size {heads[1]} "
                       f"and d_mlp {mlp}: a HookedTransformer's blocks share one config")
    for k, v in state.items():
        if not BUFFERS.search(k) and not bool(torch.isfinite(v).all()):
            raise _bad(path, f"{k} holds NaN or infinite values; a model with them computes no prediction")
    has = set(state)
    if any(k.endswith((".ln1.b", ".ln2.b")) or k == "ln_final.b" for k in has):
        ln = "LN"
    elif any(k.endswith((".ln1.w", ".ln2.w")) or k == "ln_final.w" for k in has):
        ln = "RMS"
    else:
        ln = None
    return {"n_layers": len(layers), "d_model": int(d), "n_heads": int(heads[0]), "d_head": int(heads[1]),
            "d_mlp": int(mlp), "d_vocab": int(V), "d_vocab_out": int(Vo), "n_ctx": None if ctx is None else int(ctx),
            "ln_keys": ln}


def _expected_keys(cfg: dict) -> set:
    """The parameters a HookedTransformer with ``cfg`` has (buffers aside)."""
    keys = {"embed.W_E", "unembed.W_U", "unembed.b_U"}
    if cfg["positional_embedding_type"] in ("standard", "shortformer"):
        keys.add("pos_embed.W_pos")
    norm = cfg["normalization_type"]
    ln_params = {"LN": ("w", "b"), "RMS": ("w",)}.get(norm, ())
    final = ("w",) if (norm == "LN" and cfg["final_rms"]) else ln_params
    keys |= {f"ln_final.{s}" for s in final}
    for L in range(cfg["n_layers"]):
        p = f"blocks.{L}."
        keys |= {p + f"attn.{w}" for w in ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O")}
        keys |= {p + f"mlp.{w}" for w in ("W_in", "b_in", "W_out", "b_out") + (("W_gate",) if cfg["gated_mlp"] else ())}
        keys |= {p + f"ln{i}.{s}" for i in (1, 2) for s in ln_params}
        if cfg["act_fn"].endswith("_ln") and norm == "LN":
            keys |= {p + "mlp.ln.w", p + "mlp.ln.b"}
    return keys


# --------------------------------------------------------------------------- the config


def _read_json(file, what) -> dict:
    file = Path(os.fspath(file))
    try:
        if file.stat().st_size > CONFIG_BYTES:
            raise _cfg_error(file, f"{file.stat().st_size} bytes; a config is a small JSON object")
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _cfg_error(file, f"no such file ({what})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _cfg_error(file, f"not readable as UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _cfg_error(file, f"holds a JSON {type(data).__name__}; a config is an object of HookedTransformerConfig fields")
    return data


def _embedded_config(path: Path):
    """A ``"config"``/``"cfg"`` mapping saved beside the state dict in the checkpoint, else ``None``."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # the state dict itself was readable; a checkpoint that is only a state dict has no config
        return None
    if isinstance(obj, dict):
        for key in ("config", "cfg"):
            if isinstance(obj.get(key), dict):
                return dict(obj[key])
    return None


def _find_config(path: Path, config):
    """``(raw config dict, where it came from)``, or ``(None, the places looked at)``."""
    if config is not None:
        if isinstance(config, (str, os.PathLike)):
            return _read_json(config, "given config"), str(config)
        if isinstance(config, dict):
            return dict(config), "given dict"
        cfg = getattr(config, "cfg", config)  # a HookedTransformer, or its config
        if hasattr(cfg, "to_dict"):
            return dict(cfg.to_dict()), f"given {type(config).__name__}"
        raise InvalidInputError(f"config must be a HookedTransformerConfig, a HookedTransformer, a dict or a JSON file, "
                                f"not {type(config).__name__}", option="--tl-config")
    emb = _embedded_config(path)
    if emb is not None:
        return emb, f"{path} (its 'config')"
    beside = path.with_name(path.name + ".json")
    folder = path.parent / "config.json"
    for f in (beside, folder):
        if f.is_file():
            return _read_json(f, "beside the model"), str(f)
    return None, (beside, folder)


def _int(cfg, key, source):
    v = cfg[key]
    if isinstance(v, bool) or (not isinstance(v, (int, np.integer)) and not (isinstance(v, float) and v.is_integer())):
        raise _cfg_error(source, f"{key} = {v!r} is not an integer")
    return int(v)


def tl_config(raw: dict, layout: dict, source, *, activation: str = "relu") -> dict:
    """The config a model is read with: ``raw`` with TransformerLens 3.9's defaults for the fields it
    leaves out and the sizes from ``layout`` (checked against the ones it gives); JSON-safe.

    Raises :class:`~grokcheck.errors.InvalidInputError` naming an unknown field, a size that
    disagrees with the weights, an ``act_fn`` or ``normalization_type`` TransformerLens does not
    have, or a setting neither engine reads (:data:`UNREAD`).
    """
    unknown = sorted(k for k in raw if k not in TL_DEFAULTS)
    if unknown:
        raise _cfg_error(source, f"{unknown} {'is not a field' if len(unknown) == 1 else 'are not fields'} of "
                         "TransformerLens 3.9's HookedTransformerConfig (a misspelt field would silently take its "
                         "default); remove or correct them")
    cfg = {k: v for k, v in TL_DEFAULTS.items()}
    cfg.update(raw)
    cfg["dtype"] = str(cfg["dtype"]).replace("torch.", "")
    for k in SIZE_FIELDS:
        if raw.get(k) is None or (k in ("n_heads", "d_vocab", "d_vocab_out") and raw.get(k) == -1):
            continue
        got, have = _int(cfg, k, source), layout[k]
        if k == "n_ctx" and have is None:
            continue
        if got != have:
            where = {"n_layers": "blocks.L", "d_model": "embed.W_E", "n_heads": "attn.W_Q", "d_head": "attn.W_Q",
                     "d_mlp": "mlp.W_in", "d_vocab": "embed.W_E", "d_vocab_out": "unembed.W_U",
                     "n_ctx": "pos_embed.W_pos"}[k]
            raise _cfg_error(source, f"{k} = {got} but the weights have {have} ({where})")
    if raw.get("d_vocab_out", 0) == -1 and layout["d_vocab_out"] != layout["d_vocab"]:
        raise _cfg_error(source, f"d_vocab_out = -1 means d_vocab ({layout['d_vocab']}) but unembed.W_U has "
                         f"{layout['d_vocab_out']} outputs")
    for k in SIZE_FIELDS:
        if layout[k] is not None:
            cfg[k] = layout[k]
    if cfg["n_ctx"] is None:
        raise _cfg_error(source, "n_ctx is needed: the model has no pos_embed.W_pos to read it from")
    if activation not in (None, "relu"):
        if "act_fn" in raw and raw["act_fn"] != activation:
            raise _cfg_error(source, f"act_fn = {raw['act_fn']!r} but the activation given is {activation!r}")
        cfg["act_fn"] = activation
    act = cfg["act_fn"]
    from_tl = ("solu", "solu_ln", "gelu_new", "gelu_fast", "silu", "relu", "gelu", "gelu_pytorch_tanh", "xielu", "relu2")
    if not isinstance(act, str) or act not in from_tl:
        raise _cfg_error(source, f"act_fn = {act!r} is not one of TransformerLens's activations {list(from_tl)}")
    if cfg["normalization_type"] not in NORMALIZATION_TYPES:
        raise _cfg_error(source, f"normalization_type = {cfg['normalization_type']!r} is not one of "
                         f"{[t for t in NORMALIZATION_TYPES]} (TransformerLens builds no LayerNorm for an unknown "
                         "name and only logs it)")
    for k, why in UNREAD.items():
        if cfg[k] not in (None, False):
            raise _cfg_error(source, f"{k} = {cfg[k]!r}: not read ({why})")
    for k in ("use_attn_scale", "final_rms", "scale_attn_by_inverse_layer_idx"):
        if not isinstance(cfg[k], bool):
            raise _cfg_error(source, f"{k} = {cfg[k]!r} is not true or false")
    for k in ("eps", "attn_scale"):
        if isinstance(cfg[k], bool) or not isinstance(cfg[k], (int, float)) or not math.isfinite(cfg[k]):
            raise _cfg_error(source, f"{k} = {cfg[k]!r} is not a finite number")
    if cfg["use_attn_scale"] and cfg["attn_scale"] != -1.0 and cfg["attn_scale"] <= 0:
        raise _cfg_error(source, f"attn_scale = {cfg['attn_scale']!r}: the scores are divided by it; it must be > 0")
    if cfg["positional_embedding_type"] not in ("standard", "shortformer", "rotary", "alibi"):
        raise _cfg_error(source, f"positional_embedding_type = {cfg['positional_embedding_type']!r} is not one of "
                         "'standard', 'shortformer', 'rotary', 'alibi'")
    if cfg["attention_dir"] not in ("causal", "bidirectional"):
        raise _cfg_error(source, f"attention_dir = {cfg['attention_dir']!r} is not 'causal' or 'bidirectional'")
    cfg["attn_scale"] = float(cfg["attn_scale"])
    cfg["eps"] = float(cfg["eps"])
    return {k: _json_safe(v) for k, v in cfg.items()}


def _json_safe(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, torch.dtype):
        return str(v).replace("torch.", "")
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def _check_keys(state: dict, cfg: dict, layout: dict, path, source) -> None:
    """Every parameter the config's model has is in the file and nothing else is (buffers aside)."""
    want = _expected_keys(cfg)
    have = {k for k in state if not BUFFERS.search(k)}
    missing, extra = sorted(want - have), sorted(have - want)
    if not (missing or extra):
        return
    norm = cfg["normalization_type"]
    hint = ""
    if norm in ("LN", "RMS") and layout["ln_keys"] is None:
        hint = (f" The file has no LayerNorm weights: if they were folded into the next weights "
                f"(process_weights_/fold_ln, from_pretrained), the model computes with normalization_type "
                f"'{norm}Pre'; if it has none, None.")
    elif norm in ("LNPre", "RMSPre", None) and layout["ln_keys"] is not None:
        hint = (f" The file has {'LayerNorm weights and biases' if layout['ln_keys'] == 'LN' else 'RMSNorm weights'}"
                f" (ln1/ln2/ln_final): normalization_type '{layout['ln_keys']}'.")
    elif norm == "LN" and layout["ln_keys"] == "RMS":
        hint = " The file has LayerNorm weights without biases: normalization_type 'RMS' (or final_rms)."
    raise _bad(path, f"the config ({source}) says normalization_type {norm!r}, act_fn {cfg['act_fn']!r}, "
               f"positional_embedding_type {cfg['positional_embedding_type']!r}, but "
               + (f"the file lacks {missing[:8]}" if missing else "")
               + (" and " if missing and extra else "")
               + (f"the file has {extra[:8]}, which that model does not" if extra else "") + "." + hint)


def _no_config_error(path: Path, layout: dict, looked) -> InvalidInputError:
    ln = layout["ln_keys"]
    if ln == "LN":
        norm = "the keys show LayerNorm weights and biases (normalization_type 'LN')"
    elif ln == "RMS":
        norm = "the keys show LayerNorm weights without biases (normalization_type 'RMS', or 'LN' with final_rms)"
    else:
        norm = ("the keys have no LayerNorm weights, which fits normalization_type None, 'LNPre' (LayerNorm folded "
                "into the weights by process_weights_/fold_ln) and 'RMSPre' alike, and these compute different logits")
    sizes = ", ".join(f"{k} {layout[k]}" for k in SIZE_FIELDS if layout[k] is not None)
    return _bad(path, f"a TransformerLens state dict does not record how the model computes: {norm}; act_fn, "
                f"positional_embedding_type (standard or shortformer) and use_attn_scale/attn_scale are not in it at "
                f"all. Give the model's HookedTransformerConfig: --tl-config FILE or load_model(..., config=cfg), "
                f"or save it beside the file as {looked[0].name} or {looked[1].name} "
                f"(json.dump(model.cfg.to_dict(), f, default=str)). Read from the shapes: {sizes}.", option="--tl-config")


# --------------------------------------------------------------------------- engines


def _act(name: str):
    if name == "relu":
        return torch.relu
    if name == "gelu":
        return torch.nn.functional.gelu
    if name == "gelu_pytorch_tanh":
        return lambda x: torch.nn.functional.gelu(x, approximate="tanh")
    if name == "gelu_new":
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu_fast":
        return lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))
    if name == "silu":
        return torch.nn.functional.silu
    if name == "relu2":
        return lambda x: torch.relu(x) ** 2
    if name in ("solu", "solu_ln"):
        return lambda x: x * torch.softmax(x, dim=-1)
    raise AssertionError(name)  # tl_config and the key-layout check admit no other name


def _norm(kind: str | None, eps: float):
    """``(x, w, b) -> x`` for TransformerLens's LayerNorm, LayerNormPre, RMSNorm, RMSNormPre, or none."""
    def ln(x, w=None, b=None):
        x = x - x.mean(-1, keepdim=True)
        x = x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt()
        return x if w is None else x * w + b

    def rms(x, w=None, b=None):
        x = x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt()
        return x if w is None else x * w

    if kind is None:
        return lambda x, w=None, b=None: x
    return ln if kind.startswith("LN") else rms


def _key_layout_refusal(cfg: dict):
    """Why the key-layout reader cannot compute this config, or ``None``."""
    for k in NOT_IN_KEY_LAYOUT:
        d = TL_DEFAULTS[k]
        v = cfg[k]
        off = v == d or (k.endswith("soft_cap") and isinstance(v, (int, float)) and v <= 0)
        if not off:
            return f"{k} = {v!r}"
    if cfg["positional_embedding_type"] not in KEY_LAYOUT_POSITIONS:
        return f"positional_embedding_type = {cfg['positional_embedding_type']!r}"
    if cfg["act_fn"] not in KEY_LAYOUT_ACTS:
        return f"act_fn = {cfg['act_fn']!r}"
    return None


def _key_layout_forward(P: dict, cfg: dict, tokens: torch.Tensor, layer: int, site: str | None):
    """Logits ``(B, T, d_vocab_out)`` when ``site`` is None; else the neuron activations of block ``layer``
    at ``site`` ``(B, T, d_mlp)``, returned as soon as they are computed (as ``(None, acts)``)."""
    norm_kind = cfg["normalization_type"]
    norm = _norm(norm_kind, cfg["eps"])
    sigma = _act(cfg["act_fn"])
    T = tokens.shape[1]
    x = P["embed.W_E"][tokens]
    pos = P["pos_embed.W_pos"][:T]
    shortformer = cfg["positional_embedding_type"] == "shortformer"
    resid = x if shortformer else x + pos
    scale = cfg["attn_scale"] if cfg["use_attn_scale"] else 1.0
    if cfg["use_attn_scale"] and scale == -1.0:
        scale = math.sqrt(cfg["d_head"])
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=tokens.device))
    for L in range(cfg["n_layers"]):
        p = f"blocks.{L}."
        h = norm(resid, P.get(p + "ln1.w"), P.get(p + "ln1.b"))
        qk_in = h + pos if shortformer else h
        q = torch.einsum("btd,hde->bthe", qk_in, P[p + "attn.W_Q"]) + P[p + "attn.b_Q"]
        k = torch.einsum("btd,hde->bthe", qk_in, P[p + "attn.W_K"]) + P[p + "attn.b_K"]
        v = torch.einsum("btd,hde->bthe", h, P[p + "attn.W_V"]) + P[p + "attn.b_V"]
        s = scale * (L + 1) if cfg["scale_attn_by_inverse_layer_idx"] else scale
        sc = torch.einsum("bqhe,bkhe->bhqk", q, k) / s
        if cfg["attention_dir"] == "causal":
            sc = sc.masked_fill(~causal, float("-inf"))
        z = torch.einsum("bhqk,bkhe->bqhe", torch.softmax(sc, dim=-1), v)
        resid = resid + torch.einsum("bqhe,hed->bqd", z, P[p + "attn.W_O"]) + P[p + "attn.b_O"]
        h2 = norm(resid, P.get(p + "ln2.w"), P.get(p + "ln2.b"))
        pre = h2 @ P[p + "mlp.W_in"] + P[p + "mlp.b_in"]
        post = sigma(pre)
        if cfg["act_fn"].endswith("_ln"):  # TransformerLens: LayerNorm after SoLU (LayerNormPre unless "LN")
            post = _norm("LN", cfg["eps"])(post, P.get(p + "mlp.ln.w"), P.get(p + "mlp.ln.b"))
        if L == layer and site is not None:
            return None, (pre if site == "pre" else post)
        resid = resid + post @ P[p + "mlp.W_out"] + P[p + "mlp.b_out"]
    if norm_kind == "LN" and cfg["final_rms"]:
        resid = _norm("RMS", cfg["eps"])(resid, P["ln_final.w"])
    elif norm_kind == "LNPre" and cfg["final_rms"]:
        resid = _norm("RMS", cfg["eps"])(resid)
    else:
        resid = norm(resid, P.get("ln_final.w"), P.get("ln_final.b"))
    return resid @ P["unembed.W_U"] + P["unembed.b_U"], None


def _hooked_transformer(tl, cfg: dict, state: dict, dtype, device, path, source):
    """A ``HookedTransformer`` with ``cfg`` and the file's weights, loaded with its own ``load_state_dict``."""
    HookedTransformer, HookedTransformerConfig, _ = tl
    kwargs = {k: v for k, v in cfg.items() if k != "n_params"}
    # the result does not depend on these: where it runs, its dtype (the file's), no seeding of the global RNGs,
    # no tokenizer download (the input is token ids), no random initialisation (every parameter is loaded)
    kwargs.update(device=str(device), dtype=dtype, n_devices=1, seed=None, tokenizer_name=None, init_weights=False)
    try:
        tcfg = HookedTransformerConfig(**kwargs)
        with warnings.catch_warnings():
            # the class is deprecated in 3.9 in favour of 4.0's TransformerBridge, which reads no HookedTransformer
            # state dict; this is the last release whose HookedTransformer computes these models
            warnings.filterwarnings("ignore", message="HookedTransformer is deprecated", category=DeprecationWarning)
            model = HookedTransformer(tcfg, move_to_device=True)
    except (AssertionError, ValueError, TypeError, KeyError) as exc:
        raise _cfg_error(source, f"TransformerLens cannot build a HookedTransformer from it: {exc}") from None
    sd = {k: v.to(dtype=dtype) for k, v in state.items()}
    try:
        missing, unexpected = model.load_state_dict(sd, strict=False)
    except RuntimeError as exc:  # a size mismatch the checks above did not see
        raise _bad(path, f"TransformerLens's load_state_dict refuses it: {exc}") from None
    buffers = {name for name, _ in model.named_buffers()}
    missing = [k for k in missing if k not in buffers]
    if missing or unexpected:
        raise _bad(path, f"with the config ({source}) TransformerLens's HookedTransformer lacks {list(unexpected)[:8]} "
                   f"and the file lacks {missing[:8]}")
    model.eval()
    return model


def read_transformer_lens(state: dict, path, group, *, activation: str = "relu", eq_token: int | None = None,
                          eval_dtype=torch.float32, device="cpu", config=None, layer: int | None = None,
                          mlp_site: str = "post", engine: str = "auto") -> ExternalModel:
    """Read a TransformerLens ``HookedTransformer`` state dict (module docstring).

    Parameters
    ----------
    state : the file's floating-point tensors, float64 (``_external._read_state``).
    path : the file (where a config beside it is looked for).
    group : the group (its order is ``n``), or ``None``.
    activation : a non-default value stands for ``act_fn`` (and must agree with the config's).
    eq_token : the "=" token (default ``n``); must not be a label.
    eval_dtype : the dtype predictions are computed in (the file's).
    device : where predictions are computed.
    config : the model's config (module docstring), or ``None`` to find one beside the file.
    layer : the block whose MLP neurons are analysed (default the last; negative counts from the end).
    mlp_site : ``"post"`` (after the activation function) or ``"pre"``.
    engine : ``"auto"`` (TransformerLens when it has ``HookedTransformer``), ``"transformer_lens"``
        or ``"key-layout"``.

    Raises
    ------
    InvalidInputError : no config; a config that disagrees with the weights or names what is not
        read; shapes that are not TransformerLens's layout (each named).
    """
    path = Path(os.fspath(path))
    if mlp_site not in MLP_SITES:
        raise InvalidInputError(f"mlp_site must be one of {MLP_SITES}, got {mlp_site!r}", option="--tl-mlp-site")
    if engine not in ENGINES:
        raise InvalidInputError(f"engine must be one of {ENGINES}, got {engine!r}", option="engine")
    layout = _layout(state, path)
    raw, source = _find_config(path, config)
    if raw is None:
        raise _no_config_error(path, layout, source)
    cfg = tl_config(raw, layout, source, activation=activation)
    _check_keys(state, cfg, layout, path, source)
    L_all = cfg["n_layers"]
    if layer is None:
        layer = L_all - 1
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -L_all <= int(layer) < L_all:
        raise InvalidInputError(f"{path}: layer {layer!r} does not exist; the model has blocks 0..{L_all - 1}",
                                option="--tl-layer")
    layer = int(layer) % L_all
    V, Vo = cfg["d_vocab"], cfg["d_vocab_out"]
    if group is not None:
        n = int(group.order)
        if Vo not in (n, n + 1) or V < n + 1:
            raise _bad(path, f"{group} has order {n} but the model has {V} input tokens (d_vocab; the labels and '=' "
                       f"need {n + 1}) and {Vo} output logits (d_vocab_out; {n}, or {n + 1} with one for '=')")
    elif Vo > V:
        raise _bad(path, f"d_vocab_out {Vo} > d_vocab {V}: which outputs are the labels is not known; give the group")
    else:
        n = Vo if Vo < V else V - 1
    if n < 1:
        raise _bad(path, f"d_vocab {V}, d_vocab_out {Vo}: no labels")
    eq = n if eq_token is None else int(eq_token)
    if not n <= eq < V:
        raise _bad(path, f"the '=' token {eq} must be a token that is not a label ({n} to {V - 1}; labels are 0..{n - 1})",
                   option="--eq-token")
    if cfg["n_ctx"] < 3:
        raise _bad(path, f"n_ctx {cfg['n_ctx']} cannot hold the sequence [a, b, =]")
    tl = hooked_transformer_class() if engine in ("auto", "transformer_lens") else None
    if engine == "transformer_lens" and tl is None:
        raise InvalidInputError("engine='transformer_lens' needs TransformerLens with HookedTransformer "
                                "(pip install 'grokcheck[tl]', TransformerLens 3.9)", option="engine")
    if tl is None:
        why = _key_layout_refusal(cfg)
        if why is not None:
            raise _bad(path, f"the config ({source}) sets {why}, which the key-layout reader does not compute; install "
                       "TransformerLens 3.9 (pip install 'grokcheck[tl]') to run the model through HookedTransformer",
                       option="--tl-config")
    hook = f"blocks.{layer}.mlp.hook_{mlp_site}"

    def tokens(rows=None, dev="cpu"):
        a, c = _pairs(n, torch.device(dev), rows)
        return torch.stack([a, c, torch.full_like(a, eq)], dim=1)

    if tl is not None:
        model = _hooked_transformer(tl, cfg, state, eval_dtype, device, path, source)
        dev = next(model.parameters()).device

        def logits(rows):
            return model(tokens(rows, dev))[:, -1]

        def activations(rows):
            got = {}

            def grab(act, hook):
                got["a"] = act[:, -1].detach()

            model.run_with_hooks(tokens(rows, dev), return_type=None, stop_at_layer=layer + 1, fwd_hooks=[(hook, grab)])
            return got["a"].to("cpu", F64)

        engine_name = f"transformer_lens {tl[2]}"
    else:
        P64 = dict(state)
        P_eval = {k: v.to(device=device, dtype=eval_dtype) for k, v in state.items()}

        def logits(rows):
            return _key_layout_forward(P_eval, cfg, tokens(rows, device), layer, None)[0][:, -1]

        def activations(rows):
            return _key_layout_forward(P64, cfg, tokens(rows), layer, mlp_site)[1][:, -1]

        engine_name = "key-layout"

    m = cfg["d_mlp"]
    WU = state["unembed.W_U"][:, :n]

    def neurons():
        need = 8 * m * n * n
        if need > RESPONSE_BYTES:
            raise InvalidInputError(f"{path}: the responses of {m} neurons to {n}² pairs take {need / 2**30:.1f} GiB "
                                    f"(more than {RESPONSE_BYTES / 2**30:.0f} GiB); the neuron analysis of this model is "
                                    "out of reach here", option="FILE")
        step = max(1, int(4_000_000 // (n * max(m, cfg["d_model"]) * 3)))  # bound the (pairs × 3 × width) intermediates
        with torch.no_grad():
            parts = [activations(torch.arange(s, min(n, s + step))) for s in range(0, n, step)]
        A = torch.cat(parts, dim=0)  # (n², m), row-major pairs
        out = state[f"blocks.{layer}.mlp.W_out"] @ WU  # (m, n): the neuron's direct logit weights
        return {"responses": A.T.reshape(m, n, n).numpy(), "out": out.numpy()}

    def spectra():
        return {"embedding": state["embed.W_E"][:n].T.numpy(), "unembedding": WU.numpy()}

    meta = {"layers": L_all, "d_model": cfg["d_model"], "d_mlp": m, "heads": cfg["n_heads"], "d_head": cfg["d_head"],
            "eq_token": eq, "activation": cfg["act_fn"], "normalization_type": cfg["normalization_type"],
            "layer_norm": cfg["normalization_type"] is not None,
            "positional_embedding_type": cfg["positional_embedding_type"],
            "attn_scale": (cfg["attn_scale"] if cfg["attn_scale"] != -1.0 else math.sqrt(cfg["d_head"]))
            if cfg["use_attn_scale"] else 1.0,
            "d_vocab": V, "d_vocab_out": Vo, "logits_not_predicted": list(range(n, Vo)),
            "neurons_of_block": layer, "neuron_site": hook, "engine": engine_name, "config_source": source,
            "config": cfg, "eval_dtype": str(eval_dtype).replace("torch.", "")}
    return ExternalModel(FMT, str(path), int(n), group, True, state, meta, logits, neurons, spectra)
