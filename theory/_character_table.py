"""Exact character tables of finite groups (Burnside–Dixon, certified).

Algorithm
---------
1. Class structure constants ``N[i, j, l] = #{(x, y) ∈ C_i × C_j : x·y = g_l}``.
2. The central characters ``ω_χ(C_l) = |C_l| χ(g_l)/χ(1)`` are the common
   eigenvectors of the commuting matrices ``A_i[j, l] = N[i, j, l]``. Conjugated by
   ``D = diag(√|C_l|)`` these matrices are *normal* (their eigenvectors are the
   orthonormal columns of the weighted character table), so the eigenproblem is
   perfectly conditioned. Random complex combinations split the space into 1-dim
   joint eigenspaces (Dixon–Schneider splitting, in floating point).
3. Degrees follow from ``Σ_l |C_l| |χ(g_l)|² = |G|``.
4. **Exactness.** For ``g`` of order ``o``, ``χ(g) = Σ_j m_j ζ_o^j`` where ``m_j`` is
   the multiplicity of the eigenvalue ``ζ_o^j`` of ``ρ(g)``; ``m_j =
   (1/o) Σ_t χ(g^t) ζ_o^{-jt}`` is computed with the power maps and rounded. The
   rounding is certified: every ``m_j`` must lie within 1e-6 of a non-negative
   integer and ``Σ_j m_j = χ(1)``; otherwise :class:`CertificationError`. After
   rounding, every value is an exact cyclotomic integer
   (:class:`~grokcheck.theory.Cyclotomic`), and the numeric values are derived
   from the exact ones.

Conventions
-----------
Classes are ordered as in :attr:`FiniteGroup.conjugacy_classes` (identity first).
Characters are ordered by degree, then by their values (real parts, then
imaginary parts, class by class), so the trivial character is first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from grokcheck.errors import CertificationError
from grokcheck.theory._cyclotomic import Cyclotomic
from grokcheck.theory._finite_group import FiniteGroup
from grokcheck.theory._integers import is_prime

__all__ = ["CharacterTable", "compute_character_table", "orthogonality_residual"]

# Rounding eigenvalue multiplicities: their float error is ~1e-12 for the groups
# we handle (normal eigenproblem, entries ≤ |G|); 1e-6 leaves a wide margin and
# anything beyond it means the numeric table is wrong, not slightly off.
_ROUND_TOL = 1e-6
# Eigenvalues closer than this (after scaling to the unit disk) are treated as a
# cluster and split again with a fresh random combination.
_CLUSTER_TOL = 1e-6


def class_structure_constants(G: FiniteGroup) -> np.ndarray:
    """``N[i, j, l] = #{(x, y) ∈ C_i × C_j : x·y = g_l}``, shape ``(k, k, k)``."""
    k = G.num_classes
    n = G.order
    reps = G.class_representatives
    x = np.arange(n)[:, None]
    y = G.table[G.inverses[x], reps[None, :]]  # x⁻¹ g_l, so that x·y = g_l
    ci = np.broadcast_to(G.class_of[x], y.shape)
    cj = G.class_of[y]
    ll = np.broadcast_to(np.arange(k)[None, :], y.shape)
    flat = (ci * k + cj) * k + ll
    return np.bincount(flat.ravel(), minlength=k**3).reshape(k, k, k)


def _class_matrix_combination(G: FiniteGroup, z: np.ndarray) -> np.ndarray:
    """``Σ_i z_i A_i`` with ``A_i[j, l] = N[i, j, l]``, in O(n·k) without the k³ tensor.

    ``(Σ_i z_i A_i)[j, l] = Σ_{x ∈ G} z_{class(x)} [x⁻¹ g_l ∈ C_j]``.
    """
    k = G.num_classes
    reps = G.class_representatives
    y = G.table[G.inverses[:, None], reps[None, :]]  # y[x, l] = x⁻¹ g_l, shape (n, k)
    w = np.broadcast_to(z[G.class_of][:, None], y.shape)
    flat = G.class_of[y] * k + np.arange(k)[None, :]
    out = np.bincount(flat.ravel(), weights=w.real.ravel(), minlength=k * k)
    if np.iscomplexobj(z):
        out = out + 1j * np.bincount(flat.ravel(), weights=w.imag.ravel(), minlength=k * k)
    return out.reshape(k, k)


def _clusters(lam: np.ndarray, tol: float) -> list[np.ndarray]:
    """Connected components of the points ``lam`` under the relation |a − b| < tol.

    Components are ordered by their smallest index and each lists its indices ascending (the
    order scipy's ``connected_components`` labels give, which this union-find replaces: scipy's
    import costs more than a small group's whole character table).
    """
    m = len(lam)
    if m <= 1:
        return [np.arange(m)]
    order = np.argsort(lam.real)
    srt = lam[order]
    parent = list(range(m))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]  # path halving
            a = parent[a]
        return a

    # Only pairs whose real parts are within tol can be close: a banded search.
    for shift in range(1, m):
        near = np.abs(srt[shift:] - srt[:-shift]) < tol
        close_re = (srt[shift:].real - srt[:-shift].real) < tol
        if not close_re.any():
            break
        idx = np.nonzero(near)[0]
        for a, b in zip(order[idx].tolist(), order[idx + shift].tolist()):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    labels = np.array([root(a) for a in range(m)])
    return [np.nonzero(labels == r)[0] for r in np.unique(labels)]


