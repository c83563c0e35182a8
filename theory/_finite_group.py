"""Finite groups as validated multiplication tables.

Conventions
-----------
* Elements are the integers ``0..n-1``; ``table[a, b]`` is the product ``a·b``.
* Permutation input follows GAP and sympy: the product ``p·q`` applies ``p``
  first, then ``q`` (points are images, ``x^(pq) = (x^p)^q``).
* Conjugation is ``g ↦ x⁻¹ g x``; conjugacy classes are listed in a stable order:
  by element order, then class size, then smallest element index. The identity
  class is therefore always first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from grokcheck.errors import GroupInputError, NotAGroupError

__all__ = ["FiniteGroup", "check_cayley_table", "MAX_ORDER"]

#: Largest order grokcheck builds a dense table for (n² int32 entries ≈ 100 MB).
MAX_ORDER = 5040

#: Largest ``order × moved points`` closed from permutation generators for a dense table: the
#: regular representation of a group of order MAX_ORDER (elements are kept as Python tuples).
MAX_PERMUTATION_ENTRIES = MAX_ORDER**2

#: Largest Cayley-table file read (a JSON table of order MAX_ORDER takes about 130 MB).
MAX_FILE_BYTES = 256 * 2**20

# The first bytes of a JSON Cayley table read to find the length of its first row (a row of
# MAX_ORDER labels of a few characters each takes well under this).
_PREFIX_BYTES = 2**22

# Full associativity costs n³ table look-ups; above this we switch to Light's
# test on a generating set, which is exact too (see ``check_cayley_table``).
_FULL_ASSOCIATIVITY_LIMIT = 10**8


def _check_order(n: int, how: str) -> None:
    """Refuse a Cayley table of order ``n > MAX_ORDER`` before reading it further (``how``: where ``n`` comes from)."""
    if n > MAX_ORDER:
        from grokcheck.theory._perm_group import MAX_LARGE_ORDER

        raise GroupInputError(f"the Cayley table has order {n} ({how}), above grokcheck's dense-table limit "
                              f"MAX_ORDER = {MAX_ORDER}: give a smaller group, or a large one (up to MAX_LARGE_ORDER = "
                              f"{MAX_LARGE_ORDER}) by --perms generators (e.g. S8xC2: --perms \"(1,2,3,4,5,6,7,8)\" \"(1,2)\" "
                              "\"(9,10)\") or by name (S8xC2)", text=n)


def _as_table(table) -> np.ndarray:
    """Turn a list of lists / array into a 2-D int64 array, or explain why not."""
    if isinstance(table, np.ndarray):
        arr = np.asarray(table)  # a subclass such as np.matrix becomes a plain array
        if arr.ndim >= 1:
            _check_order(int(arr.shape[0]), f"an array of shape {arr.shape}")
    else:
        if isinstance(table, (str, bytes, dict)) or not hasattr(table, "__iter__"):
            raise NotAGroupError(
                f"a Cayley table must be a list of lists or a 2-D array, got {type(table).__name__}",
                reason="shape",
                witness=None,
            )
        rows = list(table)
        if len(rows) == 0:
            raise NotAGroupError("the Cayley table is empty", reason="shape", witness=(0,))
        _check_order(len(rows), f"{len(rows)} rows")
        lengths = []
        for i, r in enumerate(rows):
            if isinstance(r, (str, bytes, dict)):
                raise NotAGroupError(
                    f"row {i} of the Cayley table is not a list: {r!r}", reason="shape", witness=(i,)
                )
            try:
                lengths.append(len(r))
            except TypeError:
                raise NotAGroupError(
                    f"row {i} of the Cayley table is not a list: {r!r}", reason="shape", witness=(i,)
                ) from None
        n = len(rows)
        for i, length in enumerate(lengths):
            if length != n:
                raise NotAGroupError(
                    f"the Cayley table is not square: it has {n} rows but row {i} has {length} entries",
                    reason="shape",
                    witness=(i, length, n),
                )
        arr = None
        try:
            fast = np.asarray(rows)  # the common case: a list of lists of ints
            if fast.dtype.kind in "iu" and fast.ndim == 2:
                arr = fast
        except (ValueError, TypeError, OverflowError):
            pass
        if arr is None:
            try:
                arr = np.asarray(rows, dtype=object)
            except ValueError as exc:  # pragma: no cover - ragged handled above
                raise NotAGroupError(f"cannot read the Cayley table: {exc}", reason="shape") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise NotAGroupError(
            f"the Cayley table must be a non-empty square n×n array, got shape {arr.shape}",
            reason="shape",
            witness=tuple(arr.shape),
        )
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) >= arr.shape[0]:  # before int64 wraps 2⁶⁴−1 to −1
        i, j = (int(v) for v in np.argwhere(arr >= arr.shape[0])[0])
        raise NotAGroupError(
            f"entry ({i}, {j}) of the Cayley table is {int(arr[i, j])}, outside the element range 0..{arr.shape[0] - 1}",
            reason="range",
            witness=(i, j, int(arr[i, j])),
        )
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    # Accept integral floats / objects, reject anything else with its position.
    out = np.empty(arr.shape, dtype=np.int64)
    for idx, v in np.ndenumerate(arr):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)):
            raise NotAGroupError(
                f"entry {idx} of the Cayley table is {v!r}, expected an element index 0..{arr.shape[0] - 1}",
                reason="range",
                witness=(int(idx[0]), int(idx[1]), v),
            )
        if (isinstance(v, (int, np.integer)) and abs(int(v)) > 2**62) or not np.isfinite(float(v)) \
                or float(v) != int(v) or abs(int(v)) > 2**62:
            raise NotAGroupError(
                f"entry {idx} of the Cayley table is {v!r}, expected an integer element index",
                reason="range",
                witness=(int(idx[0]), int(idx[1]), v),
            )
        out[idx] = int(v)
    return out


def _closure(table: np.ndarray, gens: Iterable[int], identity: int) -> np.ndarray:
    """Boolean mask of the subgroup generated by ``gens`` (breadth-first, O(n·|gens|))."""
    n = table.shape[0]
    gens = list(gens)
    mask = np.zeros(n, dtype=bool)
    mask[identity] = True
    frontier = np.array([identity])
    while frontier.size:
        new = np.unique(table[np.ix_(frontier, gens)].ravel()) if gens else np.array([], dtype=np.int64)
        new = new[~mask[new]]
        mask[new] = True
        frontier = new
    return mask


def _greedy_generators(table: np.ndarray, identity: int, orders: np.ndarray) -> tuple[int, ...]:
    """A small generating set: repeatedly add an element of largest order outside the span."""
    n = table.shape[0]
    gens: list[int] = []
    mask = np.zeros(n, dtype=bool)
    mask[identity] = True
    by_order = np.lexsort((np.arange(n), -orders))
    while not mask.all():
        g = int(next(x for x in by_order if not mask[x]))
        gens.append(g)
        mask = _closure(table, gens, identity)
    return tuple(gens)


def _some(places: list[int], most: int = 8) -> str:
    """``[1, 5, 9]``, or the first ``most`` and how many in all (a witness, not a dump)."""
    if len(places) <= most:
        return str(places)
    return "[" + ", ".join(map(str, places[:most])) + f", … ({len(places)} in all)]"


def check_cayley_table(table) -> np.ndarray:
    """Validate a Cayley table and return it as an ``(n, n)`` int64 array.

    Checks, in order: square shape, entries in ``0..n-1``, Latin square (every
    row and column a permutation), a two-sided identity, associativity. The first
    failure raises :class:`~grokcheck.errors.NotAGroupError` whose ``witness``
    names the culprit. Associativity is checked in full (vectorised) when
    ``n³ ≤ 10⁸``; above that by Light's test on a generating set, which is exact:
    the set of ``s`` with ``(xs)y = x(sy)`` for all ``x, y`` is closed under
    products, so it is everything as soon as it contains generators. A table with
    more than ``MAX_ORDER`` rows is refused first, with
    :class:`~grokcheck.errors.GroupInputError`, before any entry is read.
    """
    t = _as_table(table)
    n = t.shape[0]
    bad = np.argwhere((t < 0) | (t >= n))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise NotAGroupError(
            f"entry ({i}, {j}) of the Cayley table is {int(t[i, j])}, outside the element range 0..{n - 1}",
            reason="range",
            witness=(i, j, int(t[i, j])),
        )
    srt = np.sort(t, axis=1)
    rows_bad = np.nonzero((srt != np.arange(n)).any(axis=1))[0]
    if rows_bad.size:
        i = int(rows_bad[0])
        vals, counts = np.unique(t[i], return_counts=True)
        v = int(vals[counts > 1][0])
        cols = _some([int(c) for c in np.nonzero(t[i] == v)[0]])
        raise NotAGroupError(
            f"the Cayley table is not a Latin square: row {i} repeats the entry {v} (columns {cols})",
            reason="latin",
            witness=("row", i, v),
        )
    srt = np.sort(t, axis=0)
    cols_bad = np.nonzero((srt != np.arange(n)[:, None]).any(axis=0))[0]
    if cols_bad.size:
        j = int(cols_bad[0])
        vals, counts = np.unique(t[:, j], return_counts=True)
        v = int(vals[counts > 1][0])
        rows = _some([int(r) for r in np.nonzero(t[:, j] == v)[0]])
        raise NotAGroupError(
            f"the Cayley table is not a Latin square: column {j} repeats the entry {v} (rows {rows})",
            reason="latin",
            witness=("column", j, v),
        )
    ar = np.arange(n)
    ids = np.nonzero((t == ar).all(axis=1) & (t.T == ar).all(axis=1))[0]
    if ids.size == 0:
        raise NotAGroupError(
            "the Cayley table has no two-sided identity: no element e with e·x = x·e = x for all x",
            reason="identity",
            witness=None,
        )
    e = int(ids[0])
    # Light's test: associativity on a generating set g ((a·g)·c = a·(g·c) for all a, c) is associativity
    # (the g for which it holds are closed under products), O(n²·|gens|) instead of O(n³)
    gens = np.array(_greedy_generators(t, e, np.ones(n, dtype=np.int64)))
    witness = _associativity_witness(t, gens)
    if witness is not None and n**3 <= _FULL_ASSOCIATIVITY_LIMIT:
        witness = _associativity_witness(t, ar)  # the first failing triple in (a, b, c) order, as always reported
    if witness is not None:
        a_, b_, c_ = witness
        ab, bc = int(t[a_, b_]), int(t[b_, c_])
        raise NotAGroupError(
            f"the Cayley table is not associative: for (a, b, c) = ({a_}, {b_}, {c_}), "
            f"(a·b)·c = {ab}·{c_} = {int(t[ab, c_])} but a·(b·c) = {a_}·{bc} = {int(t[a_, bc])}",
            reason="associativity",
            witness=(a_, b_, c_),
        )
    return t


def _associativity_witness(t: np.ndarray, middles: np.ndarray) -> tuple[int, int, int] | None:
    """The first ``(a, b, c)`` with ``b`` in ``middles`` and ``(a·b)·c ≠ a·(b·c)``, or ``None``.

    Chunked over ``a`` to bound memory at ~2e7 entries.
    """
    n = t.shape[0]
    ar = np.arange(n)
    m = middles.size
    if m == 0:  # the trivial group: nothing to check
        return None
    chunk = max(1, int(2e7 // (m * n)))
    tm = t[:, middles]  # a·b for b in middles
    tb = t[middles]  # b·c for b in middles
    for start in range(0, n, chunk):
        a = ar[start : start + chunk]
        diff = t[tm[a]] != t[a][:, tb]  # (ab)c vs a(bc): shape (len(a), m, n)
        if diff.any():
            ia, ib, ic = (int(v) for v in np.argwhere(diff)[0])
            return int(a[ia]), int(middles[ib]), int(ic)
    return None


def _hashable(v):
    """Labels from JSON may be lists (e.g. ``[0, 1]``): compare them as tuples. A label that cannot
    be compared (a JSON object, say) is a :class:`~grokcheck.errors.GroupInputError` naming it."""
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, float) and v != v:
        raise GroupInputError("an element label is NaN, which equals nothing (not even itself): use strings or "
                              "integers as labels", text=v)
    try:
        hash(v)
    except TypeError:
        shown = repr(v) if len(repr(v)) <= 60 else repr(v)[:60] + "…"
        kind = "a JSON object" if isinstance(v, dict) else f"a {type(v).__name__}"
        raise GroupInputError(f"the element label {shown} is {kind}: labels must be strings, numbers, or lists of "
                              "them", text=v) from None
    return v


# _labels_of's answer for a table with a header row (the labels, then the n rows of the table)
_HEADER = object()

# labels a reader takes for the identity; one that is not the identity of the table read from its
# first row is a table whose first row is another element's (see FiniteGroup.from_table)
_IDENTITY_LABELS = ("e", "1", "id", "I", "()", "identity", "E")


def _labels_of(table, elements) -> list | None:
    """The element labels of a labelled table, or ``None`` for a table of indices 0..n-1."""
    if elements is not None:
        if isinstance(elements, (str, bytes, dict)) or not hasattr(elements, "__iter__"):
            raise GroupInputError(f"the element labels must be a list, got {type(elements).__name__}", text=elements)
        labels = [_hashable(e) for e in elements]
        if not labels:
            raise GroupInputError("the list of element labels is empty: a group has at least its identity",
                                  text=elements)
        _check_order(len(labels), f"{len(labels)} element labels")
        if len(set(labels)) != len(labels):
            raise GroupInputError("the element labels are not distinct", text=list(elements)[:20])
        return labels
    if isinstance(table, np.ndarray):
        if table.dtype.kind in "iufb":
            return None
        rows = table.tolist()
    elif isinstance(table, (str, bytes, dict)) or not hasattr(table, "__iter__"):
        return None  # _as_table explains
    else:
        rows = list(table)
    if not rows or isinstance(rows[0], (str, bytes, dict)) or not hasattr(rows[0], "__iter__"):
        return None
    _check_order(len(rows), f"{len(rows)} rows")
    first = list(rows[0])
    # Without an explicit element list only string labels are read as labels; anything else
    # is an element index, validated (and explained) by _as_table.
    if not first or not all(isinstance(v, str) for v in first):
        return None
    labels = list(first)
    _check_order(len(labels), f"its first row has {len(labels)} labels")
    if len(rows) == len(labels) + 1 and all(hasattr(r, "__len__") and len(r) == len(labels) for r in rows[1:]):
        return _HEADER  # n + 1 rows of n: the first row is a header (read by from_table), not an element's row
    if len(set(labels)) != len(labels):
        raise NotAGroupError(
            "the first row of the labelled Cayley table repeats a label, so it cannot list the elements; "
            "give them explicitly: {\"elements\": [...], \"table\": [[...]]}",
            reason="latin",
            witness=("row", 0),
        )
    return labels


def _check_npy_header(path: Path) -> None:
    """Refuse a ``.npy`` file from its header alone: an object array, or a first axis above ``MAX_ORDER``."""
    from numpy.lib import format as npformat

    try:
        with open(path, "rb") as f:
            version = npformat.read_magic(f)
            read = {(1, 0): npformat.read_array_header_1_0, (2, 0): npformat.read_array_header_2_0}.get(version)
            if read is None:
                return  # a newer header version: np.load reads and checks it
            shape, _, dtype = read(f)
    except (ValueError, EOFError, OSError):
        return  # np.load explains what is wrong with the file
    if dtype.hasobject:
        raise GroupInputError(f"{path} holds Python objects (dtype {dtype}); grokcheck reads only plain arrays: save "
                              "an integer array, or the table as JSON", text=str(path))
    if len(shape) >= 1:  # the largest axis: np.load would allocate the whole array before reading it
        _check_order(max(int(v) for v in shape), f"{path.name} holds an array of shape {tuple(shape)}")


def _first_row_length(text: str) -> int | None:
    """The number of entries in the first row of a JSON Cayley table (a list of lists, or an object
    with a ``"table"``), parsing only up to that row; ``None`` when the text is not laid out so
    (the full parser then explains)."""
    dec = json.JSONDecoder()

    def skip(i: int) -> int:  # past JSON whitespace
        while text[i] in " \t\n\r":
            i += 1
        return i

    try:
        i = skip(0)
        if text[i] == "{":  # walk the object's members, parsing the values before "table"
            i = skip(i + 1)
            while True:
                key, i = dec.raw_decode(text, i)
                i = skip(i)
                if text[i] != ":":
                    return None
                i = skip(i + 1)
                if key == "table":
                    break
                _, i = dec.raw_decode(text, i)
                i = skip(i)
                if text[i] != ",":
                    return None
                i = skip(i + 1)
        if text[i] != "[":
            return None
        i = skip(i + 1)
        if text[i] != "[":
            return None
        row, _ = dec.raw_decode(text, i)
    except (ValueError, IndexError, RecursionError):
        return None
    return len(row) if isinstance(row, list) else None


@dataclass(frozen=True, eq=False)
class FiniteGroup:
    """A finite group given by its multiplication table.

    Parameters
    ----------
    table : ``(n, n)`` integer array, ``table[a, b] = a·b``. Stored read-only.
    name : a name in grokcheck's grammar (``"S4"``, ``"C3xC5"``) that rebuilds
        exactly this table, or ``None`` for groups given by table or generators.
    source : a short description of where the group came from (for reports).
    elements : what element ``i`` is, for ``i = 0..n-1``, when known: a GAP cycle
        string for permutation groups and ``Sn``/``An``, a matrix ``[[a, b], [c, d]]``
        for ``SL``/``GL``/``PSL``, the user's label for a labelled Cayley table, a pair
        ``[a, b]`` for a direct product; ``None`` otherwise. JSON-serialisable.

    Build groups with :func:`grokcheck.theory.group` (names),
    :meth:`from_table` or :meth:`from_permutations`; the constructor trusts its
    input and is for internal use.
    """

    table: np.ndarray = field(repr=False)
    name: str | None = None
    source: str = "table"
    elements: tuple | None = field(default=None, repr=False)

    def __post_init__(self):
        t = np.array(self.table, dtype=np.int64, copy=True)
        t.flags.writeable = False
        object.__setattr__(self, "table", t)
        if self.elements is not None:
            els = tuple(self.elements)
            if len(els) != t.shape[0]:
                raise GroupInputError(f"{len(els)} element labels for a group of order {t.shape[0]}", text=els[:10])
            object.__setattr__(self, "elements", els)

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_table(
        cls, table, *, name: str | None = None, validate: bool = True, elements: Sequence | None = None
    ) -> "FiniteGroup":
        """Build a group from a Cayley table (list of lists or array), validating it.

        Entries are element indices ``0..n-1`` (the identity need not be element 0),
        or arbitrary hashable labels (strings, say). With labels, row and column ``i``
        belong to ``elements[i]``; without ``elements``, to the ``i``-th entry of the
        first row (the usual layout, identity first). The labels are kept as
        :attr:`elements`. A first row that is not the identity's is refused when its
        element is not central (no identity); when it is central (``z``), the table
        read this way is the group ``x∘y = z⁻²xy`` on the same labels, which nothing
        can tell apart, so give ``elements`` unless the identity comes first.
        """
        labels = _labels_of(table, elements)
        if labels is _HEADER:  # column labels first, then the rows in that order
            rows = list(table)
            labels, table = list(rows[0]), rows[1:]
            group = cls.from_table(table, name=name, validate=validate, elements=labels)
            return group
        if labels is not None:
            index = {lab: i for i, lab in enumerate(labels)}
            if isinstance(table, (str, bytes, dict)) or not hasattr(table, "__iter__"):
                raise NotAGroupError(f"a Cayley table must be a list of lists or a 2-D array, got "
                                     f"{type(table).__name__}", reason="shape", witness=None)
            rows = list(table)
            _check_order(len(rows), f"{len(rows)} rows")
            ints = []
            for i, r in enumerate(rows):
                if not isinstance(r, (list, tuple, np.ndarray)):  # a string would be read letter by letter
                    raise NotAGroupError(f"row {i} of the Cayley table is not a list: {str(r)[:60]!r}",
                                         reason="shape", witness=(i,))
                row = []
                for j, v in enumerate(r):
                    try:
                        row.append(index[_hashable(v)])
                    except KeyError:
                        raise NotAGroupError(
                            f"entry ({i}, {j}) of the Cayley table is {v!r}, which is not one of the "
                            f"{len(labels)} element labels" + ("" if elements is not None else
                            " (the labels are read from the first row; give the element order explicitly, "
                            "e.g. a JSON object {\"elements\": [...], \"table\": [[...]]})"),
                            reason="range",
                            witness=(i, j, v),
                        ) from None
                ints.append(row)
            try:
                t = check_cayley_table(ints) if validate else np.asarray(ints, dtype=np.int64)
            except NotAGroupError as exc:
                if elements is None and exc.reason == "identity":
                    raise NotAGroupError(
                        f"{exc} — the labels were read from the first row, which makes that row's element "
                        f"({labels[0]!r}) act as a left identity; if the first row is another element's, put the "
                        "identity's row first or give the element order: {\"elements\": [...], \"table\": [[...]]}",
                        reason="identity", witness=exc.witness) from None
                raise
            if elements is None and validate:
                e = labels[0]  # its row is the first row, which is read as the identity's
                named = [lab for lab in labels if lab in _IDENTITY_LABELS]
                if named and e not in named:
                    raise GroupInputError(
                        f"the labels were read from the first row, which makes {labels[0]!r} the identity, but the "
                        f"table also has an element labelled {named[0]!r}: if {named[0]!r} is the identity, its row "
                        "must come first (a labelled table's first row is the identity's, as in a printed Cayley "
                        "table), or give the element order: {\"elements\": [...], \"table\": [[...]]}",
                        text=labels[:20])
            return cls(t, name=name, source="table" if name is None else "name", elements=tuple(labels))
        t = check_cayley_table(table) if validate else np.asarray(table, dtype=np.int64)
        return cls(t, name=name, source="table" if name is None else "name")

    @classmethod
    def from_file(cls, path: str | Path) -> "FiniteGroup":
        """Read a Cayley table from a ``.npy`` file or a JSON file.

        The JSON is either a list of lists or an object ``{"table": [[...]]}``.
        """
        path = Path(path)
        if not path.exists():
            raise GroupInputError(f"no such Cayley-table file: {path}", text=str(path))
        if path.is_dir():
            raise GroupInputError(f"{path} is a directory: give a Cayley-table file (JSON or .npy)", text=str(path))
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise GroupInputError(f"{path} has {size} bytes, above the limit {MAX_FILE_BYTES} for a Cayley table "
                                  f"(order ≤ {MAX_ORDER})", text=str(path))
        if path.suffix == ".npz":
            raise GroupInputError(f"{path} is an .npz archive: save the table alone with numpy.save (.npy) or as "
                                  "JSON", text=str(path))
        if path.suffix == ".npy":
            _check_npy_header(path)
            try:
                data = np.load(path, allow_pickle=False)
            except (ValueError, EOFError, OSError) as exc:
                raise GroupInputError(f"cannot read {path} as a .npy integer array: {exc or 'the file is empty'}",
                                      text=str(path)) from None
            if not isinstance(data, np.ndarray):
                raise GroupInputError(f"{path} does not hold one array", text=str(path))
        else:
            with open(path, "rb") as f:  # a table too large is refused from its first row, before the rest is read
                first = _first_row_length(f.read(_PREFIX_BYTES).decode("utf-8", errors="ignore"))
            if first is not None:
                _check_order(first, f"its first row has {first} entries")
            try:
                data = json.loads(path.read_bytes().decode("utf-8"))
            except UnicodeDecodeError:
                raise GroupInputError(f"{path} is not UTF-8 text: give a JSON list of lists or a .npy array",
                                      text=str(path)) from None
            except RecursionError:
                raise GroupInputError(f"{path} is nested too deeply: a Cayley table is a list of lists",
                                      text=str(path)) from None
            except json.JSONDecodeError as exc:
                raise GroupInputError(f"{path} is not valid JSON: {exc}", text=str(path)) from None
            elements = None
            if isinstance(data, dict):
                if "table" not in data:
                    raise GroupInputError(f"{path}: a JSON object must have a 'table' key", text=str(path))
                elements = data.get("elements")
                if elements is not None and not isinstance(elements, list):
                    raise GroupInputError(f"{path}: 'elements' must be a list of labels", text=str(path))
                data = data["table"]
            if not isinstance(data, list):
                raise GroupInputError(f"{path}: expected a list of lists (the Cayley table)", text=str(path))
            g = cls.from_table(data, elements=elements)
            return cls(g.table, name=None, source=f"cayley:{path.name}", elements=g.elements)
        g = cls.from_table(data)
        return cls(g.table, name=None, source=f"cayley:{path.name}")

    @classmethod
    def from_permutations(cls, generators: Sequence, *, name: str | None = None) -> "FiniteGroup":
        """The group generated by permutations (cycle strings or image arrays).

        Cycle strings use GAP's notation, e.g. ``"(1,2,3)(4,5)"``; image arrays
        list the image of each point ``0..m-1``. See
        :func:`grokcheck.theory.permutation_group_table`. A group of order above ``MAX_ORDER``,
        or with more than ``MAX_PERMUTATION_ENTRIES`` image entries (order × moved points), is
        refused from a lower bound on its order before anything is enumerated.
        """
        from grokcheck.theory._perm_group import check_enumerable
        from grokcheck.theory._permutations import moved_point_generators, permutation_group_table

        gens, _ = moved_point_generators(generators)
        check_enumerable(np.stack(gens), MAX_ORDER, max_entries=MAX_PERMUTATION_ENTRIES, text=generators,
                         limit=f"grokcheck's dense-table limit MAX_ORDER = {MAX_ORDER}")
        table, perms = permutation_group_table(generators, return_elements=True)
        return cls(table, name=name, source="permutations" if name is None else "name", elements=perms)

    # ---------------------------------------------------------- basic data
    @property
    def order(self) -> int:
        """|G|."""
        return int(self.table.shape[0])

    def __len__(self) -> int:
        return self.order

    @cached_property
    def identity(self) -> int:
        ar = np.arange(self.order)
        return int(np.nonzero((self.table == ar).all(axis=1))[0][0])

    @cached_property
    def inverses(self) -> np.ndarray:
        """``(n,)`` array with ``inverses[g] = g⁻¹``."""
        inv = np.argmax(self.table == self.identity, axis=1).astype(np.int64)
        inv.flags.writeable = False
        return inv

    def mul(self, a, b):
        """Product ``a·b`` (broadcasts over integer arrays)."""
        return self.table[a, b]

    def power(self, g, k: int):
        """``g**k`` for an element or an integer array of elements (k may be negative)."""
        g = np.asarray(g)
        if k < 0:
            g, k = self.inverses[g], -k
        result = np.full(g.shape, self.identity, dtype=np.int64)
        base = g.astype(np.int64)
        while k:
            if k & 1:
                result = self.table[result, base]
            base = self.table[base, base]
            k >>= 1
        return result if result.shape else int(result)

    @cached_property
    def element_orders(self) -> np.ndarray:
        """``(n,)`` array of element orders."""
        n = self.order
        ar = np.arange(n)
        orders = np.zeros(n, dtype=np.int64)
        cur = ar.copy()
        for k in range(1, n + 1):
            done = (cur == self.identity) & (orders == 0)
            orders[done] = k
            if (orders > 0).all():
                break
            cur = self.table[cur, ar]
        orders.flags.writeable = False
        return orders

    @cached_property
    def exponent(self) -> int:
        return int(np.lcm.reduce(self.element_orders))

    @cached_property
    def is_abelian(self) -> bool:
        return bool((self.table == self.table.T).all())

    @cached_property
    def generators(self) -> tuple[int, ...]:
        """A small generating set (greedy, largest element orders first)."""
        return _greedy_generators(self.table, self.identity, self.element_orders)

    # ------------------------------------------------------- conjugacy
    @cached_property
    def _classes(self) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        n = self.order
        t, inv = self.table, self.inverses
        ar = np.arange(n)
        label = np.full(n, -1, dtype=np.int64)
        raw: list[np.ndarray] = []
        for g in range(n):
            if label[g] >= 0:
                continue
            members = np.unique(t[t[inv, g], ar])  # x⁻¹ g x for all x
            label[members] = len(raw)
            raw.append(members)
        orders = self.element_orders
        keys = [(int(orders[c[0]]), len(c), int(c[0])) for c in raw]
        perm = sorted(range(len(raw)), key=lambda i: keys[i])
        classes = tuple(raw[i] for i in perm)
        class_of = np.empty(n, dtype=np.int64)
        for i, c in enumerate(classes):
            c.flags.writeable = False
            class_of[c] = i
        class_of.flags.writeable = False
        return classes, class_of

    @property
    def conjugacy_classes(self) -> tuple[np.ndarray, ...]:
        """The conjugacy classes as sorted index arrays, identity class first.

        Order: by element order, then class size, then smallest member.
        """
        return self._classes[0]

    @property
    def class_of(self) -> np.ndarray:
        """``(n,)`` array: the index of each element's conjugacy class."""
        return self._classes[1]

    @property
    def num_classes(self) -> int:
        return len(self.conjugacy_classes)

    @cached_property
    def class_sizes(self) -> np.ndarray:
        s = np.array([len(c) for c in self.conjugacy_classes], dtype=np.int64)
        s.flags.writeable = False
        return s

    @cached_property
    def class_representatives(self) -> np.ndarray:
        """The smallest member of each class."""
        r = np.array([int(c[0]) for c in self.conjugacy_classes], dtype=np.int64)
        r.flags.writeable = False
        return r

    @property
    def class_orders(self) -> np.ndarray:
        """``(k,)`` the element order of each class."""
        return self.element_orders[self.class_representatives]

    @cached_property
    def centralizer_orders(self) -> np.ndarray:
        """``|C_G(g_i)| = |G| / |class i|`` for each class representative."""
        c = self.order // self.class_sizes
        c.flags.writeable = False
        return c

    def centralizer(self, g: int) -> np.ndarray:
        """The elements commuting with ``g``, as a sorted index array."""
        return np.nonzero(self.table[g, :] == self.table[:, g])[0]

    def power_map(self, k: int) -> np.ndarray:
        """``(num_classes,)`` array: the class of ``g_i**k`` for each class ``i``."""
        return self.class_of[self.power(self.class_representatives, k)]

    # ----------------------------------------------------- derived objects
    @cached_property
    def character_table(self):
        """The exact character table (see :class:`~grokcheck.theory.CharacterTable`)."""
        from grokcheck.theory._character_table import compute_character_table

        return compute_character_table(self)

    @cached_property
    def irreps(self):
        """Certified unitary irreps, one per row of :attr:`character_table`."""
        from grokcheck.theory._irreps import compute_irreps

        return compute_irreps(self)

    @cached_property
    def real_irreps(self):
        """Certified real orthogonal irreps, one per orbit ``{ρ, ρ̄}``."""
        from grokcheck.theory._irreps import compute_real_irreps

        return compute_real_irreps(self)

    # ------------------------------------------------------------ relabel
    def relabel(self, perm) -> "FiniteGroup":
        """The same group with element ``g`` renamed ``perm[g]``."""
        perm = np.asarray(perm, dtype=np.int64)
        n = self.order
        if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
            raise GroupInputError(f"relabel needs a permutation of 0..{n - 1}", text=perm)
        new = np.empty_like(self.table)
        new[np.ix_(perm, perm)] = perm[self.table]
        els = None
        if self.elements is not None:
            els = [None] * n
            for g, lab in enumerate(self.elements):
                els[perm[g]] = lab
        return FiniteGroup(new, name=None, source=f"relabelled {self}", elements=els)

    def direct_product(self, other: "FiniteGroup") -> "FiniteGroup":
        """``self × other``; element ``(a, b)`` has index ``a·|other| + b``."""
        n, m = self.order, other.order
        t = (self.table[:, None, :, None] * m + other.table[None, :, None, :]).reshape(n * m, n * m)
        name = f"{self.name}x{other.name}" if self.name and other.name else None
        els = None
        if self.elements is not None and other.elements is not None:
            els = tuple([a, b] for a in self.elements for b in other.elements)
        return FiniteGroup(t, name=name, source="name" if name else "product", elements=els)

    # ------------------------------------------------------------- dunder
    def __eq__(self, other) -> bool:
        return isinstance(other, FiniteGroup) and np.array_equal(self.table, other.table)

    def __hash__(self) -> int:
        return hash((self.order, self.table.tobytes()))

    def __str__(self) -> str:
        return self.name if self.name else f"<group of order {self.order} from {self.source}>"

    def __repr__(self) -> str:
        return f"FiniteGroup({self.name!r}, order={self.order})" if self.name else f"FiniteGroup(order={self.order}, source={self.source!r})"


def cayley_levels(G, gens):
    """Breadth-first levels of the Cayley graph of ``G`` for right multiplication by ``gens``.

    ``G`` is any group with ``order``, ``identity`` and a broadcasting ``mul``. Returns
    ``(parent, via, levels)``: element ``x`` of a level is ``parent[x]·gens[via[x]]``, and
    ``levels`` lists the elements at distance 1, 2, … from the identity (arrays).
    """
    n = G.order
    parent = np.full(n, -1, dtype=np.int64)
    via = np.full(n, -1, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    seen[G.identity] = True
    frontier = np.array([G.identity])
    levels = []
    while frontier.size:
        new_all = []
        for i, s in enumerate(gens):
            img = np.asarray(G.mul(frontier, np.full(frontier.size, s)))
            fresh = ~seen[img]
            new, first = np.unique(img[fresh], return_index=True)
            parent[new] = frontier[fresh][first]
            via[new] = i
            seen[new] = True
            new_all.append(new)
        frontier = np.concatenate(new_all)
        if frontier.size:
            levels.append(frontier)
    return parent, via, levels
