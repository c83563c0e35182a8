"""Measurements on trained networks, for any group.

* :func:`analyze_weights` – per-neuron irrep attribution of any two-operand network from its
  weights: ``left``, ``right`` (n, |G|) first-layer responses to the two operands and ``out``
  (n, |G|) output weights; :func:`analyze_pairwise` the same for neurons whose response to a pair
  is not a sum (a transformer's MLP neurons at the "=" position, (n, |G|, |G|)).
* :func:`analyze_neurons` – per-neuron Fourier analysis with the theory layer's irreps
  (``grokcheck.numerics.measure_neurons``: winning orbit, purity, σ₂/σ₁, alignment cosines,
  phase residual) for every seed of a batched model, restricted to *live* neurons, aggregated
  into histograms across neurons and seeds.
* :func:`majority_vote` – population-logit regression on ``1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1``
  over all |G|² pairs, and the margin "correct minus best wrong".
* :func:`li2_quantities` – Li₂'s ``G_F = P⊥(Y − FV)Vᵀ``, the ridge ``V`` and the closed form
  ``G_F(∞)`` (Eq. 4), kernel diagonality of ``F̃ᵀF̃`` and ``F̃F̃ᵀ``, per-node energies against
  ``|G|/(2 d_ρ m_ρ)`` (Tian, arXiv 2509.21519, Theorem 2 with corrected constants, docs/errata.md).
* :func:`analyze_run` – all of the above for a run directory; writes ``analysis.json``,
  ``neuron_energy_heatmap.png`` (neuron × orbit energy, like the papers' DFT heatmaps) and
  ``neuron_histograms.png``.

Conventions
-----------
Neuron ``m`` of seed ``s``: ``θ¹, θ²`` are the two halves of its first-layer row and ``ξ`` the
column ``m`` of the output layer (He et al., arXiv 2606.02993, §2); biases only decide whether a
ReLU neuron fires. Which neurons are *alive* (measured) is the alive rule of the one
:class:`~grokcheck.checks.training.SingleIrrepDefinition` (default ``"gap"``: the neuron fires on
some pair and its strength ``‖[θ¹; θ²]‖·‖ξ‖`` lies above the first ×100 drop in its seed's sorted
strengths — weight decay drives unused neurons to zero, and their "Fourier pattern" is noise).
Dead seeds (NaN) are skipped.

The neuron-weights protocol. :func:`analyze_neurons` reads any object with a method
``neuron_weights() -> (θ¹, θ², ξ)``, three float arrays of shape ``(S, M, |G|)`` (``S`` seeds,
``M`` neurons; row ``m`` of ``θ¹``/``θ²`` is neuron m's response to the left/right operand as a
function of the group element, row ``m`` of ``ξ`` its output weight on each output label). The
models of :mod:`grokcheck.checks.training` implement it; for weights from elsewhere call
:func:`analyze_weights` (one seed) directly, or load the file with
:func:`grokcheck.checks.training.load_model`.

Irrep attribution (:class:`NeuronShares`). For a real function ``f`` on ``G`` and an orbit
``O = {ρ, ρ̄}`` of irreps, ``E_O(f) = ‖P_O f‖²`` is the energy of its (real) isotypic component
``P_O f = Σ_{ρ∈O} (d_ρ/|G|) Σ_h χ_ρ(g h⁻¹) f(h)``. A neuron's *input energy* in ``O`` is
``E_O(left) + E_O(right)`` (the energy, over all pairs, of its pre-activation ``left(g₁) +
right(g₂)`` in ``O``, up to the factor ``|G|``); its *centred* input energy is the sum over the
nontrivial orbits. The neuron's irrep is the orbit with the largest input share (or the largest
sum of input and output shares when ``count_output``); ``share`` is that orbit's fraction of the
centred input energy and ``share_out`` the same for ``out``. A live neuron is *single-irrep*
when ``share ≥ share_threshold`` (and ``share_out ≥ share_threshold`` when ``count_output``).
Users read irreps numbered 1..k as GAP's ``X.1 … X.k``; for a complex pair ``{ρ, ρ̄}`` (one real
irrep) the number is that of its first member. Python arrays stay 0-based.
"""

from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "NeuronAnalysis",
    "NeuronShares",
    "GroupSpectrum",
    "group_spectrum",
    "analyze_weights",
    "analyze_pairwise",
    "analyze_neurons",
    "majority_vote",
    "li2_quantities",
    "analyze_run",
    "plot_neuron_heatmap",
    "plot_neuron_histograms",
    "PURITY_SINGLE_IRREP",
]

from grokcheck.checks.training._analysis_options import (  # noqa: E402  (torch-free defaults, shared with the CLI)
    ALIVE_GAP,
    ALIVE_RULES,
    ALIVE_THRESHOLD,
    DEFAULT_ALIVE_RULE,
    PURITY_SINGLE_IRREP,
    SHARE_SINGLE_IRREP,
)


def gap_alive(strength: np.ndarray, gap: float = ALIVE_GAP) -> np.ndarray:
    """``(N,)`` bool: finite neurons above the first drop by ``gap`` or more in the sorted strengths.

    Sorted from the strongest, the first ratio ``s_i / s_{i+1} ≥ gap`` separates the live neurons
    from those weight decay has driven towards zero (:data:`ALIVE_GAP`); a zero strength is always
    dead. Without such a drop every finite neuron with a positive strength is alive.
    """
    s = np.asarray(strength, dtype=np.float64)
    finite = np.isfinite(s) & (s > 0)
    alive = finite.copy()
    if finite.sum() < 2:
        return alive
    v = np.sort(s[finite])[::-1]
    ratios = v[:-1] / v[1:]
    drops = np.nonzero(ratios >= gap)[0]
    if drops.size:
        cut = v[drops[0]]  # the weakest live neuron
        alive &= s >= cut
    return alive



def _measure_neurons():
    try:
        from grokcheck.numerics import measure_neurons
    except ImportError:  # exported later by the numerics layer
        from grokcheck.numerics._measurements import measure_neurons
    return measure_neurons


def _f(v):
    v = float(v)
    return v if math.isfinite(v) else None  # math's test: numpy's costs ~1 µs on a Python float


class _PerGroup:
    """A cache keyed by the group *object* (not its value), dropped when the group is collected.

    Nothing leaks between groups: a new group object, even with an equal table, gets its own
    entry, and an entry dies with its group (``weakref.finalize``).
    """

    def __init__(self, build):
        self._build = build
        self._store: dict[int, tuple] = {}

    def __call__(self, G):
        key = id(G)
        hit = self._store.get(key)
        if hit is not None and hit[0]() is G:
            return hit[1]
        value = self._build(G)
        self._store[key] = (weakref.ref(G), value)
        weakref.finalize(G, self._store.pop, key, None)
        return value


