"""Networks trained elsewhere: read a state dict, evaluate it on all pairs, analyse its neurons.

:func:`load_model` reads a file in one of :data:`MODEL_FORMATS` and returns an :class:`ExternalModel`
(one seed; :func:`load_models` returns every seed of a grokcheck run). The model knows its
forward pass on all ``|G|²`` pairs (run here in torch from the weights, float64) and its neurons'
responses; :func:`analyze_model` recovers the group from the model's own predictions when none
is given (repairing a few wrong entries), matches the model's labels to a given group, and runs
the per-neuron irrep attribution of :func:`grokcheck.checks.training.analyze_weights`.

Formats (``n = |G|``; labels ``0..n-1`` are the model's own; ``[a, b]`` the pair ``(a, b)``)

``onelayer-mlp``
    Chughtai, Chan & Nanda (arXiv 2302.03025) "OneLayerMLP": ``W_x``, ``W_y`` (n, e) embeddings of
    the left and right operand, ``W`` (2e, h), ``W_U`` (h, n); optional biases ``b`` (h,) and
    ``b_U`` (n,). ``logits = relu([W_x[a], W_y[b]] @ W + b) @ W_U + b_U``. Neuron i:
    ``left = (W_x W[:e])[:, i]``, ``right = (W_y W[e:])[:, i]``, ``out = W_U[i]``.
``concat-mlp`` / ``summed-mlp``
    One-hot input ``[e_a; e_b]`` (2n) or ``e_a + e_b`` (n) into a first layer with or without
    bias, an activation (``activation=``, default ReLU), and a linear readout: exactly two
    floating-point matrices in the state dict, in order, either ``nn.Linear`` layout
    (``W1`` (h, D), ``W2`` (n, h)) or transposed (``W1`` (D, h), ``W2`` (h, n)); a vector of
    length h is the first bias, one of length n the readout bias. When both layouts fit the
    shapes (``h = 2n`` for concat, ``h = n`` summed), the group's order decides, and without a
    group ``nn.Linear``. Neuron i: ``left = W1[i, :n]``,
    ``right = W1[i, n:]`` (summed: both ``W1[i]``), ``out = W2[:, i]``.
``transformer-lens``
    A TransformerLens ``HookedTransformer`` state dict plus its config (a config JSON beside the
    file, ``config=`` / ``--tl-config``, or one saved in the checkpoint; a file without one is
    refused, since activation, normalisation, positions and attention scale are not all visible in
    the keys), read by :mod:`grokcheck.checks.training._tl_model`: through ``HookedTransformer``
    itself when ``transformer_lens`` is installed, else by a key-layout reader that computes the
    same forward pass or refuses by name. Input ``[a, b, =]`` with "=" the token ``n``
    (``eq_token=``), logits at the last position (an extra "=" logit is dropped). Neurons: the
    MLP neurons of the chosen block (default the last) at the "=" position,
    ``responses[i, a, b]`` their activations on every pair — after the nonlinearity
    (``hook_post``, as Nanda et al. read them) by default, before it with ``mlp_site="pre"`` —
    and ``out[i] = W_out[i] @ W_U``; plus the Fourier spectra of the embedding ``W_E[:n]`` and
    unembedding ``W_U`` (:meth:`ExternalModel.spectra`). docs/transformer_lens.md has the details.
``grokcheck``
    A grokcheck run directory (or its ``checkpoint.pt``): every seed of the ensemble, the group
    and labels from the run's task.

Labels. A model's label ``x`` is an element of its own table. :func:`analyze_model` maps labels
to the elements of a given group by ``labels=``: ``"identity"`` (label g is element g),
``"auto"`` (identity when the model's repaired table is ``G``'s table, else the isomorphism
:func:`grokcheck.theory.find_isomorphism` from it to ``G``; identity when the predictions cannot
be repaired to a group at all, e.g. untrained weights), or an array.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from grokcheck.errors import GroupInputError, InvalidInputError, LabellingError, NotAGroupError

__all__ = ["MODEL_FORMATS", "ExternalModel", "ModelReport", "TableMemo", "load_model", "load_models", "analyze_model",
           "check_model_size", "labelling_accuracy", "model_path_memory"]

from grokcheck.checks.training._analysis_options import ACCURACY_ALL_PAIRS, MODEL_FORMATS  # noqa: E402  (torch-free)


def labelling_accuracy(T, G, element_of_label) -> float:
    """Fraction of the ``n²`` pairs on which the predicted table ``T`` (model labels) is ``G``'s
    product when label ``x`` is element ``element_of_label[x]``: ``perm[T[a, b]] = perm[a]·perm[b]``."""
    perm = np.asarray(element_of_label, dtype=np.int64)
    T = np.asarray(T, dtype=np.int64)
    return float(np.mean(perm[T] == np.asarray(G.table)[np.ix_(perm, perm)]))

F64 = torch.float64

#: Pre-activation entries per block of the one-layer MLP's forward pass: 2^17 float32 (512 KiB) stay
#: in a core's L2 cache between the broadcast sum, the ReLU and the readout product. On the released
#: S5 model (120² pairs × 128 hidden) blocks of 2^17 evaluate in ~5.0 ms against ~11 ms for one
#: block of all pairs; 2^16–2^18 are within noise of each other (benchmarks/analyze_external.py).
CACHE_CHUNK_ELEMENTS = 1 << 17


def _pairs(n: int, device, rows=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Left and right operands of the pairs with left operand in ``rows`` (default all), row-major."""
    rows = torch.arange(n, device=device) if rows is None else rows.to(device)
    a = rows.repeat_interleave(n)
    b = torch.arange(n, device=device).repeat(rows.numel())
    return a, b


