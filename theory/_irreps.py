"""Certified irreducible representations: unitary complex forms and real orthogonal forms.

Construction (general, no per-family formulas)
----------------------------------------------
For an irreducible character χ of degree d, the central idempotent
``P_χ = (d/|G|) Σ_g χ̄(g) L(g)`` projects the left-regular representation
``L(g) e_h = e_{gh}`` onto its χ-isotypic block, which is ``d`` copies of ρ
(dimension d²). The right-regular operators ``R(s) f(x) = f(x·s)`` commute with
``L``; a random self-adjoint combination ``H = Σ_s (c_s R(s) + c̄_s R(s⁻¹))``
restricted to the block acts as right multiplication by a generic Hermitian d×d
matrix, so its eigenspaces are ``d`` invariant subspaces of dimension ``d``, each a
copy of ρ. An orthonormal basis ``B`` (n×d) of one of them gives the unitary
representation ``ρ(g) = B* L(g) B``; it is computed row-wise from
``B[g⁻¹x, :] = B[x, :] ρ(g)`` on ``d`` well-conditioned rows.

Real forms by Frobenius–Schur indicator ι:

* ι = +1: the real group algebra's χ-block is ``M_d(R)``, so the whole
  construction above runs in real arithmetic (real ``P_χ``, real symmetric ``H``)
  and returns a real orthogonal ρ, which grokcheck also uses as the unitary form.
  (:func:`real_basis_change` does the same for a given complex unitary ρ with
  ι = +1: an invariant symmetric unitary form ``S`` gives the antiunitary
  ``J v = conj(S v)``, ``J² = 1``, and an orthonormal basis of its fixed space.)
* ι = 0 (the pair {ρ, ρ̄}) and ι = −1 (quaternionic): the realification
  ``[[Re ρ, −Im ρ], [Im ρ, Re ρ]]``, irreducible over R of dimension 2d.

Certificate
-----------
Every representation carries measured residuals and construction raises
:class:`~grokcheck.errors.CertificationError` if any exceeds 1e-10:
``homomorphism`` = max over generators s and all h of ‖ρ(s)ρ(h) − ρ(sh)‖ (this
implies ρ(gh) = ρ(g)ρ(h) for all g, h: the set of g with ρ(gh) = ρ(g)ρ(h) ∀h is
closed under products and contains the generators and the identity),
``unitarity`` = max_g ‖ρ(g)ρ(g)* − I‖, ``character`` = max_g |tr ρ(g) − χ(g)|
against the exact table, and for real forms ``imaginary`` (largest imaginary part
discarded). Norms are spectral-free max-abs entries, which bound nothing less.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grokcheck.errors import CertificationError
from grokcheck.theory._finite_group import FiniteGroup

__all__ = [
    "Irrep",
    "RealIrrep",
    "compute_irreps",
    "compute_real_irreps",
    "representation_residuals",
    "real_basis_change",
    "is_representation",
    "assert_representation",
]

#: The issue's certificate threshold: float64 constructions land at ~1e-13.
CERTIFICATE_TOL = 1e-10


def representation_residuals(G: FiniteGroup, mats: np.ndarray, *, character=None, full: bool = False) -> dict:
    """Residuals of a candidate representation ``mats`` (n, d, d).

    ``full=True`` checks ρ(g)ρ(h) = ρ(gh) for all pairs (n²d³ work) instead of
    generators × all elements (equivalent, see the module docstring).
    """
    n, d = mats.shape[0], mats.shape[1]
    eye = np.eye(d)
    res = {}
    left = np.arange(n) if full else np.array(G.generators, dtype=np.int64)
    hom = 0.0
    for s in left:
        prod = mats[s][None, :, :] @ mats  # ρ(s)ρ(h) for all h
        hom = max(hom, float(np.max(np.abs(prod - mats[G.table[s]]), initial=0.0)))
    res["homomorphism"] = hom
    res["identity"] = float(np.max(np.abs(mats[G.identity] - eye)))
    uu = mats @ np.conj(np.swapaxes(mats, 1, 2))
    res["unitarity"] = float(np.max(np.abs(uu - eye)))
    if character is not None:
        res["character"] = float(np.max(np.abs(np.trace(mats, axis1=1, axis2=2) - character)))
    return res


def is_representation(G: FiniteGroup, mats: np.ndarray, *, atol: float = CERTIFICATE_TOL, character=None) -> bool:
    """Whether ``mats`` is a unitary representation of ``G`` (with character ``character`` if given)."""
    try:
        assert_representation(G, mats, atol=atol, character=character)
    except CertificationError:
        return False
    return True


def assert_representation(G: FiniteGroup, mats: np.ndarray, *, atol: float = CERTIFICATE_TOL, character=None) -> dict:
    """Raise :class:`CertificationError` naming the worst residual if ``mats`` is not a unitary rep."""
    mats = np.asarray(mats)
    if mats.ndim != 3 or mats.shape[0] != G.order or mats.shape[1] != mats.shape[2]:
        raise CertificationError(f"expected matrices of shape ({G.order}, d, d), got {mats.shape}")
    res = representation_residuals(G, mats, character=character)
    bad = {k: v for k, v in res.items() if not v <= atol}
    if bad:
        worst = max(bad, key=bad.get)
        raise CertificationError(
            f"not a unitary representation: {worst} residual {bad[worst]:.3e} exceeds {atol:.1e}", residuals=res
        )
    return res


@dataclass(frozen=True, eq=False)
class Irrep:
    """A certified unitary irreducible representation.

    Attributes
    ----------
    group : the group.
    index : row of ``group.character_table`` whose character this is.
    matrices : ``(n, d, d)`` complex128, ``matrices[g] = ρ(g)``, unitary. Real
        orthogonal (zero imaginary part) when the FS indicator is +1.
    residuals : the certificate (see the module docstring).
    """

    group: FiniteGroup = field(repr=False)
    index: int
    matrices: np.ndarray = field(repr=False)
    residuals: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.matrices.shape[1])

    @property
    def fs_indicator(self) -> int:
        return int(self.group.character_table.fs_indicators[self.index])

    @property
    def character(self) -> np.ndarray:
        """``(n,)`` the exact character on every element (numeric)."""
        return self.group.character_table.on_elements()[self.index]

    @property
    def dual_index(self) -> int:
        return int(self.group.character_table.dual[self.index])

    def __call__(self, g):
        return self.matrices[g]


@dataclass(frozen=True, eq=False)
class RealIrrep:
    """A certified real orthogonal irreducible representation (irreducible over R).

    Attributes
    ----------
    kind : ``"real"`` (ι = +1, dimension d), ``"complex"`` (ι = 0: the pair
        {ρ, ρ̄} realised in dimension 2d), ``"quaternionic"`` (ι = −1, dimension 2d).
    orbit : the indices of the complex irreps it comes from.
    matrices : ``(n, D, D)`` float64 orthogonal.
    """

    group: FiniteGroup = field(repr=False)
    kind: str
    orbit: tuple
    matrices: np.ndarray = field(repr=False)
    residuals: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.matrices.shape[1])

    @property
    def complex_dim(self) -> int:
        return self.dim if self.kind == "real" else self.dim // 2

    def __call__(self, g):
        return self.matrices[g]


def _orthonormalize(X: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the columns of a full-rank ``X`` by Cholesky-QR, twice.

    All BLAS-3 work (a Gram matrix and a triangular solve), much faster here than
    Householder QR or an SVD; the second pass restores orthogonality to 1e-15.
    """
    import scipy.linalg

    for _ in range(2):
        L = np.linalg.cholesky(X.conj().T @ X)
        X = scipy.linalg.solve_triangular(L, X.conj().T, lower=True).conj().T
    return X


