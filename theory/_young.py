"""Irreps of the symmetric group in Young's orthogonal form, certified by the Coxeter presentation.

For a partition ``λ ⊢ n`` the basis is the standard Young tableaux ``T`` of shape
``λ``; the adjacent transposition ``s_i = (i−1, i)`` (points ``0..n−1``, ``i =
1..n−1``) acts by

    ρ(s_i) e_T = (1/r) e_T + √(1 − 1/r²) e_{s_i T},

where ``r = c_T(i+1) − c_T(i)`` is the axial distance (content = column − row of the
box holding the entry) and ``e_{s_i T} = 0`` when swapping ``i, i+1`` does not give a
standard tableau (then ``r = ±1``). The matrices are real symmetric orthogonal.

Certificate
-----------
``coxeter``: the largest residual of the Coxeter relations ``s_i² = 1``,
``(s_i s_{i+1})³ = 1``, ``(s_i s_j)² = 1`` (``|i − j| ≥ 2``), a presentation of
``S_n``, so the ``ρ(s_i)`` define a homomorphism; ``unitarity`` of the ``ρ(s_i)``;
``character``: ``max_c |tr ρ(g_c) − χ(g_c)|`` over the class representatives
against the exact table (``ρ(g)`` from a reduced word of ``g``), which identifies
the irreducible character. All must be below 1e-10.

References
----------
G. D. James and A. Kerber, *The representation theory of the symmetric group*
(1981), §3.4; A. Young, *On quantitative substitutional analysis* VI (1931).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from grokcheck.errors import CertificationError

__all__ = ["YoungIrrep", "young_irreps", "young_matrices", "adjacent_word", "partitions"]

CERTIFICATE_TOL = 1e-10


def partitions(n: int) -> tuple[tuple[int, ...], ...]:
    """Partitions of n, largest first (reverse lexicographic)."""
    out = []

    def rec(rest, top, cur):
        if rest == 0:
            out.append(tuple(cur))
            return
        for k in range(min(rest, top), 0, -1):
            rec(rest - k, k, cur + [k])

    rec(int(n), int(n), [])
    return tuple(out)


@lru_cache(maxsize=None)
def _tableaux(shape: tuple[int, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Standard tableaux as the (row, col) position of entries 1..n."""
    n = sum(shape)
    if n == 0:
        return ((),)
    out = []
    for r in range(len(shape)):
        # n sits in a removable corner: end of row r, and the row below is shorter
        if shape[r] > (shape[r + 1] if r + 1 < len(shape) else 0):
            smaller = list(shape)
            smaller[r] -= 1
            if smaller[r] == 0:
                smaller.pop()
            for t in _tableaux(tuple(smaller)):
                out.append(t + ((r, shape[r] - 1),))
    return tuple(out)


@lru_cache(maxsize=None)
def young_matrices(shape: tuple[int, ...]) -> np.ndarray:
    """``(n − 1, d, d)``: ρ(s_1) … ρ(s_{n−1}) in Young's orthogonal form."""
    tabs = _tableaux(shape)
    n, d = sum(shape), len(tabs)
    index = {t: i for i, t in enumerate(tabs)}
    out = np.zeros((max(n - 1, 0), d, d))
    for i in range(1, n):
        for a, t in enumerate(tabs):
            (r1, c1), (r2, c2) = t[i - 1], t[i]
            dist = (c2 - r2) - (c1 - r1)
            out[i - 1, a, a] = 1.0 / dist
            if abs(dist) > 1:
                swapped = list(t)
                swapped[i - 1], swapped[i] = swapped[i], swapped[i - 1]
                b = index[tuple(swapped)]
                out[i - 1, a, b] = np.sqrt(1.0 - 1.0 / dist**2)
    return out