class GroupSpectrum:
    """Per-group data of the irrep attribution, computed once per group object.

    Build with :func:`group_spectrum` (cached). Holds the orbits (real irreps: a complex pair is
    one orbit), the theory's predictions (:func:`grokcheck.numerics.predictions`, symbolic) and,
    lazily, a real orthonormal basis adapted to the isotypic decomposition, from the character
    table alone (no irrep matrices: S6's basis takes 0.05 s where its irreps take 0.6 s).
    """

    def __init__(self, G):
        self._group = weakref.ref(G)  # a weak reference: the cache entry must not keep its group alive
        ct = G.character_table
        self.orbits = tuple(tuple(int(i) for i in o) for o in ct.orbits)
        self.orbit_dims = np.array([int(ct.degrees[o[0]]) for o in self.orbits])
        self.orbit_fs = np.array([int(ct.fs_indicators[o[0]]) for o in self.orbits])
        self.trivial_orbit = next(k for k, o in enumerate(self.orbits)
                                  if np.allclose(ct.values[o[0]], 1.0))  # the all-ones character

    @property
    def group(self):
        """The group (alive while anyone uses this spectrum through it)."""
        return self._group()

    @cached_property
    def predictions(self):
        from grokcheck.numerics._predictions import predictions

        return predictions(self.group)

    @property
    def num_orbits(self) -> int:
        return len(self.orbits)

    def orbit_energies(self, vectors) -> np.ndarray:
        """``(N, k)`` energies ``‖P_O f‖²`` of the rows of ``vectors`` (N, |G|) in each orbit.

        The squared coordinates of each row in :attr:`basis`, summed over each orbit's columns:
        one matrix product for all orbits.
        """
        B, starts = self.basis
        C = np.asarray(vectors, dtype=np.float64) @ B
        return np.add.reduceat(C * C, starts, axis=1)

    def irrep_rows(self, names, element_of_label) -> list[dict]:
        """The ``irreps`` rows of :meth:`NeuronAnalysis.to_json`, built once per names and labelling.

        ``names`` (the :class:`grokcheck.theory.IrrepName` of every irrep) and
        ``element_of_label`` ``(|G|,)``; each call returns fresh row dicts (a caller may add keys),
        whose ``character`` lists are shared between calls and must not be changed.
        """
        lab = np.asarray(element_of_label, dtype=np.int64)
        cache = self.__dict__.setdefault("_irrep_rows", {})
        key = (tuple(map(id, names)), lab.tobytes())
        hit = cache.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], names)):  # the names are held: ids not reused
            chars = self.group.character_table.on_elements()
            orbit_of = {i: o for o in self.orbits for i in o}
            rows = []
            for nm in names:
                row = nm.to_json()
                row["orbit"] = [i + 1 for i in orbit_of[nm.index]]
                reim = np.stack([chars[nm.index][lab].real, chars[nm.index][lab].imag], axis=-1)  # (|G|, 2)
                row["character"] = (reim.tolist() if np.isfinite(reim).all()  # plain floats, as _f gives, at C speed
                                    else [[_f(a), _f(b)] for a, b in reim])
                rows.append(row)
            hit = (tuple(names), rows)
            cache[key] = hit
        return [dict(r) for r in hit[1]]

    @cached_property
    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """``(B, starts)``: ``B`` (|G|, |G|) real orthogonal, columns grouped by orbit, and the
        first column of each orbit (``starts`` (k,)). From one symmetric eigenproblem of
        ``Σ_O (O+1) P_O``, whose eigenvalue ``O+1`` has the orbit's isotypic space as eigenspace."""
        G = self.group
        ct = G.character_table
        g = G.order
        chi = ct.on_elements().real  # (r, g); an orbit's sum of characters is real
        # P_O[x, y] = c_O(x·y⁻¹) with c_O = Σ_{ρ∈O} d_ρ/|G| χ_ρ: the whole sum is one class function
        c = np.zeros(g)
        for k, o in enumerate(self.orbits):
            for i in o:
                c += (k + 1) * float(ct.degrees[i]) / g * chi[i]
        A = c[G.table[:, G.inverses]]  # A[x, y] = c(x·y⁻¹)
        w, B = np.linalg.eigh((A + A.T) / 2)
        lab = np.rint(w).astype(np.int64) - 1
        # eigenvalues are the integers 1..k up to rounding (a projector sum, well separated)
        if np.max(np.abs(w - (lab + 1))) > 1e-6:
            raise ArithmeticError("isotypic projectors are not orthogonal idempotents")
        order = np.argsort(lab, kind="stable")
        B, lab = B[:, order], lab[order]
        starts = np.searchsorted(lab, np.arange(self.num_orbits))
        return B, starts

    def pair_energies(self, F) -> np.ndarray:
        """``(N, k, k)`` energies of functions of pairs ``F`` (N, |G|, |G|) in ``O₁ ⊗ O₂``."""
        B, starts = self.basis
        F = np.asarray(F, dtype=np.float64)
        C = np.einsum("ia,nij,jb->nab", B, F, B, optimize=True)
        C = C * C
        return np.add.reduceat(np.add.reduceat(C, starts, axis=1), starts, axis=2)


group_spectrum = _PerGroup(GroupSpectrum)
group_spectrum.__doc__ = "The :class:`GroupSpectrum` of ``G``, built once per group object."


def _names_or_none(G):
    from grokcheck.theory._irrep_names import irrep_names

    try:
        return irrep_names(G)
    except ArithmeticError:  # a naming certificate failed: reports fall back to numbers
        return None


#: the irrep names of a group, computed once per group object (reports name irreps; see irrep_names)
group_names = _PerGroup(_names_or_none)


