"""Certified irreps of a permutation group without a dense table, from permutation modules.

For a permutation action of ``G`` on a set ``Ω`` (its points, then ordered pairs of distinct
points) with matrices ``π(g)[x, g(x)] = 1`` (so ``π(pq) = π(p)π(q)`` for ``p·q`` = apply ``p``
first), and an irreducible character ``χ`` of degree ``d`` with multiplicity
``μ = ⟨χ, π⟩ = |G|⁻¹ Σ_g χ̄(g) fix(g) ≥ 1``:

1. ``P_χ = (d/|G|) Σ_g χ̄(g) π(g)`` (``|G|·|Ω|`` scatter-adds) projects onto the
   χ-isotypic part, of dimension ``μd``; an orthonormal basis ``U`` of its range;
2. if ``μ > 1``: a random Hermitian combination ``H`` of the orbital matrices (0/1 matrices of
   the ``G``-orbits on ``Ω × Ω``, which span the commutant of ``π``) acts on the isotypic part as
   ``1_d ⊗ A`` with ``A`` generic, so an eigenspace of ``UᴴHU`` of dimension ``d`` is one copy;
3. ``ρ(s) = Bᴴ π(s) B`` on the generators, extended to every element along a breadth-first
   spanning tree of the Cayley graph.

Certificate (as for dense groups, threshold 1e-10): ``homomorphism`` = max over every element
``x`` and generator ``s`` of ‖ρ(x)ρ(s) − ρ(xs)‖ (every edge of the Cayley graph, which implies
``ρ(gh) = ρ(g)ρ(h)`` for all ``g, h``), ``unitarity`` and ``character`` (max over all
elements of |tr ρ(g) − χ(g)| against the exact table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grokcheck.errors import CertificationError
from grokcheck.theory._finite_group import cayley_levels

__all__ = ["ModuleIrrep", "module_irreps"]

CERTIFICATE_TOL = 1e-10
# Largest permutation module tried (dense |Ω|×|Ω| projector and orbital matrices).
_MAX_MODULE = 1200


@dataclass(frozen=True, eq=False)
class ModuleIrrep:
    """A certified unitary irrep of a :class:`~grokcheck.theory.PermutationGroup` (all elements).

    Attributes
    ----------
    index : row of the character table (users read ``X.{index+1}``).
    matrices : ``(n, d, d)`` complex, ``matrices[g] = ρ(g)`` in the group's element order.
    residuals : the certificate (module docstring).
    module : ``"points"`` or ``"pairs"``, the permutation module it was cut from.
    """

    index: int
    fs_indicator: int
    matrices: np.ndarray = field(repr=False)
    residuals: dict = field(default_factory=dict)
    module: str = ""

    @property
    def dim(self) -> int:
        return int(self.matrices.shape[1])


def _modules(G):
    """Permutation modules as ``(name, images (n, M))``: the action of every element on Ω."""
    E = G.elements_array.astype(np.int64)
    m = E.shape[1]
    yield "points", E
    if m * (m - 1) <= _MAX_MODULE:
        a, b = np.nonzero(~np.eye(m, dtype=bool))
        code = np.full((m, m), -1, dtype=np.int64)
        code[a, b] = np.arange(a.size)
        yield "pairs", code[E[:, a], E[:, b]]


def _orbitals(act: np.ndarray, gens) -> tuple[int, np.ndarray]:
    """Orbits of G on Ω × Ω: labels ``(M, M)`` from the generators' action."""
    import scipy.sparse
    from scipy.sparse.csgraph import connected_components

    M = act.shape[1]
    idx = np.arange(M * M)
    x, y = idx // M, idx % M
    rows, cols = [], []
    for s in gens:
        rows.append(idx)
        cols.append(act[s][x] * M + act[s][y])
    g = scipy.sparse.coo_matrix((np.ones(len(gens) * M * M), (np.concatenate(rows), np.concatenate(cols))), shape=(M * M, M * M))
    k, labels = connected_components(g, directed=False)
    return k, labels.reshape(M, M)


