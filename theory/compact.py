"""The compact groups SO(2), O(2), SO(3): real orthogonal irreps, Haar quadrature, Fourier transform, branching.

Elements are orthogonal matrices: ``(N, 2, 2)`` for SO(2) and O(2), ``(N, 3, 3)`` for
SO(3). Each group lists its real irreps up to a band limit ``L`` by label:

* **SO(2)**: ``k = 0`` (trivial, dimension 1) and ``k ≥ 1``, the rotation by ``kθ``
  (dimension 2; over C the pair ``e^{±ikθ}``, a real irrep of complex type).
* **O(2)**: ``"trivial"``, ``"det"`` (the sign ``det g``) and ``k ≥ 1``: ``R(θ) ↦ R(kθ)``,
  the reflection ``F = diag(1, −1) ↦ F`` (dimension 2, real type).
* **SO(3)**: ``l ≥ 0``, the Wigner matrices ``D^l`` in the real basis of the real
  spherical harmonics (dimension ``2l + 1``, real type): ``D^l(exp(ω·L)) = exp(ω·A^l)``
  with ``A^l_k`` the real antisymmetric images of the angular-momentum generators
  (Condon–Shortley phases); ``D^1(R) = Q R Qᵀ`` with ``Q(x, y, z) = (y, −z, −x)``.

Haar quadrature (:meth:`haar_grid`) is exact for the products of two irreps of label
``≤ L``: uniform angles for SO(2)/O(2); for SO(3) Euler angles ``(α, β, γ)`` (z-y-z) with
``2L + 2`` uniform ``α, γ`` and ``L + 1`` Gauss–Legendre nodes in ``cos β``. So Schur
orthogonality ``∫ D^l_{ij} D^{l'}_{kl} dg = δ_{ll'} δ_{ik} δ_{jl}/d_l`` holds on the grid
to rounding, which :func:`orthogonality_residual` measures.

Conventions
-----------
Fourier transform as for finite groups: ``f̂[ρ] = ∫ f(g) ρ(g⁻¹) dg`` (Haar probability
measure), ``f(g) = Σ_ρ d_ρ tr(f̂[ρ] ρ(g))`` for ``f`` band-limited to the irreps used; for
the real irreps of complex type of SO(2) the factor is ``d_ρ/2`` (each carries two complex
irreps; :meth:`CompactGroup.fourier_weight`).

Restriction to finite subgroups (:func:`branching`): the multiplicity of an irreducible
character ``χ`` of a finite ``H ⊂ G`` in ``ρ|_H`` is ``|H|⁻¹ Σ_h tr ρ(h) χ̄(h)``, computed
with ``H``'s own exact character table (``H`` built as a :class:`FiniteGroup` from the
matrices) and certified: integral to 1e-9 and reconstructing ``tr ρ|_H`` exactly.

References
----------
M. A. Blanco, M. Flórez, M. Bermejo, "Evaluation of the rotation matrices in the basis of real
spherical harmonics", J. Mol. Struct. THEOCHEM 419 (1997); G. B. Folland, *A course in
abstract harmonic analysis*, ch. 5 (Peter–Weyl).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg

from grokcheck.errors import CertificationError, GroupInputError

__all__ = [
    "SO2",
    "O2",
    "SO3",
    "CompactGroup",
    "rotation_group",
    "finite_subgroup",
    "branching",
    "orthogonality_residual",
    "representation_residuals",
]

# Integrality of branching multiplicities: sums of ≤ |H| float64 terms of size ≤ 2l+1.
_INT_TOL = 1e-9


def _rot2(theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


@dataclass(frozen=True)
class CompactGroup:
    """SO(2), O(2) or SO(3); use the module constants :data:`SO2`, :data:`O2`, :data:`SO3`."""

    name: str

    @property
    def matrix_size(self) -> int:
        return 3 if self.name == "SO(3)" else 2

    def labels(self, L: int) -> list:
        """The irreps of label ≤ L."""
        if self.name == "SO(2)":
            return list(range(L + 1))
        if self.name == "O(2)":
            return ["trivial", "det"] + list(range(1, L + 1))
        return list(range(L + 1))

    def dim(self, label) -> int:
        if self.name == "SO(3)":
            return 2 * int(label) + 1
        return 1 if label in (0, "trivial", "det") else 2

    def fourier_weight(self, label) -> float:
        """``d_ρ`` in the inversion formula (``d_ρ/2`` for SO(2)'s complex-type irreps ``k ≥ 1``)."""
        if self.name == "SO(2)" and label != 0:
            return 1.0
        return float(self.dim(label))

    def contains(self, mats: np.ndarray, atol: float = 1e-9) -> bool:
        mats = np.asarray(mats, dtype=float)
        m = self.matrix_size
        if mats.ndim != 3 or mats.shape[1:] != (m, m):
            return False
        orth = np.max(np.abs(mats @ np.swapaxes(mats, 1, 2) - np.eye(m)), initial=0.0) <= atol
        det = np.linalg.det(mats)
        return bool(orth and (self.name == "O(2)" or np.all(np.abs(det - 1) <= atol)))

    def representation(self, label, mats) -> np.ndarray:
        """``ρ_label(g)`` for every element: ``(N, d, d)`` real orthogonal."""
        mats = np.asarray(mats, dtype=float)
        if not self.contains(mats, atol=1e-8):
            raise GroupInputError(f"the matrices are not elements of {self.name}", text=mats.shape)
        N = mats.shape[0]
        if self.name in ("SO(2)", "O(2)"):
            det = np.rint(np.linalg.det(mats))
            if label in (0, "trivial"):
                return np.ones((N, 1, 1))
            if label == "det":
                return det.reshape(N, 1, 1)
            k = int(label)
            # g = R(θ) F^s with F = diag(1, -1): the first column of g is (cos θ, sin θ)
            theta = np.arctan2(mats[:, 1, 0], mats[:, 0, 0])
            out = _rot2(k * theta)
            refl = det < 0
            out[refl] = out[refl] @ np.diag([1.0, -1.0])
            return out
        return _wigner_real(int(label), mats)

    def haar_grid(self, L: int) -> tuple[np.ndarray, np.ndarray]:
        """``(elements (N, m, m), weights (N,))`` exact for products of two irreps of label ≤ L."""
        n = 2 * L + 2
        theta = 2 * np.pi * np.arange(n) / n
        if self.name == "SO(2)":
            return _rot2(theta), np.full(n, 1.0 / n)
        if self.name == "O(2)":
            R = _rot2(theta)
            F = R @ np.diag([1.0, -1.0])
            return np.concatenate([R, F]), np.full(2 * n, 1.0 / (2 * n))
        x, wb = np.polynomial.legendre.leggauss(L + 1)
        beta = np.arccos(x)
        a, b, g = np.meshgrid(theta, beta, theta, indexing="ij")
        w = np.broadcast_to(wb[None, :, None] / 2 / n**2, a.shape)
        return _euler_zyz(a.ravel(), b.ravel(), g.ravel()), w.ravel().copy()

    def fourier_transform(self, values, mats, weights, L: int) -> dict:
        """``f̂[ρ] = Σ_j w_j f(g_j) ρ(g_j)ᵀ`` for every irrep of label ≤ L (``ρ(g⁻¹) = ρ(g)ᵀ``)."""
        values = np.asarray(values, dtype=float)
        return {lab: np.einsum("n,n,nji->ij", weights, values, self.representation(lab, mats)) for lab in self.labels(L)}

    def inverse_fourier_transform(self, coeffs: dict, mats) -> np.ndarray:
        """``f(g) = Σ_ρ c_ρ tr(f̂[ρ] ρ(g))`` with ``c_ρ`` = :meth:`fourier_weight`."""
        out = 0.0
        for lab, F in coeffs.items():
            out = out + self.fourier_weight(lab) * np.einsum("ij,nji->n", F, self.representation(lab, mats))
        return out

    def __str__(self) -> str:
        return self.name


#: The circle group SO(2): rotations of the plane, irreps indexed by the integer frequency k.
SO2 = CompactGroup("SO(2)")
#: The orthogonal group O(2): rotations and reflections of the plane.
O2 = CompactGroup("O(2)")
#: The rotation group SO(3): real Wigner D matrices of every degree l.
SO3 = CompactGroup("SO(3)")


def _euler_zyz(alpha, beta, gamma) -> np.ndarray:
    def rz(t):
        c, s, z, o = np.cos(t), np.sin(t), np.zeros_like(t), np.ones_like(t)
        return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)

    def ry(t):
        c, s, z, o = np.cos(t), np.sin(t), np.zeros_like(t), np.ones_like(t)
        return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)

    return rz(alpha) @ ry(beta) @ rz(gamma)


