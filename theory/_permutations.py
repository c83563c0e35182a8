"""Permutation groups: parse generators, close them, and build the Cayley table.

Conventions
-----------
Cycle strings use GAP's notation: ``"(1,2,3)(4,5)"``; points are non-negative
integers (at most :data:`MAX_POINT`) and the identity is ``"()"``. Points may also be
separated by spaces, as in printed mathematics: ``"(1 2 3)"`` is ``"(1,2,3)"``. Image arrays list the image of each point
``0..m-1``. Products follow GAP and sympy: ``p·q`` applies ``p`` first.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from grokcheck.errors import GroupInputError

__all__ = ["parse_cycles", "permutation_group_table", "MAX_POINT"]

_CYCLE_RE = re.compile(r"\(([^()]*)\)")
_SEP_RE = re.compile(r"\s*,\s*|\s+")

#: Largest point accepted in a cycle string: an image array of this length is 8 MB. Points
#: that no generator moves are dropped before the group is closed, so large labels are cheap.
MAX_POINT = 10**6


def parse_cycles(text: str, degree: int | None = None) -> np.ndarray:
    """Parse a product of disjoint or overlapping cycles into an image array.

    Cycles are applied left to right, as in GAP: ``"(1,2)(2,3)"`` maps 1→2→3.
    Returns an int64 array ``img`` with ``img[x]`` the image of point ``x``.
    """
    if not isinstance(text, str):
        raise GroupInputError(f"a cycle string was expected, got {text!r}", text=text)
    s = re.sub(r"\s*([(),])\s*", r"\1", text.strip())  # spaces around brackets and commas mean nothing
    if s == "" or s == "()":
        return np.arange(degree or 1, dtype=np.int64)
    pos = 0
    cycles: list[list[int]] = []
    for m in _CYCLE_RE.finditer(s):
        if m.start() != pos:
            raise GroupInputError(
                f"malformed cycle string {text!r}: unexpected {s[pos:m.start()]!r} at position {pos}; "
                "expected cycles like '(1,2,3)(4,5)'",
                text=text,
            )
        body = m.group(1)
        if body == "":
            cycles.append([])
        else:
            parts = _SEP_RE.split(body.strip())  # "1,2,3" or "1 2 3"
            big = next((p for p in parts if len(p) > 7 and p.isdigit()), None)
            if big is not None:  # checked before int(), which refuses 4300+ digits with a ValueError
                raise GroupInputError(
                    f"point {big[:12]}{'…' if len(big) > 12 else ''} in {text[:60]!r} is above grokcheck's "
                    f"limit MAX_POINT = {MAX_POINT}: relabel the points 1..n",
                    text=text,
                )
            try:
                pts = [int(p) for p in parts]
            except ValueError:
                raise GroupInputError(
                    f"malformed cycle {m.group(0)[:60]!r} in {text[:60]!r}: points must be non-negative integers "
                    "separated by commas (or spaces)",
                    text=text,
                ) from None
            if any(p > MAX_POINT for p in pts):
                raise GroupInputError(
                    f"point {max(pts)} in {text[:60]!r} is above grokcheck's limit MAX_POINT = {MAX_POINT}: relabel "
                    "the points 1..n",
                    text=text,
                )
            if any(p < 0 for p in pts):
                raise GroupInputError(f"negative point in cycle {m.group(0)!r} of {text!r}", text=text)
            if len(set(pts)) != len(pts):
                raise GroupInputError(f"cycle {m.group(0)!r} in {text!r} repeats a point", text=text)
            cycles.append(pts)
        pos = m.end()
    if pos != len(s):
        raise GroupInputError(
            f"malformed cycle string {text!r}: trailing {s[pos:]!r}; expected cycles like '(1,2,3)(4,5)'",
            text=text,
        )
    top = max([p for c in cycles for p in c], default=0) + 1
    deg = max(top, degree or 0)
    img = np.arange(deg, dtype=np.int64)
    for c in cycles:
        if len(c) < 2:
            continue
        step = np.arange(deg, dtype=np.int64)
        for a, b in zip(c, c[1:] + c[:1]):
            step[a] = b
        img = step[img]  # apply earlier cycles first, then this one
    return img


def _as_images(gen, degree: int | None) -> np.ndarray:
    if isinstance(gen, str):
        return parse_cycles(gen, degree)
    try:
        arr = np.asarray(gen)
    except Exception:  # pragma: no cover - numpy raises many types here
        raise GroupInputError(f"cannot read permutation {gen!r}", text=gen) from None
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise GroupInputError(
            f"a permutation must be a cycle string or a 1-D integer image array, got {gen!r}", text=gen
        )
    n = arr.size
    if not np.array_equal(np.sort(arr), np.arange(n)):
        raise GroupInputError(f"{arr.tolist()} is not a permutation of 0..{n - 1}", text=gen)
    return arr.astype(np.int64)


def cycle_string(img, *, offset: int = 0, points=None) -> str:
    """GAP's cycle notation for the image array ``img``; ``"()"`` for the identity.

    Point ``x`` is printed as ``points[x]`` if given, else ``x + offset``. Each cycle
    starts at its smallest point, cycles in increasing order of that point, fixed
    points omitted, as GAP prints permutations.
    """
    img = [int(v) for v in img]
    if points is not None:
        offset = 0
    seen = [False] * len(img)
    parts = []
    for start in range(len(img)):
        if seen[start] or img[start] == start:
            seen[start] = True
            continue
        cyc, x = [], start
        while not seen[x]:
            seen[x] = True
            cyc.append(int(points[x]) if points is not None else x + offset)
            x = img[x]
        parts.append("(" + ",".join(map(str, cyc)) + ")")
    return "".join(parts) or "()"


def moved_point_generators(generators) -> tuple[list[np.ndarray], np.ndarray]:
    """Generators as image arrays on the points some generator moves, relabelled ``0..m-1``.

    Returns ``(gens, point_of)``: ``gens[i]`` is an ``(m,)`` image array and ``point_of[k]`` the
    input's point that new point ``k`` stands for. The group is the same, and a label such as
    ``(1,99999)`` costs nothing; the identity group keeps one point.
    """
    if isinstance(generators, (str, bytes)) or not hasattr(generators, "__iter__"):
        generators = [generators]
    gens = [_as_images(g, None) for g in generators]
    if not gens:
        raise GroupInputError("at least one permutation generator is needed", text=generators)
    deg = max(g.size for g in gens)
    gens = [np.concatenate([g, np.arange(g.size, deg)]) for g in gens]
    moved = np.flatnonzero(np.any(np.stack(gens) != np.arange(deg), axis=0))
    if moved.size == 0:
        return [np.zeros(1, dtype=np.int64) for _ in gens], np.zeros(1, dtype=np.int64)
    if moved.size < deg:
        relabel = np.full(deg, -1, dtype=np.int64)
        relabel[moved] = np.arange(moved.size)
        gens = [relabel[g[moved]] for g in gens]
    return gens, moved


def permutation_group_table(generators: Sequence, *, max_order: int | None = None, return_elements: bool = False):
    """Close permutation generators and return the Cayley table of the group.

    The order is first computed by Schreier–Sims (``sympy.combinatorics``), so a
    group too large for a dense table is refused before any enumeration. Elements
    are then enumerated breadth-first from the identity (element 0), and the table
    is filled column by column along a spanning tree of the Cayley graph:
    ``t[:, j·s] = R_s[t[:, j]]`` with ``R_s`` right multiplication by a generator.

    With ``return_elements``, returns ``(table, elements)`` where ``elements[i]`` is
    element ``i`` as a GAP cycle string on the input's points.
    """
    from sympy.combinatorics import Permutation, PermutationGroup

    from grokcheck.theory._finite_group import MAX_ORDER

    max_order = MAX_ORDER if max_order is None else max_order
    gens, point_of = moved_point_generators(generators)
    deg = int(gens[0].size)
    order = int(PermutationGroup([Permutation(g.tolist()) for g in gens]).order())
    if order > max_order:
        raise GroupInputError(
            f"the permutation group has order {order}, above grokcheck's dense-table limit {max_order}",
            text=generators,
        )
    # Breadth-first enumeration; elements as image tuples. Product p·q = q[p].
    ident = tuple(range(deg))
    elems = [np.arange(deg, dtype=np.int64)]
    index = {ident: 0}
    parent = [(-1, -1)]  # (parent element, generator) with elem = parent·gen
    head = 0
    while head < len(elems):
        p = elems[head]
        for gi, g in enumerate(gens):
            q = g[p]
            key = tuple(q.tolist())
            if key not in index:
                index[key] = len(elems)
                elems.append(q)
                parent.append((head, gi))
        head += 1
    n = len(elems)
    if n != order:  # pragma: no cover - would be a bug in one of the two algorithms
        raise AssertionError(f"enumeration found {n} elements, Schreier–Sims says {order}")
    # Right multiplication by each generator as an index map.
    right = np.empty((len(gens), n), dtype=np.int64)
    for gi, g in enumerate(gens):
        for i, p in enumerate(elems):
            right[gi, i] = index[tuple(g[p].tolist())]
    table = np.empty((n, n), dtype=np.int64)
    table[:, 0] = np.arange(n)
    for j in range(1, n):
        pj, gi = parent[j]
        table[:, j] = right[gi, table[:, pj]]  # x·j = (x·parent)·gen
    if return_elements:
        return table, tuple(cycle_string(p, points=point_of) for p in elems)
    return table