def module_irreps(G, *, seed: int = 0) -> tuple[ModuleIrrep, ...]:
    """All irreps of ``G`` cut from its point and pair modules, certified; raises if one is missing."""
    ct = G.character_table
    chars = ct.on_elements()  # (k, n)
    n = G.order
    gens = list(G.generator_indices)
    rng = np.random.default_rng(seed)
    parent, via, levels = cayley_levels(G, gens)
    found: dict[int, ModuleIrrep] = {}
    for name, act in _modules(G):
        M = act.shape[1]
        fix = (act == np.arange(M)[None, :]).sum(axis=1)
        mult = np.rint((chars.conj() @ fix).real / n).astype(int)
        todo = [x for x in range(ct.num_irreps) if x not in found and mult[x] > 0]
        if not todo:
            continue
        orbitals = None
        # class sums K_c = Σ_{g ∈ C_c} π(g), once per module: P_χ = (d/|G|) Σ_c χ̄(g_c) K_c
        flat = (G.class_of[:, None] * M + np.arange(M)[None, :]) * M + act  # π(g)[x, g(x)] = 1
        K = np.bincount(flat.ravel(), minlength=G.num_classes * M * M).reshape(G.num_classes, M, M).astype(float)
        for x in todo:
            d, mu = int(ct.degrees[x]), int(mult[x])
            P = np.tensordot((d / n) * np.conj(ct.values[x]), K, axes=1)
            U, sv, _ = np.linalg.svd(P @ (rng.standard_normal((M, mu * d)) + 1j * rng.standard_normal((M, mu * d))), full_matrices=False)
            B = U
            if mu > 1:
                if orbitals is None:
                    orbitals = _orbitals(act, gens)
                k_orb, lab = orbitals
                c = rng.standard_normal(k_orb) + 1j * rng.standard_normal(k_orb)
                C = c[lab]
                H = C + C.conj().T
                w, V = np.linalg.eigh(U.conj().T @ H @ U)
                spread, gap = w[d - 1] - w[0], w[d] - w[d - 1]
                scale = max(1.0, float(np.max(np.abs(w))))
                if not (spread < 1e-8 * scale and gap > 1e-6 * scale):
                    raise CertificationError(f"could not split the {mu} copies of irrep {x + 1} in the {name} module")
                B = U @ V[:, :d]
            mats = np.empty((n, d, d), dtype=complex)
            mats[G.identity] = np.eye(d)
            gen_mats = [B.conj().T @ _perm_matrix_apply(act[s], B) for s in gens]
            for lev in levels:
                mats[lev] = mats[parent[lev]] @ np.stack(gen_mats)[via[lev]]
            res = _residuals(G, mats, gens, gen_mats, chars[x])
            bad = {k: v for k, v in res.items() if not v <= CERTIFICATE_TOL}
            if bad:
                raise CertificationError(f"irrep X.{x + 1} from the {name} module: certificate failed", residuals=res)
            mats.flags.writeable = False
            found[x] = ModuleIrrep(x, int(ct.fs_indicators[x]), mats, res, name)
        if len(found) == ct.num_irreps:
            break
    missing = [x + 1 for x in range(ct.num_irreps) if x not in found]
    if missing:
        raise CertificationError(f"irreps X.{missing} of {G} occur in neither the point nor the pair module")
    return tuple(found[x] for x in range(ct.num_irreps))


def _perm_matrix_apply(img: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``π(g) B`` with ``π(g)[x, g(x)] = 1``: row x of the result is row g(x) of B."""
    return B[img]


def _residuals(G, mats, gens, gen_mats, chi) -> dict:
    n, d = mats.shape[0], mats.shape[1]
    hom = 0.0
    allx = np.arange(n)
    for s, S in zip(gens, gen_mats):
        xs = G.mul(allx, np.full(n, s))
        hom = max(hom, float(np.max(np.abs(mats @ S - mats[xs]))))
    eye = np.eye(d)
    return {
        "homomorphism": hom,
        "unitarity": float(np.max(np.abs(mats @ np.conj(np.swapaxes(mats, 1, 2)) - eye))),
        "character": float(np.max(np.abs(np.trace(mats, axis1=1, axis2=2) - chi))),
    }