def adjacent_word(img) -> list[int]:
    """A reduced word ``[i_1, …, i_m]`` with ``g = s_{i_1}·…·s_{i_m}`` (``p·q`` applies ``p`` first)."""
    inv = np.argsort(np.asarray(img))
    inv = inv.tolist()
    swaps = []
    n = len(inv)
    for top in range(n - 1, 0, -1):  # bubble sort of the inverse: each swap of slots (v-1, v) is s_v after g
        for v in range(1, top + 1):
            if inv[v - 1] > inv[v]:
                inv[v - 1], inv[v] = inv[v], inv[v - 1]
                swaps.append(v)
    return swaps[::-1]  # g · s_{u_1} ⋯ s_{u_m} = 1  ⇒  g = s_{u_m} ⋯ s_{u_1}


def _matrix_of(S: np.ndarray, img) -> np.ndarray:
    d = S.shape[1] if S.size else 1
    M = np.eye(d)
    for i in adjacent_word(img):
        M = M @ S[i - 1]
    return M


@dataclass(frozen=True, eq=False)
class YoungIrrep:
    """A certified irrep of ``S_n`` (the full symmetric group on ``n`` points) in Young's orthogonal form.

    Attributes
    ----------
    partition : ``λ``.
    index : row of the group's character table (0-based; users read ``X.{index+1}``).
    adjacent : ``(n − 1, d, d)`` real orthogonal ρ(s_i).
    residuals : the certificate (module docstring).
    """

    partition: tuple
    index: int
    adjacent: np.ndarray = field(repr=False)
    residuals: dict = field(default_factory=dict)
    fs_indicator: int = 1  # every irrep of S_n is real

    @property
    def dim(self) -> int:
        return int(self.adjacent.shape[1]) if self.adjacent.size else 1

    def of_permutation(self, img) -> np.ndarray:
        """``ρ(g)`` ``(d, d)`` for the image array ``img`` on points ``0..n−1``."""
        return _matrix_of(self.adjacent, img)


def _coxeter_residual(S: np.ndarray) -> float:
    m = S.shape[0]
    if m == 0:
        return 0.0
    eye = np.eye(S.shape[1])
    res = 0.0
    for i in range(m):
        res = max(res, float(np.max(np.abs(S[i] @ S[i] - eye))))
        if i + 1 < m:
            P = S[i] @ S[i + 1]
            res = max(res, float(np.max(np.abs(P @ P @ P - eye))))
        for j in range(i + 2, m):
            P = S[i] @ S[j]
            res = max(res, float(np.max(np.abs(P @ P - eye))))
    return res


def young_irreps(G) -> tuple[YoungIrrep, ...]:
    """Certified irreps of ``G`` when ``G`` is the full symmetric group on its points, in table order.

    ``G`` is a :class:`~grokcheck.theory.PermutationGroup` (or anything with
    ``degree``, ``order``, ``elements_array``, ``class_representatives`` and an exact
    ``character_table``). Raises :class:`CertificationError` if a certificate fails.
    """
    import math

    n = G.degree
    if G.order != math.factorial(n):
        raise CertificationError(f"Young's form needs the full symmetric group on {n} points; |G| = {G.order}")
    ct = G.character_table
    reps = G.elements_array[G.class_representatives].astype(np.int64)
    used: dict[int, tuple] = {}
    out = []
    for lam in partitions(n):
        S = young_matrices(lam)
        d = S.shape[1] if S.size else 1
        traces = np.array([np.trace(_matrix_of(S, r)) for r in reps])
        err = np.max(np.abs(ct.values - traces[None, :]), axis=1)
        x = int(np.argmin(err))
        eye = np.eye(d)
        res = {
            "coxeter": _coxeter_residual(S),
            "unitarity": float(max((np.max(np.abs(s @ s.T - eye)) for s in S), default=0.0)),
            "character": float(err[x]),
        }
        bad = {k: v for k, v in res.items() if not v <= CERTIFICATE_TOL}
        if bad or x in used:
            raise CertificationError(f"Young irrep {lam} of S{n}: certificate failed {bad or 'duplicate'}", residuals=res)
        used[x] = lam
        S = S.copy()
        S.flags.writeable = False
        out.append(YoungIrrep(lam, x, S, res))
    out.sort(key=lambda r: r.index)
    return tuple(out)
