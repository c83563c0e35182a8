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

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg

from grokcheck.errors import CertificationError
from grokcheck.theory._cyclotomic import Cyclotomic
from grokcheck.theory._finite_group import FiniteGroup

__all__ = ["CharacterTable", "compute_character_table"]

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


def _split(mats: np.ndarray, rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Joint eigenvectors of commuting normal matrices ``mats[i]`` (k×k), as columns."""
    k = mats.shape[1]
    pending = [np.eye(k, dtype=complex)]
    done: list[np.ndarray] = []
    attempts = 0
    while pending:
        Q = pending.pop()
        if Q.shape[1] == 1:
            done.append(Q)
            continue
        attempts += 1
        if attempts > 50 * k:
            raise CertificationError(
                "the class-matrix eigenspaces did not split into 1-dimensional pieces; "
                "the class structure constants are inconsistent"
            )
        z = (rng.standard_normal(len(mats)) + 1j * rng.standard_normal(len(mats))) * weights
        B = np.tensordot(z, mats, axes=1)
        M = Q.conj().T @ B @ Q
        T, Z = scipy.linalg.schur(M, output="complex")
        lam = np.diag(T)
        order = np.argsort(lam.real)
        lam, Z = lam[order], Z[:, order]
        # connected components of eigenvalues closer than the tolerance
        m = len(lam)
        comp = np.arange(m)
        for a in range(m):
            for b in range(a + 1, m):
                if abs(lam[a] - lam[b]) < _CLUSTER_TOL and comp[b] != comp[a]:
                    comp[comp == comp[b]] = comp[a]
        for c in np.unique(comp):
            cols = np.nonzero(comp == c)[0]
            sub = Q @ Z[:, cols]
            sub, _ = np.linalg.qr(sub)
            pending.append(sub)
    return np.hstack(done)


def _numeric_characters(G: FiniteGroup, seed: int) -> np.ndarray:
    """Floating-point irreducible characters, shape ``(k, k)`` (character × class)."""
    k, n = G.num_classes, G.order
    sizes = G.class_sizes.astype(float)
    if k == 1:
        return np.ones((1, 1), dtype=complex)
    N = class_structure_constants(G).astype(float)
    d = np.sqrt(sizes)
    # B_i = D⁻¹ A_i D with A_i[j, l] = N[i, j, l]; normal matrices.
    mats = N / d[None, :, None] * d[None, None, :]
    rng = np.random.default_rng(seed)
    U = _split(mats, rng, weights=1.0 / sizes)
    omega = U * d[:, None]  # back to eigenvectors of A: ω = D u
    omega = omega / omega[0:1, :]  # ω(identity class) = 1
    deg = np.sqrt(n / np.sum(np.abs(omega) ** 2 / sizes[:, None], axis=0))
    chars = (deg[None, :] * omega / sizes[:, None]).T  # (character, class)
    return chars


def _exact_multiplicities(G: FiniteGroup, chars: np.ndarray) -> list[list[np.ndarray]]:
    """Round ``m_j = (1/o) Σ_t χ(g^t) ζ_o^{-jt}`` to certified integers, per character and class."""
    k = G.num_classes
    reps = G.class_representatives
    orders = G.element_orders[reps]
    out: list[list[np.ndarray]] = [[None] * k for _ in range(chars.shape[0])]  # type: ignore[list-item]
    worst = 0.0
    for c in range(k):
        o = int(orders[c])
        pw = np.empty(o, dtype=np.int64)
        g = G.identity
        for t in range(o):
            pw[t] = G.class_of[g]
            g = int(G.table[g, reps[c]])
        vals = chars[:, pw]  # χ(g^t), shape (nchar, o)
        m = np.fft.fft(vals, axis=1) / o  # Σ_t v_t e^{-2πi jt/o}
        r = np.rint(m.real)
        err = np.max(np.abs(m - r), initial=0.0)
        worst = max(worst, err)
        if err > _ROUND_TOL or (r < 0).any():
            raise CertificationError(
                f"eigenvalue multiplicities on class {c} are not integers (error {err:.2e}); "
                "the numeric character table is not accurate enough",
                residuals={"multiplicity_rounding": float(err)},
            )
        for x in range(chars.shape[0]):
            out[x][c] = r[x].astype(np.int64)
    return out


@dataclass(frozen=True, eq=False)
class CharacterTable:
    """The irreducible characters of a finite group, exactly.

    Attributes
    ----------
    group : the group.
    multiplicities : ``multiplicities[χ][c]`` is an int array of length ``o_c``
        (order of the class-``c`` elements): ``χ(g_c) = Σ_j m_j exp(2πi j/o_c)``.
    residuals : certificate numbers: ``multiplicity_rounding`` (largest distance
        of a multiplicity from its integer before rounding), ``orthogonality``
        (largest deviation of the exact table from the orthogonality relations,
        computed in float64 from the exact values).
    """

    group: FiniteGroup
    multiplicities: tuple = field(repr=False)
    residuals: dict = field(default_factory=dict)

    @property
    def num_irreps(self) -> int:
        return len(self.multiplicities)

    def __len__(self) -> int:
        return self.num_irreps

    @cached_property
    def values(self) -> np.ndarray:
        """``(k, k)`` complex array, character × class, derived from the exact values."""
        k = self.group.num_classes
        out = np.empty((self.num_irreps, k), dtype=complex)
        for x, row in enumerate(self.multiplicities):
            for c, m in enumerate(row):
                o = len(m)
                out[x, c] = np.dot(m, np.exp(2j * np.pi * np.arange(o) / o))
        out.flags.writeable = False
        return out

    @cached_property
    def degrees(self) -> np.ndarray:
        d = np.array([int(row[0].sum()) for row in self.multiplicities], dtype=np.int64)
        d.flags.writeable = False
        return d

    def cyclotomic(self, chi: int, cls: int) -> Cyclotomic:
        """``χ(g_cls)`` as an exact :class:`Cyclotomic` in ``Z[ζ_o]``."""
        m = self.multiplicities[chi][cls]
        return Cyclotomic.from_exponents(m, len(m))

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
        vals = self.values
        out = np.empty(self.num_irreps, dtype=np.int64)
        for x in range(self.num_irreps):
            dist = np.max(np.abs(vals - vals[x].conj()[None, :]), axis=1)
            out[x] = int(np.argmin(dist))
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

    def on_elements(self) -> np.ndarray:
        """``(k, n)`` complex array: every character evaluated on every element."""
        return self.values[:, self.group.class_of]

    def to_json(self) -> dict:
        """The schema of ``grokcheck table --json``.

        ``{"order": n, "classes": [[element indices]...], "irreps": [{"dim": d,
        "fs_indicator": ι, "character": [[re, im] per element 0..n-1]}]}``
        """
        G = self.group
        chars = self.on_elements()
        return {
            "order": G.order,
            "classes": [[int(v) for v in c] for c in G.conjugacy_classes],
            "irreps": [
                {
                    "dim": int(self.degrees[x]),
                    "fs_indicator": int(self.fs_indicators[x]),
                    "character": [[float(z.real), float(z.imag)] for z in chars[x]],
                }
                for x in range(self.num_irreps)
            ],
        }

    def display(self) -> str:
        """The table as a group theorist reads it, irrationalities named as GAP does.

        Rows: ``X.1 …`` characters with their Frobenius–Schur indicator; columns:
        class representatives (``1a, 2a, 3a, …`` by element order), centralizer
        orders, class sizes, and 2nd/3rd power maps. Irrational values get letters
        ``A, B, …`` (``/A`` is the complex conjugate of ``A``, ``-A`` its negative,
        ``*A`` another Galois conjugate) explained below the table.
        """
        G = self.group
        k = G.num_classes
        orders = G.element_orders[G.class_representatives]
        names = []
        counter: dict[int, int] = {}
        for c in range(k):
            o = int(orders[c])
            i = counter.get(o, 0)
            counter[o] = i + 1
            letter = ""
            j = i
            while True:
                letter = chr(ord("a") + j % 26) + letter
                j = j // 26 - 1
                if j < 0:
                    break
            names.append(f"{o}{letter}")
        legend: list[tuple[str, Cyclotomic]] = []

        def name_of(z: Cyclotomic) -> str:
            if z.is_rational:
                return str(z.coeffs[0])
            for label, w in legend:
                if z == w:
                    return label
                if z == -w:
                    return "-" + label
                if z == w.conjugate():
                    return "/" + label
                if z == -w.conjugate():
                    return "-/" + label
                if any(z == c for c in w.conjugates()):
                    return "*" + label
            label = chr(ord("A") + len(legend)) if len(legend) < 26 else f"A{len(legend)}"
            legend.append((label, z))
            return label

        cells = [[name_of(self.cyclotomic(x, c)) for c in range(k)] for x in range(self.num_irreps)]
        p2, p3 = G.power_map(2), G.power_map(3)
        header_rows = [
            ["", ""] + [str(int(v)) for v in G.centralizer_orders],
            ["size", ""] + [str(int(v)) for v in G.class_sizes],
            ["", ""] + [""] * k,
            ["", ""] + names,
            ["2P", ""] + [names[int(p2[c])] for c in range(k)],
            ["3P", ""] + [names[int(p3[c])] for c in range(k)],
        ]
        fs_sym = {1: "+", 0: "o", -1: "-"}
        body = [[f"X.{x + 1}", fs_sym[int(self.fs_indicators[x])]] + cells[x] for x in range(self.num_irreps)]
        rows = header_rows + body
        widths = [max(len(r[i]) for r in rows) for i in range(k + 2)]
        lines = [f"{G}  (order {G.order}, {k} classes)", ""]
        for r in rows:
            lines.append(" ".join(cell.rjust(widths[i]) if i >= 2 else cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
        if legend:
            lines.append("")
            for label, z in legend:
                lines.append(f"{label} = {z.gap_string()} = {z.to_sympy()}")
        lines.append("")
        lines.append("FS indicator: + real, o complex, - quaternionic")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.display()


def compute_character_table(G: FiniteGroup, *, seed: int = 0) -> CharacterTable:
    """Compute and certify the character table of ``G`` (see the module docstring)."""
    chars = _numeric_characters(G, seed)
    mult = _exact_multiplicities(G, chars)
    k = G.num_classes
    if len(mult) != k:  # pragma: no cover - _split always returns k vectors
        raise CertificationError(f"found {len(mult)} characters for {k} classes")
    # Order: degree, then values.
    tmp = CharacterTable(G, tuple(tuple(row) for row in mult))
    vals = tmp.values
    keys = [
        (int(tmp.degrees[x]),)
        + tuple(float(np.round(-v, 9)) for v in vals[x].real)
        + tuple(float(np.round(-v, 9)) for v in vals[x].imag)
        for x in range(k)
    ]
    order = sorted(range(k), key=lambda x: keys[x])
    table = CharacterTable(G, tuple(tuple(mult[x]) for x in order))
    vals = table.values
    sizes = G.class_sizes
    gram = (vals * sizes[None, :]) @ vals.conj().T / G.order
    orth = float(np.max(np.abs(gram - np.eye(k))))
    col = (vals.conj().T @ vals) * sizes[:, None] / G.order  # Σ_χ conj χ(g_i) χ(g_j) = |C_G(g_i)| δ
    col_err = float(np.max(np.abs(col - np.diag(np.diag(col)) * 0 - np.eye(k))))
    degs = table.degrees
    residuals = {"orthogonality": max(orth, col_err)}
    # Integral degrees, Σ d² = |G|: exact integer checks.
    if int((degs**2).sum()) != G.order or np.any(G.order % degs):
        raise CertificationError(f"degrees {degs.tolist()} violate Σd² = |G| or d | |G|", residuals=residuals)
    if residuals["orthogonality"] > 1e-8:  # exact table: float error of the sums is ≤ 1e-12·|G|
        raise CertificationError("the character table fails the orthogonality relations", residuals=residuals)
    return CharacterTable(G, table.multiplicities, residuals=residuals)