@dataclass(frozen=True, eq=False)
class NeuronShares:
    """Irrep attribution of the ``N`` neurons of one model (see the module docstring).

    Attributes
    ----------
    energy_in, energy_out : ``(N, k)`` orbit energies of the input (left + right, or the pair
        function) and of the output weights.
    winner_orbit : ``(N,)`` index into ``orbits`` of the neuron's irrep; ``-1`` when it has no
        nontrivial energy.
    share, share_out : ``(N,)`` winner's fraction of the centred input / output energy
        (NaN when there is none).
    alive : ``(N,)`` bool, by ``options["alive_rule"]``.
    strength : ``(N,)`` the weight product of the alive rule.
    single : ``(N,)`` bool, alive and single-irrep.
    orbits : the orbits ``{ρ, ρ̄}`` (0-based irrep indices).
    options : the rule and thresholds used.
    """

    energy_in: np.ndarray
    energy_out: np.ndarray
    winner_orbit: np.ndarray
    share: np.ndarray
    share_out: np.ndarray
    alive: np.ndarray
    strength: np.ndarray
    single: np.ndarray
    orbits: tuple
    options: dict

    @property
    def neurons(self) -> int:
        return int(self.alive.shape[0])

    def occupancy(self) -> np.ndarray:
        """``(k,)`` alive neurons per winning orbit."""
        w = self.winner_orbit[self.alive & (self.winner_orbit >= 0)]
        return np.bincount(w, minlength=len(self.orbits))

    def single_occupancy(self) -> np.ndarray:
        """``(k,)`` single-irrep alive neurons per orbit."""
        return np.bincount(self.winner_orbit[self.single], minlength=len(self.orbits))


def _shares(spec: GroupSpectrum, E_in, E_out, strength, fires, *, alive_rule, alive_threshold, share_threshold,
            count_output) -> NeuronShares:
    if alive_rule not in ALIVE_RULES:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"alive_rule must be one of {ALIVE_RULES}, got {alive_rule!r}", option="alive_rule")
    if not 0.0 <= share_threshold <= 1.0:
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"share_threshold must be in [0, 1], got {share_threshold}", option="share_threshold")
    triv = spec.trivial_orbit
    nt = np.ones(spec.num_orbits, dtype=bool)
    nt[triv] = False
    tot_in = E_in[:, nt].sum(axis=1)
    tot_out = E_out[:, nt].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sh_in = E_in / tot_in[:, None]
        sh_out = E_out / tot_out[:, None]
    score = np.where(np.isfinite(sh_in), sh_in, 0.0)
    if count_output:
        score = score + np.where(np.isfinite(sh_out), sh_out, 0.0)
    score[:, triv] = -np.inf
    N = E_in.shape[0]
    winner = np.argmax(score, axis=1) if spec.num_orbits > 1 else np.full(N, -1)
    has = (tot_in > 0) if not count_output else (tot_in > 0) | (tot_out > 0)
    winner = np.where(has, winner, -1)
    rows = np.arange(N)
    w0 = np.maximum(winner, 0)
    share = np.where(winner >= 0, sh_in[rows, w0], np.nan)
    share_out = np.where(winner >= 0, sh_out[rows, w0], np.nan)
    finite = np.isfinite(strength)
    top = float(np.max(strength[finite])) if finite.any() else 0.0
    if alive_rule == "all":
        alive = finite.copy()
    elif alive_rule == "gap":
        alive = gap_alive(strength) & fires
    else:
        alive = finite & (strength >= alive_threshold * top) & (top > 0)
        if alive_rule == "fires":
            alive &= fires
    with np.errstate(invalid="ignore"):
        single = alive & (winner >= 0) & (share >= share_threshold)
        if count_output:
            single &= share_out >= share_threshold
    opts = {"alive_rule": alive_rule, "alive_threshold": alive_threshold, "share_threshold": share_threshold,
            "count_output": bool(count_output)}
    return NeuronShares(E_in, E_out, winner.astype(np.int64), share, share_out, alive, strength, single,
                        spec.orbits, opts)


def _definition(alive_rule, alive_threshold, share_threshold, count_output):
    from grokcheck.checks.training._analysis_options import SingleIrrepDefinition

    return SingleIrrepDefinition.from_options(alive_rule=alive_rule, alive_threshold=alive_threshold,
                                              share_threshold=share_threshold, count_output=count_output)


def neuron_strength(left, right, out=None) -> np.ndarray:
    """``(N,)`` each neuron's ‖[left; right]‖·‖out‖ (``out=None``: ‖[left; right]‖ alone, the ``"input"``
    alive rule): the strength every alive rule ranks neurons by; rows are neurons."""
    s = np.sqrt((left**2).sum(1) + (right**2).sum(1))
    return s if out is None else s * np.sqrt((out**2).sum(1))


def _check_rows(name, a, n_rows, g):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != g or (n_rows is not None and a.shape[0] != n_rows):
        from grokcheck.errors import InvalidInputError

        want = f"({n_rows if n_rows is not None else 'neurons'}, {g})"
        raise InvalidInputError(f"{name} must have shape {want} (neurons × group elements), got {a.shape}", option=name)
    return a


def analyze_weights(G, left, right, out, *, bias=None, alive_rule: str = DEFAULT_ALIVE_RULE,
                    alive_threshold: float = ALIVE_THRESHOLD, share_threshold: float = SHARE_SINGLE_IRREP,
                    count_output: bool = False, measure: bool = True, name: str | None = None,
                    activation: str = "relu") -> "NeuronAnalysis":
    """Per-neuron irrep attribution of one network from its weights.

    Parameters
    ----------
    G : FiniteGroup whose element ``g`` is column ``g`` of the arrays.
    left, right : ``(N, |G|)`` first-layer responses of the ``N`` neurons to the left and right
        operand (neuron i's pre-activation on the pair ``(g₁, g₂)`` is
        ``left[i, g₁] + right[i, g₂] + bias[i]``). For a summed one-hot input pass the same array twice.
    out : ``(N, |G|)`` output weights, ``out[i, j]`` neuron i's weight on output label ``j``.
    bias : ``(N,)`` first-layer bias or ``None``; only the ``"gap"`` and ``"fires"`` rules read it.
    alive_rule : ``"gap"`` (default: the neuron fires on some pair —
        ``max left + max right + bias > 0`` — and its ``‖[left; right]‖·‖out‖`` lies above the first drop by
        :data:`ALIVE_GAP` or more in the sorted strengths, see :func:`gap_alive`), ``"weights"``
        (``‖[left; right]‖·‖out‖ ≥ alive_threshold ·`` its maximum over neurons), ``"input"`` (the
        same with ``‖[left; right]‖`` alone), ``"fires"`` (``"weights"`` and it fires on some
        pair) or ``"all"`` (every finite neuron). docs/statistics.md compares them.
    alive_threshold : relative threshold of the alive rule (default :data:`ALIVE_THRESHOLD`).
    share_threshold : a live neuron is single-irrep when its ``share`` reaches this
        (default :data:`SHARE_SINGLE_IRREP`).
    count_output : when ``True`` the output weights count: the winner maximises input + output
        share and single-irrep also needs ``share_out ≥ share_threshold``. Default ``False``
        (the irrep of a neuron is that of its input weights; ``share_out`` is still reported).
    measure : also run :func:`grokcheck.numerics.measure_neurons` on the live neurons (purity,
        σ₂/σ₁, alignment; the ``measurements`` of the result).
    name : a label for reports (default ``str(G)``).
    activation : the nonlinearity; "fires on some pair" is read for those that vanish on the
        negative half-line (``relu``, ``relusqr``) and holds for every other one.

    Returns
    -------
    :class:`NeuronAnalysis` with one "seed": ``shares[0]`` is the :class:`NeuronShares`.
    """
    g = G.order
    L = _check_rows("left", left, None, g)
    N = L.shape[0]
    R = _check_rows("right", right, N, g)
    Ov = _check_rows("out", out, N, g)
    spec = group_spectrum(G)
    E = spec.orbit_energies(np.concatenate([L, R, Ov]))  # one product for the three sets of rows
    E_in = E[:N] + E[N:2 * N]
    E_out = E[2 * N:]
    strength = neuron_strength(L, R, None if alive_rule == "input" else Ov)
    b = np.zeros(N) if bias is None else np.asarray(bias, dtype=np.float64).reshape(N)
    fires = (L.max(axis=1) + R.max(axis=1) + b > 0) if activation in ("relu", "relusqr") else np.ones(N, dtype=bool)
    sh = _shares(spec, E_in, E_out, strength, fires, alive_rule=alive_rule, alive_threshold=alive_threshold,
                 share_threshold=share_threshold, count_output=count_output)
    meas = None
    if measure and sh.alive.any():
        meas = _measure_neurons()(G, L[sh.alive], R[sh.alive], Ov[sh.alive], prediction=spec.predictions)
    return NeuronAnalysis(name or str(getattr(G, "name", None) or G), (meas,), (sh.alive,), (strength,),
                          bool(G.is_abelian and G.order % 2 == 1), shares=(sh,), group=G,
                          definition=_definition(alive_rule, alive_threshold, share_threshold, count_output))