def _split(combo, k: int, inv_class: np.ndarray, rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Joint eigenvectors (as columns) of the commuting normal matrices behind ``combo``.

    ``combo(z)`` returns ``Σ_i z_i B_i`` (k×k). With ``z`` symmetric under class
    inversion (``z_{i*} = z̄_i``) that matrix is Hermitian (its eigenvalues
    ``Σ_i z_i χ(g_i)/χ(1)`` are real), so each splitting step is a Hermitian
    eigenproblem. The first step uses real ``z`` (a real symmetric matrix, which
    cannot separate χ from χ̄); later steps use complex ``z`` on the clusters left.
    """
    pending = [(np.eye(k), True)]
    done: list[np.ndarray] = []
    attempts = 0
    while pending:
        Q, real_step = pending.pop()
        if Q.shape[1] == 1:
            done.append(Q)
            continue
        attempts += 1
        if attempts > 50 + 4 * k:
            raise CertificationError(
                "the class-matrix eigenspaces did not split into 1-dimensional pieces; "
                "the class structure constants are inconsistent"
            )
        if real_step:
            z0 = rng.standard_normal(k)
            z = (z0 + z0[inv_class]) / 2 * weights
        else:
            z0 = rng.standard_normal(k) + 1j * rng.standard_normal(k)
            z = (z0 + np.conj(z0[inv_class])) / 2 * weights
        B = combo(z)
        M = Q.conj().T @ B @ Q
        M = (M + M.conj().T) / 2
        lam, Z = np.linalg.eigh(M)
        QZ = Q @ Z
        for cols in _clusters(lam.astype(complex), _CLUSTER_TOL):
            sub = QZ[:, cols]
            if len(cols) > 1:
                sub, _ = np.linalg.qr(sub)
            pending.append((sub, False))
    return np.hstack(done)


def _numeric_characters(G: FiniteGroup, seed: int) -> np.ndarray:
    """Floating-point irreducible characters, shape ``(k, k)`` (character × class)."""
    k, n = G.num_classes, G.order
    sizes = G.class_sizes.astype(float)
    if k == 1:
        return np.ones((1, 1), dtype=complex)
    d = np.sqrt(sizes)

    if isinstance(G, FiniteGroup):
        def raw(z):
            return _class_matrix_combination(G, z)
    else:  # structure constants computed on class representatives (no dense table)
        N = G.class_structure_constants.astype(float)

        def raw(z):
            return np.tensordot(z, N, axes=1)

    def combo(z):
        # D⁻¹ (Σ z_i A_i) D: a normal matrix (Hermitian for inversion-symmetric z)
        return raw(z) / d[:, None] * d[None, :]

    inv_class = G.class_of[G.inverses[G.class_representatives]]
    rng = np.random.default_rng(seed)
    U = _split(combo, k, inv_class, rng, weights=1.0 / sizes)
    omega = U * d[:, None]  # back to eigenvectors of A: ω = D u
    omega = omega / omega[0:1, :]  # ω(identity class) = 1
    deg = np.sqrt(n / np.sum(np.abs(omega) ** 2 / sizes[:, None], axis=0))
    chars = (deg[None, :] * omega / sizes[:, None]).T  # (character, class)
    return chars


def _abelian_characters(G: FiniteGroup) -> np.ndarray:
    """Exact linear characters of an Abelian group as exponents: ``χ(g) = ζ_e^{a[χ, g]}``.

    Extends characters along a chain ``H_0 = 1 < H_1 < …`` with ``H_i = ⟨H_{i-1}, s_i⟩``:
    each element of ``H_i`` is uniquely ``h·s_i^j`` (``h ∈ H_{i-1}``, ``0 ≤ j < m_i``,
    ``m_i`` the relative order), and a character of ``H_{i-1}`` has exactly ``m_i``
    extensions, ``χ(s_i) = `` the ``m_i``-th roots of ``χ(s_i^{m_i})``. O(n²), exact.
    Returns ``(n_characters, n)`` int array of exponents mod ``e = exponent``.
    """
    n, e, t, ident = G.order, G.exponent, G.table, G.identity
    members = np.array([ident])  # elements of H, in a fixed order
    pos = np.full(n, -1, dtype=np.int64)
    pos[ident] = 0
    chars = np.zeros((1, 1), dtype=np.int64)  # chars[χ, position of h in members]
    for s in G.generators:
        # relative order m and s^m ∈ H
        m, p = 1, s
        while pos[p] < 0:
            p = int(t[p, s])
            m += 1
        # cosets h·s^j, j = 0..m-1
        new_members = [members]
        cur = members
        for _ in range(1, m):
            cur = t[cur, s]
            new_members.append(cur)
        # extension: χ(s) = ζ_e^b with m·b ≡ a(s^m) (mod e); the m solutions differ by e/m
        a_sm = chars[:, pos[p]]
        if a_sm.size and np.any(a_sm % m):
            raise CertificationError("abelian character extension failed: e is not a multiple of m")
        base = a_sm // m
        ext = (base[None, :] + np.arange(m)[:, None] * (e // m)) % e  # (r, χ): χ(s) for extension r
        # new[(r, χ), (j, h)] = χ(h) + j·ext[r, χ]: rows r-major, columns in coset order j-major
        j = np.arange(m)
        new = (chars[None, :, None, :] + (j[None, None, :, None] * ext[:, :, None, None]) % e) % e
        chars = new.reshape(m * chars.shape[0], m * chars.shape[1])
        members = np.concatenate(new_members)
        pos[members] = np.arange(len(members))
    out = np.empty((chars.shape[0], n), dtype=np.int64)
    out[:, members] = chars
    return out


def _exact_multiplicities(G: FiniteGroup, chars: np.ndarray) -> "SparseMultiplicities":
    """Round ``m_j = (1/o) Σ_t χ(g^t) ζ_o^{-jt}`` to certified integers.

    Returns the :class:`SparseMultiplicities` of the ``(num_characters, o_c)`` int arrays of
    the classes ``c`` (each class's array is built, certified and reduced to its nonzero
    entries in turn).
    """
    return SparseMultiplicities.from_dense(_class_multiplicities(G, chars))


def _class_multiplicities(G: FiniteGroup, chars: np.ndarray):
    """The certified ``(num_characters, o_c)`` int arrays of :func:`_exact_multiplicities`, class by class."""
    k = G.num_classes
    reps = G.class_representatives
    orders = G.class_orders
    for c in range(k):
        o = int(orders[c])
        if isinstance(G, FiniteGroup):
            pw = np.empty(o, dtype=np.int64)
            g = G.identity
            for t in range(o):
                pw[t] = G.class_of[g]
                g = int(G.table[g, reps[c]])
        else:
            pw = G.power_classes(c)
        m = np.fft.fft(chars[:, pw], axis=1) / o  # Σ_t χ(g^t) e^{-2πi jt/o} / o
        r = np.rint(m.real)
        err = float(np.max(np.abs(m - r), initial=0.0))
        if err > _ROUND_TOL or (r < 0).any():
            raise CertificationError(
                f"eigenvalue multiplicities on class {c} are not integers (error {err:.2e}); "
                "the numeric character table is not accurate enough",
                residuals={"multiplicity_rounding": err},
            )
        yield r.astype(np.int64)


def _values_from_multiplicities(mult) -> np.ndarray:
    """``χ(g_c) = Σ_j m[c][χ, j] ζ_{o_c}^j`` for all χ, c at once (``mult``: a
    :class:`SparseMultiplicities`, or one ``(k, o_c)`` int array per class).

    Each sum runs over the nonzero ``m[c][χ, j]`` in ascending ``j`` from ``+0``: the
    floating-point operations of the dense sum over every ``j`` less its exact zero terms,
    which cannot change a sum, so the values are those of the dense product bit for bit.
    """
    sp = mult if isinstance(mult, SparseMultiplicities) else SparseMultiplicities.from_dense(mult)
    n_cls = len(sp)
    cls = np.repeat(np.arange(n_cls), np.diff(sp.indptr))
    roots = np.exp(2j * np.pi * sp.col / sp.orders[cls])  # ζ_{o_c}^j at each nonzero, as the dense sum forms them
    val = sp.val.astype(float)
    slot = sp.row * n_cls + cls  # (character, class), row-major
    size = sp.num_characters * n_cls
    out = np.empty((sp.num_characters, n_cls), dtype=complex)
    out.real = np.bincount(slot, weights=roots.real * val, minlength=size).reshape(sp.num_characters, n_cls)
    out.imag = np.bincount(slot, weights=roots.imag * val, minlength=size).reshape(sp.num_characters, n_cls)
    return out


class SparseMultiplicities(Sequence):
    """Eigenvalue multiplicities stored by their nonzero entries, each class's array built on demand.

    ``self[c]`` is the ``(num_characters, o_c)`` int array of class ``c``, as
    :attr:`CharacterTable.multiplicities` promises. A row has at most ``χ(1)`` nonzero entries
    of ``o_c``, so the dense arrays of a group with many classes of large order would be most
    of its memory (D500×C3, 759 classes of order up to 1500: 3 GB dense, 12 MB here).

    Attributes: ``orders`` ``(n_cls,)`` the class orders; ``indptr`` ``(n_cls + 1,)``: class
    ``c``'s entries are ``[indptr[c], indptr[c+1])`` of ``row``, ``col``, ``val`` (character,
    exponent ``j`` of ``ζ_{o_c}``, multiplicity), sorted by character then ``j``.
    """

    def __init__(self, num_characters: int, orders, indptr, row, col, val):
        self.num_characters = int(num_characters)
        self.orders = np.asarray(orders, dtype=np.int64)
        self.indptr, self.row, self.col, self.val = (np.asarray(a, dtype=np.int64) for a in (indptr, row, col, val))
        for a in (self.orders, self.indptr, self.row, self.col, self.val):
            a.flags.writeable = False

    @classmethod
    def from_dense(cls, arrays) -> "SparseMultiplicities":
        """From one ``(num_characters, o_c)`` int array per class (any iterable: each array is
        reduced to its nonzero entries before the next is read)."""
        rows, cols, vals, orders = [], [], [], []
        num = 0
        for m in arrays:
            m = np.asarray(m)
            r, c = np.nonzero(m)  # row-major: by character, then j
            rows.append(r)
            cols.append(c)
            vals.append(m[r, c])
            orders.append(m.shape[1])
            num = m.shape[0]
        counts = [len(r) for r in rows]
        empty = np.zeros(0, dtype=np.int64)
        return cls(num, orders, np.concatenate([[0], np.cumsum(counts)]),
                   np.concatenate(rows) if rows else empty, np.concatenate(cols) if cols else empty,
                   np.concatenate(vals) if vals else empty)

    def __len__(self) -> int:
        return len(self.orders)

    def __getitem__(self, c):
        if isinstance(c, slice):
            return [self[i] for i in range(*c.indices(len(self)))]
        c = range(len(self))[c]  # negative indices, and IndexError past the end
        a, b = self.indptr[c], self.indptr[c + 1]
        m = np.zeros((self.num_characters, int(self.orders[c])), dtype=np.int64)
        m[self.row[a:b], self.col[a:b]] = self.val[a:b]
        m.flags.writeable = False
        return m

    def character_row(self, c: int, chi: int) -> np.ndarray:
        """``self[c][chi]`` without building the class's whole array: ``(o_c,)`` int."""
        a, b = self.indptr[c], self.indptr[c + 1]
        lo, hi = a + np.searchsorted(self.row[a:b], [chi, chi + 1])
        out = np.zeros(int(self.orders[c]), dtype=np.int64)
        out[self.col[lo:hi]] = self.val[lo:hi]
        return out

    def reorder(self, order) -> "SparseMultiplicities":
        """The multiplicities of the characters ``order[0], order[1], …`` (rows permuted)."""
        order = np.asarray(order, dtype=np.int64)
        new_of_old = np.empty_like(order)
        new_of_old[order] = np.arange(len(order))
        cls = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        row = new_of_old[self.row]
        perm = np.lexsort((self.col, row, cls))  # by class, then the new character, then j
        return SparseMultiplicities(self.num_characters, self.orders, self.indptr, row[perm], self.col[perm],
                                    self.val[perm])

    def pattern_keys(self, *, conjugate: bool = False) -> list[bytes]:
        """One key per character: its whole multiplicity pattern (every class), as bytes.

        With ``conjugate`` the pattern of the complex-conjugate character: the multiplicity of
        ``ζ^j`` in ``ρ̄(g)`` is that of ``ζ^{-j}`` in ``ρ(g)``. Equal keys ⇔ equal characters.
        """
        cls = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        col = (-self.col) % self.orders[cls] if conjugate else self.col
        perm = np.lexsort((col, cls, self.row))  # by character, then class, then j
        triples = np.stack([cls[perm], col[perm], self.val[perm]], axis=1)
        bounds = np.searchsorted(self.row[perm], np.arange(self.num_characters + 1))
        return [triples[bounds[x]:bounds[x + 1]].tobytes() for x in range(self.num_characters)]


