"""The public hypothesis strategies: valid draws, argument validation, shrinking."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from grokcheck.theory import MAX_ORDER, FiniteGroup, check_cayley_table
from grokcheck.theory._names import group
from grokcheck.theory.strategies import group_functions, groups, irreps

# Deterministic searches for `find`: no example database, derandomized, no (slow) explain phase.
FIND = settings(
    database=None,
    derandomize=True,
    max_examples=500,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


DRAW_ONE = settings(database=None, derandomize=True, max_examples=1, phases=[Phase.generate])


def _first(strategy):
    """Draw once, no shrinking (argument validation happens at draw time)."""
    return find(strategy, lambda _: True, settings=DRAW_ONE)


@given(groups())
def test_default_draws_are_valid_groups(G):
    assert isinstance(G, FiniteGroup)
    assert 1 <= G.order <= 64
    np.testing.assert_array_equal(check_cayley_table(G.table), G.table)


@pytest.mark.parametrize(
    "lo, hi, abelian",
    [(1, 1, None), (2, 12, True), (6, 30, False), (20, 64, None), (60, 64, False), (63, 63, False),
     (100, 200, None), (16, 16, True), (120, 120, False)],
)  # fmt: skip
def test_order_range_and_abelianness_are_respected(lo, hi, abelian):
    @settings(max_examples=15)
    @given(groups(min_order=lo, max_order=hi, abelian=abelian))
    def check(G):
        assert lo <= G.order <= hi
        if abelian is not None:
            assert G.is_abelian == abelian

    check()


@given(groups(max_order=40, relabel=False))
def test_unrelabelled_draws_are_named_and_round_trip(G):
    assert G.identity == 0
    assert group(str(G)) == G


def test_relabelled_groups_are_drawn():
    G = find(groups(min_order=2), lambda G: G.identity != 0, settings=FIND)
    assert G.name is None and G.identity != 0
    np.testing.assert_array_equal(check_cayley_table(G.table), G.table)


FAMILY_PATTERNS = {
    "cyclic": r"C\d+", "dihedral": r"D\d+", "dicyclic": r"Dic\d+", "quaternion": r"Q8", "symmetric": r"S\d+",
    "alternating": r"A\d+", "F20": r"F20", "F21": r"F21", "SL": r"SL\(2,\d+\)", "GL": r"GL\(2,\d+\)",
    "PSL": r"PSL\(2,\d+\)",
}  # fmt: skip


def test_every_family_is_drawn():
    """Families are drawn about equally often, so 200 draws up to order 64 meet all of them."""
    patterns = {fam: re.compile(pat) for fam, pat in FAMILY_PATTERNS.items()}
    seen = set()

    @settings(max_examples=200, database=None)
    @given(groups(max_order=64, relabel=False))
    def collect(G):
        for factor in G.name.split("x"):
            seen.update(fam for fam, pat in patterns.items() if pat.fullmatch(factor))

    collect()
    assert seen == set(patterns)


def test_products_can_be_drawn():
    G = find(groups(relabel=False), lambda G: G.name.count("x") == 3, settings=FIND)
    assert G.order <= 64 and G.order == 16  # four non-trivial factors: the smallest is C2xC2xC2xC2


def test_shrinks_to_small_groups():
    # A monotone failure (order ≥ 8) shrinks to the smallest order exactly.
    assert find(groups(), lambda G: G.order >= 8, settings=FIND).order == 8
    # "Fails on non-Abelian groups" shrinks to a smallest non-Abelian group (S3 ≅ D3, order 6) or close.
    assert find(groups(), lambda G: not G.is_abelian, settings=FIND).order <= 8
    # With no failure condition the minimal draw sits at the bottom of the requested range.
    assert _first_shrunk(groups(min_order=100, max_order=200, abelian=False)).order == 100


def _first_shrunk(strategy):
    return find(strategy, lambda _: True, settings=FIND)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(min_order=0), "min_order=0"),
        (dict(max_order=MAX_ORDER + 1), "max_order"),
        (dict(min_order=10, max_order=5), "must not exceed"),
        (dict(min_order=1.5), "must be an integer"),
        (dict(max_order=True), "must be an integer"),
        (dict(abelian="yes"), "abelian"),
        (dict(abelian=1), "abelian"),
        (dict(relabel=None), "relabel"),
        (dict(min_order=15, max_order=15, abelian=False), "no non-Abelian group"),  # every group of order 15 is cyclic
        (dict(min_order=2, max_order=5, abelian=False), "no non-Abelian group"),
    ],
)  # fmt: skip
def test_groups_validates_arguments_at_draw_time(kwargs, fragment):
    strategy = groups(**kwargs)  # building the strategy never raises
    with pytest.raises(InvalidArgument, match=fragment):
        _first(strategy)


def test_groups_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        groups(1, 64)  # type: ignore[misc]


# ------------------------------------------------------------ functions
@given(st.data())
def test_group_functions_shape_dtype_and_bounds(data):
    G = data.draw(groups(max_order=24))
    shape = data.draw(st.sampled_from([(), (3,), (2, 2)]))
    dtype = data.draw(st.sampled_from([np.float64, np.float32, np.complex128]))
    x = data.draw(group_functions(G, shape=shape, dtype=dtype, min_value=-2, max_value=3))
    assert x.shape == shape + (G.order,) and x.dtype == np.dtype(dtype)
    assert np.isfinite(x).all()
    parts = [x.real, x.imag] if np.iscomplexobj(x) else [x]
    for part in parts:
        assert part.min(initial=-2) >= -2 and part.max(initial=3) <= 3


def test_group_functions_default_is_real_vector():
    G = group("S3")
    x = _first(group_functions(G))
    assert x.shape == (6,) and x.dtype == np.float64


@pytest.mark.parametrize(
    "args, kwargs, fragment",
    [
        (("S3",), {}, "needs a FiniteGroup"),
        ((None,), {}, "needs a FiniteGroup"),
        ((group("C3"),), dict(dtype=int), "floating dtype"),
        ((group("C3"),), dict(dtype="not a dtype"), "numpy dtype"),
        ((group("C3"),), dict(min_value=1, max_value=0), "must not exceed"),
        ((group("C3"),), dict(min_value=float("nan")), "finite"),
        ((group("C3"),), dict(max_value=float("inf")), "finite"),
        ((group("C3"),), dict(shape=(-1,)), "shape"),
        ((group("C3"),), dict(shape=None), "shape"),
    ],
)
def test_group_functions_validates_arguments(args, kwargs, fragment):
    with pytest.raises(InvalidArgument, match=fragment):
        _first(group_functions(*args, **kwargs))


# ---------------------------------------------------------------- irreps
def test_irreps_validates_group():
    with pytest.raises(InvalidArgument, match="needs a FiniteGroup"):
        _first(irreps("S3"))


@given(st.data())
def test_irreps_draws_certified_irreps_of_the_group(data):
    pytest.importorskip("grokcheck.theory._irreps", reason="G.irreps has not landed yet")
    G = data.draw(groups(max_order=24))
    rho = data.draw(irreps(G))
    assert any(rho is r for r in G.irreps)
    # ρ(g)ρ(h) = ρ(gh) on the whole table; 1e-10 is the certification tolerance of the contract.
    lhs = np.einsum("gij,hjk->ghik", rho.matrices, rho.matrices)
    np.testing.assert_allclose(lhs, rho.matrices[G.table], atol=1e-10)


def test_irreps_shrink_to_the_trivial_irrep():
    pytest.importorskip("grokcheck.theory._irreps", reason="G.irreps has not landed yet")
    G = group("S4")
    rho = _first_shrunk(irreps(G))
    assert rho.dim == 1 and np.allclose(rho.character, 1)  # exact ±1 entries; allclose only absorbs 0.0j


def test_drawn_names_have_no_degenerate_factors_and_one_spelling():
    from hypothesis import HealthCheck, given, settings

    from grokcheck.theory.strategies import DEGENERATE

    seen = []

    @settings(max_examples=150, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(groups(max_order=48, relabel=False))
    def draw(G):
        seen.append(str(G))

    draw()
    for name in seen:
        factors = name.split("x")
        assert not set(factors) & set(DEGENERATE), name
        assert len(factors) == 1 or "C1" not in factors, name
        assert group("x".join(factors)).order == group(name).order
    # Q8 shrinks as Q8
    assert str(find(groups(relabel=False), lambda G: G.order == 8 and not G.is_abelian and
                    all(o != 2 or c == 1 for o, c in zip(*np.unique(G.element_orders, return_counts=True))),
                    settings=FIND)) == "Q8"