def analyze_pairwise(G, responses, out, *, alive_rule: str = DEFAULT_ALIVE_RULE, alive_threshold: float = ALIVE_THRESHOLD,
                     share_threshold: float = SHARE_SINGLE_IRREP, count_output: bool = False,
                     measure: bool = False, name: str | None = None) -> "NeuronAnalysis":
    """Per-neuron irrep attribution of neurons whose response to a pair is any function of it.

    Parameters
    ----------
    G : FiniteGroup.
    responses : ``(N, |G|, |G|)``: ``responses[i, g₁, g₂]`` is neuron i's pre-activation on the
        pair ``(g₁, g₂)`` (for a transformer: at the "=" position).
    out : ``(N, |G|)`` each neuron's direct weight on each output label.
    alive_rule, alive_threshold, share_threshold, count_output, name : as :func:`analyze_weights`
        (the input norm is that of the centred response; ``"fires"``: positive on some pair).
    measure : accepted for symmetry with :func:`analyze_weights`; the weight-vector measurements
        (purity, σ₂/σ₁, alignment) need additive neurons, so ``measurements`` stays ``(None,)``.

    Notes
    -----
    The input energy in orbit ``O`` is the energy of the response in ``O⊗1 + 1⊗O + O⊗O``
    (left-only, right-only and joint dependence through ``O``); energy in ``O₁⊗O₂`` with
    ``O₁ ≠ O₂`` both nontrivial counts for no orbit, so it lowers every share. For a response
    ``left(g₁) + right(g₂)`` this is exactly :func:`analyze_weights`' input energy (times |G|).
    """
    g = G.order
    F = np.asarray(responses, dtype=np.float64)
    if F.ndim != 3 or F.shape[1:] != (g, g):
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"responses must have shape (neurons, {g}, {g}), got {F.shape}", option="responses")
    N = F.shape[0]
    Ov = _check_rows("out", out, N, g)
    spec = group_spectrum(G)
    P = spec.pair_energies(F)  # (N, k, k)
    t = spec.trivial_orbit
    k = spec.num_orbits
    E_in = np.zeros((N, k))
    for o in range(k):
        if o == t:
            continue
        E_in[:, o] = P[:, o, t] + P[:, t, o] + P[:, o, o]
    cross = P.sum(axis=(1, 2)) - P[:, t, t] - E_in.sum(axis=1)  # centred energy in no single orbit
    E_out = spec.orbit_energies(Ov)
    Fc = F - F.mean(axis=(1, 2), keepdims=True)
    if alive_rule == "input":
        strength = np.sqrt((Fc**2).sum(axis=(1, 2)))
    else:
        strength = np.sqrt((Fc**2).sum(axis=(1, 2))) * np.sqrt((Ov**2).sum(1))
    fires = F.max(axis=(1, 2)) > 0
    sh = _shares(spec, E_in, E_out, strength, fires, alive_rule=alive_rule, alive_threshold=alive_threshold,
                 share_threshold=share_threshold, count_output=count_output)
    # shares relative to the full centred energy, cross terms included
    tot = E_in.sum(axis=1) + cross
    rows = np.arange(N)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sh.winner_orbit >= 0, E_in[rows, np.maximum(sh.winner_orbit, 0)] / tot, np.nan)
        single = sh.alive & (sh.winner_orbit >= 0) & (share >= share_threshold)
        if count_output:
            single &= sh.share_out >= share_threshold
    sh = NeuronShares(E_in, E_out, sh.winner_orbit, share, sh.share_out, sh.alive, sh.strength, single, sh.orbits,
                      dict(sh.options, cross_energy=True))
    return NeuronAnalysis(name or str(getattr(G, "name", None) or G), (None,), (sh.alive,), (strength,),
                          bool(G.is_abelian and G.order % 2 == 1), shares=(sh,), group=G,
                          definition=_definition(alive_rule, alive_threshold, share_threshold, count_output))


