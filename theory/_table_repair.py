"""Repairing a nearly-group multiplication table, and isomorphisms between tables.

A network's argmax predictions on all pairs give an ``(n, n)`` table that is a group table when
the network has learned the operation, and a few entries off when it has almost learned it.
:func:`repair_table` finds the group table agreeing with all but a few entries, by majority vote
over associativity:

for every ``c``, ``a·b = (a·c)·(c⁻¹·b)``, so each entry has ``n`` *votes*
``T[T[a, c], T[c⁻¹, b]]`` (``c = e`` is the entry itself). One wrong entry of ``T`` enters at
most three of the ``n`` votes of any other entry (as ``T[a, c]``, as ``T[c⁻¹, b]`` or as the outer
product: each fixes ``c``), so with ``k`` wrong entries every entry's majority is its true value
as long as ``6k < n`` (and the identity and inverses read from the table are right; they are
read by votes too: the identity fixes the most entries, ``c⁻¹`` is the label with
``c·x = e`` or ``x·c = e`` most often). The vote is
repeated on the corrected table until nothing changes, and the result is validated as a group
(:func:`grokcheck.theory.check_cayley_table`); a table too far from any group is refused.

:func:`find_isomorphism` maps one group table onto another (backtracking over images of a small
generating set, the first generator only up to conjugacy, with element orders and the orders of
products as invariants), so a model's own labels can be matched to a named group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grokcheck.errors import GroupInputError, NotAGroupError

__all__ = ["TableRepair", "repair_table", "table_defects", "find_isomorphism"]


@dataclass(frozen=True, eq=False)
class TableRepair:
    """The outcome of :func:`repair_table`.

    Attributes
    ----------
    original : ``(n, n)`` int, the table given.
    table : ``(n, n)`` int, the repaired group table (equal to ``original`` when it was a group).
    changes : ``((a, b, old, new), …)`` every entry changed, in row-major order.
    defect : the first :class:`~grokcheck.errors.NotAGroupError` message of the original
        table (``None`` when it was a group): the witness of why it is not one.
    rounds : vote rounds used (0 when the table was already a group).
    """

    original: np.ndarray
    table: np.ndarray
    changes: tuple[tuple[int, int, int, int], ...]
    defect: str | None
    rounds: int

    @property
    def changed(self) -> int:
        """The number of entries changed."""
        return len(self.changes)

    @property
    def was_group(self) -> bool:
        return self.defect is None

    def to_json(self) -> dict:
        return {
            "was_group": self.was_group,
            "defect": self.defect,
            "entries_changed": self.changed,
            "changes": [{"left": a, "right": b, "predicted": o, "repaired": n} for a, b, o, n in self.changes],
            "rounds": self.rounds,
        }


def _as_square(table) -> np.ndarray:
    t = np.asarray(table)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] == 0:
        raise GroupInputError(f"a multiplication table must be a non-empty square array, got shape {t.shape}", text=t.shape)
    if not np.issubdtype(t.dtype, np.integer):
        raise GroupInputError(f"a multiplication table must hold integers, got dtype {t.dtype}", text=t.dtype)
    n = t.shape[0]
    if t.min() < 0 or t.max() >= n:
        bad = np.argwhere((t < 0) | (t >= n))[0]
        raise GroupInputError(f"entry {tuple(int(v) for v in bad)} = {int(t[tuple(bad)])} is not a label 0..{n - 1}", text=tuple(bad))
    return t.astype(np.int64)


def table_defects(table) -> str | None:
    """``None`` when ``table`` is a group table, else the message of the first failure."""
    from grokcheck.theory._finite_group import check_cayley_table

    try:
        check_cayley_table(table)
    except NotAGroupError as exc:
        return str(exc)
    return None


def _identity(t: np.ndarray) -> int:
    n = t.shape[0]
    ar = np.arange(n)
    score = (t == ar[None, :]).sum(axis=1) + (t == ar[:, None]).sum(axis=0)
    return int(np.argmax(score))


def _inverses(t: np.ndarray, e: int) -> np.ndarray:
    n = t.shape[0]
    votes = np.zeros((n, n), dtype=np.int64)
    r, c = np.nonzero(t == e)  # t[r, c] = e: c is a right inverse of r, r a left inverse of c
    np.add.at(votes, (r, c), 1)
    np.add.at(votes, (c, r), 1)
    return np.argmax(votes, axis=1)


def _vote_round(t: np.ndarray, sample: int, most: int | None = None) -> np.ndarray | int:
    """One round of the associativity vote; returns the new table.

    Detection uses ``sample`` evenly spaced ``c`` (all of them when ``n ≤ sample``): an entry
    whose value has no strict majority among its sampled votes is re-decided by all ``n`` votes,
    in blocks of rows so that memory stays ``O(n²)`` whatever the number of such entries.
    With ``most``, returns the number of entries to re-decide instead when it exceeds ``most``
    (before any re-deciding: the caller knows the table is too far from a group).
    """
    n = t.shape[0]
    e = _identity(t)
    inv = _inverses(t, e)
    cs_sample = np.unique(np.linspace(0, n - 1, min(n, sample)).round().astype(np.int64))
    agree = np.zeros((n, n), dtype=np.int32)
    for c in cs_sample:
        agree += t.take(t[:, c], axis=0).take(t[inv[c]], axis=1) == t
    a_idx, b_idx = np.nonzero(2 * agree <= cs_sample.size)  # no strict majority for the current value
    if most is not None and a_idx.size > most:
        return int(a_idx.size)
    new = t.copy()
    right = t[inv]  # right[c, b] = t[c⁻¹, b]
    block = max(1, (1 << 22) // n)  # ≤ 4M votes (32 MB of int64) at a time
    cols = np.arange(n)
    for lo in range(0, a_idx.size, block):
        a, b = a_idx[lo:lo + block], b_idx[lo:lo + block]
        votes = np.sort(t[t[a], right[:, b].T], axis=1)  # (m, n): entry m's votes over c, sorted
        # the most frequent vote, the smallest value among equally frequent ones: the longest run of the
        # sorted row, found as the first position where the run length so far is largest
        starts = np.ones(votes.shape, dtype=bool)
        starts[:, 1:] = votes[:, 1:] != votes[:, :-1]
        run = cols - np.maximum.accumulate(np.where(starts, cols, 0), axis=1)
        new[a, b] = votes[np.arange(a.size), np.argmax(run, axis=1)]
    return new


#: ``c`` values used to find the entries to re-decide (all ``n`` when ``n`` is smaller).
VOTE_SAMPLE = 256


def repair_table(table, *, max_rounds: int = 8, max_changes: int | None = None) -> TableRepair:
    """The group table nearest ``table`` by associativity majority vote (see the module docstring).

    Parameters
    ----------
    table : ``(n, n)`` integer array with entries in ``0..n-1``.
    max_rounds : vote rounds before giving up.
    max_changes : refuse (raise) when more entries would change. Default ``max(1, s // 6)`` with
        ``s = min(n, VOTE_SAMPLE)`` votes per entry: up to that many wrong entries every
        majority is guaranteed right; beyond it the vote may still reach a group table, but
        not provably the nearest, so it must be asked for explicitly.

    Returns
    -------
    :class:`TableRepair`.

    Raises
    ------
    NotAGroupError
        when the vote does not reach a group table, or would change more than ``max_changes``
        entries; the message gives the count and the original table's defect.
    GroupInputError
        when ``table`` is not a square integer array of labels.
    """
    t0 = _as_square(table)
    n = t0.shape[0]
    defect = table_defects(t0)
    if defect is None:
        return TableRepair(t0, t0.copy(), (), None, 0)
    limit = max(1, min(n, VOTE_SAMPLE) // 6) if max_changes is None else int(max_changes)
    t = t0
    rounds = 0
    samples = min(n, VOTE_SAMPLE)
    # With k wrong entries each other entry has at most 3k spoiled votes among its sampled ones (see the
    # module docstring), so when the limit is below samples/6 no right entry loses its majority and at most
    # k ≤ limit entries are re-decided: more than that proves the table too far, before the O(m·n) vote.
    most = limit if 6 * limit < samples else None
    for rounds in range(1, max_rounds + 1):
        new = _vote_round(t, VOTE_SAMPLE, most)
        if isinstance(new, int):
            raise NotAGroupError(
                f"the table is not a group ({defect}) and {new} of its {n * n} entries have no majority among their "
                f"{samples} sampled associativity votes: more than the {limit} wrong entries a majority vote is "
                "guaranteed to repair (raise max_changes — --max-repair on the command line — to try anyway)",
                reason="repair", witness=new)
        if np.array_equal(new, t):
            break
        t = new
    diff = np.argwhere(t != t0)
    if diff.shape[0] > limit:
        raise NotAGroupError(
            f"the table is not a group ({defect}) and the nearest group table found differs in {diff.shape[0]} "
            f"of {n * n} entries, more than the {limit} a majority vote is guaranteed to repair (raise max_changes — --max-repair on the command line — to accept it)", reason="repair", witness=int(diff.shape[0]))
    left = table_defects(t)
    if left is not None:
        raise NotAGroupError(f"the table is not a group ({defect}) and the associativity vote did not reach one "
                             f"after {rounds} rounds: {left}", reason="repair", witness=left)
    changes = tuple((int(a), int(b), int(t0[a, b]), int(t[a, b])) for a, b in diff)
    return TableRepair(t0, t, changes, defect, rounds)


# ----------------------------------------------------------------- isomorphisms


def find_isomorphism(G, H) -> np.ndarray | None:
    """An isomorphism ``φ: G → H`` as an array (``φ[g]`` the image of element ``g``), or ``None``.

    ``H.table[φ[a], φ[b]] == φ[G.table[a, b]]`` for all ``a, b``. The same search as
    :func:`grokcheck.theory.isomorphism` (this name is kept for the table-repair API).
    """
    from grokcheck.theory._identify import isomorphism

    if G.order != H.order:
        return None
    if np.array_equal(G.table, H.table):
        return np.arange(G.order)
    return isomorphism(G, H)
