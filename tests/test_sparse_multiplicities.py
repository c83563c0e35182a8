"""Eigenvalue multiplicities stored by their nonzero entries give back every dense array, row,
reordering, conjugate and value the dense arrays give, and keep a large table small."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from grokcheck.theory import group
from grokcheck.theory._character_table import SparseMultiplicities, _values_from_multiplicities
from grokcheck.theory.strategies import small_groups


def _dense(ct):
    return [np.array(ct.multiplicities[c]) for c in range(len(ct.multiplicities))]


def _dense_dual(dense):
    """χ̄ by the whole pattern, read from the dense arrays (ζ^j ↦ ζ^{-j})."""
    mine = np.concatenate(dense, axis=1)
    conj = np.concatenate([m[:, (-np.arange(m.shape[1])) % m.shape[1]] for m in dense], axis=1)
    keys = {mine[x].tobytes(): x for x in range(mine.shape[0])}
    return np.array([keys[conj[x].tobytes()] for x in range(mine.shape[0])])


@settings(max_examples=30, deadline=None)
@given(G=small_groups(max_order=32), seed=st.integers(0, 2**31 - 1))
def test_sparse_multiplicities_give_back_the_dense_arrays(G, seed):
    ct = G.character_table
    dense = _dense(ct)
    sp = SparseMultiplicities.from_dense(iter(dense))  # an iterator: read once, class by class
    k = dense[0].shape[0]
    assert len(sp) == len(dense) and sp.num_characters == k
    for c, m in enumerate(dense):
        assert np.array_equal(sp[c], m) and not sp[c].flags.writeable
        for x in range(k):
            assert np.array_equal(sp.character_row(c, x), m[x])
    assert np.array_equal(sp[-1], dense[-1]) and [a.shape for a in sp[1:3]] == [m.shape for m in dense[1:3]]
    order = np.random.default_rng(seed).permutation(k)
    re = sp.reorder(order)
    assert all(np.array_equal(re[c], m[order]) for c, m in enumerate(dense))
    keys, conj = sp.pattern_keys(), sp.pattern_keys(conjugate=True)
    assert len(set(keys)) == k  # distinct characters, distinct patterns
    assert np.array_equal([keys.index(key) for key in conj], _dense_dual(dense))
    # values: Σ_j m_j ζ^j over the nonzero j, bit for bit the dense sum over every j from +0
    dense_vals = np.zeros((k, len(dense)), dtype=complex)
    for c, m in enumerate(dense):
        roots = np.exp(2j * np.pi * np.arange(m.shape[1]) / m.shape[1])
        re_, im_ = np.zeros(k), np.zeros(k)
        for j in range(m.shape[1]):
            re_ += roots.real[j] * m[:, j].astype(float)
            im_ += roots.imag[j] * m[:, j].astype(float)
        dense_vals[:, c] = re_ + 1j * im_
    assert np.array_equal(_values_from_multiplicities(sp), dense_vals)
    assert np.array_equal(_values_from_multiplicities(tuple(dense)), dense_vals)


def test_a_table_with_many_classes_of_large_order_stays_small():
    G = group("D250xC3")  # 384 classes, elements of order up to 750: 0.4 GB as dense int64 arrays
    mult = G.character_table.multiplicities
    dense_bytes = 8 * mult.num_characters * int(mult.orders.sum())
    stored = sum(a.nbytes for a in (mult.row, mult.col, mult.val))
    assert dense_bytes > 3e8 and stored < dense_bytes / 50  # 0.42 GB against 7 MB
    assert np.array_equal(G.character_table.degrees[:4], [1, 1, 1, 1])  # 12 linear characters first
    assert int((G.character_table.degrees ** 2).sum()) == G.order


@settings(max_examples=20, deadline=None)
@given(G=small_groups(max_order=32))
def test_value_table_from_the_nonzeros_names_the_values_the_dense_arrays_name(G):
    from grokcheck.theory._character_table import CharacterTable

    ct = G.character_table
    if not isinstance(ct.multiplicities, SparseMultiplicities):  # Abelian: the exponents' own route
        return
    ids, keys = ct.value_table()
    ids_d, keys_d = CharacterTable(G, tuple(_dense(ct))).value_table()
    assert [keys[i] for i in ids.ravel()] == [keys_d[i] for i in ids_d.ravel()]
    assert len(keys) == len(set(keys))  # one key per distinct value