def _isotypic_basis(G: FiniteGroup, chi: np.ndarray, d: int, rng: np.random.Generator, real: bool) -> np.ndarray:
    """Orthonormal basis (n × d²) of the χ-isotypic block of the regular representation.

    ``P_χ Ω`` for a random ``Ω`` with d² columns spans the block (rank d²) almost
    surely. With ``real`` (χ real-valued) everything stays in real arithmetic.
    """
    n = G.order
    t, inv = G.table, G.inverses
    cchi = np.conj(chi).real if real else np.conj(chi)
    chunk = max(1, int(4e6 // n))
    for attempt in range(4):
        omega = rng.standard_normal((n, d * d))
        if not real:
            omega = omega + 1j * rng.standard_normal((n, d * d))
        out = np.empty_like(omega)
        for start in range(0, n, chunk):
            xs = np.arange(start, min(n, start + chunk))
            P = cchi[t[xs][:, inv]] * (d / n)  # P[x, h] = (d/n) χ̄(x h⁻¹)
            out[xs] = P @ omega
        try:
            return _orthonormalize(out)
        except np.linalg.LinAlgError:
            continue  # an unlucky Ω missed part of the block; draw again
    raise CertificationError(f"could not find a basis of the isotypic block of dimension {d * d}")


def _one_copy(G: FiniteGroup, U: np.ndarray, d: int, rng: np.random.Generator) -> np.ndarray:
    """An orthonormal basis (n × d) of one irreducible left-invariant subspace of span(U)."""
    n = G.order
    t = G.table
    real = not np.iscomplexobj(U)
    for attempt in range(8):
        k = min(n, 3 + 2 * attempt)
        s = rng.choice(n, size=k, replace=False)
        c = rng.standard_normal(k) if real else rng.standard_normal(k) + 1j * rng.standard_normal(k)
        HU = np.zeros_like(U)
        for ci, si in zip(c, s):
            HU += ci * U[t[:, si]] + np.conj(ci) * U[t[:, G.inverses[si]]]  # (R(s)f)(x) = f(x·s)
        Hs = U.conj().T @ HU
        Hs = (Hs + Hs.conj().T) / 2
        w, V = np.linalg.eigh(Hs)
        # d groups of d equal eigenvalues; take the first group if well separated.
        spread = w[d - 1] - w[0]
        gap = w[d] - w[d - 1] if len(w) > d else np.inf
        scale = max(1.0, float(np.max(np.abs(w))))
        if spread < 1e-9 * scale and gap > 1e-4 * scale:
            return U @ V[:, :d]
    raise CertificationError("could not split the isotypic block into irreducible copies")


def _matrices_from_basis(G: FiniteGroup, B: np.ndarray) -> np.ndarray:
    """``ρ(g) = B* L(g) B`` for all g, where ``(L(g)B)[x] = B[g⁻¹x]``.

    The full projection (n²d² work, one GEMM per chunk of elements) keeps ρ unitary
    to rounding; above ~3·10⁹ operations it switches to solving on d
    well-conditioned rows of B (n·d³ work), exact for an exactly invariant B.
    """
    n, d = B.shape
    idx_all = G.table[G.inverses]  # idx_all[g, x] = g⁻¹·x
    if n * n * d * d <= 3e9:
        out = np.empty((n, d, d), dtype=B.dtype)
        BH = B.conj().T
        chunk = max(1, int(2e7 // (n * d)))
        for start in range(0, n, chunk):
            gs = np.arange(start, min(n, start + chunk))
            moved = B[idx_all[gs]]  # (c, n, d)
            out[gs] = BH[None] @ moved
        return out
    import scipy.linalg

    _, _, piv = scipy.linalg.qr(B.T, pivoting=True, mode="economic")
    rows = np.sort(piv[:d])
    BS_inv = np.linalg.inv(B[rows])
    return BS_inv[None, :, :] @ B[idx_all[:, rows]]


def real_basis_change(mats: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For a unitary ρ ``(n, d, d)`` with ι = +1: a unitary ``C`` with ``C* ρ(g) C`` real for all g."""
    d = mats.shape[1]
    A = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    A = A + A.T
    S = np.einsum("gji,jk,gkl->il", mats, A, mats) / mats.shape[0]  # Σ ρᵀ A ρ
    S = (S + S.T) / 2
    c = np.real(np.trace(S.conj().T @ S)) / d
    S = S / np.sqrt(c)
    V = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    W = V + np.conj(S @ V)  # J-fixed vectors, J v = conj(S v)
    Qr, _ = np.linalg.qr(np.vstack([W.real, W.imag]))
    return Qr[:d] + 1j * Qr[d:]


def _realify(mats: np.ndarray) -> np.ndarray:
    re, im = mats.real, mats.imag
    top = np.concatenate([re, -im], axis=2)
    bot = np.concatenate([im, re], axis=2)
    return np.concatenate([top, bot], axis=1)


def _certify(res: dict, what: str) -> None:
    bad = {k: v for k, v in res.items() if not v <= CERTIFICATE_TOL}
    if bad:
        worst = max(bad, key=bad.get)
        raise CertificationError(f"{what}: {worst} residual {bad[worst]:.3e} exceeds {CERTIFICATE_TOL:.0e}", residuals=res)


def compute_irreps(G: FiniteGroup, *, seed: int = 0) -> tuple[Irrep, ...]:
    """All irreducible unitary representations of ``G``, certified, in character-table order."""
    ct = G.character_table
    chars = ct.on_elements()
    rng = np.random.default_rng(seed)
    out = []
    for x in range(ct.num_irreps):
        d = int(ct.degrees[x])
        chi = chars[x]
        if d == 1:
            mats = chi.reshape(-1, 1, 1).astype(complex)
        else:
            # ι = +1: the real group algebra's block is M_d(R), so the construction
            # can run in real arithmetic and directly yields a real orthogonal form.
            real = bool(ct.fs_indicators[x] == 1)
            U = _isotypic_basis(G, chi, d, rng, real)
            B = _one_copy(G, U, d, rng)
            mats = _matrices_from_basis(G, B)
        res = representation_residuals(G, mats, character=chi)
        if ct.fs_indicators[x] == 1:
            res["imaginary"] = float(np.max(np.abs(mats.imag)))
            mats = mats.real.astype(complex)
        _certify(res, f"irrep {x} (degree {d}) of {G}")
        mats = np.ascontiguousarray(mats)
        mats.flags.writeable = False
        out.append(Irrep(G, x, mats, res))
    return tuple(out)


def compute_real_irreps(G: FiniteGroup) -> tuple[RealIrrep, ...]:
    """One real orthogonal irrep per orbit {ρ, ρ̄} (see the module docstring)."""
    ct = G.character_table
    irreps = G.irreps
    out = []
    for orb in ct.orbits:
        rho = irreps[orb[0]]
        iota = rho.fs_indicator
        if iota == 1:
            mats, kind = rho.matrices.real.copy(), "real"
        else:
            mats, kind = _realify(rho.matrices), ("complex" if iota == 0 else "quaternionic")
        res = representation_residuals(G, mats)
        res["character"] = float(
            np.max(np.abs(np.trace(mats, axis1=1, axis2=2) - (rho.character if iota == 1 else 2 * rho.character.real)))
        )
        _certify(res, f"real irrep of orbit {orb} of {G}")
        mats.flags.writeable = False
        out.append(RealIrrep(G, kind, tuple(orb), mats, res))
    return tuple(out)