@lru_cache(maxsize=None)
def _real_generators(l: int) -> np.ndarray:
    """``(3, d, d)`` real antisymmetric ``A_x, A_y, A_z`` with ``[A_x, A_y] = A_z`` (cyclic), real basis."""
    d = 2 * l + 1
    m = np.arange(-l, l + 1)
    Jz = np.diag(m).astype(complex)
    Jp = np.zeros((d, d), dtype=complex)  # J+ |m> = sqrt(l(l+1) - m(m+1)) |m+1>
    for i in range(d - 1):
        Jp[i + 1, i] = np.sqrt(l * (l + 1) - m[i] * (m[i] + 1))
    Jm = Jp.conj().T
    Jx, Jy = (Jp + Jm) / 2, (Jp - Jm) / (2j)
    # complex → real spherical harmonics: Y_{l,m}^real from Y_{l,±m}
    U = np.zeros((d, d), dtype=complex)
    for i, mm in enumerate(m):
        if mm < 0:
            U[i, l + mm] = 1j / np.sqrt(2)
            U[i, l - mm] = -1j * (-1.0) ** int(mm) / np.sqrt(2)
        elif mm == 0:
            U[i, l] = 1.0
        else:
            U[i, l - mm] = 1 / np.sqrt(2)
            U[i, l + mm] = (-1.0) ** int(mm) / np.sqrt(2)
    A = np.stack([U @ (-1j * J) @ U.conj().T for J in (Jx, Jy, Jz)])
    if np.max(np.abs(A.imag)) > 1e-12:  # pragma: no cover - the basis change is standard
        raise CertificationError("real spherical-harmonic generators are not real")
    return np.ascontiguousarray(A.real)