@dataclass(frozen=True, eq=False)
class NeuronAnalysis:
    """Per-seed :class:`NeuronMeasurements` of the live neurons, and their aggregate.

    ``measurements[s]`` is ``None`` for dead seeds (and for :func:`analyze_pairwise`);
    ``live[s]`` (M,) marks the measured neurons; ``shares[s]`` is the seed's
    :class:`NeuronShares` (irrep attribution of every neuron); ``group`` the group analysed.
    """

    group_name: str
    measurements: tuple
    live: tuple
    strength: tuple
    abelian_odd: bool = False
    shares: tuple = ()
    group: object = field(default=None, repr=False)
    definition: object = None

    def single_irrep_counts(self) -> tuple[int, int]:
        """``(single, alive)`` neurons over every measured seed, by :attr:`definition`."""
        sh = [x for x in self.shares if x is not None]
        return int(sum(int(x.single.sum()) for x in sh)), int(sum(int(x.alive.sum()) for x in sh))

    def single_irrep_fraction(self) -> float:
        """The single-irrep fraction (:class:`SingleIrrepDefinition`) over every measured seed; NaN
        when no neuron is alive."""
        k, n = self.single_irrep_counts()
        return k / n if n else float("nan")

    def alive_shares(self) -> np.ndarray:
        """The ``share`` of every alive neuron with an irrep, over every measured seed."""
        parts = [x.share[x.alive & (x.winner_orbit >= 0)] for x in self.shares if x is not None]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _names(self):
        """The :class:`grokcheck.theory.IrrepName` of every irrep of ``group`` (``None`` without one)."""
        return None if self.group is None else group_names(self.group)

    def _cat(self, attr: str) -> np.ndarray:
        parts = [getattr(m, attr) for m in self.measurements if m is not None]
        return np.concatenate(parts) if parts else np.zeros(0)

    def summary(self) -> dict:
        meas = [m for m in self.measurements if m is not None]
        if not meas:
            return {"neurons": 0}
        ref = meas[0]
        pur = self._cat("purity")
        rr = self._cat("rank_ratio")
        win = self._cat("winner_orbit").astype(int)
        a_abs = np.concatenate([m.align_abs for m in meas])
        a_re = np.concatenate([m.align_re for m in meas])
        phase = self._cat("phase_residual")
        dims = ref.orbit_dims[win] if win.size else np.zeros(0)
        multi = dims > 1
        n_live = int(win.size)
        n_total = int(sum(len(lv) for lv, m in zip(self.live, self.measurements) if m is not None))
        single = pur >= PURITY_SINGLE_IRREP
        names = self._names()
        # occupancy by the single-irrep definition (input shares), the same counts analyze FILE prints
        shs = [x for x in self.shares if x is not None]
        spec = group_spectrum(self.group) if self.group is not None else None
        orbits = []
        if shs and spec is not None:
            w_alive = np.concatenate([x.winner_orbit[x.alive] for x in shs])
            w_single = np.concatenate([x.winner_orbit[x.single] for x in shs])
            n_alive_sh = max(1, int(w_alive.size))
            for o in range(spec.num_orbits):
                if o == spec.trivial_orbit:
                    continue
                first = spec.orbits[o][0]
                orbits.append({
                    "orbit": o,
                    "irreps": [int(i) for i in spec.orbits[o]],
                    "irrep_numbers": [int(i) + 1 for i in spec.orbits[o]],  # 1-based, as GAP's X.i
                    "name": None if names is None else names[first].name,
                    "dim": int(spec.orbit_dims[o]),
                    "fs_indicator": int(spec.orbit_fs[o]),
                    "count": int((w_alive == o).sum()),
                    "single_irrep_count": int((w_single == o).sum()),
                    "fraction_of_live": float((w_alive == o).sum() / n_alive_sh),
                })
        hist, edges = np.histogram(pur, bins=20, range=(0.0, 1.0))
        out = {
            "group": self.group_name,
            "seeds_measured": len(meas),
            "neurons_total": n_total,
            "neurons_live": n_live,
            "purity_fraction_ge_0.95": float(np.mean(pur >= 0.95)) if n_live else None,
            "purity_fraction_ge_0.9": float(np.mean(single)) if n_live else None,
            "purity_fraction_ge_0.9_per_seed": [None if m is None else (float(np.mean(m.purity >= PURITY_SINGLE_IRREP)) if m.neurons else None)
                                                for m in self.measurements],
            "purity_per_vector_median": dict(zip(("theta1", "theta2", "xi"),
                                                 (float(v) for v in np.median(np.concatenate([m.purity_per_vector for m in meas]), axis=0)))),
            "purity_quantiles": {q: _f(np.quantile(pur, float(q))) for q in ("0.05", "0.25", "0.5")} if n_live else None,
            "purity_histogram": {"counts": hist.tolist(), "edges": edges.tolist()},
            "rank_ratio_multidim": {
                "neurons": int(multi.sum()),
                "median": _f(np.median(rr[multi])) if multi.any() else None,
                "max": _f(np.max(rr[multi])) if multi.any() else None,
                "fraction_below_0.1": float(np.mean(rr[multi] < 0.1)) if multi.any() else None,
            },
            "align_abs": {"min": _f(a_abs.min()), "median": _f(np.median(a_abs)), "fraction_ge_0.9": float(np.mean(a_abs >= 0.9))} if n_live else None,
            "align_re": {"min": _f(a_re.min()), "median": _f(np.median(a_re)), "fraction_ge_0.9": float(np.mean(a_re >= 0.9))} if n_live else None,
            "phase_residual_abs_median_1d": _f(np.nanmedian(np.abs(phase))) if np.isfinite(phase).any() else None,
            "occupancy": orbits,
        }
        nontriv = np.array([o["count"] for o in orbits], dtype=np.int64)
        if self.abelian_odd and n_live and len(nontriv) > 1:  # the uniform law is for Abelian, odd order
            from scipy.stats import chisquare

            out["occupancy_chi2_uniform_pvalue"] = float(chisquare(nontriv).pvalue) if nontriv.sum() else None
        return out

    def to_json(self, *, seed: int = 0, names=None, element_of_label=None) -> dict:
        """The documented analysis schema for seed ``seed`` (irreps, neurons, summary).

        Parameters
        ----------
        names : the :class:`grokcheck.theory.IrrepName` of every irrep (default: computed).
        element_of_label : ``(|G|,)`` int, the group element of each model label (default: the
            identity); ``character`` is listed per model label through it.

        Returns
        -------
        dict
            ``{"group": {"name", "order"}, "irreps": [{"index", "dim", "fs_indicator", "name",
            "label", "kind", "field", "partition", "alias", "orbit", "character"}], "neurons":
            [{"neuron", "alive", "irrep", "name", "share", "share_out", "single_irrep", "strength"}],
            "summary": {...}}``; ``index``/``irrep`` are 1-based (GAP's ``X.i``), ``character`` is
            ``[[re, im], …]`` per model label, ``irrep`` is ``null`` for a neuron without nontrivial
            energy, ``orbit`` lists the irreps of the real irrep (two for a complex pair).
        """
        G = self.group
        if G is None or not self.shares or self.shares[seed] is None:
            raise ValueError("to_json needs an analysis with irrep shares (analyze_weights, analyze_neurons)")
        sh: NeuronShares = self.shares[seed]
        if names is None:
            names = group_names(G)
        if names is None:
            from grokcheck.theory._irrep_names import irrep_names

            names = irrep_names(G, recognition=False)
        lab = np.arange(G.order) if element_of_label is None else np.asarray(element_of_label, dtype=np.int64)
        irreps = group_spectrum(G).irrep_rows(names, lab)
        # the columns as Python lists first (one conversion each), then one dict per neuron
        first = [o[0] for o in sh.orbits]
        irr = [first[w] if w >= 0 else None for w in sh.winner_orbit.tolist()]
        neurons = [{
            "neuron": i,
            "alive": alive,
            "irrep": None if r is None else r + 1,
            "name": None if r is None else names[r].name,
            "share": None if r is None else _f(share),
            "share_out": None if r is None else _f(share_out),
            "single_irrep": single,
            "strength": _f(strength),
        } for i, (r, alive, share, share_out, single, strength) in enumerate(zip(
            irr, sh.alive.tolist(), sh.share.tolist(), sh.share_out.tolist(), sh.single.tolist(),
            sh.strength.tolist()))]
        return {"group": {"name": self.group_name, "order": G.order}, "irreps": irreps, "neurons": neurons,
                "summary": self.shares_summary(seed=seed, names=names)}

    def shares_summary(self, *, seed: int = 0, names=None) -> dict:
        """Occupancy of seed ``seed``: neurons, alive, single-irrep, per-irrep counts and the rules used.

        ``irreps_used`` lists the irreps with at least one alive single-irrep neuron, most
        neurons first.
        """
        sh: NeuronShares = self.shares[seed]
        if names is None:
            names = group_names(self.group)
        if names is None:
            from grokcheck.theory._irrep_names import irrep_names

            names = irrep_names(self.group, recognition=False)
        occ, occ1 = sh.occupancy(), sh.single_occupancy()
        n_alive = int(sh.alive.sum())
        n_single = int(sh.single.sum())
        rows = []
        for k, o in enumerate(sh.orbits):
            if k == group_spectrum(self.group).trivial_orbit:
                continue
            rows.append({"irrep": o[0] + 1, "orbit": [i + 1 for i in o], "name": names[o[0]].name,
                         "dim": int(names[o[0]].dim), "alive": int(occ[k]), "single_irrep": int(occ1[k])})
        used = sorted((r for r in rows if r["single_irrep"] > 0), key=lambda r: (-r["single_irrep"], r["irrep"]))
        return {
            "neurons": sh.neurons,
            "alive": n_alive,
            "single_irrep": n_single,
            "fraction_single_irrep": n_single / n_alive if n_alive else None,
            "occupancy": rows,
            "irreps_used": [{"irrep": r["irrep"], "name": r["name"], "neurons": r["single_irrep"]} for r in used],
            **sh.options,
            "definition": (self.definition.describe() if self.definition is not None else
                           _definition(sh.options["alive_rule"], sh.options["alive_threshold"],
                                       sh.options["share_threshold"], sh.options["count_output"]).describe()),
        }

    def orbit_energy_matrix(self, seed: int = 0) -> np.ndarray:
        """(M_live, k) share of nontrivial energy per orbit of seed ``seed``, θ¹+θ²+ξ summed."""
        m = self.measurements[seed]
        E = m.orbit_energy.sum(axis=1)  # (n, k)
        E = E[:, 1:]
        return E / np.maximum(E.sum(axis=1, keepdims=True), 1e-300)


