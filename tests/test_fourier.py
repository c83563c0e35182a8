"""Fourier transform on groups: inversion, Plancherel, convolution order (docs/conventions.md)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _oracles import oracle_group
from grokcheck.errors import GroupInputError
from grokcheck.theory import (
    FiniteGroup,
    convolve,
    fourier_transform,
    inner_product_fourier,
    inverse_fourier_transform,
    irrep_energy,
    orbit_energy,
)

# Float64 sums over |G| ≤ 60 terms of O(1) values: errors ~1e-14; 1e-12 is the bar.
TOL = 1e-12

NAMES = ["S3", "Q8", "A4", "F21", "SL(2,3)", "A5", "D4"]


@given(st.sampled_from(NAMES), st.integers(0, 2**32 - 1))
def test_inversion_and_plancherel(name, seed):
    G = oracle_group(name)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((3, G.order)) + 1j * rng.standard_normal((3, G.order))
    v = rng.standard_normal((3, G.order))
    back = inverse_fourier_transform(G, fourier_transform(G, u))
    assert np.max(np.abs(back - u)) < TOL
    lhs = np.sum(u * np.conj(v), axis=-1)
    assert np.max(np.abs(inner_product_fourier(G, u, v) - lhs)) < TOL * G.order
    e = irrep_energy(G, v)
    assert np.allclose(e.sum(-1), np.sum(v**2, -1) / G.order, atol=TOL)
    assert orbit_energy(G, v).shape == (3, len(G.character_table.orbits))


@given(st.sampled_from(NAMES), st.integers(0, 2**32 - 1))
def test_convolution_order(name, seed):
    G = oracle_group(name)
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(G.order), rng.standard_normal(G.order)
    w = convolve(G, u, v)
    uh, vh, wh = fourier_transform(G, u), fourier_transform(G, v), fourier_transform(G, w)
    for a, b, c in zip(uh, vh, wh):
        assert np.max(np.abs(c - G.order * b @ a)) < TOL * G.order


@pytest.mark.parametrize("name", ["S3", "Q8", "A5", "F21"])
def test_reversed_convolution_order_fails_on_non_abelian(name):
    G = oracle_group(name)
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal(G.order), rng.standard_normal(G.order)
    wh = fourier_transform(G, convolve(G, u, v))
    uh, vh = fourier_transform(G, u), fourier_transform(G, v)
    err = max(np.max(np.abs(c - G.order * a @ b)) for a, b, c in zip(uh, vh, wh))
    assert err > 1e-3  # a wrong order differs at O(1), far above rounding


def test_real_functions_have_conjugate_blocks():
    G = oracle_group("F21")
    nu = np.random.default_rng(1).standard_normal(G.order)
    blocks = fourier_transform(G, nu)
    # for real ν: ν̂[ρ̄] = conj(ν̂[ρ]) up to the basis change between ρ̄ and the dual irrep;
    # basis-free: the singular values agree
    ct = G.character_table
    for i, j in enumerate(ct.dual):
        si = np.linalg.svd(blocks[i], compute_uv=False)
        sj = np.linalg.svd(blocks[j], compute_uv=False)
        assert np.allclose(si, sj, atol=TOL)


def test_quaternionic_blocks_have_paired_singular_values():
    G = oracle_group("Q8")
    nu = np.random.default_rng(2).standard_normal(G.order)
    (q,) = [i for i, f in enumerate(G.character_table.fs_indicators) if f == -1]
    s = np.linalg.svd(fourier_transform(G, nu)[q], compute_uv=False)
    assert abs(s[0] - s[1]) < TOL  # docs/conventions.md: real ν ⇒ equal pairs on ι = −1


def test_batched_shapes_and_errors():
    G = oracle_group("S3")
    nu = np.zeros((2, 5, 6))
    blocks = fourier_transform(G, nu)
    assert [b.shape for b in blocks] == [(2, 5, 1, 1), (2, 5, 1, 1), (2, 5, 2, 2)]
    with pytest.raises(GroupInputError, match="last axis 6"):
        fourier_transform(G, np.zeros(5))


def test_regular_rep_convention_left_action():
    # seed 000's convention [g.x](h) = x(g⁻¹h): translating ν multiplies ν̂ by ρ(g⁻¹)... check
    # (L_g ν)^[ρ] = ν̂[ρ] ρ(g)⁻¹ for the left translate (L_g ν)(h) = ν(g⁻¹h).
    G = FiniteGroup.from_permutations(["(1,2)", "(1,2,3)"])
    nu = np.random.default_rng(3).standard_normal(G.order)
    g = 4
    moved = nu[G.table[G.inverses[g]]]
    for rho, a, b in zip(G.irreps, fourier_transform(G, nu), fourier_transform(G, moved)):
        assert np.allclose(b, a @ rho.matrices[G.inverses[g]], atol=TOL)