@dataclass(frozen=True, eq=False)
class ExternalModel:
    """One trained network on a group of order ``order``, read from a file.

    Attributes
    ----------
    format : one of :data:`MODEL_FORMATS`.
    source : the file (and ``#seed s`` for an ensemble).
    order : ``n``, the number of labels.
    group : the group the file itself names (a grokcheck run), else the one given to
        :func:`load_model`, else ``None``.
    pairwise : ``True`` for neurons whose response to a pair is not a sum (transformers).
    state : the float64 tensors read from the file.
    meta : what the adapter found (widths, activation, "=" token, ...).
    chunk_elements : the forward pass runs on blocks of rows of pairs whose pre-activations
        (pairs × width) hold about this many entries.
    """

    format: str
    source: str
    order: int
    group: object = field(repr=False)
    pairwise: bool
    state: dict = field(repr=False)
    meta: dict
    _logits: Callable = field(repr=False)
    _neurons: Callable = field(repr=False)
    _spectra: Callable | None = field(default=None, repr=False)
    chunk_elements: int = 4_000_000  # bounds the (pairs × width) intermediates of a general model

    def _chunks(self):
        n = self.order
        width = max(int(self.meta.get("hidden") or self.meta.get("d_mlp") or n), n)
        step = max(1, int(self.chunk_elements // (n * width)))
        for start in range(0, n, step):
            yield torch.arange(start, min(n, start + step))

    @torch.no_grad()
    def logits(self) -> np.ndarray:
        """``(n, n, n)`` float64: ``logits[a, b, j]`` on the pair ``(a, b)`` for output label ``j``.

        Evaluated in the file's own floating dtype (``meta["eval_dtype"]``; float32 for most
        checkpoints), so the argmax is the model's own."""
        n = self.order
        parts = [self._logits(rows)[:, :n].double().cpu().numpy() for rows in self._chunks()]
        return np.concatenate(parts, axis=0).reshape(n, n, n)

    @torch.no_grad()
    def predict_table(self) -> np.ndarray:
        """``(n, n)`` int: the model's argmax label on every pair (computed in chunks of rows)."""
        n = self.order
        out = np.empty(n * n, dtype=np.int64)
        at = 0
        for rows in self._chunks():
            L = self._logits(rows)[:, :n]
            # the first largest logit, as torch.argmax; numpy's single pass is ~3x faster on the CPU
            on_numpy = L.device.type == "cpu" and L.dtype in (torch.float16, torch.float32, torch.float64)
            lab = L.numpy().argmax(axis=-1) if on_numpy else L.argmax(dim=-1).cpu().numpy()
            out[at:at + lab.size] = lab
            at += lab.size
        return out.reshape(n, n)

    def neuron_data(self) -> dict:
        """``{"left", "right", "out", "bias"}`` ((N, n) arrays, bias (N,) or None) for additive
        models, ``{"responses" (N, n, n), "out" (N, n)}`` for pairwise ones; in model labels."""
        return self._neurons()

    def analysis(self, G=None, *, element_of_label=None, **options):
        """Per-neuron irrep attribution on ``G`` (default :attr:`group`).

        ``element_of_label`` (n,) maps model label ``x`` to element ``element_of_label[x]`` of
        ``G`` (default: label g is element g). ``options`` go to
        :func:`~grokcheck.checks.training.analyze_weights` (``alive_rule``, ``alive_threshold``,
        ``share_threshold``, ``count_output``) or :func:`analyze_pairwise`.
        """
        from grokcheck.checks.training._analyze import analyze_pairwise, analyze_weights

        G = self.group if G is None else G
        if G is None:
            raise GroupInputError(f"{self.source}: no group given; pass one, or use analyze_model to recover it "
                                  "from the model's predictions")
        if G.order != self.order:
            raise GroupInputError(f"{self.source} has {self.order} labels but {G} has order {G.order}", text=str(G))
        perm = np.arange(self.order) if element_of_label is None else np.asarray(element_of_label, dtype=np.int64)
        inv = np.empty_like(perm)
        inv[perm] = np.arange(self.order)  # column g of G's arrays is model label inv[g]
        d = self.neuron_data()
        name = options.pop("name", None) or self.source
        if self.pairwise:
            F = d["responses"][:, inv][:, :, inv]
            return analyze_pairwise(G, F, d["out"][:, inv], name=name, **options)
        return analyze_weights(G, d["left"][:, inv], d["right"][:, inv], d["out"][:, inv], bias=d.get("bias"),
                               name=name, activation=self.meta.get("activation", "relu"), **options)

    def spectra(self, G=None, *, element_of_label=None) -> dict:
        """Orbit energy shares of the embedding and unembedding (transformers; ``{}`` otherwise).

        ``{"embedding": (k,), "unembedding": (k,)}``: fraction of the centred energy of the
        columns of ``W_E[:n]`` (each a function on G) and of the rows of ``W_U`` in each orbit.
        """
        if self._spectra is None:
            return {}
        from grokcheck.checks.training._analyze import group_spectrum

        G = self.group if G is None else G
        perm = np.arange(self.order) if element_of_label is None else np.asarray(element_of_label, dtype=np.int64)
        inv = np.empty_like(perm)
        inv[perm] = np.arange(self.order)
        spec = group_spectrum(G)
        out = {}
        for key, funcs in self._spectra().items():  # (d, n) functions on labels
            E = spec.orbit_energies(funcs[:, inv]).sum(axis=0)
            E[spec.trivial_orbit] = 0.0
            out[key] = E / E.sum() if E.sum() > 0 else E
        return out


# --------------------------------------------------------------------------- reading files


def _read_state(path: Path) -> tuple[dict, torch.dtype]:
    if not path.exists():
        raise InvalidInputError(f"no such model file: {path}", option="FILE")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds (pickle, zip, unsupported global)
        msg = str(exc)
        glob = re.search(r"Unsupported global: GLOBAL ([\w.]+)", msg)
        if glob:
            # a whole pickled object (torch.save(model)): loading it would run its class's code
            raise InvalidInputError(
                f"{path} holds a pickled Python object (it names {glob.group(1)}), not a state dict; grokcheck reads "
                "only tensors, so nothing in it was run. Save the weights instead: torch.save(model.state_dict(), "
                "PATH) in the code that trained it", option="FILE") from None
        raise InvalidInputError(f"{path} is not a PyTorch state dict readable with weights_only=True: "
                                f"{msg.splitlines()[0] if msg else type(exc).__name__}", option="FILE") from None
    if isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise InvalidInputError(f"{path} holds a {type(obj).__name__}, not a state dict (a mapping of names to tensors)",
                                option="FILE")
    floats = {k: v.detach() for k, v in obj.items() if isinstance(v, torch.Tensor) and v.is_floating_point()}
    if not floats:
        raise InvalidInputError(f"{path} holds no floating-point tensors", option="FILE")
    # TransformerLens stores its attention mask constant (-inf) as a buffer: not a weight
    # (numpy: a few µs a tensor, where torch's reduction wakes its thread pool for each)
    fin = {k: np.isfinite(v.cpu().numpy()) for k, v in floats.items()
           if not k.endswith((".IGNORE", ".mask")) and v.dtype in (torch.float16, torch.float32, torch.float64)}
    bad = {k: int(f.size - np.count_nonzero(f)) for k, f in fin.items() if not f.all()}
    bad.update({k: int((~torch.isfinite(v)).sum()) for k, v in floats.items()  # bfloat16 & co: numpy has no dtype
                if k not in fin and not k.endswith((".IGNORE", ".mask")) and not bool(torch.isfinite(v).all())})
    if bad:
        # argmax of NaN logits is label 0: a diverged model would be "measured" at chance accuracy
        raise InvalidInputError(f"{path} holds non-finite weights (NaN or ±Inf) in "
                                + ", ".join(f"{k} ({c} entries)" for k, c in sorted(bad.items()))
                                + ": a diverged or damaged model cannot be analysed", option="FILE")
    dtypes = {v.dtype for v in floats.values()}
    eval_dtype = F64 if F64 in dtypes else torch.float32
    return {k: v.to(F64) for k, v in floats.items()}, eval_dtype


def _need(state: dict, keys, path, fmt) -> None:
    missing = [k for k in keys if k not in state]
    if missing:
        raise InvalidInputError(f"{path} is not a {fmt} state dict: missing {missing}; it has {sorted(state)[:12]}",
                                option="--format")


def _shape_error(path, fmt, msg):
    return InvalidInputError(f"{path} ({fmt}): {msg}", option="--format")


def _onelayer(state, path, group, ed, device) -> ExternalModel:
    _need(state, ("W_x", "W_y", "W", "W_U"), path, "onelayer-mlp")
    Wx, Wy, W, WU = state["W_x"], state["W_y"], state["W"], state["W_U"]
    if Wx.ndim != 2 or min(Wx.shape) < 1:
        raise _shape_error(path, "onelayer-mlp", f"W_x must be a non-empty (n, e) matrix, got shape {tuple(Wx.shape)}")
    n, e = Wx.shape
    if Wy.shape != (n, e) or W.ndim != 2 or W.shape[0] != 2 * e or WU.shape != (W.shape[1], n):
        raise _shape_error(path, "onelayer-mlp", f"shapes W_x {tuple(Wx.shape)}, W_y {tuple(Wy.shape)}, W {tuple(W.shape)}, "
                           f"W_U {tuple(WU.shape)} do not fit (n, e), (n, e), (2e, h), (h, n)")
    h = W.shape[1]
    b = state.get("b")
    bU = state.get("b_U")
    u, v = Wx @ W[:e], Wy @ W[e:]  # (n, h)

    def ev(t):
        return None if t is None else t.to(device=device, dtype=ed)

    ue, ve, WUe, be, bUe = ev(u), ev(v), ev(WU), ev(b), ev(bU)

    def logits(rows):
        # pairs (a, b), a in rows, row-major: broadcast u[a] + v[b] (the same sums as gathering both operands
        # of every pair, bit for bit, at half the cost)
        rows = rows.to(ue.device)
        pre = ue[rows][:, None, :] + ve[None, :, :]  # a fresh tensor: the bias and the ReLU act on it in place
        if be is not None:
            pre += be
        out = pre.relu_().reshape(-1, ue.shape[1]) @ WUe
        return out if bUe is None else out + bUe

    def neurons():
        return {"left": u.T.numpy(), "right": v.T.numpy(), "out": WU.numpy(),
                "bias": None if b is None else b.numpy()}

    return ExternalModel("onelayer-mlp", str(path), int(n), group, False, state,
                         {"embed": int(e), "hidden": int(h), "bias": b is not None, "activation": "relu",
                          "eval_dtype": str(ed).replace("torch.", "")}, logits, neurons,
                         chunk_elements=CACHE_CHUNK_ELEMENTS)


def _mlp(state, path, group, fmt, activation, ed, device) -> ExternalModel:
    from grokcheck.checks.training._models import activation as act_fn

    sigma = act_fn(activation)
    keys = list(state)
    mats = [k for k in keys if state[k].ndim == 2]
    if len(mats) != 2:
        raise _shape_error(path, fmt, f"expected exactly two weight matrices (first layer, readout), found {mats}")
    k1, k2 = mats
    W1, W2 = state[k1], state[k2]
    concat = fmt == "concat-mlp"
    fit = None
    for W1o, W2o, layout in ((W1, W2, "nn.Linear"), (W1.T, W2.T, "transposed")):
        h, D = W1o.shape
        n = W2o.shape[0]
        if W2o.shape[1] == h and D == (2 * n if concat else n) and (group is None or n == group.order):
            fit = (W1o, W2o, layout)
            break
    if fit is None:
        want = "(h, 2n) and (n, h)" if concat else "(h, n) and (n, h)"
        raise _shape_error(path, fmt, f"{k1} {tuple(W1.shape)} and {k2} {tuple(W2.shape)} fit neither {want} nor their transposes")
    W1, W2, layout = fit
    h, n = W1.shape[0], W2.shape[0]
    if h < 1 or n < 1:
        raise _shape_error(path, fmt, f"{k1} {tuple(W1.shape)} and {k2} {tuple(W2.shape)} have no neurons or no labels")
    i1, i2 = keys.index(k1), keys.index(k2)
    vecs = [k for k in keys if state[k].ndim == 1]
    b1 = next((state[k] for k in vecs if state[k].shape[0] == h and i1 < keys.index(k) < i2), None)
    b2 = next((state[k] for k in vecs if state[k].shape[0] == n and keys.index(k) > i2), None)
    left = W1[:, :n]
    right = W1[:, n:] if concat else W1

    def ev(t):
        return None if t is None else t.to(device=device, dtype=ed)

    Le, Re, W2e, b1e, b2e = ev(left.T), ev(right.T), ev(W2.T), ev(b1), ev(b2)

    def logits(rows):
        a, c = _pairs(n, Le.device, rows)
        pre = Le[a] + Re[c] + (0 if b1e is None else b1e)
        out = sigma(pre) @ W2e
        return out if b2e is None else out + b2e

    def neurons():
        return {"left": left.numpy(), "right": right.numpy(), "out": W2.T.numpy(),
                "bias": None if b1 is None else b1.numpy()}

    return ExternalModel(fmt, str(path), int(n), group, False, state,
                         {"hidden": int(h), "layout": layout, "bias": b1 is not None, "activation": activation,
                          "first_layer": k1, "readout": k2, "eval_dtype": str(ed).replace("torch.", "")},
                         logits, neurons)


def _transformer_lens(state, path, group, activation, eq_token, ed, device, *, config=None, layer=None,
                      mlp_site="post") -> ExternalModel:
    """A TransformerLens model: read by :func:`grokcheck.checks.training._tl_model.read_transformer_lens`."""
    from grokcheck.checks.training._tl_model import read_transformer_lens

    return read_transformer_lens(state, path, group, activation=activation, eq_token=eq_token, eval_dtype=ed,
                                 device=device, config=config, layer=layer, mlp_site=mlp_site)


def _grokcheck_models(path: Path, group, device) -> list[ExternalModel]:
    from grokcheck.checks.training._train import load_run

    run_dir = path.parent if path.is_file() else path
    try:
        run = load_run(run_dir, device="cpu")
    except FileNotFoundError as exc:
        raise InvalidInputError(str(exc), option="FILE") from None
    if run.task.kind != "group":
        raise InvalidInputError(f"{run_dir} is a {run.task.kind} run, not a group task", option="FILE")
    G = run.task.group() if group is None else group
    model = run.model.double()  # the run's own dtype is float32 or float64; evaluated in float64
    n = G.order
    enc = run.task.meta.get("encoding")
    x = run.task.x
    if x.is_floating_point():
        x = x.to(F64)
    S = model.n_seeds
    out = []
    for s in range(S):
        def logits(rows, s=s):
            idx = (rows[:, None] * n + torch.arange(n)[None]).reshape(-1)
            xs = x[idx]
            with torch.no_grad():
                return model(xs[None].expand(S, *xs.shape))[s]

        if enc == "sequence":
            def neurons(s=s):
                with torch.no_grad():
                    h = model._last_after_attention(x[None].expand(S, *x.shape))
                    pre = torch.bmm(h, model.w_in.transpose(1, 2)) + model.b_in[:, None, :]
                    F = pre[s].T.reshape(-1, n, n)
                    o = (model.w_u[s] @ model.w_out[s]).T  # (m, C)
                return {"responses": F.cpu().numpy(), "out": o[:, :n].cpu().numpy()}
        else:
            def neurons(s=s):
                t1, t2, xi = model.neuron_weights()
                b = getattr(model, "b1", None)
                b = getattr(model, "b", None) if b is None else b  # the one-layer MLP's hidden bias
                return {"left": t1[s], "right": t2[s], "out": xi[s],
                        "bias": None if b is None else b.detach()[s].cpu().numpy()}
        out.append(ExternalModel("grokcheck", f"{run_dir}#seed{s}", n, G, enc == "sequence",
                                 {k: v.detach()[s] for k, v in model.state_dict().items()},
                                 {"model": run.config.model.kind, "seed_index": s, "alive": bool(run.alive[s]),
                                  "step": run.step}, logits, neurons))
    return out


def load_models(path, format: str, group=None, *, activation: str = "relu", eq_token: int | None = None,
                device="cpu", config=None, layer: int | None = None, mlp_site: str = "post") -> list[ExternalModel]:
    """Every model in ``path`` (one, or one per seed of a grokcheck run); see :func:`load_model`."""
    if format not in MODEL_FORMATS:
        raise InvalidInputError(f"unknown model format {format!r}; one of {', '.join(MODEL_FORMATS)}", option="--format")
    path = Path(os.fspath(path))
    if format == "grokcheck":
        return _grokcheck_models(path, group, device)
    state, ed = _read_state(path)
    if format == "onelayer-mlp":
        m = _onelayer(state, path, group, ed, device)
    elif format in ("concat-mlp", "summed-mlp"):
        m = _mlp(state, path, group, format, activation, ed, device)
    else:
        m = _transformer_lens(state, path, group, activation, eq_token, ed, device, config=config, layer=layer,
                              mlp_site=mlp_site)
    if group is not None and group.order != m.order:
        raise GroupInputError(f"{path} has {m.order} labels but {group} has order {group.order}", text=str(group))
    check_model_size(m)
    return [m]


def model_path_memory(n: int, *, width: int = 0, pairwise: bool = False) -> int:
    """Bytes the model path (predictions, labelling, analysis) may need for a model with ``n`` labels.

    The largest terms: a transformer's ``(width, n, n)`` float64 neuron responses and a few
    ``(n, n)`` arrays (the predicted table, ``G``'s table, the Fourier basis, the vote's agreement
    counts). The forward pass runs in chunks of rows, and the associativity vote that repairs a
    predicted table works in blocks and refuses a table too far from a group before voting
    (theory's ``repair_table``), so neither grows like n³.
    """
    n = int(n)
    return (8 * int(width) * n * n if pairwise else 0) + 8 * 8 * n * n


@functools.lru_cache(maxsize=1)  # a constant of the machine: read once, not once per model
def _available_memory() -> int | None:
    """``MemTotal`` of ``/proc/meminfo`` in bytes (Linux), else ``None`` (then nothing is refused).

    The machine's memory, not what is free at this moment: the estimate is a worst case, and a
    verdict on whether a model can be read should not depend on what else runs."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _gb(b: float) -> str:
    return f"{b / 1e9:.3g} GB"


def check_model_size(model: ExternalModel, available: int | None = None) -> None:
    """Refuse, before any forward pass, a model whose labels are too many for this machine.

    ``available``: bytes of memory to allow (default: the machine's, ``MemTotal``). Raises
    :class:`~grokcheck.errors.InvalidInputError` naming the label count, the pairs evaluated, the
    estimate of :func:`model_path_memory` and the largest label count that fits; nothing when the
    available memory is unknown.
    """
    from grokcheck.theory._finite_group import MAX_ORDER

    n = int(model.order)
    if n > MAX_ORDER:
        raise InvalidInputError(
            f"{model.source} has {n} output labels: grokcheck reads a model on a group with a dense Cayley table, "
            f"at most MAX_ORDER = {MAX_ORDER} elements (the model is evaluated on all {n}² = {n * n:,} pairs)",
            option="FILE")
    width = int(model.meta.get("d_mlp") or model.meta.get("hidden") or 0)
    need = model_path_memory(n, width=width, pairwise=model.pairwise)
    have = _available_memory() if available is None else int(available)
    if have is None or need <= have:
        return
    fits = n
    while fits > 1 and model_path_memory(fits, width=width, pairwise=model.pairwise) > have:
        fits = int(fits * 0.95)
    raise InvalidInputError(
        f"{model.source} has {n} output labels: grokcheck evaluates it on all {n}² = {n * n:,} pairs and keeps "
        f"several {n}×{n} arrays"
        + (f" and the {width} MLP neurons' responses on every pair" if model.pairwise else "")
        + f": about {_gb(need)}, and this machine has {_gb(have)}. Models with up to about {fits} labels fit here. "
        "Fix: run on a machine with more memory, or analyse a model with fewer labels", option="FILE")


def load_model(path, format: str, group=None, *, seed: int = 0, activation: str = "relu",
               eq_token: int | None = None, device="cpu", config=None, layer: int | None = None,
               mlp_site: str = "post") -> ExternalModel:
    """Read one trained network from ``path`` in ``format`` (one of :data:`MODEL_FORMATS`).

    Parameters
    ----------
    path : the state-dict file (``torch.load``-able with ``weights_only=True``), or a grokcheck
        run directory / its ``checkpoint.pt``.
    format : see the module docstring.
    group : the group the labels belong to (label g is element g of it), or ``None``.
    seed : the seed of a grokcheck ensemble.
    activation : the MLP activation of ``concat-mlp``/``summed-mlp``/``transformer-lens``
        (``relu``, ``silu``, ``tanh``, ``sqr``, ``relusqr``).
    eq_token : the "=" token of a transformer (default ``n``).
    device : where the predictions on all pairs are computed (``"cuda"`` for large groups); the
        neuron data are float64 on the CPU.
    config, layer, mlp_site : ``transformer-lens`` only: the model's ``HookedTransformerConfig``
        (or a dict, a JSON file, a ``HookedTransformer``), the block whose MLP neurons are analysed
        (default the last) and ``"post"``/``"pre"`` activations; see
        :func:`grokcheck.checks.training._tl_model.read_transformer_lens`.

    Raises
    ------
    InvalidInputError : the file is missing, unreadable or not of that format (the message names
        the missing keys or the shapes that do not fit).
    """
    models = load_models(path, format, group, activation=activation, eq_token=eq_token, device=device, config=config,
                         layer=layer, mlp_site=mlp_site)
    if not 0 <= seed < len(models):
        raise InvalidInputError(f"{path} holds {len(models)} seed(s); seed {seed} does not exist", option="--seed")
    return models[seed]


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True, eq=False)
class ModelReport:
    """:func:`analyze_model`'s result.

    Attributes
    ----------
    model : the :class:`ExternalModel`.
    group : the group analysed (given, or built from the repaired predicted table).
    element_of_label : ``(n,)`` group element of each model label.
    labels : how labels were matched: ``"table"``, ``"identity"``, ``"isomorphism"``,
        ``"isomorphism (irrep names up to automorphisms of the group)"`` (every group but ``S_n``,
        ``n ≠ 6``, whose automorphisms are all inner), ``"given"``, or
        ``"identity (predictions are not a group)"``.
    repair : the :class:`grokcheck.theory.TableRepair` of the predicted table, or ``None`` when
        the predictions could not be repaired (``repair_error`` says why).
    accuracy : fraction of the ``n²`` pairs the model gets right in ``group``, labels mapped by
        ``element_of_label`` (:func:`labelling_accuracy`).
    known_as : the name :func:`grokcheck.theory.identify` gives the group (``C113``, ``D59``), or
        the family its irrep names come from, or ``None``.
    warning : set when the accuracy cannot be checked against the model's own table (its
        predictions are not a group, or a group not isomorphic to ``group``), else ``None``.
    analysis : the :class:`NeuronAnalysis`.
    names : the :class:`grokcheck.theory.IrrepName` of every irrep of ``group``.
    spectra : :meth:`ExternalModel.spectra` (transformers).
    """

    model: ExternalModel
    group: object
    element_of_label: np.ndarray
    labels: str
    repair: object
    repair_error: str | None
    accuracy: float
    analysis: object
    names: tuple
    spectra: dict
    warning: str | None = None
    known_as: str | None = None

    def to_json(self) -> dict:
        """The per-file schema of ``grokcheck analyze --json`` (see :func:`analyze_model`)."""
        body = self.analysis.to_json(names=self.names, element_of_label=self.element_of_label)
        orbits = group_orbits(self.group)
        spectra = {}
        for key, sh in self.spectra.items():
            spectra[key] = [{"irrep": o[0] + 1, "name": self.names[o[0]].name, "share": float(sh[k])}
                            for k, o in enumerate(orbits) if sh[k] > 0]
        return {
            "file": self.model.source,
            "format": self.model.format,
            "model": self.model.meta,
            "group": {"name": getattr(self.group, "name", None), "order": self.group.order,
                      "known_as": self.known_as or (self.names[0].family if self.names else None),
                      "labels": self.labels,
                      "source": getattr(self.group, "source", None),
                      "element_of_label": (None if getattr(self.group, "elements", None) is None else
                                           [self.group.elements[int(g)] for g in self.element_of_label])},
            "table": dict(self.repair.to_json() if self.repair is not None else {"was_group": False},
                          repair_error=self.repair_error, accuracy=self.accuracy, accuracy_definition=ACCURACY_ALL_PAIRS),
            "warning": self.warning,
            "irreps": body["irreps"],
            "neurons": body["neurons"],
            "summary": body["summary"],
            "spectra": spectra,
        }


def _known_as(G, names) -> str | None:
    """The group's name: its own, the family of its irrep names, or what ``identify`` recognises."""
    from grokcheck.theory._identify import identify

    own = getattr(G, "name", None)
    if own:
        return None  # already named; "known as" adds nothing
    fam = names[0].family if names else None
    if fam:
        return fam
    try:
        return identify(G)
    except ArithmeticError:  # recognition is best effort: an unnamed group is reported by its order
        return None


def group_orbits(G):
    from grokcheck.checks.training._analyze import group_spectrum

    return group_spectrum(G).orbits


class TableMemo:
    """What :func:`analyze_model` derives from a predicted table, computed once per distinct table.

    Models that predict the same table (every seed that learned the group does) share the
    repaired table, the group built from it (one object, so its character table and spectra are
    computed once) and its isomorphism to the given group. Every result is a pure function of
    its inputs, so a hit is exactly what the computation would give. Pass one memo to all the
    :func:`analyze_model` calls of a batch (``grokcheck analyze FILE…`` does).
    """

    def __init__(self):
        self._groups: dict = {}
        self._repairs: dict = {}
        self._isos: dict = {}

    def group(self, table):
        """``FiniteGroup.from_table(table)``, one object per distinct table."""
        from grokcheck.theory import FiniteGroup

        key = (np.asarray(table).shape, np.asarray(table).tobytes())
        if key not in self._groups:
            self._groups[key] = FiniteGroup.from_table(table)
        return self._groups[key]

    def repair(self, T, max_changes):
        """``(repair, None)`` of :func:`grokcheck.theory.repair_table`, or ``(None, its refusal)``."""
        from grokcheck.theory._table_repair import repair_table

        key = (T.shape, T.tobytes(), max_changes)
        if key not in self._repairs:
            try:
                self._repairs[key] = (repair_table(T, max_changes=max_changes), None)
            except NotAGroupError as exc:
                self._repairs[key] = (None, str(exc))
        return self._repairs[key]

    def isomorphism(self, H, G):
        """:func:`grokcheck.theory.find_isomorphism` ``(H, G)``, keyed by the two group objects."""
        from grokcheck.theory._table_repair import find_isomorphism

        hit = self._isos.get((id(H), id(G)))
        if hit is None or hit[0] is not H or hit[1] is not G:  # the objects are held: ids are not reused
            hit = (H, G, find_isomorphism(H, G))
            self._isos[(id(H), id(G))] = hit
        return None if hit[2] is None else hit[2].copy()  # each report owns its labelling


def analyze_model(model: ExternalModel, group=None, *, labels="auto", strict_table: bool = False,
                  max_changes: int | None = None, names=None, memo: TableMemo | None = None,
                  **options) -> ModelReport:
    """Recover or match the group, then attribute every neuron to an irrep.

    Parameters
    ----------
    model : an :class:`ExternalModel`.
    group : the group, or ``None`` to build it from the model's predicted table (repaired).
    labels : ``"auto"``, ``"identity"`` or an ``(n,)`` array (module docstring).
    strict_table : refuse (raise :class:`~grokcheck.errors.NotAGroupError`) when the predicted
        table is not a group, instead of repairing it (only where the table is needed).
    max_changes : passed to :func:`grokcheck.theory.repair_table`.
    names : the irrep names of ``group`` (default: :func:`grokcheck.theory.irrep_names`).
    memo : a :class:`TableMemo` shared by the calls of a batch (default: a fresh one), so that
        equal predicted tables are repaired, turned into a group and matched to ``group`` once.
    options : for :meth:`ExternalModel.analysis`.
    """
    from grokcheck.theory._irrep_names import irrep_names
    from grokcheck.theory._table_repair import TableRepair, table_defects

    memo = TableMemo() if memo is None else memo

    G = model.group if group is None else group
    # a labelling fixed by the caller is checked against the model's own table below; "auto" finds one
    explicit = not (isinstance(labels, str) and labels == "auto")
    if group is None and model.group is not None and isinstance(labels, str) and labels == "auto":
        labels = "identity"  # the file names its own group (a grokcheck run): its labels are that group's
    T = model.predict_table()
    n = model.order
    repair, repair_error = None, None

    def do_repair():
        nonlocal repair, repair_error
        if G is not None and G.order == n and np.array_equal(T, G.table):
            # the predictions are G's own certified table (label g is element g): a group, nothing to vote on
            repair = TableRepair(T, T.copy(), (), None, 0)
            return repair
        if strict_table:
            defect = table_defects(T)
            if defect is not None:
                raise NotAGroupError(f"{model.source}: the predicted table is not a group: {defect} "
                                     "(without --strict-table the nearest group table is used)", reason="strict",
                                     witness=defect)
        repair, repair_error = memo.repair(T, max_changes)
        return repair

    if G is None:
        if do_repair() is None:
            raise NotAGroupError(f"{model.source}: no group given and the predicted table is not one: {repair_error}",
                                 reason="repair", witness=repair_error)
        G = memo.group(repair.table)
        perm = np.arange(n)
        how = "table"
    else:
        if G.order != n:
            raise GroupInputError(f"{model.source} has {n} labels but {G} has order {G.order}", text=str(G))
        if isinstance(labels, str) and labels == "identity":
            perm, how = np.arange(n), "identity"
            do_repair()
        elif isinstance(labels, str) and labels == "auto":
            do_repair()
            if repair is None or np.array_equal(repair.table, G.table):
                perm = np.arange(n)
                how = "identity" if repair is not None else "identity (predictions are not a group)"
            else:
                perm = memo.isomorphism(memo.group(repair.table), G)
                if perm is None:
                    raise GroupInputError(f"{model.source}: the model's (repaired) table is a group of order {n} not "
                                          f"isomorphic to {G}; give the right group, or labels='identity'", text=str(G))
                how = "isomorphism"
        else:
            perm = np.asarray(labels, dtype=np.int64)
            if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
                raise InvalidInputError(f"labels must be a permutation of 0..{n - 1}", option="labels")
            how = "given"
            do_repair()
    acc = labelling_accuracy(T, G, perm)
    warning = None
    if explicit and how in ("identity", "given") and repair is not None and acc < 1.0:
        # A labelling under which the model computes G differs from the isomorphism found from its own
        # table by an automorphism of G, which maps G's table to itself: both give the same accuracy.
        # So a given labelling that scores lower than the found isomorphism contradicts the model.
        iso = memo.isomorphism(memo.group(repair.table), G)
        if iso is not None:
            acc_iso = labelling_accuracy(T, G, iso)
            if acc < acc_iso - 0.5 / n**2:  # fewer pairs right (counts differ by ≥ 1/n²)
                from grokcheck.checks._names import group_display_name

                gname = group_display_name(G)
                raise LabellingError(
                    f"{model.source}: the model computes {gname} (its predictions, with {repair.changed} entries "
                    f"repaired, form a table isomorphic to it), but under the {how} labelling it gets {acc:.3f} of the "
                    f"pairs right against {acc_iso:.3f} under the isomorphism read from its predictions: the labelling "
                    "contradicts the model. Fix: let grokcheck find the labelling (labels='auto', the CLI default with "
                    "a GROUP), or give the elements in the model's label order with the product convention the model "
                    "was trained with (--elements multiplies left to right, as GAP and sympy; the other order is the "
                    "opposite group's)", model=model.source, accuracy=acc, accuracy_isomorphism=acc_iso)
        elif acc < 1.0:
            warning = (f"the model's predictions form a group table not isomorphic to {G}; accuracy {acc:.3f} in the "
                       f"{how} labelling")
    elif repair is None and acc < 1.0:
        warning = (f"the model's predictions are not a group table ({repair_error}); labels taken as "
                   f"{how.split(' ')[0]}, accuracy {acc:.3f}")
    names = irrep_names(G) if names is None else names
    fam = names[0].family if names else None
    if how == "isomorphism" and not (fam and fam.startswith("S") and fam != "S6"):
        # an automorphism of G may permute irreps (S6's outer one, C_n's k -> jk): names carried through
        # an isomorphism found from the table are fixed only up to it; S_n (n != 6) has only inner ones
        how = "isomorphism (irrep names up to automorphisms of the group)"
    na = model.analysis(G, element_of_label=perm, **options)
    return ModelReport(model, G, perm, how, repair, repair_error, acc, na, tuple(names),
                       model.spectra(G, element_of_label=perm), warning, _known_as(G, names))
