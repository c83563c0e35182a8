"""Hypothesis strategies for finite groups, functions on them and their irreps.

Public API in the style of ``hypothesis.extra``: plural names, keyword-only
arguments, validated when first drawn from (raising
:class:`hypothesis.errors.InvalidArgument`), and built valid rather than
filtered, so that a failing example shrinks towards the smallest group.

>>> from hypothesis import given
>>> from grokcheck.theory.strategies import groups
>>> @given(groups(max_order=24))
... def test_lagrange(G):
...     assert all(G.order % o == 0 for o in G.element_orders)

How :func:`groups` draws
------------------------
A group is a direct product of 1 to 4 named factors (every family of
:func:`grokcheck.theory.group`: ``Cn``, ``Dn``, ``Dicn``, ``Q8``, ``Sn``,
``An``, ``F20``, ``F21``, ``SL(2,p)``, ``GL(2,p)``, ``PSL(2,p)``). The number
of factors is drawn first (fewest first). Each factor is then drawn from the
named factors after which the requested order range and Abelian-ness can
still be met (so nothing is ever rejected), in one of two ways chosen by a
coin: by order (the smallest admissible order first, then the family in the
order of :data:`grokcheck.theory._names.FAMILIES`, cyclic first), or by family
(every family about equally often, then its smallest member first). The
shrinker prefers the by-order branch, so failures shrink towards one factor of
the smallest failing order: ``find(groups(), lambda G: G.order >= 8)`` is
``C8``. With ``relabel=True`` the element labels of some draws are shuffled
by a random permutation (its seed is drawn), so the identity is usually not
element 0; unshuffled draws shrink first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup
from grokcheck.theory._names import FAMILIES, group, named_factors

__all__ = ["groups", "small_groups", "group_functions", "irreps"]

#: Most factors in a direct product drawn by :func:`groups`.
MAX_FACTORS = 4

#: Names :func:`groups` never draws as a factor, each another name of a group it does draw (or of
#: a product of them): so a drawn name reads as the group (no ``S3xC2xD1xC2``, and a shrunk Q8 is
#: ``Q8``, not ``Dic2``). The trivial group ``C1`` is drawn alone only.
DEGENERATE = {
    "S1": "C1", "A1": "C1", "A2": "C1", "S2": "C2", "D1": "C2", "A3": "C3", "D2": "C2xC2", "Dic1": "C4",
    "Dic2": "Q8", "D3": "S3", "SL(2,2)": "S3", "GL(2,2)": "S3", "PSL(2,2)": "S3", "PSL(2,3)": "A4",
}


# ------------------------------------------------------------- validation
def _check_int(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if not lo <= value <= hi:
        raise InvalidArgument(f"{name}={value!r} must lie in [{lo}, {hi}]")
    return int(value)


def _order_bounds(min_order: Any, max_order: Any, top: int) -> tuple[int, int]:
    """``(min_order, max_order)`` checked: integers in ``[1, top]``, the first not above the second."""
    lo = _check_int(min_order, "min_order", 1, top)
    hi = _check_int(max_order, "max_order", 1, top)
    if lo > hi:
        raise InvalidArgument(f"min_order={lo} must not exceed max_order={hi}")
    return lo, hi


def _relabelled(draw, G: FiniteGroup, relabel: bool) -> FiniteGroup:
    """``G``, or with ``relabel`` on some draws ``G`` with its elements shuffled by a drawn seed."""
    if relabel and draw(st.booleans()):
        seed = draw(st.integers(0, 2**32 - 1))
        G = G.relabel(np.random.default_rng(seed).permutation(G.order))
    return G


def _check_group(G: Any, where: str) -> FiniteGroup:
    if not isinstance(G, FiniteGroup):
        raise InvalidArgument(f"{where} needs a FiniteGroup, got {G!r} (build one with grokcheck.theory.group)")
    return G


# ------------------------------------------------------------------ plans
class _Plan:
    """Which factors may come next, given the order range and the Abelian constraint.

    ``reach[c][j]`` is a boolean array over orders ``0..hi``: can a product of
    exactly ``j`` non-trivial named factors have this order? ``c`` is the
    constraint on those ``j`` factors: ``"ab"`` all Abelian, ``"any"``, or
    ``"nonab"`` at least one non-Abelian. ``count[c][j]`` are its prefix sums,
    so "some order in ``[L, U]``" is one subtraction.
    """

    def __init__(self, lo: int, hi: int, abelian: bool | None):
        self.lo, self.hi, self.abelian = lo, hi, abelian
        facts = tuple(f for f in named_factors(hi) if f[0] not in DEGENERATE)
        if abelian:
            facts = tuple(f for f in facts if f[2])
        self.names = np.array([f[0] for f in facts], dtype=object)
        self.orders = np.array([f[1] for f in facts], dtype=np.int64)
        self.is_ab = np.array([f[2] for f in facts], dtype=bool)
        self.families = np.array([f[3] for f in facts], dtype=object)
        nontrivial = self.orders > 1
        ab_orders = np.unique(self.orders[nontrivial & self.is_ab])
        nonab_orders = np.unique(self.orders[nontrivial & ~self.is_ab])
        size = hi + 1

        def times(orders: np.ndarray, prev: np.ndarray) -> np.ndarray:
            out = np.zeros(size, dtype=bool)
            for o in orders.tolist():
                m = hi // o
                out[o : o * m + 1 : o] |= prev[1 : m + 1]
            return out

        one = np.zeros(size, dtype=bool)
        one[1] = True
        reach = {"ab": [one], "any": [one], "nonab": [np.zeros(size, dtype=bool)]}
        for _ in range(MAX_FACTORS):
            ab, any_, nonab = reach["ab"][-1], reach["any"][-1], reach["nonab"][-1]
            reach["ab"].append(times(ab_orders, ab))
            reach["any"].append(times(ab_orders, any_) | times(nonab_orders, any_))
            reach["nonab"].append(times(nonab_orders, any_) | times(ab_orders, nonab))
        self.count = {c: [np.concatenate([[0], np.cumsum(r)]) for r in rs] for c, rs in reach.items()}

    def _exists(self, kind: str, j: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Elementwise: some product of ``j`` factors of this kind has order in ``[lo, hi]``."""
        cnt = self.count[kind][j]
        lo = np.clip(lo, 1, self.hi + 1)
        hi = np.clip(hi, 0, self.hi)
        return (hi >= lo) & (cnt[hi + 1] - cnt[lo] > 0)

    def feasible_counts(self) -> list[int]:
        """Numbers of factors with which some admissible group exists (fewest first)."""
        return [k for k in range(1, MAX_FACTORS + 1) if any(len(c) for _, c in self.choices(k, 0, 1, False))]

    @lru_cache(maxsize=4096)
    def choices(self, k: int, i: int, prod: int, have_nonab: bool) -> tuple[tuple[str, np.ndarray], ...]:
        """The factors that may be the ``i``-th of ``k`` after factors of product ``prod``.

        Returns ``(family, indices)`` pairs, families in :data:`FAMILIES` order and
        indices (into the factor list, so increasing order) non-empty.
        """
        new_prod = prod * self.orders
        remaining = k - i - 1
        lo = -(-self.lo // new_prod)  # ceil
        hi = self.hi // new_prod
        if self.abelian is None or (self.abelian is False and have_nonab):
            ok = self._exists("any", remaining, lo, hi)
        elif self.abelian:
            ok = self._exists("ab", remaining, lo, hi)
        else:  # non-Abelian wanted and not yet present: an Abelian factor leaves it to the others
            ok = np.where(self.is_ab, self._exists("nonab", remaining, lo, hi), self._exists("any", remaining, lo, hi))
        if k > 1:
            ok &= self.orders > 1
        out = []
        for fam in FAMILIES:
            idx = np.nonzero(ok & (self.families == fam))[0]
            if idx.size:
                out.append((fam, idx))
        return tuple(out)


@lru_cache(maxsize=64)
def _plan(lo: int, hi: int, abelian: bool | None) -> _Plan:
    return _Plan(lo, hi, abelian)


# ------------------------------------------------------------- strategies
@st.composite
def _groups(draw, min_order, max_order, abelian, relabel) -> FiniteGroup:
    lo, hi = _order_bounds(min_order, max_order, MAX_ORDER)
    if abelian is not None and not isinstance(abelian, bool):
        raise InvalidArgument(f"abelian={abelian!r} must be None, True or False")
    if not isinstance(relabel, bool):
        raise InvalidArgument(f"relabel={relabel!r} must be True or False")
    plan = _plan(lo, hi, abelian)
    counts = plan.feasible_counts()
    if not counts:
        kind = {None: "", True: "Abelian ", False: "non-Abelian "}[abelian]
        raise InvalidArgument(
            f"no {kind}group that grokcheck can name (products of up to {MAX_FACTORS} named factors) "
            f"has order in [{lo}, {hi}]"
        )
    k = draw(st.sampled_from(counts))
    names, prod, have_nonab = [], 1, False
    for i in range(k):
        choices = plan.choices(k, i, prod, have_nonab)
        assert choices, "internal error: a feasible plan ran out of factors"
        if draw(st.booleans()):  # by family, so that every family is drawn about equally often
            family = draw(st.sampled_from([fam for fam, _ in choices]))
            members = dict(choices)[family]
        else:  # by order, then family; the shrinker prefers this branch
            members = np.sort(np.concatenate([idx for _, idx in choices]))
            orders = np.unique(plan.orders[members])
            order = orders[draw(st.integers(0, orders.size - 1))]
            members = members[plan.orders[members] == order]
        j = int(members[draw(st.integers(0, members.size - 1))])
        names.append(plan.names[j])
        prod *= int(plan.orders[j])
        have_nonab |= not bool(plan.is_ab[j])
    # one spelling per product: factors by order, then family, then name (C2xC2xC3xC3, not C2xA3xC3xC2)
    rank = {fam: i for i, fam in enumerate(FAMILIES)}
    index = {str(n): i for i, n in enumerate(plan.names)}
    names = sorted(names, key=lambda n: (int(plan.orders[index[n]]), rank[plan.families[index[n]]], index[n]))
    return _relabelled(draw, group("x".join(names)), relabel)


def groups(
    *, min_order: int = 1, max_order: int = 64, abelian: bool | None = None, relabel: bool = True
) -> st.SearchStrategy[FiniteGroup]:
    """Finite groups of order in ``[min_order, max_order]``.

    Parameters
    ----------
    min_order, max_order : bounds on ``|G|`` (``1 ≤ min_order ≤ max_order ≤ MAX_ORDER``).
    abelian : ``True`` only Abelian groups, ``False`` only non-Abelian ones,
        ``None`` both.
    relabel : if true, some draws have their element labels shuffled
        (:meth:`FiniteGroup.relabel`), so code cannot rely on the identity
        being element 0 or on the labelling of the named families.

    Draws direct products of 1 to :data:`MAX_FACTORS` named groups (see the
    module docstring) and shrinks towards one factor of the smallest order.
    Raises :class:`~hypothesis.errors.InvalidArgument` at draw time for bad
    arguments or when no such group can be named (e.g. non-Abelian of order 15).
    """
    return _groups(min_order, max_order, abelian, relabel)


@st.composite
def _small_groups(draw, min_order, max_order, relabel) -> FiniteGroup:
    from grokcheck.theory._small_groups import SMALL_GROUP_MAX_ORDER, number_small_groups, small_group

    lo, hi = _order_bounds(min_order, max_order, SMALL_GROUP_MAX_ORDER)
    if not isinstance(relabel, bool):
        raise InvalidArgument(f"relabel={relabel!r} must be True or False")
    n = draw(st.integers(lo, hi))
    return _relabelled(draw, small_group(n, draw(st.integers(1, number_small_groups(n)))), relabel)


def small_groups(*, min_order: int = 1, max_order: int = 32, relabel: bool = True) -> st.SearchStrategy[FiniteGroup]:
    """Every group of order in ``[min_order, max_order]`` (``max_order ≤ 32``), up to isomorphism: GAP's
    ``SmallGroup(n, k)`` built by :func:`grokcheck.theory.small_group`.

    Unlike :func:`groups`, this reaches the groups that no product of named families spells (the Pauli
    group, the semidihedral and modular groups of order 16, most 2-groups of order 32). Draws the order,
    then GAP's index, and shrinks towards ``SmallGroup(1,1)``; ``relabel`` as for :func:`groups`.
    """
    return _small_groups(min_order, max_order, relabel)


_FLOAT_KINDS = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.complex64, np.complex128)}


