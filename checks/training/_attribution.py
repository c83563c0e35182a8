"""Key representations the way Chughtai, Chan & Nanda (arXiv 2302.03025) find them: from the logits.

The paper's algorithm, *group composition via representations* (§4), has a network compute

    logits(a, b, c) ≈ Σ_ρ w_ρ χ_ρ(a b c⁻¹)

for a few "key" real irreps ρ (χ_ρ the character of the real irrep: for a complex or
quaternionic orbit ``{χ, χ̄}`` the sum ``χ + χ̄``). This module measures that statement on any
network given as logits on all ``|G|²`` pairs (and, for the ablations, as an additive network
``act(left[a] + right[b] + bias) @ out + out_bias``), every array in the group's own labelling:

* **logit attribution** (§5, "logit attribution"; the authors' ``logit_trace_similarity``): for
  each orbit O, the cosine between the logits centred over the output ``c`` and the character
  cube ``T_O(a, b, c) = χ_O(a b c⁻¹)``. An orbit is *key* when that cosine exceeds
  :data:`KEY_TRACE_SIMILARITY` (0.005, the threshold of the authors' released code that wrote the
  per-seed ``key_reps.txt`` files);
* **the character-sum fit**: the characters of distinct orbits are orthogonal as functions of
  ``(a, b, c)``, so the least-squares weights are ``w_O = ⟨L, T_O⟩ / ‖T_O‖²`` with ``L`` the
  centred logits; the fraction of logit variance
  explained by a set of orbits is ``Σ_O ⟨L, T_O⟩² / (‖T_O‖² ‖L‖²)``;
* **embedding and unembedding evidence** (§5): the fraction of the (uncentred) energy of the
  total embeddings ``left``/``right`` (each neuron's response to one operand, a function on G)
  and of the unembedding ``out`` in each orbit's isotypic subspace;
* **low-rank embeddings**: the singular values of the total embedding and its numerical rank
  against ``Σ_{O key} dim V_O`` (``dim V_O = Σ_{χ∈O} χ(1)²``, e.g. 16 + 1 on S5 for the standard
  and sign irreps);
* **restricted and excluded losses** (§5, ablations; the authors' ``total_hidden_restricted_loss``
  and ``total_hidden_excluded_loss``): the cross-entropy on all pairs after projecting the hidden
  activations onto the functions ``φ(a b)`` with ``φ`` in the key orbits' isotypic subspaces
  (restricted), or after removing that projection (excluded).

Everything is float64 on the CPU except the forward passes, which run in torch in chunks of
left operands (float32 for the large groups, where the model itself was evaluated in float32).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grokcheck.errors import InvalidInputError

__all__ = ["KEY_TRACE_SIMILARITY", "LEARNED_ACCURACY", "NULL_FACTOR", "RANK_TOLERANCE", "AdditiveNet", "CharacterFit", "ModelAttribution",
           "additive_net", "orbit_characters", "character_fit", "null_baseline", "embedding_shares", "embedding_rank",
           "ablation_losses", "attribute_model", "attribution_of_report", "attribute_reports", "print_attribution"]

#: an orbit is a key representation when the cosine between the centred logits and its character
#: cube (over all |G|³ entries) exceeds this: the threshold of the authors' released code
#: (``determine_key_reps`` in bilal-chughtai/rep-theory-mech-interp, the version that wrote the
#: per-seed ``key_reps.txt``), so the key sets compare with theirs. An orbit a model does not use
#: sits at |cos| ≲ 1e-3 on the released checkpoints (float32 weights, ~1e-6 of the variance), one
#: it uses weakly at 0.01–0.03 (C113 seed 1: frequencies 8, 13, 25, 32, 34), a main one at 0.1–0.5.
KEY_TRACE_SIMILARITY = 0.005

#: below this accuracy on all |G|² pairs a model has not learned the table and its attribution is
#: flagged INCONCLUSIVE: the bar at which the trained-network checks count a seed as generalised
#: (``GROKKED`` of grokcheck.checks.claims._trained); the released checkpoints are at 0.9998–1.
LEARNED_ACCURACY = 0.95

#: the key irreps must explain more than this multiple of the null baseline's whole character part
#: (:func:`null_baseline`: every non-trivial irrep's expected share of the variance when each pair's
#: outputs are permuted at random, summed). Under that null each irrep's share is a χ²₁-like
#: variable (a sum of |G|² independent terms, squared), so k irreps' shares together exceed 10× their
#: mean with probability P(χ²_k > 10k): 0.0016 for k = 1, less for more. A random-init network sits
#: at or below the null (its variance lies mostly in functions of (a, c) and (b, c), which the
#: character cubes are orthogonal to); the released models sit 10⁴–10⁷× above it (S5: 0.31–0.86
#: against 3.5·10⁻⁶; S6 0.35 against 2.7·10⁻⁸; a C3-sized group is where a learned model could fall short: 1/18 per irrep).
NULL_FACTOR = 10.0

#: singular values below this fraction of the largest do not count towards the numerical rank of
#: an embedding: weight decay shrinks unused directions geometrically over a long run, so they lie
#: orders of magnitude below the used ones (measured on the released S5 checkpoints: docs/mechanisms.md).
RANK_TOLERANCE = 1e-2

#: pairs per chunk of the forward passes and character sums (bounds the (pairs × width) intermediates)
_CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True, eq=False)
class AdditiveNet:
    """A one-hidden-layer network whose neuron ``i`` sees ``left[i, a] + right[i, b] + bias[i]``.

    ``logits(a, b) = act(left[:, a] + right[:, b] + bias) @ out + out_bias``; arrays in the
    group's labelling (column g is element g): ``left``, ``right``, ``out`` (N, n), ``bias`` (N,)
    or ``None``, ``out_bias`` (n,) or ``None``, ``activation`` a name of
    :func:`grokcheck.checks.training._models.activation`.
    """

    left: np.ndarray
    right: np.ndarray
    out: np.ndarray
    bias: np.ndarray | None
    out_bias: np.ndarray | None
    activation: str = "relu"

    @property
    def order(self) -> int:
        return int(self.left.shape[1])

    def logit_chunks(self, *, dtype=None):
        """Yield ``(a, L)``: left operands ``a`` (A,) and logits ``L`` (A, n, n) ``[a, b, c]`` as float64
        numpy arrays (computed in ``dtype``, as :meth:`torch_chunks`)."""
        for a, out, _ in self.torch_chunks(dtype=dtype):
            yield a, out.double().numpy()

    def torch_chunks(self, *, hidden: bool = False, dtype=None):
        """Yield ``(a, L, H)`` as torch tensors in ``dtype``: left operands ``a`` (A,), logits ``L``
        (A, n, n) ``[a, b, c]`` and, with ``hidden``, the activations ``H`` (A, n, N) (else ``None``).

        ``dtype``: the torch dtype (default float64 up to n = 256, float32 above, as the file's
        own evaluation of the released checkpoints).
        """
        import torch

        from grokcheck.checks.training._models import activation

        n = self.order
        dt = dtype or (torch.float64 if n <= 256 else torch.float32)
        act = activation(self.activation)
        L = torch.as_tensor(np.asarray(self.left).T, dtype=dt)   # (n, N)
        R = torch.as_tensor(np.asarray(self.right).T, dtype=dt)  # (n, N)
        if self.bias is not None:
            R = R + torch.as_tensor(np.asarray(self.bias), dtype=dt)
        W = torch.as_tensor(np.asarray(self.out), dtype=dt)  # (N, n)
        bU = None if self.out_bias is None else torch.as_tensor(np.asarray(self.out_bias), dtype=dt)
        N = W.shape[0]
        step = max(1, _CHUNK_ELEMENTS // max(1, n * max(N, n)))
        with torch.no_grad():
            for s in range(0, n, step):
                a = np.arange(s, min(n, s + step))
                h = act(L[a][:, None, :] + R[None, :, :])  # (A, n, N)
                out = h @ W
                if bU is not None:
                    out = out + bU
                yield a, out, (h if hidden else None)


def additive_net(model, element_of_label=None) -> AdditiveNet:
    """The :class:`AdditiveNet` of an :class:`~grokcheck.checks.training._external.ExternalModel`
    in the labelling ``element_of_label`` (model label x is element ``element_of_label[x]``).

    The readout bias is read off the model's own logits on a few pairs (the residual of the
    neurons' sum, constant over pairs when the model is additive), so every additive format
    (one-layer MLP, concat/summed MLP, a grokcheck MLP run) is read the same way.

    Raises
    ------
    InvalidInputError : the model's neurons respond to pairs (a transformer), or its logits are
        not ``act(left + right + bias) @ out`` plus a constant (names the residual).
    """
    if model.pairwise:
        raise InvalidInputError(f"{model.source}: the paper's ablations need neurons that see each operand "
                                "separately (left + right); a transformer's MLP neurons respond to pairs",
                                option="--attribution")
    n = model.order
    perm = np.arange(n) if element_of_label is None else np.asarray(element_of_label, dtype=np.int64)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n)
    d = model.neuron_data()
    left = np.asarray(d["left"], dtype=np.float64)
    right = np.asarray(d["right"], dtype=np.float64)
    out = np.asarray(d["out"], dtype=np.float64)
    bias = None if d.get("bias") is None else np.asarray(d["bias"], dtype=np.float64)
    act = model.meta.get("activation", "relu")
    import torch

    rows = torch.arange(min(n, 4))
    with torch.no_grad():
        true = model._logits(rows)[:, :n].double().numpy().reshape(len(rows), n, n)
    pre = left[:, rows.numpy()].T[:, None, :] + right.T[None, :, :] + (0.0 if bias is None else bias)
    from grokcheck.checks.training._models import activation

    mine = (activation(act)(torch.as_tensor(pre)) @ torch.as_tensor(out)).numpy()  # (rows, n, n)
    resid = (true - mine).reshape(-1, n)
    out_bias = resid.mean(axis=0)
    scale = max(1.0, float(np.abs(true).max()))
    # the file's float32 evaluation against ours in float64: ~1e-6 relative; 1e-3 leaves room for
    # cancellation in a 128-term sum while catching any missing term (a non-additive model)
    err = float(np.abs(resid - out_bias).max()) / scale
    if err > 1e-3:
        raise InvalidInputError(f"{model.source}: its logits are not act(left + right + bias) @ out plus a constant "
                                f"(relative residual {err:.2g}); the ablations cannot be computed", option="--attribution")
    ob = None if np.abs(out_bias).max() <= 1e-6 * scale else out_bias
    return AdditiveNet(left[:, inv], right[:, inv], out[:, inv], bias, None if ob is None else ob[inv], act)


# --------------------------------------------------------------------------- characters


def orbit_characters(G) -> tuple[tuple[tuple[int, ...], ...], np.ndarray, np.ndarray, int]:
    """``(orbits, chi, dims, trivial)``: the real irreps of ``G`` as orbits of complex irreps,
    their real characters ``chi`` (k, n) (``Σ_{χ∈O} χ``), the isotypic dimensions ``dims`` (k,)
    (``Σ_{χ∈O} χ(1)²``) and the index of the trivial orbit."""
    from grokcheck.checks.training._analyze import group_spectrum

    spec = group_spectrum(G)
    ct = G.character_table
    vals = ct.on_elements()
    chi = np.stack([vals[list(o)].sum(axis=0).real for o in spec.orbits])
    dims = np.array([int(sum(int(ct.degrees[i]) ** 2 for i in o)) for o in spec.orbits])
    return spec.orbits, chi, dims, spec.trivial_orbit


@dataclass(frozen=True)
class CharacterFit:
    """The logits against the character cubes ``T_O(a, b, c) = χ_O(a b c⁻¹)``, per orbit.

    Attributes
    ----------
    trace_similarity : (k,) cosine between the logits centred over ``c`` and ``T_O`` over all
        ``n³`` entries (the authors' ``logit_trace_similarity``; ``= sign(w_O)·√fve_O``).
    pair_cosine : (k,) mean over pairs of the same cosine taken pair by pair (the first version
        of the authors' code).
    fve : (k,) fraction of the centred logits' variance explained by ``w_O T_O`` alone.
    weight : (k,) the least-squares ``w_O``.
    fve_all : fraction explained by every orbit together (the part of the logits that is a
        function of ``a b c⁻¹`` alone, class function of it).
    variance : ``‖L‖²/n³``, the mean squared centred logit.
    """

    trace_similarity: np.ndarray
    pair_cosine: np.ndarray
    fve: np.ndarray
    weight: np.ndarray
    fve_all: float
    variance: float

    def key(self, threshold: float = KEY_TRACE_SIMILARITY) -> np.ndarray:
        """Indices of the key orbits (trace similarity above ``threshold``), by explained variance."""
        k = np.nonzero(self.trace_similarity > threshold)[0]
        return k[np.argsort(-self.fve[k], kind="stable")]

    def fve_of(self, orbits) -> float:
        """Fraction of logit variance explained by ``Σ_{O ∈ orbits} w_O T_O`` (orthogonal terms add)."""
        idx = np.asarray(list(orbits), dtype=np.int64)
        return float(self.fve[idx].sum()) if idx.size else 0.0


def _by_product(table, inverses, a, width: int):
    """``(A, n, width)`` gather index: at ``[i, g, ·]`` the right operand ``b = a_i⁻¹ g`` with ``a_i b = g``
    (``table`` the (n, n) torch Cayley table, ``inverses`` (n,), ``a`` (A,) left operands)."""
    b = table[np.asarray(inverses)[np.asarray(a, dtype=np.int64)]]  # (A, n): row a⁻¹ of the table
    return b[:, :, None].expand(-1, -1, width)


class _CharacterSums:
    """Running sums of one pass over the logits, from which :func:`character_fit` follows.

    Per product ``g = a b`` the sums over its ``n`` pairs of the centred logit rows ``S[g]`` (n,)
    and of the same rows normalised ``U[g]``: then ``⟨L, T_O⟩ = Σ_{g,c} S[g, c] χ_O(g c⁻¹)``, a
    bincount over ``h = g c⁻¹`` followed by one (k, n) product, and the pair cosines likewise
    from ``U``.
    """

    def __init__(self, G):
        import torch

        self.G = G
        self.n = n = G.order
        self.table = torch.tensor(np.asarray(G.table), dtype=torch.int64)
        self.inverses = np.asarray(G.inverses)
        self.S = torch.zeros((n, n), dtype=torch.float64)
        self.U = torch.zeros((n, n), dtype=torch.float64)
        self.total = 0.0
        self.pairs = 0

    def add(self, a, L) -> None:
        """Add the logits ``L`` (A, n, n) ``[a, b, c]`` (torch float64 or numpy) of the left operands ``a`` (A,)."""
        import torch

        n = self.n
        if isinstance(L, np.ndarray) and not L.flags.writeable:
            L = L.copy()  # torch does not wrap a read-only array
        L = torch.as_tensor(L, dtype=torch.float64).reshape(-1, n, n)
        a = np.asarray(a, dtype=np.int64)
        Lc = L - L.mean(dim=2, keepdim=True)
        nrm = torch.linalg.vector_norm(Lc, dim=2, keepdim=True)  # (A, n, 1)
        # for a fixed a, b ↦ a b is a bijection: the row of product g is that of b = a⁻¹g (a gather, no collisions)
        idx = _by_product(self.table, self.inverses, a, n)
        self.S += Lc.gather(1, idx).sum(dim=0)
        self.U += (Lc / torch.where(nrm > 0, nrm, 1.0)).gather(1, idx).sum(dim=0)  # a zero row adds nothing
        self.total += float((nrm * nrm).sum())
        self.pairs += int(L.shape[0] * L.shape[1])

    def fit(self, chi=None) -> "CharacterFit":
        n = self.n
        if self.pairs != n * n:
            raise InvalidInputError(f"character_fit: got logits on {self.pairs} pairs, expected |G|² = {n * n}",
                                    option="logits")
        if chi is None:
            _, chi, _, _ = orbit_characters(self.G)
        h = np.asarray(self.G.table)[:, np.asarray(self.G.inverses)].ravel()  # h = g c⁻¹ at [g, c]
        dot = chi @ np.bincount(h, weights=self.S.numpy().ravel(), minlength=n)
        chi_norm = np.sqrt((chi * chi).sum(axis=1))  # ‖χ_O‖ over the group
        cos = (chi @ np.bincount(h, weights=self.U.numpy().ravel(), minlength=n)) / np.where(chi_norm > 0, chi_norm, 1.0)
        total = self.total
        Tn2 = n * n * chi_norm**2  # ‖T_O‖² over (a, b, c)
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.where(Tn2 > 0, dot / Tn2, 0.0)
            fve = np.where((Tn2 > 0) & (total > 0), dot**2 / (Tn2 * total), 0.0)
            sim = np.where((Tn2 > 0) & (total > 0), dot / np.sqrt(Tn2 * total), 0.0)
        return CharacterFit(sim, cos / self.pairs, fve, weight, float(fve.sum()), total / n**3)


def null_baseline(order: int, irreps: int) -> dict:
    """What the characters explain by chance: the logits with each pair's outputs permuted at random.

    For a pair's centred logit row ``x`` and a uniformly random permutation ``π`` of the outputs,
    ``E⟨π x, y⟩² = ‖x‖² ‖y‖² / (n − 1)`` for any centred ``y``, and the pairs' terms are independent
    with mean 0. A non-trivial orbit's row ``c ↦ χ_O(g c⁻¹)`` is centred with ``‖χ_O‖²`` the same for
    every pair, so its expected explained fraction is exactly ``1/(n²(n − 1))`` whatever the logits,
    and its trace similarity has standard deviation ``1/√(n²(n − 1))`` (0.075 on S3, above the 0.005
    threshold: a random network on a small group has "key" irreps by chance). ``irreps``: the
    number of non-trivial real irreps.
    """
    per = 1.0 / (order * order * max(order - 1, 1))
    return {"fve_per_irrep": per, "fve_all_irreps": irreps * per, "trace_similarity_sd": float(np.sqrt(per)),
            "definition": "the logits with each pair's outputs permuted at random (independently per pair): "
                          "each non-trivial irrep's expected explained fraction is exactly 1/(|G|²(|G|−1))"}


def character_fit(G, chunks) -> CharacterFit:
    """Fit the logits by character cubes; ``chunks`` yields ``(a, L)`` as :meth:`AdditiveNet.logit_chunks`.

    ``L`` (A, n, n) is indexed ``[a, b, c]`` in ``G``'s labelling; every pair must come once.
    """
    sums = _CharacterSums(G)
    for a, L in chunks:
        sums.add(a, L)
    return sums.fit()


def logits_chunks_of_array(logits, n: int):
    """``(a, L)`` chunks of full logits ``(n², n)`` or ``(n, n, n)`` already in the group's labelling."""
    L = np.asarray(logits, dtype=np.float64).reshape(n, n, n)
    step = max(1, _CHUNK_ELEMENTS // (n * n))
    for s in range(0, n, step):
        a = np.arange(s, min(n, s + step))
        yield a, L[a]


# --------------------------------------------------------------------------- embeddings


def embedding_shares(G, funcs) -> np.ndarray:
    """``(k,)`` fraction of the total (uncentred) energy of the rows of ``funcs`` (N, n), functions
    on ``G``, in each orbit's isotypic subspace (the paper's "percent of the embedding")."""
    from grokcheck.checks.training._analyze import group_spectrum

    E = group_spectrum(G).orbit_energies(np.asarray(funcs, dtype=np.float64)).sum(axis=0)
    tot = E.sum()
    return E / tot if tot > 0 else E


def embedding_rank(G, funcs, *, tol: float = RANK_TOLERANCE) -> dict:
    """Numerical rank of the embedding ``funcs`` (N, n) (rows: neurons; the matrix ``n × N`` of the
    paper's total embedding) and of its part in each orbit.

    Returns ``{"rank", "singular_values" (descending, relative to the largest), "per_orbit" (k,)
    ranks of the projections, "tolerance"}``.
    """
    from grokcheck.checks.training._analyze import group_spectrum

    F = np.asarray(funcs, dtype=np.float64)
    s = np.linalg.svd(F, compute_uv=False)
    smax = float(s[0]) if s.size and s[0] > 0 else 0.0
    rank = int((s > tol * smax).sum()) if smax > 0 else 0
    B, starts = group_spectrum(G).basis
    ends = list(starts[1:]) + [B.shape[1]]
    per = []
    for a, b in zip(starts, ends):
        P = F @ B[:, a:b]  # coordinates in the orbit's isotypic subspace
        sv = np.linalg.svd(P, compute_uv=False) if P.size else np.zeros(0)
        per.append(int((sv > tol * smax).sum()) if smax > 0 else 0)
    return {"rank": rank, "singular_values": (s / smax if smax > 0 else s).tolist(), "per_orbit": per,
            "tolerance": tol}


# --------------------------------------------------------------------------- ablations


class _FiberSums:
    """Running sums of the hidden activations over the pairs with each product ``g = a b``, from
    which :func:`_fiber_mean` follows (fed chunk by chunk, e.g. beside :class:`_CharacterSums`)."""

    def __init__(self, G):
        import torch

        self.G = G
        self.table = torch.tensor(np.asarray(G.table), dtype=torch.int64)
        self.acc = None

    def add(self, a, H) -> None:
        """Add the activations ``H`` (A, n, N) (torch or numpy) of the left operands ``a`` (A,)."""
        import torch

        H = torch.as_tensor(H)
        part = H.gather(1, _by_product(self.table, self.G.inverses, a, H.shape[-1])).sum(dim=0)  # (n, N) by product
        self.acc = part.double() if self.acc is None else self.acc + part.double()  # float32 chunks summed in float64

    def mean(self) -> np.ndarray:
        return self.acc.numpy() / self.G.order


def _fiber_mean(G, chunks_hidden) -> np.ndarray:
    """``(n, N)``: the mean hidden activation over the ``n`` pairs with product ``g`` (the
    projection of the hidden layer onto functions of ``a b``, before the orbit projection).
    ``chunks_hidden`` yields ``(a, H)``, ``H`` (A, n, N) torch or numpy."""
    sums = _FiberSums(G)
    for a, H in chunks_hidden:
        sums.add(a, H)
    return sums.mean()


def _orbit_projector(G, orbits) -> np.ndarray:
    from grokcheck.checks.training._analyze import group_spectrum

    B, starts = group_spectrum(G).basis
    ends = list(starts[1:]) + [B.shape[1]]
    cols = [np.arange(starts[k], ends[k]) for k in orbits]
    Q = B[:, np.concatenate(cols)] if cols else np.zeros((G.order, 0))
    return Q @ Q.T  # orthogonal projector onto the orbits' isotypic subspaces (functions on G)


def _ce_rows(L, y):
    """Per-row cross-entropy of logits ``L`` (P, n) against labels ``y`` (P,) (torch, float64)."""
    import torch

    return torch.logsumexp(L, dim=1) - L.gather(1, y[:, None])[:, 0]


def ablation_losses(G, net: "AdditiveNet", key, *, per_orbit=(), hbar=None) -> dict:
    """The paper's restricted and excluded losses (arXiv 2302.03025, §5 ablations; the authors'
    ``total_hidden_restricted_loss`` / ``total_hidden_excluded_loss``), on all ``n²`` pairs.

    The hidden activations ``H(a, b)`` (N per pair) are projected onto the functions
    ``(a, b) ↦ φ(a b)`` with ``φ`` in the key orbits' isotypic subspaces; that projection is
    ``(P_key H̄)(a b)`` with ``H̄(g)`` the mean of ``H`` over the ``n`` pairs with product ``g``.
    ``restricted``: the loss of ``(P_key H̄)(a b) @ out + out_bias``; ``excluded``: the loss of
    ``(H − (P_key H̄)(a b)) @ out + out_bias``; ``excluded_each[O]`` the same with one orbit
    removed; ``loss`` the model's own. The authors read the excluded loss on the training pairs;
    the split of a model from a file is unknown, so here every pair counts. ``hbar`` (n, N): the
    fibre means when a pass over the network already computed them (:func:`attribute_model`).
    """
    import torch

    n = G.order
    table = torch.tensor(np.asarray(G.table), dtype=torch.int64)
    key = [int(k) for k in key]
    if hbar is None:
        hbar = _fiber_mean(G, ((a, H) for a, _, H in net.torch_chunks(hidden=True)))
    out = np.asarray(net.out)
    ob = torch.as_tensor(0.0 if net.out_bias is None else np.asarray(net.out_bias), dtype=torch.float64)
    r_key = torch.as_tensor(_orbit_projector(G, key) @ hbar @ out)  # (n, n): restricted logit rows per product g
    r_each = {int(k): torch.as_tensor(_orbit_projector(G, [int(k)]) @ hbar @ out) for k in per_orbit}
    restricted = float(_ce_rows(r_key + ob, torch.arange(n)).mean())  # each product g comes from n pairs
    tot = {"loss": 0.0, "excluded": 0.0}
    each = {k: 0.0 for k in r_each}
    for a, L, _ in net.torch_chunks():
        g = table[torch.as_tensor(a)].reshape(-1)
        L = L.double().reshape(-1, n)
        tot["loss"] += float(_ce_rows(L, g).sum())
        tot["excluded"] += float(_ce_rows(L - r_key[g], g).sum())
        for k, r in r_each.items():
            each[k] += float(_ce_rows(L - r[g], g).sum())
    N2 = n * n
    return {"loss": tot["loss"] / N2, "restricted": restricted, "excluded": tot["excluded"] / N2,
            "excluded_each": {k: v / N2 for k, v in each.items()}, "log_order": float(np.log(n))}


# --------------------------------------------------------------------------- one model


@dataclass(frozen=True)
class ModelAttribution:
    """The paper's attribution of one model (:func:`attribute_model`)."""

    names: tuple
    orbits: tuple
    dims: np.ndarray
    trivial: int
    fit: CharacterFit
    key: np.ndarray
    left_shares: np.ndarray | None = None
    right_shares: np.ndarray | None = None
    out_shares: np.ndarray | None = None
    rank: dict | None = None
    losses: dict | None = None
    neurons: dict = field(default_factory=dict)
    accuracy: float | None = None
    null: dict | None = None

    def inconclusive(self) -> list[str]:
        """Why the key representations cannot be read off this model (empty when they can).

        * the model has not learned the table (``accuracy`` on all pairs below
          :data:`LEARNED_ACCURACY`): the paper's key representations describe a trained network's
          algorithm, and a random one's logits put chance-level cosines on every irrep (above the
          0.005 threshold on small groups: ``|G|^{-3/2}`` is 0.07 on S3);
        * the attribution does not separate the irreps from the null baseline: the key irreps'
          character terms explain no more than :data:`NULL_FACTOR` times what every irrep explains
          by chance (``null``, :func:`null_baseline`).
        """
        out = []
        n = int(sum(int(d) for d in self.dims))
        if self.accuracy is not None and not self.accuracy >= LEARNED_ACCURACY:
            out.append(f"the model has not learned the table: accuracy {self.accuracy:.3f} on all pairs < "
                       f"{LEARNED_ACCURACY:g} (chance 1/|G| = {1 / n:.3g}); key representations describe a learned "
                       "algorithm")
        if self.null is not None:
            mine = self.fit.fve_of(self.key)
            base = self.null["fve_all_irreps"]
            if not mine > NULL_FACTOR * base:
                out.append(f"the attribution does not separate irreps: the key irreps' character terms explain "
                           f"{mine:.3g} of the logit variance, not above {NULL_FACTOR:g}× what every irrep explains by "
                           f"chance ({base:.3g}: each pair's outputs permuted at random; chance trace similarity "
                           f"±{self.null['trace_similarity_sd']:.2g} against the threshold {KEY_TRACE_SIMILARITY:g})")
        return out

    def orbit_name(self, k: int) -> str:
        return self.names[self.orbits[k][0]].name if self.names else f"X.{self.orbits[k][0] + 1}"

    def key_names(self) -> list[str]:
        return [self.orbit_name(int(k)) for k in self.key]

    def to_json(self) -> dict:
        rows = []
        for k, o in enumerate(self.orbits):
            if k == self.trivial:
                continue
            r = {"irrep": o[0] + 1, "orbit": [i + 1 for i in o], "name": self.orbit_name(k),
                 "isotypic_dim": int(self.dims[k]), "key": bool(k in set(self.key.tolist())),
                 "trace_similarity": float(self.fit.trace_similarity[k]),
                 "pair_cosine": float(self.fit.pair_cosine[k]), "fve": float(self.fit.fve[k]),
                 "weight": float(self.fit.weight[k])}
            for nm, sh in (("embed_left", self.left_shares), ("embed_right", self.right_shares),
                           ("unembed", self.out_shares)):
                if sh is not None:
                    r[nm] = float(sh[k])
            if self.rank is not None:
                r["embed_rank"] = int(self.rank["per_orbit"][k])
            if k in self.neurons:
                r["neurons_single_irrep"] = int(self.neurons[k])
            if self.losses is not None and k in self.losses.get("excluded_each", {}):
                r["excluded_loss"] = float(self.losses["excluded_each"][k])
            rows.append(r)
        key_dim = int(sum(int(self.dims[k]) for k in self.key))
        out = {
            "definition": (f"key representations: real irreps ρ whose character cube χ_ρ(a b c⁻¹) has cosine > "
                           f"{KEY_TRACE_SIMILARITY:g} with the logits centred over c, over all |G|³ entries "
                           "(Chughtai et al., arXiv 2302.03025, logit attribution; the authors' code and threshold)"),
            "key": [{"irrep": self.orbits[int(k)][0] + 1, "name": self.orbit_name(int(k))} for k in self.key],
            "fve_key": self.fit.fve_of(self.key),
            "fve_all_irreps": self.fit.fve_all,
            "key_isotypic_dim": key_dim,
            "irreps": rows,
        }
        if self.rank is not None:
            out["embedding_rank"] = {"rank": self.rank["rank"], "predicted": key_dim, "tolerance": self.rank["tolerance"]}
        if self.losses is not None:
            out["losses"] = {k: v for k, v in self.losses.items() if k != "excluded_each"}
        if self.accuracy is not None:
            out["accuracy"] = float(self.accuracy)
        if self.null is not None:
            out["null_baseline"] = dict(self.null)
        reasons = self.inconclusive()
        out["status"] = "INCONCLUSIVE" if reasons else "OK"
        out["inconclusive"] = reasons
        return out


def attribute_model(G, *, chunks=None, names=None, net: AdditiveNet | None = None, left=None, right=None, out=None,
                    losses: bool = True, per_orbit_losses: bool | None = None, neurons: dict | None = None,
                    threshold: float = KEY_TRACE_SIMILARITY, accuracy: float | None = None,
                    null: bool = True) -> ModelAttribution:
    """The paper's attribution of one network on ``G`` (arrays in ``G``'s labelling).

    ``chunks`` yields the logits (default: ``net``'s, computed here); ``net`` (or ``left``,
    ``right``, ``out`` (N, n)) gives the embedding evidence; ``losses`` computes the ablations
    (needs ``net``); ``per_orbit_losses`` the per-orbit excluded losses (default: for |G| ≤ 200;
    one cross-entropy over all pairs per orbit); ``neurons`` maps an orbit to its single-irrep neuron
    count; ``accuracy`` (on all pairs) and ``null`` (:func:`null_baseline`, from the same pass) feed
    :meth:`ModelAttribution.inconclusive`.

    With ``net`` the logits and the hidden layer's fibre means come from one forward pass over all
    pairs; the excluded losses, which need the key irreps, take a second.
    """
    orbits, chi, dims, trivial = orbit_characters(G)
    sums = _CharacterSums(G)
    hbar = None
    if chunks is None:
        if net is None:
            raise InvalidInputError("attribute_model needs the logits (chunks) or the network (net)", option="chunks")
        fibers = _FiberSums(G) if losses else None
        for a, L, H in net.torch_chunks(hidden=losses):
            sums.add(a, L.double())
            if fibers is not None:
                fibers.add(a, H)
        if fibers is not None:
            hbar = fibers.mean()
    else:
        for a, L in chunks:
            sums.add(a, L)
    fit = sums.fit(chi)
    null_fit = null_baseline(G.order, len(orbits) - 1) if null else None
    key = fit.key(threshold)
    if net is not None:
        left, right, out = net.left, net.right, net.out
    ls = None if left is None else embedding_shares(G, left)
    rs = None if right is None else embedding_shares(G, right)
    us = None if out is None else embedding_shares(G, out)  # rows: each neuron's output weights, functions of c
    rank = None
    if left is not None:  # each operand's embedding on its own (the paper's W_a and W_b): the larger rank
        sides = [embedding_rank(G, f) for f in (left, right) if f is not None]
        rank = {"rank": max(r["rank"] for r in sides), "per_orbit": np.max([r["per_orbit"] for r in sides], axis=0).tolist(),
                "singular_values": sides[0]["singular_values"], "tolerance": sides[0]["tolerance"]}
    lo = None
    if losses and net is not None:
        each = (G.order <= 200) if per_orbit_losses is None else per_orbit_losses
        lo = ablation_losses(G, net, key, per_orbit=[k for k in range(len(orbits)) if k != trivial] if each else (),
                             hbar=hbar)
    return ModelAttribution(tuple(names) if names is not None else (), orbits, dims, trivial, fit, key, ls, rs, us,
                            rank, lo, dict(neurons or {}), accuracy, null_fit)


def _model_chunks(model, perm):
    """``(a, L)`` chunks of a model's own logits, mapped into the group's labelling by ``perm``."""
    import torch

    n = model.order
    inv = np.empty_like(perm)
    inv[perm] = np.arange(n)
    with torch.no_grad():
        for rows in model._chunks():
            L = model._logits(rows)[:, :n].double().numpy().reshape(len(rows), n, n)
            yield perm[rows.numpy()], L[:, inv][:, :, inv]


def attribution_of_report(rep, *, losses: bool = True) -> ModelAttribution:
    """The paper's attribution of a :class:`~grokcheck.checks.training._external.ModelReport`
    (a model read by the one model path: its group, labelling and neuron analysis)."""
    G, perm, model = rep.group, np.asarray(rep.element_of_label), rep.model
    occ = rep.analysis.shares_summary(names=rep.names)["occupancy"]
    from grokcheck.checks.training._analyze import group_spectrum

    orbit_of_first = {o[0] + 1: k for k, o in enumerate(group_spectrum(G).orbits)}
    neurons = {orbit_of_first[r["irrep"]]: r["single_irrep"] for r in occ}
    if model.pairwise:
        return attribute_model(G, chunks=_model_chunks(model, perm), names=rep.names, losses=False, neurons=neurons,
                               accuracy=rep.accuracy)
    net = additive_net(model, perm)  # checked against the model's own logits
    return attribute_model(G, names=rep.names, net=net, losses=losses, neurons=neurons, accuracy=rep.accuracy)


def attribute_reports(reports, *, losses: bool = True) -> list[ModelAttribution]:
    """:func:`attribution_of_report` of every report (``grokcheck analyze --attribution paper``)."""
    return [attribution_of_report(rep, losses=losses) for rep in reports]


# --------------------------------------------------------------------------- the command line


def print_attribution(reports, attributions) -> None:
    """``grokcheck analyze --attribution paper``: per file, the key representations and the evidence."""
    from pathlib import Path

    for rep, att in zip(reports, attributions):
        js = att.to_json()
        name = Path(rep.model.source).name
        keys = ", ".join(k["name"] for k in js["key"]) or "—"
        print(f"{name}: accuracy {rep.accuracy:.3f}; key representations ({len(js['key'])}): {keys}")
        for why in js["inconclusive"]:
            print(f"  INCONCLUSIVE: {why}")
        line = (f"  character sum Σ w_ρ χ_ρ(a b c⁻¹) over the key irreps explains {js['fve_key']:.3f} of the logit "
                f"variance (all irreps: {js['fve_all_irreps']:.3f})")
        print(line)
        if "null_baseline" in js:
            nb = js["null_baseline"]
            print(f"  by chance (each pair's outputs permuted at random) all irreps would explain {nb['fve_all_irreps']:.3g}, "
                  f"trace similarity ±{nb['trace_similarity_sd']:.2g}")
        if "embedding_rank" in js:
            er = js["embedding_rank"]
            print(f"  embedding rank {er['rank']} (per operand, σ > {er['tolerance']:g}·σ_max; at most Σ d² over the key "
                  f"irreps = {er['predicted']} if the embedding lives in them)")
        if "losses" in js:
            lo = js["losses"]
            print(f"  loss {lo['loss']:.4g}; restricted to key irreps {lo['restricted']:.4g}; key irreps excluded "
                  f"{lo['excluded']:.4g} (uniform logits: log|G| = {lo['log_order']:.3f})")
        print(f"  {'irrep':<30} {'key':>3} {'trace cos':>9} {'fve':>6} {'emb L':>6} {'emb R':>6} {'unemb':>6} "
              f"{'rank':>4} {'neur':>4} {'excl loss':>9}")
        for r in sorted(js["irreps"], key=lambda r: -r["trace_similarity"]):
            if not r["key"] and r["trace_similarity"] < 0.01 and r.get("embed_left", 0) < 0.01:
                continue  # unused: shown in --json
            def f(x, spec=".3f"):
                return "—" if x is None else format(x, spec)
            print(f"  {r['name']:<30} {'*' if r['key'] else '':>3} {r['trace_similarity']:>9.3f} {r['fve']:>6.3f} "
                  f"{f(r.get('embed_left')):>6} {f(r.get('embed_right')):>6} {f(r.get('unembed')):>6} "
                  f"{r.get('embed_rank', '—'):>4} {r.get('neurons_single_irrep', '—'):>4} "
                  f"{f(r.get('excluded_loss'), '.4g'):>9}")
    print(js["definition"] if reports else "")