class OneHotMultiplicities(Sequence):
    """The multiplicities of a table of linear characters ``χ(g_c) = ζ_e^{exponents[χ, c]}``, built per class on demand.

    ``self[c]`` is the ``(num_characters, o_c)`` one-hot int array of class ``c`` (``ζ_e^a =
    ζ_{o_c}^{a·o_c/e}``), as :attr:`CharacterTable.multiplicities` promises; all of them at once
    would hold ``k·Σ_c o_c`` integers (6·10⁸ for C1000), so nothing is stored but ``exponents``.
    """

    def __init__(self, exponents: np.ndarray, e: int, orders: np.ndarray):
        self.exponents, self.e, self.orders = exponents, int(e), np.asarray(orders)

    def __len__(self) -> int:
        return int(self.exponents.shape[1])

    def __getitem__(self, c):
        if isinstance(c, slice):
            return [self[i] for i in range(*c.indices(len(self)))]
        o = int(self.orders[c])
        k = self.exponents.shape[0]
        m = np.zeros((k, o), dtype=np.int64)
        m[np.arange(k), (self.exponents[:, c] * o) // self.e] = 1
        m.flags.writeable = False
        return m

    def reorder(self, order) -> "OneHotMultiplicities":
        """The multiplicities of the characters ``order[0], order[1], …`` (rows permuted)."""
        return OneHotMultiplicities(np.ascontiguousarray(self.exponents[order]), self.e, self.orders)


def _abelian_exponents(G: FiniteGroup) -> np.ndarray:
    """``(k, k)`` exponents ``a`` with ``χ(g_c) = ζ_e^{a[χ, c]}`` (``e`` the exponent), from the exact abelian characters.

    Certified exactly, in integers: every row is a homomorphism ``G → Z/e``
    (``a(g·s) ≡ a(g) + a(s)`` for every element ``g`` and generator ``s``) and the ``|G|``
    rows are distinct. ``|G|`` distinct linear characters of an Abelian group of order
    ``|G|`` are all its irreducible characters, and the orthogonality relations then hold
    exactly (``Σ_g (χψ̄)(g) = 0`` for the non-trivial homomorphism ``χψ̄``), so the
    ``O(|G|³)`` float check of the relations is not needed.
    """
    e = G.exponent
    a = _abelian_characters(G) % e
    for s in G.generators:
        if not np.array_equal(a[:, G.table[:, s]], (a + a[:, [s]]) % e):
            raise CertificationError("an abelian character is not a homomorphism", residuals={"homomorphism": 1.0})
    if len(a) != G.order or len(np.unique(a, axis=0)) != G.order:
        raise CertificationError("the abelian characters are not |G| distinct homomorphisms",
                                 residuals={"homomorphism": 1.0})
    return np.ascontiguousarray(a[:, G.class_representatives])


@dataclass(frozen=True, eq=False)
class CharacterTable:
    """The irreducible characters of a finite group, exactly.

    Attributes
    ----------
    group : the group.
    multiplicities : one int array per class ``c``, of shape ``(num_irreps, o_c)``
        with ``o_c`` the order of the class-``c`` elements:
        ``χ(g_c) = Σ_j multiplicities[c][χ, j] exp(2πi j/o_c)`` (the eigenvalue
        multiplicities of ``ρ_χ(g_c)``), built on demand from their nonzero entries
        (:class:`SparseMultiplicities`), or for a table of linear characters (Abelian
        groups) from the exponents (:class:`OneHotMultiplicities`).
    residuals : certificate numbers: ``multiplicity_rounding`` (largest distance
        of a multiplicity from its integer before rounding), ``orthogonality``
        (largest deviation of the exact table from the orthogonality relations,
        computed in float64 from the exact values; for Abelian groups exactly 0.0,
        certified in integer arithmetic, with ``homomorphism`` 0.0 (see
        :func:`_abelian_exponents`)).
    """

    group: FiniteGroup
    multiplicities: Sequence = field(repr=False)
    residuals: dict = field(default_factory=dict)

    @property
    def _exponents(self) -> np.ndarray | None:
        """``(k, k)`` exponents of ``ζ_e`` when every character is linear and stored that way, else ``None``."""
        m = self.multiplicities
        return m.exponents if isinstance(m, OneHotMultiplicities) else None

    @property
    def num_irreps(self) -> int:
        return int(self.multiplicities[0].shape[0])

    def __len__(self) -> int:
        return self.num_irreps

    @cached_property
    def values(self) -> np.ndarray:
        """``(k, k)`` complex array, character × class, derived from the exact values."""
        a = self._exponents
        if a is not None:
            out = np.exp(2j * np.pi * a / self.multiplicities.e)
        else:
            out = _values_from_multiplicities(self.multiplicities)
        out.flags.writeable = False
        return out

    @cached_property
    def degrees(self) -> np.ndarray:
        d = self.multiplicities[0].sum(axis=1).astype(np.int64)  # identity class: o = 1
        d.flags.writeable = False
        return d

    def cyclotomic(self, chi: int, cls: int) -> Cyclotomic:
        """``χ(g_cls)`` as an exact :class:`Cyclotomic` in ``Z[ζ_o]``."""
        a = self._exponents
        if a is not None:  # ζ_e^a = ζ_{e/g}^{a/g}
            e = self.multiplicities.e
            g = math.gcd(int(a[chi, cls]), e)
            full = np.zeros(e // g, dtype=np.int64)
            full[int(a[chi, cls]) // g] = 1
            return Cyclotomic.from_exponents(full, e // g)
        mult = self.multiplicities
        m = mult.character_row(cls, chi) if isinstance(mult, SparseMultiplicities) else mult[cls][chi]
        o = len(m)
        # If every eigenvalue is an (o/s)-th root of unity, the value lives in Z[ζ_{o/s}].
        support = np.nonzero(m)[0]
        s = int(np.gcd.reduce(np.append(support, o)))
        return Cyclotomic.from_exponents(m[::s], o // s)

    @cached_property
    def exact(self):
        """The table as a ``sympy.Matrix`` of exact expressions (character × class)."""
        import sympy

        return sympy.Matrix(
            [[self.cyclotomic(x, c).to_sympy() for c in range(self.group.num_classes)] for x in range(self.num_irreps)]
        )

    @cached_property
    def fs_indicators(self) -> np.ndarray:
        """Frobenius–Schur indicators ``ι(χ) = |G|⁻¹ Σ_g χ(g²) ∈ {1, 0, -1}``.

        Computed from the exact values (float sum of exact terms, then rounded with
        a certificate: the sum is an integer, so an error above 1e-6 is a bug).
        """
        G = self.group
        sq = G.power_map(2)
        raw = (self.values[:, sq] * G.class_sizes[None, :]).sum(axis=1) / G.order
        ind = np.rint(raw.real).astype(np.int64)
        err = float(np.max(np.abs(raw - ind)))
        if err > _ROUND_TOL or not np.isin(ind, (-1, 0, 1)).all():
            raise CertificationError(f"Frobenius–Schur indicators {raw} are not in {{-1, 0, 1}}", residuals={"fs": err})
        ind.flags.writeable = False
        return ind

    @cached_property
    def dual(self) -> np.ndarray:
        """``dual[χ]`` is the index of the complex-conjugate character ``χ̄``."""
        a = self._exponents
        if a is not None:  # χ̄ = ζ_e^{-a}
            mine = [row.tobytes() for row in np.ascontiguousarray(a)]
            conj = [row.tobytes() for row in np.ascontiguousarray((-a) % self.multiplicities.e)]
        else:  # conjugation reverses eigenvalues: multiplicity of ζ^j in ρ̄(g) is that of ζ^{-j} in ρ(g)
            mult = self.multiplicities
            if not isinstance(mult, SparseMultiplicities):
                mult = SparseMultiplicities.from_dense(mult)
            mine, conj = mult.pattern_keys(), mult.pattern_keys(conjugate=True)
        keys = {key: x for x, key in enumerate(mine)}
        out = np.array([keys[key] for key in conj], dtype=np.int64)
        out.flags.writeable = False
        return out

    @cached_property
    def orbits(self) -> tuple[tuple[int, ...], ...]:
        """Orbits ``{χ, χ̄}`` under complex conjugation, each sorted, in order of first member."""
        seen: set[int] = set()
        orbs = []
        for x in range(self.num_irreps):
            if x in seen:
                continue
            o = tuple(sorted({x, int(self.dual[x])}))
            seen.update(o)
            orbs.append(o)
        return tuple(orbs)

    def value_table(self) -> tuple[np.ndarray, list]:
        """``(ids, keys)``: ``χ_x(g_c)`` is the exact value ``keys[ids[x, c]]``.

        ``ids`` is ``(k, k)`` int; ``keys`` are the distinct values as canonical keys
        ``(conductor, ((j, c_j), …))`` in GAP's Zumbroich basis
        (:func:`~grokcheck.theory._gap_format.gap_coefficients`). Each distinct eigenvalue
        pattern is converted once (closed-form basis expansion, no polynomial division), so
        a table of ``k²`` cells with few distinct values costs ``O(k²)`` array work.
        """
        from grokcheck.theory._gap_format import key_from_multiplicities, root_key

        a = self._exponents
        k = self.group.num_classes
        if a is not None:  # linear characters: the value is ζ_e^a, one key per distinct a
            e = self.multiplicities.e
            uniq, inv = np.unique(a, return_inverse=True)
            keys = [root_key(e, int(v)) for v in uniq]
            ids = inv.reshape(a.shape)
        elif isinstance(self.multiplicities, SparseMultiplicities):
            ids, keys = self._sparse_value_ids()
        else:
            ids = np.empty((self.num_irreps, k), dtype=np.int64)
            index: dict = {}
            keys = []
            for c in range(k):
                m = self.multiplicities[c]
                rows, inv = np.unique(m, axis=0, return_inverse=True)
                local = []
                for row in rows:
                    key = key_from_multiplicities(m.shape[1], row)
                    if key not in index:
                        index[key] = len(keys)
                        keys.append(key)
                    local.append(index[key])
                ids[:, c] = np.asarray(local, dtype=np.int64)[np.ravel(inv)]
        # keys are distinct in every branch (canonical keys: equal values have equal keys): the exponents are
        # distinct residues mod e, and the pattern branches index each key once, two patterns of one value included
        return ids, keys

    def _sparse_value_ids(self) -> tuple[np.ndarray, list]:
        """:meth:`value_table`'s ``(ids, keys)`` read from the nonzero multiplicities: one key per distinct
        pattern of a class, without building the class's dense array."""
        from grokcheck.theory._gap_format import key_from_multiplicities

        mult: SparseMultiplicities = self.multiplicities
        r = self.num_irreps
        ids = np.empty((r, len(mult)), dtype=np.int64)
        index: dict = {}
        keys: list = []
        for c in range(len(mult)):
            a, b = mult.indptr[c], mult.indptr[c + 1]
            rows, cols, vals = mult.row[a:b], mult.col[a:b], mult.val[a:b]
            o = int(mult.orders[c])
            bounds = np.searchsorted(rows, np.arange(r + 1))
            local: dict = {}
            for x in range(r):
                lo, hi = bounds[x], bounds[x + 1]
                pattern = (cols[lo:hi].tobytes(), vals[lo:hi].tobytes())
                if pattern not in local:
                    row = np.zeros(o, dtype=np.int64)
                    row[cols[lo:hi]] = vals[lo:hi]
                    key = key_from_multiplicities(o, row)
                    if key not in index:
                        index[key] = len(keys)
                        keys.append(key)
                    local[pattern] = index[key]
                ids[x, c] = local[pattern]
        return ids, keys

    def power_map_primes(self) -> list[int]:
        """Every prime ``p`` up to the largest element order: the power maps GAP's Dixon–Schneider computes.

        GAP's ``DxCalcAllPowerMaps`` (``lib/ctblgrp.gi``) fills ``ComputedPowerMaps`` for all
        these primes, and ``Display`` prints every computed map; they include every prime
        divisor of ``|G|``, and the ``p``-th power map of any other ``p`` is that of ``p mod o``
        class by class.
        """
        top = int(np.max(self.group.class_orders))
        return [p for p in range(2, top + 1) if is_prime(p)]

    def display_power_map_primes(self) -> list[int]:
        """The primes :meth:`display` prints by default: what GAP's ``Display(CharacterTable(G))`` shows.

        Abelian groups: none (GAP computes their characters without power maps). A group
        named ``Sn``: the prime divisors of ``n!`` (GAP's ``SymmetricGroup(n)`` takes its table
        from the symmetric-group library, which stores those maps). Other groups:
        :meth:`power_map_primes` (GAP's Dixon–Schneider run; GAP's special methods print fewer,
        see :meth:`display`).
        """
        G = self.group
        if G.num_classes == G.order:
            return []
        primes = self.power_map_primes()
        if re.fullmatch(r"S\d+", str(G)):
            return [p for p in primes if G.order % p == 0]
        return primes

    def on_elements(self) -> np.ndarray:
        """``(k, n)`` complex array: every character evaluated on every element."""
        return self.values[:, self.group.class_of]

    def to_json(self, *, per_element: bool = True) -> dict:
        """The schema of ``grokcheck table --json`` (indices as in :attr:`FiniteGroup.conjugacy_classes`).

        ``{"group", "order", "classes": [{"name", "size", "order", "centralizer",
        "representative", "representative_element"?, "elements"}], "power_maps": {p:
        [class of g^p per class]} for every prime p up to the largest element order (GAP's
        Dixon–Schneider set, which holds every prime divisor of |G|), "elements"?: [what
        element i is], "irreps": [{"index": 1..k (GAP's X.1..X.k), "dim",
        "fs_indicator", "values": [[re, im] per class], "exact": [GAP E(n) string per
        class], "character"?: [[re, im] per element]}]}``. Floats come from the exact
        values: a real value has imaginary part exactly 0.0, an integer is exact.
        ``per_element=False`` drops the per-element lists (classes' ``elements`` and
        irreps' ``character``).
        """
        from grokcheck.theory._gap_format import class_names, key_floats, key_string

        G = self.group
        k = G.num_classes
        reps = G.class_representatives
        dense = isinstance(G, FiniteGroup)
        per_element = per_element and dense
        names = class_names(G.class_orders)
        classes = []
        for c in range(k):
            entry = {
                "name": names[c],
                "size": int(G.class_sizes[c]),
                "order": int(G.class_orders[c]),
                "centralizer": int(G.centralizer_orders[c]),
                "representative": int(reps[c]),
            }
            if G.elements is not None:
                entry["representative_element"] = G.elements[int(reps[c])]
            elif not dense:
                entry["representative_element"] = G.cycle_string(int(reps[c]))
            if per_element:
                entry["elements"] = [int(v) for v in G.conjugacy_classes[c]]
            classes.append(entry)
        ids, keys = self.value_table()
        floats = [key_floats(key) for key in keys]
        strings = [key_string(key) for key in keys]
        class_of = G.class_of if per_element else None
        irreps = []
        for x in range(self.num_irreps):
            row = ids[x].tolist()
            vals = [floats[v] for v in row]
            item = {
                "index": x + 1,
                "dim": int(self.degrees[x]),
                "fs_indicator": int(self.fs_indicators[x]),
                "values": vals,
                "exact": [strings[v] for v in row],
            }
            if per_element:
                item["character"] = [vals[c] for c in class_of.tolist()]
            irreps.append(item)
        out = {"group": str(G), "order": G.order, "classes": classes}
        out["power_maps"] = {str(p): [int(v) for v in G.power_map(p)] for p in self.power_map_primes()}
        if G.elements is not None:
            out["elements"] = list(G.elements)
        out["irreps"] = irreps
        return out

    def display(self, *, indicator: bool = True, power_maps=None) -> str:
        """The table as GAP's ``Display`` prints it (see :mod:`grokcheck.theory._gap_format`).

        Equal to GAP's ``Display(tbl, rec(indicator := true))`` (``indicator=False``:
        plain ``Display(tbl)``) for the same ordering of classes and characters and the
        same power maps: centraliser orders factored by prime, class names ``1a 2a …``,
        one ``pP`` row per prime in ``power_maps``, ``.`` for 0, irrationalities ``A, B, …``
        named in the order met column by column with ``-A``, ``/A`` (complex conjugate),
        ``*A`` (other Galois conjugate of a quadratic irrationality), and the legend
        ``A = -E(5)-E(5)^4`` / ``= (1-Sqrt(5))/2 = -b5`` in GAP's notation.

        ``power_maps``: the primes whose maps to print; by default
        :meth:`display_power_map_primes`, which is what GAP 4.12 prints for
        ``CharacterTable(G)`` when it computes the table by Dixon–Schneider (permutation
        groups such as D14, A_n, PSL(2,7), and pc groups such as D7, Q8, F21: every prime up to
        the largest element order), for Abelian groups (none) and for ``SymmetricGroup(n)``
        (the prime divisors of ``n!``; S8: no 11P, 13P). GAP prints other rows when it takes
        another route: none for matrix groups handled through a permutation image
        (``SL(2,5)``, ``GL(2,3)``) or by Baum–Clausen (``SmallGroup(16,3)``); pass the primes
        GAP shows to match such a text too.
        """
        from grokcheck.theory._gap_format import display_table

        G = self.group
        primes = self.display_power_map_primes() if power_maps is None else sorted(power_maps)
        ids, keys = self.value_table()
        return display_table(
            str(G),
            G.order,
            G.centralizer_orders,
            G.class_orders,
            {p: G.power_map(p) for p in primes},
            keys,
            value_ids=ids,
            indicators=self.fs_indicators if indicator else None,
        )

    def __str__(self) -> str:
        return self.display()


def orthogonality_residual(G: FiniteGroup, values: np.ndarray) -> float:
    """Largest deviation of a (character × class) table from the row and column orthogonality relations.

    Rows: ``|G|⁻¹ Σ_i |C_i| χ(g_i) ψ̄(g_i) = δ``; columns: ``Σ_χ χ̄(g_i) χ(g_j) = |C_G(g_i)| δ``.
    """
    k = values.shape[0]
    sizes = G.class_sizes
    gram = (values * sizes[None, :]) @ values.conj().T / G.order
    col = (values.conj().T @ values) * sizes[:, None] / G.order
    return float(max(np.max(np.abs(gram - np.eye(k))), np.max(np.abs(col - np.eye(k)))))


def compute_character_table(G: FiniteGroup, *, seed: int = 0, method: str = "auto") -> CharacterTable:
    """Compute and certify the character table of ``G`` (see the module docstring).

    ``method``: ``"auto"`` (exact extension for Abelian groups, Burnside–Dixon
    otherwise), ``"dixon"`` or ``"abelian"`` to force one (tests cross-check them).
    """
    if method not in ("auto", "dixon", "abelian"):
        raise ValueError(f"method must be 'auto', 'dixon' or 'abelian', got {method!r}")
    dense = isinstance(G, FiniteGroup)
    if method == "abelian" and not (dense and G.is_abelian):
        raise ValueError("method='abelian' needs an Abelian group given by a table")
    if method == "abelian" or (method == "auto" and dense and G.is_abelian):
        expo = _abelian_exponents(G)
        mult = OneHotMultiplicities(expo, G.exponent, G.class_orders)
        vals = np.exp(2j * np.pi * expo / G.exponent)
        degs = np.ones(len(expo), dtype=np.int64)
    else:
        mult = _exact_multiplicities(G, _numeric_characters(G, seed))
        vals = _values_from_multiplicities(mult)
        degs = mult[0].sum(axis=1)
    k = G.num_classes
    if len(mult) != k:  # pragma: no cover - _split always returns k vectors
        raise CertificationError(f"found {len(mult)} characters for {k} classes")
    # Order: degree, then values (real parts, then imaginary parts, class by class).
    rv = np.round(vals, 9)
    order = np.lexsort(tuple(-rv.imag.T[::-1]) + tuple(-rv.real.T[::-1]) + (degs,))
    mult = mult.reorder(order)
    vals = vals[order]
    table = CharacterTable(G, mult)
    degs = table.degrees
    if isinstance(mult, OneHotMultiplicities):  # certified exactly by _abelian_exponents: defect exactly 0
        residuals = {"orthogonality": 0.0, "homomorphism": 0.0}
    else:
        residuals = {"orthogonality": orthogonality_residual(G, vals)}
    # Integral degrees, Σ d² = |G|: exact integer checks.
    if int((degs**2).sum()) != G.order or np.any(G.order % degs):
        raise CertificationError(f"degrees {degs.tolist()} violate Σd² = |G| or d | |G|", residuals=residuals)
    if residuals["orthogonality"] > 1e-8:  # exact table: float error of the sums is ≤ 1e-12·|G|
        raise CertificationError("the character table fails the orthogonality relations", residuals=residuals)
    out = CharacterTable(G, mult, residuals=residuals)
    vals.flags.writeable = False
    out.__dict__["values"] = vals  # prefill the cached_property with the same exact-derived numbers
    return out