def neuron_fires(model) -> np.ndarray | None:
    """``(S, M)`` bool: whether each first-layer neuron of a two-operand ReLU model is positive on
    some pair (``max θ¹ + max θ² + b > 0``), or ``None`` for an activation that is never
    identically zero on the pairs (the quadratic model's x², tanh, SiLU)."""
    act = getattr(getattr(model, "config", None), "activation", None)
    if act not in ("relu", "relusqr"):
        return None
    t1, t2, _ = model.neuron_weights()
    b = getattr(model, "b1", None)
    b = 0.0 if b is None else b.detach().double().cpu().numpy()
    return t1.max(axis=-1) + t2.max(axis=-1) + b > 0


def analyze_neurons(G, model, *, alive=None, definition=None, fires=None, live_threshold: float | None = None,
                    share_threshold: float | None = None, count_output: bool | None = None) -> NeuronAnalysis:
    """Irrep attribution of every seed of ``model``, and ``measure_neurons`` on its alive neurons.

    ``model`` follows the neuron-weights protocol (module docstring): ``model.neuron_weights()``
    returns ``(θ¹, θ², ξ)``, each ``(S, M, |G|)``. ``alive`` (S,) masks dead seeds.
    ``definition`` is the :class:`~grokcheck.checks.training.SingleIrrepDefinition` (default
    :data:`DEFAULT_SINGLE_IRREP`: the one used by ``analyze``, ``verify`` and the experiments);
    ``fires`` (S, M) bool says which neurons are positive on some pair (ReLU networks; ``None``:
    all, as for an activation that is never identically zero). The older keywords
    ``live_threshold`` (the ``"weights"`` rule at that threshold), ``share_threshold`` and
    ``count_output`` override the definition's fields. Every seed gets its :class:`NeuronShares`;
    the purity measurements (``measurements[s]``) cover the same alive neurons.
    """
    from grokcheck.checks.training._analysis_options import DEFAULT_SINGLE_IRREP, SingleIrrepDefinition

    d = DEFAULT_SINGLE_IRREP if definition is None else definition
    if live_threshold is not None or share_threshold is not None or count_output is not None:
        d = SingleIrrepDefinition(
            side=("both" if count_output else "input") if count_output is not None else d.side,
            share_threshold=d.share_threshold if share_threshold is None else float(share_threshold),
            alive_rule="weights" if live_threshold is not None else d.alive_rule,
            alive_threshold=d.alive_threshold if live_threshold is None else float(live_threshold))
    measure = _measure_neurons()
    t1, t2, xi = model.neuron_weights()
    S = t1.shape[0]
    alive = np.ones(S, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)
    spec = group_spectrum(G)
    meas, lives, strengths, shares = [], [], [], []
    for s in range(S):
        strength = neuron_strength(t1[s], t2[s], xi[s])
        ok = alive[s] and np.all(np.isfinite(strength)) and strength.max() > 0
        if not ok:
            lives.append(np.zeros_like(strength, dtype=bool))
            strengths.append(strength)
            meas.append(None)
            shares.append(None)
            continue
        if d.alive_rule == "input":
            strength = neuron_strength(t1[s], t2[s])
        fs = np.ones(strength.shape, dtype=bool) if fires is None else np.asarray(fires[s], dtype=bool)
        E_in = spec.orbit_energies(t1[s]) + spec.orbit_energies(t2[s])
        sh = _shares(spec, E_in, spec.orbit_energies(xi[s]), strength, fs, **d.options())
        live = sh.alive
        lives.append(live)
        strengths.append(strength)
        shares.append(sh)
        meas.append(measure(G, t1[s][live], t2[s][live], xi[s][live], prediction=spec.predictions) if live.any() else None)
    abelian_odd = bool(G.is_abelian and G.order % 2 == 1)
    return NeuronAnalysis(str(getattr(G, "name", None) or G), tuple(meas), tuple(lives), tuple(strengths), abelian_odd,
                          shares=tuple(shares), group=G, definition=d)