def _wigner_real(l: int, mats: np.ndarray) -> np.ndarray:
    """``D^l(R) = exp(ω·A^l)`` for ``R = exp(ω·L)`` (``ω`` the rotation vector of ``R``).

    The rotation vector comes from the unit quaternion of ``R`` and is accurate for every
    rotation, so ``D^l`` is accurate to rounding everywhere. Euler angles were not: within
    ~1e-7 of the z-y-z singularity (β = 0 or π) scipy's ``as_euler`` treats the rotation as
    gimbal-locked and drops a rotation of size β, an error of order β in ``D^l``.
    """
    from scipy.spatial.transform import Rotation

    if l == 0:
        return np.ones((mats.shape[0], 1, 1))
    omega = Rotation.from_matrix(mats).as_rotvec()  # (N, 3), |ω| ≤ π
    gen = np.einsum("nk,kij->nij", omega, _real_generators(l))  # real antisymmetric (N, d, d)
    # i·gen is Hermitian: exp(gen) = U exp(−iw) U* from its (batched, backward-stable) eigh
    w, U = np.linalg.eigh(1j * gen)
    return np.einsum("nik,nk,njk->nij", U, np.exp(-1j * w), U.conj()).real


def representation_residuals(G: CompactGroup, label, mats: np.ndarray, seed: int = 0) -> dict:
    """``homomorphism``: max ‖ρ(a)ρ(b) − ρ(ab)‖ over the pairs (a_i, b_i) with ``b`` a shuffle of ``mats``;
    ``unitarity``: max ‖ρ(g)ρ(g)ᵀ − 1‖ (max-abs entries)."""
    rng = np.random.default_rng(seed)
    b = mats[rng.permutation(len(mats))]
    Ra, Rb, Rab = G.representation(label, mats), G.representation(label, b), G.representation(label, mats @ b)
    eye = np.eye(Ra.shape[1])
    return {
        "homomorphism": float(np.max(np.abs(Ra @ Rb - Rab))),
        "unitarity": float(np.max(np.abs(Ra @ np.swapaxes(Ra, 1, 2) - eye))),
    }


def orthogonality_residual(G: CompactGroup, L: int) -> float:
    """Largest deviation from Schur orthogonality of all irreps of label ≤ L on :meth:`haar_grid` (L)."""
    mats, w = G.haar_grid(L)
    reps = [G.representation(lab, mats).reshape(len(w), -1) for lab in G.labels(L)]
    Phi = np.concatenate(reps, axis=1)  # (N, Σ d²)
    gram = (Phi * w[:, None]).T @ Phi
    target = np.concatenate([np.full(G.dim(lab) ** 2, 1.0 / G.dim(lab)) for lab in G.labels(L)])
    # complex-type real irreps of SO(2): ∫ R(kθ)_{ij} R(kθ)_{kl} = (δ_ik δ_jl + ε_ij ε_kl)/2, not δ/d
    if G.name == "SO(2)":
        blocks = [np.eye(1)] + [(np.eye(4) + _so2_pair()) / 2 for _ in range(L)]
        return float(np.max(np.abs(gram - scipy.linalg.block_diag(*blocks))))
    return float(np.max(np.abs(gram - np.diag(target))))


def _so2_pair() -> np.ndarray:
    # entries (c, -s, s, c): ∫ c² = ∫ s² = 1/2, ∫ c·c (00,11) = 1/2, ∫ (-s)(s) (01,10) = -1/2
    P = np.zeros((4, 4))
    P[0, 3] = P[3, 0] = 1.0
    P[1, 2] = P[2, 1] = -1.0
    return P


# ------------------------------------------------------------ finite subgroups
def _axis_rotation(axis, angle) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    axis = np.asarray(axis, dtype=float)
    return Rotation.from_rotvec(axis / np.linalg.norm(axis) * angle).as_matrix()