@st.composite
def _group_functions(draw, G, shape, dtype, min_value, max_value) -> np.ndarray:
    G = _check_group(G, "group_functions")
    try:
        shape = tuple(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),)
    except TypeError:
        raise InvalidArgument(f"shape={shape!r} must be a tuple of non-negative integers") from None
    for s in shape:
        _check_int(s, "every entry of shape", 0, 2**31)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InvalidArgument(f"dtype={dtype!r} is not a numpy dtype") from None
    if dt not in _FLOAT_KINDS:
        raise InvalidArgument(f"dtype={dt} must be a real or complex floating dtype (float16/32/64, complex64/128)")
    for name, v in (("min_value", min_value), ("max_value", max_value)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
            raise InvalidArgument(f"{name}={v!r} must be a finite real number")
    if min_value > max_value:
        raise InvalidArgument(f"min_value={min_value!r} must not exceed max_value={max_value!r}")
    width = 8 * (dt.itemsize // 2 if dt.kind == "c" else dt.itemsize)
    parts = st.floats(min_value, max_value, width=width, allow_nan=False, allow_infinity=False)
    elements = st.builds(complex, parts, parts) if dt.kind == "c" else parts
    return draw(hnp.arrays(dt, shape + (G.order,), elements=elements))


def group_functions(
    G: FiniteGroup, *, shape: tuple[int, ...] = (), dtype=float, min_value: float = -1, max_value: float = 1
) -> st.SearchStrategy[np.ndarray]:
    """Arrays ``(*shape, |G|)`` of finite values: a batch of functions ``G → R`` (or ``C``).

    Entry ``[..., g]`` is the value at element ``g``. For complex dtypes the real
    and imaginary parts each lie in ``[min_value, max_value]``.
    """
    return _group_functions(G, shape, dtype, min_value, max_value)


@st.composite
def _irreps(draw, G):
    G = _check_group(G, "irreps")
    return draw(st.sampled_from(G.irreps))


def irreps(G: FiniteGroup) -> st.SearchStrategy:
    """One of ``G.irreps`` (certified unitary irreps); shrinks towards the trivial irrep."""
    return _irreps(G)