@torch.no_grad()
def majority_vote(G, model, task) -> dict:
    """Population-logit regression over all |G|² pairs (He et al., arXiv 2606.02993, majority vote), per seed.

    Least squares of the logits ``L[(g1,g2), j]`` on ``1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1`` (pooled
    over pairs and classes); coefficients are reported divided by the first. Predicted:
    (1, 0.5, 0.5, ·) with summed (shared) input, (1, 0, 0, ·) with concatenated input.
    Also the margin ``L[g1g2] − max_{j≠g1g2} L[j]``: its minimum and the fraction of pairs > 0.
    """
    n = G.order
    pool = task.x
    if pool.shape[0] != n * n:
        raise ValueError("majority_vote needs a group task whose pool is the full table")
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    x = pool.to(device)
    if x.is_floating_point():
        x = x.to(dtype)
    S = model.n_seeds
    L = model(x[None].expand(S, *x.shape)).double().cpu().numpy()  # (S, n², n)
    table = np.asarray(G.table)
    g1 = np.repeat(np.arange(n), n)
    g2 = np.tile(np.arange(n), n)
    prod = table[g1, g2]
    sq1 = table[g1, g1]
    sq2 = table[g2, g2]
    j = np.arange(n)
    feats = np.stack([
        (j[None] == prod[:, None]),
        (j[None] == sq1[:, None]),
        (j[None] == sq2[:, None]),
        np.ones((n * n, n), dtype=bool),
    ], axis=-1).reshape(-1, 4).astype(float)
    out = []
    for s in range(S):
        y = L[s].reshape(-1)
        if not np.all(np.isfinite(y)):
            out.append(None)
            continue
        coef, *_ = np.linalg.lstsq(feats, y, rcond=None)
        resid = y - feats @ coef
        r2 = 1 - resid.var() / max(y.var(), 1e-300)
        correct = L[s][np.arange(n * n), prod]
        wrong = L[s].copy()
        wrong[np.arange(n * n), prod] = -np.inf
        margin = correct - wrong.max(axis=1)
        c1 = coef[0] if coef[0] != 0 else np.nan
        out.append({
            "coef": [float(c) for c in coef],
            "coef_normalized": [_f(c / c1) for c in coef],
            "r2": float(r2),
            "margin_min": float(margin.min()),
            "margin_positive_fraction": float(np.mean(margin > 0)),
        })
    return {"per_seed": out, "encoding": task.meta.get("encoding")}


@torch.no_grad()
def li2_quantities(model, x: torch.Tensor, y: torch.Tensor, *, eta: float, G=None) -> list[dict]:
    """Li₂ measurements (Tian, arXiv 2509.21519, Stage I: Proposition 1, Eq. (4)) per seed on inputs ``x`` (S, n, d), labels ``y`` (S, n).

    ``G_F = P⊥(Y − FV)Vᵀ`` with the model's ``V``; ``V_ridge = (F̃ᵀF̃+ηI)⁻¹F̃ᵀỸ``; the closed form
    ``G_F(∞) = η(F̃F̃ᵀ+ηI)⁻¹ỸỸᵀF̃(F̃ᵀF̃+ηI)⁻¹`` and its relative distance to ``G_F``; kernel
    diagonality (mean |off-diagonal| / mean |diagonal|) of ``F̃ᵀF̃`` (K×K) and ``F̃F̃ᵀ`` (n×n); with
    ``G`` and σ = x², the energies ``E(w/‖w‖) = ½‖Ỹᵀσ(Xw/‖w‖)‖²`` per node.
    The paper's loss is a sum over samples, so ``eta`` is on that scale (not the per-sample
    weight decay of a mean loss).
    """
    F = model.hidden(x).double()  # (S, n, K)
    Vp = model.V.detach().double().transpose(1, 2)  # (S, K, C)
    C = Vp.shape[-1]
    Y = torch.nn.functional.one_hot(y, C).double()
    Ft = F - F.mean(1, keepdim=True)
    Yt = Y - Y.mean(1, keepdim=True)
    res = []
    for s in range(F.shape[0]):
        f, ft, yt, v = F[s], Ft[s], Yt[s], Vp[s]
        if not torch.isfinite(f).all():
            res.append(None)
            continue
        n, K = f.shape
        GF = (yt - ft @ v) @ v.T
        A = ft.T @ ft + eta * torch.eye(K, dtype=f.dtype)
        Vr = torch.linalg.solve(A, ft.T @ yt)
        B = ft @ ft.T + eta * torch.eye(n, dtype=f.dtype)
        closed = eta * torch.linalg.solve(B, yt @ (yt.T @ ft)) @ torch.linalg.inv(A)
        gf_ridge = (yt - ft @ Vr) @ Vr.T

        def diag_ratio(M):
            d = M.diagonal().abs().mean()
            off = (M.abs().sum() - M.diagonal().abs().sum()) / max(1, M.numel() - M.shape[0])
            return float(off / d) if d > 0 else None

        row = {
            "gf_norm": float(GF.norm()),
            "gf_closed_form_norm": float(closed.norm()),
            "gf_vs_closed_form_rel": float((GF - closed).norm() / closed.norm()) if closed.norm() > 0 else None,
            "ridge_identity_rel": float((gf_ridge - closed).norm() / closed.norm()) if closed.norm() > 0 else None,
            "v_vs_ridge_rel": float((v - Vr).norm() / Vr.norm()) if Vr.norm() > 0 else None,
            "kernel_offdiag_ratio_FtF": diag_ratio(ft.T @ ft),
            "kernel_offdiag_ratio_FFt": diag_ratio(ft @ ft.T),
        }
        res.append(row)
    if G is not None and getattr(model.config, "activation", None) == "sqr" and hasattr(model, "W"):
        from grokcheck.checks.training._data import group_task

        full = group_task(G, train_fraction=1.0)
        X = full.x.double()
        Yf = torch.nn.functional.one_hot(full.y, G.order).double()
        Yft = Yf - Yf.mean(0, keepdim=True)
        for s, row in enumerate(res):
            if row is None:
                continue
            W = model.W.detach().double()[s]  # (K, 2n)
            Wn = W / W.norm(dim=1, keepdim=True)
            Z = (X @ Wn.T) ** 2  # (n², K)
            E = 0.5 * ((Yft.T @ Z) ** 2).sum(0)
            row["node_energy_normalized"] = {"max": float(E.max()), "median": float(E.median()),
                                             "M_over_2": G.order / 2.0, "M_over_4": G.order / 4.0}
    return res


