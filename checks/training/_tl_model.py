"""TransformerLens models: read a ``HookedTransformer`` state dict (interim: key layout only)."""

from __future__ import annotations

import math

import torch

from grokcheck.checks.training._external import ExternalModel, _need, _pairs, _shape_error

def _layer_norm(x, w, b, eps=1e-5):
    x = x - x.mean(-1, keepdim=True)
    x = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    return x * w + b


def read_transformer_lens(state, path, group, *, activation="relu", eq_token=None, eval_dtype=torch.float32, device="cpu",
                          config=None, layer=None, mlp_site="post") -> ExternalModel:
    ed = eval_dtype
    from grokcheck.checks.training._models import activation as act_fn

    sigma = act_fn(activation)
    _need(state, ("embed.W_E", "pos_embed.W_pos", "unembed.W_U"), path, "transformer-lens")
    layers = sorted({int(k.split(".")[1]) for k in state if k.startswith("blocks.")})
    if not layers:
        raise _shape_error(path, "transformer-lens", "no blocks.L.* keys")
    for L in layers:
        _need(state, [f"blocks.{L}.attn.{w}" for w in ("W_Q", "W_K", "W_V", "W_O")]
              + [f"blocks.{L}.mlp.{w}" for w in ("W_in", "W_out")], path, "transformer-lens")
    WE, Wpos, WU = state["embed.W_E"], state["pos_embed.W_pos"], state["unembed.W_U"]
    n = WU.shape[1]
    eq = n if eq_token is None else int(eq_token)
    if not 0 <= eq < WE.shape[0]:
        raise _shape_error(path, "transformer-lens", f"the '=' token {eq} is outside the vocabulary of {WE.shape[0]} tokens")
    if WE.shape[0] < n or Wpos.shape[0] < 3:
        raise _shape_error(path, "transformer-lens", f"W_E {tuple(WE.shape)} / W_pos {tuple(Wpos.shape)} cannot hold "
                           f"sequences [a, b, =] over {n} labels")
    last = layers[-1]

    state_eval = {k: v.to(device=device, dtype=ed) for k, v in state.items()}

    def run(tokens, *, stop_at_mlp_of=None, evaluate=False):
        if evaluate:  # predictions: the file's dtype on the chosen device
            return _run(state_eval, tokens.to(device), stop_at_mlp_of)
        return _run(state, tokens, stop_at_mlp_of)  # neuron responses: float64 on the CPU

    def _run(state, tokens, stop_at_mlp_of):
        WE, Wpos, WU = state["embed.W_E"], state["pos_embed.W_pos"], state["unembed.W_U"]
        bU = state.get("unembed.b_U")
        zero = torch.zeros((), dtype=WE.dtype)

        def get(k):
            return state.get(k, zero)

        x = WE[tokens] + Wpos[: tokens.shape[1]]
        T = tokens.shape[1]
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for L in layers:
            p = f"blocks.{L}."
            xa = _layer_norm(x, state[p + "ln1.w"], state[p + "ln1.b"]) if p + "ln1.w" in state else x
            q = torch.einsum("btd,hde->bthe", xa, state[p + "attn.W_Q"]) + get(p + "attn.b_Q")
            k = torch.einsum("btd,hde->bthe", xa, state[p + "attn.W_K"]) + get(p + "attn.b_K")
            v = torch.einsum("btd,hde->bthe", xa, state[p + "attn.W_V"]) + get(p + "attn.b_V")
            dh = q.shape[-1]
            sc = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(dh)
            sc = sc.masked_fill(~mask, float("-inf"))
            z = torch.einsum("bhqk,bkhe->bqhe", torch.softmax(sc, dim=-1), v)
            x = x + torch.einsum("bqhe,hed->bqd", z, state[p + "attn.W_O"]) + get(p + "attn.b_O")
            xm = _layer_norm(x, state[p + "ln2.w"], state[p + "ln2.b"]) if p + "ln2.w" in state else x
            pre = xm @ state[p + "mlp.W_in"] + get(p + "mlp.b_in")
            if stop_at_mlp_of == L:
                return pre
            x = x + sigma(pre) @ state[p + "mlp.W_out"] + get(p + "mlp.b_out")
        if "ln_final.w" in state:
            x = _layer_norm(x, state["ln_final.w"], state["ln_final.b"])
        out = x @ WU
        return out if bU is None else out + bU

    def tokens(rows=None):
        a, c = _pairs(n, WE.device, rows)
        return torch.stack([a, c, torch.full_like(a, eq)], dim=1)

    def logits(rows):
        return run(tokens(rows), evaluate=True)[:, -1]

    def neurons():
        with torch.no_grad():
            pre = run(tokens(), stop_at_mlp_of=last)[:, -1]  # (n², m)
        F = pre.T.reshape(-1, n, n)
        out = state[f"blocks.{last}.mlp.W_out"] @ WU  # (m, n)
        return {"responses": F.numpy(), "out": out.numpy()}

    def spectra():
        return {"embedding": WE[:n].T.numpy(), "unembedding": WU.numpy()}

    meta = {"layers": len(layers), "d_model": int(WE.shape[1]), "d_mlp": int(state[f"blocks.{last}.mlp.W_in"].shape[1]),
            "heads": int(state[f"blocks.{last}.attn.W_Q"].shape[0]), "eq_token": eq, "activation": activation,
            "layer_norm": any(".ln" in k or k.startswith("ln_final") for k in state), "neurons_of_block": last,
            "eval_dtype": str(ed).replace("torch.", "")}
    return ExternalModel("transformer-lens", str(path), int(n), group, True, state, meta, logits, neurons, spectra)