def rotation_group(generators, *, max_order: int = 10_000) -> np.ndarray:
    """Close rotation matrices under products: ``(n, m, m)``, identity first (dedupe at 1e-8)."""
    gens = [np.asarray(g, dtype=float) for g in generators]
    m = gens[0].shape[0]
    elems = [np.eye(m)]
    keys = {tuple(np.round(np.eye(m), 8).ravel() + 0.0)}
    head = 0
    while head < len(elems):
        x = elems[head]
        for g in gens:
            y = x @ g
            k = tuple(np.round(y, 8).ravel() + 0.0)
            if k not in keys:
                keys.add(k)
                elems.append(y)
                if len(elems) > max_order:
                    raise GroupInputError(f"the rotations generate more than {max_order} elements", text=None)
        head += 1
    return np.stack(elems)


def finite_subgroup(kind: str, n: int | None = None) -> np.ndarray:
    """Rotation matrices of a finite subgroup: ``"C"``/``"D"`` (``n``) of SO(2)/O(2) when 2×2,
    or of SO(3) as ``"C3d"``-style 3×3: use ``kind`` in ``{"C2d", "D2d"}`` for O(2)'s
    ``C_n``, ``D_n`` (2×2) and ``{"C", "D", "T", "O", "I"}`` for SO(3)'s cyclic, dihedral
    (order 2n), tetrahedral (12), octahedral (24), icosahedral (60) rotation groups."""
    phi = (1 + 5**0.5) / 2
    if kind in ("C2d", "D2d"):
        gens = [_rot2(2 * np.pi / n)]
        if kind == "D2d":
            gens.append(np.diag([1.0, -1.0]))
        return rotation_group(gens)
    if kind == "C":
        return rotation_group([_axis_rotation([0, 0, 1], 2 * np.pi / n)])
    if kind == "D":
        return rotation_group([_axis_rotation([0, 0, 1], 2 * np.pi / n), _axis_rotation([1, 0, 0], np.pi)])
    if kind == "T":
        return rotation_group([_axis_rotation([1, 1, 1], 2 * np.pi / 3), _axis_rotation([0, 0, 1], np.pi)])
    if kind == "O":
        return rotation_group([_axis_rotation([1, 1, 1], 2 * np.pi / 3), _axis_rotation([0, 0, 1], np.pi / 2)])
    if kind == "I":
        return rotation_group([_axis_rotation([0, 1, phi], 2 * np.pi / 5), _axis_rotation([1, 1, 1], 2 * np.pi / 3)])
    raise GroupInputError(f"unknown finite subgroup kind {kind!r}; expected C2d, D2d, C, D, T, O or I", text=kind)


def _as_finite_group(mats: np.ndarray):
    from grokcheck.theory._finite_group import FiniteGroup

    keys = {tuple(np.round(m, 8).ravel() + 0.0): i for i, m in enumerate(mats)}
    prod = np.einsum("aij,bjk->abik", mats, mats)
    n = len(mats)
    table = np.empty((n, n), dtype=np.int64)
    for a in range(n):
        for b in range(n):
            table[a, b] = keys[tuple(np.round(prod[a, b], 8).ravel() + 0.0)]
    return FiniteGroup.from_table(table)


@dataclass(frozen=True)
class Branching:
    """Restriction of an irrep of a compact group to a finite subgroup ``H``.

    Attributes
    ----------
    label : the irrep of the compact group.
    group : ``H`` as a :class:`~grokcheck.theory.FiniteGroup` (elements in the order of the matrices).
    multiplicities : ``(k,)`` int, the multiplicity of each irreducible character of ``H`` (table order).
    residuals : ``integrality`` (distance of the raw multiplicities from integers) and
        ``reconstruction`` (max |tr ρ(h) − Σ m_χ χ(h)|).
    """

    label: object
    group: object
    multiplicities: np.ndarray
    residuals: dict


def branching(G: CompactGroup, label, subgroup_mats: np.ndarray, *, H=None) -> Branching:
    """Multiplicities of ``H``'s irreducible characters in ``ρ_label|_H`` (certified; see the module docstring)."""
    H = _as_finite_group(subgroup_mats) if H is None else H
    tr = np.trace(G.representation(label, subgroup_mats), axis1=1, axis2=2)
    chars = H.character_table.on_elements()
    raw = (chars.conj() @ tr) / H.order
    m = np.rint(raw.real).astype(np.int64)
    res = {
        "integrality": float(np.max(np.abs(raw - m))),
        "reconstruction": float(np.max(np.abs(m @ chars - tr))),
    }
    if res["integrality"] > _INT_TOL or (m < 0).any() or res["reconstruction"] > _INT_TOL:
        raise CertificationError(f"branching of {label} to a subgroup of order {H.order} failed", residuals=res)
    return Branching(label, H, m, res)
