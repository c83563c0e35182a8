"""A small group's character table, its names and its values on elements need neither sympy nor scipy.

The replacements (Φ_n in integers, eigenvalue clusters by union-find, the values' sums in numpy) are
checked here against the sympy and scipy computations they replaced: equal, bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from grokcheck.theory._character_table import _clusters, _values_from_multiplicities
from grokcheck.theory._cyclotomic import _cyclotomic_poly


def test_cyclotomic_polynomials_equal_sympys():
    import sympy

    x = sympy.Symbol("x")
    for n in range(1, 401):
        want = tuple(int(c) for c in sympy.Poly(sympy.cyclotomic_poly(n, x), x).all_coeffs())
        assert _cyclotomic_poly(n) == want, n
    with pytest.raises(ValueError, match="positive integers"):
        _cyclotomic_poly.__wrapped__(0)


def _clusters_scipy(lam: np.ndarray, tol: float) -> list[np.ndarray]:
    """Components of |a − b| < tol over *all* pairs (no banded search), by scipy's connected_components."""
    import scipy.sparse
    from scipy.sparse.csgraph import connected_components

    m = len(lam)
    if m <= 1:
        return [np.arange(m)]
    adjacent = np.abs(lam[:, None] - lam[None, :]) < tol
    ncomp, labels = connected_components(scipy.sparse.coo_matrix(adjacent.astype(float)), directed=False)
    return [np.nonzero(labels == i)[0] for i in range(ncomp)]


def _random_points(rng: np.random.Generator, tol: float) -> np.ndarray:
    """Points with clusters, chains (a ~ b, b ~ c, a ≁ c) and isolated points, real or complex, shuffled."""
    m = int(rng.integers(0, 40))
    kind = rng.integers(3)
    if kind == 0:  # real, as the Hermitian splitting steps give them
        pts = rng.choice(rng.standard_normal(max(1, m // 3)), size=m) + rng.uniform(-1.5, 1.5, m) * tol
    elif kind == 1:  # complex clusters of radius ~tol around a few centres
        centres = rng.standard_normal(max(1, m // 4)) + 1j * rng.standard_normal(max(1, m // 4))
        pts = rng.choice(centres, size=m) + (rng.standard_normal(m) + 1j * rng.standard_normal(m)) * tol
    else:  # chains: steps of 0.6·tol along the real axis or a diagonal, so neighbours 2 apart are not close
        step = 0.6 * tol * (1 if rng.random() < 0.5 else np.exp(1j * np.pi / 4))
        starts = rng.standard_normal(max(1, m // 5)) * 10 * tol
        pts = np.concatenate([s + step * np.arange(int(rng.integers(1, 8))) for s in starts])[:m]
    return rng.permutation(np.asarray(pts, dtype=complex))


def test_clusters_equal_the_scipy_components_in_scipys_order():
    rng = np.random.default_rng(0)
    tol = 1e-6
    seen_chain = 0
    for _ in range(400):
        lam = _random_points(rng, tol)
        got, want = _clusters(lam, tol), _clusters_scipy(lam, tol)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and np.array_equal(g, w)
        # a component with two members farther apart than tol: joined through a chain
        seen_chain += any(len(c) > 2 and np.ptp(lam[c].real) > tol for c in want)
    assert seen_chain > 20  # the random sets did exercise transitivity


def test_scipy_labels_components_in_order_of_their_smallest_node():
    import scipy.sparse
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(1)
    for _ in range(200):
        m = int(rng.integers(1, 60))
        e = int(rng.integers(0, 2 * m))
        r, c = rng.integers(0, m, e), rng.integers(0, m, e)
        graph = scipy.sparse.coo_matrix((np.ones(e), (r, c)), shape=(m, m))
        ncomp, labels = connected_components(graph, directed=False)
        smallest = [int(np.nonzero(labels == i)[0][0]) for i in range(ncomp)]
        assert smallest == sorted(smallest)


def _values_scipy(mult):
    """The sparse product ``_values_from_multiplicities`` replaced."""
    import scipy.sparse

    lengths = np.array([m.shape[1] for m in mult])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = np.concatenate([off + np.arange(o) for off, o in zip(offsets, lengths)])
    cols = np.repeat(np.arange(len(mult)), lengths)
    j = rows - np.repeat(offsets, lengths)
    roots = np.exp(2j * np.pi * j / np.repeat(lengths, lengths))
    W = scipy.sparse.csr_matrix((roots, (rows, cols)), shape=(int(lengths.sum()), len(mult)))
    M = np.concatenate(mult, axis=1).astype(float)
    return np.asarray((W.T @ M.T).T)


def test_character_values_are_bit_identical_to_the_sparse_product():
    from grokcheck.theory import group

    rng = np.random.default_rng(2)
    cases = [group(g).character_table.multiplicities for g in ("S5", "A5", "Q8", "D7", "S3xC3")]
    for _ in range(100):  # random multiplicity tables: class orders 1..60, up to 12 characters
        k, nchar = int(rng.integers(1, 10)), int(rng.integers(1, 13))
        cases.append(tuple(rng.integers(0, 50, (nchar, int(o))) for o in [1, *rng.integers(1, 61, k - 1)]))
    for mult in cases:
        got, want = _values_from_multiplicities(tuple(mult)), _values_scipy(tuple(mult))
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


_CODE = """
import json, sys
from grokcheck.theory import FiniteGroup, group
from grokcheck.theory._irrep_names import irrep_names

for name in ("S5", "C113", "D59", "A5", "S6"):
    G = group(name)
    G.character_table.on_elements()
    G.character_table.values
    irrep_names(G, recognition=True)
H = FiniteGroup.from_table(group("D5").table)
H.character_table.on_elements()
irrep_names(H, recognition=True)
table = ["sympy" in sys.modules, "scipy" in sys.modules]
group("S5").irreps
H.irreps
print(json.dumps({"table": table, "irreps": ["sympy" in sys.modules, "scipy" in sys.modules]}))
"""


def test_character_tables_and_names_import_neither_sympy_nor_scipy():
    r = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["table"] == [False, False]
    # the irreps' Cholesky-QR still solves its triangular systems with scipy.linalg (numpy has no
    # triangular solve giving the same bits); sympy stays out
    assert out["irreps"][0] is False