def plot_neuron_heatmap(analysis: NeuronAnalysis, path, *, seed: int = 0, max_neurons: int = 256,
                        run_seed: int | None = None) -> None:
    """Neuron × orbit share of nontrivial Fourier energy for one seed, neurons sorted by winner.

    ``seed`` is the member's index in the ensemble (0-based); the label names it as member
    ``seed + 1`` and, when given, the run's ``--seed`` (``run_seed``) that its stream derives from.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = analysis.measurements[seed]
    E = analysis.orbit_energy_matrix(seed)
    order = np.lexsort((-m.purity, m.winner_orbit))[:max_neurons]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * E.shape[1] + 2), 6))
    im = ax.imshow(E[order], aspect="auto", cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    names = analysis._names()
    labels = [f"X.{o[0] + 1} {names[o[0]].name}" if names is not None else f"X.{o[0] + 1} d={int(d)}"
              for o, d in zip(m.orbits[1:], m.orbit_dims[1:])]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_xlabel("irrep (real irrep {ρ, ρ̄}: its first member X.i)")
    who = f"member {seed + 1} of {len(analysis.measurements)}" + ("" if run_seed is None else f", run seed {run_seed}")
    ax.set_ylabel(f"live neuron ({who}; sorted by winner)")
    ax.set_title(f"{analysis.group_name}: share of nontrivial energy (θ¹+θ²+ξ)")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    from grokcheck.checks._io import atomic_save_figure

    try:
        atomic_save_figure(fig, path, dpi=110)  # temp file + rename: never a partial PNG
    finally:
        plt.close(fig)


def plot_neuron_histograms(analysis: NeuronAnalysis, path) -> None:
    """Purity, σ₂/σ₁ and winning-orbit histograms across neurons and seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ = analysis.summary()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    axes[0].hist(analysis._cat("purity"), bins=40, range=(0, 1), color="C0")
    axes[0].set_xlabel("purity")
    axes[0].set_ylabel("neurons (all seeds)")
    axes[1].hist(analysis._cat("rank_ratio"), bins=40, range=(0, 1), color="C1")
    axes[1].set_xlabel("σ₂/σ₁ of the winning block")
    occ = summ["occupancy"]
    axes[2].bar(range(len(occ)), [o["count"] for o in occ], color="C2")
    axes[2].set_xticks(range(len(occ)))
    axes[2].set_xticklabels([f"X.{o['irrep_numbers'][0]}\n{o['name'] or 'd=' + str(o['dim'])}" for o in occ], fontsize=6)
    axes[2].set_ylabel("neurons")
    axes[2].set_title("winning orbit")
    fig.suptitle(f"{analysis.group_name}: {summ['neurons_live']} live neurons over {summ['seeds_measured']} seeds")
    fig.tight_layout()
    from grokcheck.checks._io import atomic_save_figure

    try:
        atomic_save_figure(fig, path, dpi=110)  # temp file + rename: never a partial PNG
    finally:
        plt.close(fig)


def analyze_run(run_dir: str | os.PathLike, *, out_dir=None, device="cpu", definition=None, plots: bool = True) -> dict:
    """All measurements of a run directory; writes ``analysis.json`` and PNGs into ``out_dir``
    (default: the run directory) and returns the JSON dict. ``definition``: the
    :class:`SingleIrrepDefinition` of the single-irrep fraction (default: the one ``verify``
    and ``analyze FILE`` use)."""
    from grokcheck.checks.training._analysis_options import DEFAULT_SINGLE_IRREP

    definition = DEFAULT_SINGLE_IRREP if definition is None else definition
    from grokcheck.checks.training._train import load_run, write_json_atomic

    run = load_run(run_dir, device=device)
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    last = run.history[-1] if run.history else {}
    report: dict = {
        "run_dir": str(run_dir),
        "step": run.step,
        "model": run.config.model.kind,
        "optimizer": run.config.optimizer.name,
        "test_leakage": run.test_leakage,
        "alive": [bool(a) for a in run.alive],
        "train_acc": last.get("train_acc"),
        "test_acc": last.get("test_acc"),
        "t_mem": last.get("t_mem"),
        "t_grok": last.get("t_grok"),
    }
    if run.task.kind == "group":
        G = run.task.group()
        try:
            na = analyze_neurons(G, run.model, alive=run.alive, definition=definition, fires=neuron_fires(run.model))
        except NotImplementedError as exc:
            report["neurons"] = {"skipped": str(exc)}
        else:
            report["neurons"] = na.summary()
            report["neurons"]["single_irrep"] = {"fraction": _f(na.single_irrep_fraction()),
                                                 "single": na.single_irrep_counts()[0],
                                                 "alive": na.single_irrep_counts()[1],
                                                 **definition.to_json()}
            report["neurons"]["per_seed"] = [None if m is None else m.summary() for m in na.measurements]
            first = next((s for s, m in enumerate(na.measurements) if m is not None and m.neurons), None)
            if plots and first is not None:
                plot_neuron_heatmap(na, out / "neuron_energy_heatmap.png", seed=first, run_seed=run.config.seed)
                plot_neuron_histograms(na, out / "neuron_histograms.png")
        report["majority_vote"] = majority_vote(G, run.model, run.task)
        if run.config.model.kind == "li2":
            xtr, ytr = run.task.split("train", device=device, dtype=run.config.torch_dtype)
            eta = run.config.model.ridge_v
            if eta is None:
                wd = run.config.optimizer.weight_decay
                eta = float(np.mean(wd)) * run.task.n_train
            report["li2"] = {"eta": eta, "per_seed": li2_quantities(run.model, xtr, ytr, eta=eta, G=G)}
    write_json_atomic(out / "analysis.json", report)
    return report
