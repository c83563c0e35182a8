"""Repairing a predicted multiplication table a few entries off a group, and table isomorphisms."""

from __future__ import annotations

import numpy as np
import pytest

from grokcheck.errors import GroupInputError, NotAGroupError
from grokcheck.theory import find_isomorphism, group, repair_table, table_defects


def _corrupt(table, k, rng):
    t = np.array(table)
    n = t.shape[0]
    cells = rng.choice(n * n, size=k, replace=False)
    for c in cells:
        a, b = divmod(int(c), n)
        t[a, b] = (t[a, b] + 1 + rng.integers(n - 1)) % n  # any other label
    return t, {divmod(int(c), n) for c in cells}


@pytest.mark.parametrize("name,k", [("C12", 1), ("D5", 1), ("Q8", 1), ("S4", 3), ("A5", 9), ("C5xC5", 4), ("SL(2,3)", 3)])
def test_a_few_wrong_entries_are_repaired_exactly_and_counted(name, k):
    G = group(name)
    rng = np.random.default_rng(13)
    t, cells = _corrupt(G.table, k, rng)
    assert table_defects(t) is not None
    rep = repair_table(t)
    assert np.array_equal(rep.table, G.table)
    assert rep.changed == k and {(a, b) for a, b, _, _ in rep.changes} == cells
    assert all(t[a, b] == old and G.table[a, b] == new for a, b, old, new in rep.changes)
    assert not rep.was_group and rep.defect
    js = rep.to_json()
    assert js["entries_changed"] == k and len(js["changes"]) == k


def test_a_group_table_is_returned_unchanged():
    G = group("D4")
    rep = repair_table(G.table)
    assert rep.was_group and rep.changed == 0 and rep.rounds == 0


def test_wrong_entries_in_one_row_are_repaired():
    # several errors in the identity's row: the identity and the inverses must still be read right
    G = group("S4")
    t = np.array(G.table)
    e = G.identity
    for b in (3, 7, 11):
        t[e, b] = (t[e, b] + 5) % 24
    rep = repair_table(t)
    assert np.array_equal(rep.table, G.table) and rep.changed == 3


def test_a_table_far_from_any_group_is_refused():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 12, size=(12, 12))
    with pytest.raises(NotAGroupError):
        repair_table(t)
    G = group("C12")
    t2, _ = _corrupt(G.table, 6, rng)
    with pytest.raises(NotAGroupError, match="max_changes"):  # more than the guaranteed 12 // 6 = 2
        repair_table(t2)
    assert np.array_equal(repair_table(t2, max_changes=6).table, G.table)


@pytest.mark.parametrize("bad", [np.zeros((2, 3), dtype=int), np.full((3, 3), 3), np.zeros((2, 2)) + 0.5])
def test_bad_tables_name_the_problem(bad):
    with pytest.raises(GroupInputError):
        repair_table(bad)


@pytest.mark.parametrize("name", ["C6", "D6", "Q8", "S4", "A5", "C2xC2xC2", "F21"])
def test_isomorphism_to_a_relabelled_copy(name):
    G = group(name)
    H = G.relabel(np.random.default_rng(1).permutation(G.order))
    phi = find_isomorphism(G, H)
    assert phi is not None and np.array_equal(np.sort(phi), np.arange(G.order))
    assert np.array_equal(H.table[np.ix_(phi, phi)], phi[G.table])  # φ(a)φ(b) = φ(ab) everywhere


@pytest.mark.parametrize("a,b", [("C4", "C2xC2"), ("D4", "Q8"), ("C6", "S3"), ("S4", "SL(2,3)"), ("C3xC3", "C9")])
def test_non_isomorphic_groups_of_one_order(a, b):
    assert find_isomorphism(group(a), group(b)) is None
