"""Exact group theory: finite groups, conjugacy classes, character tables, irreps, Fourier."""

from grokcheck.theory._character_table import CharacterTable, compute_character_table
from grokcheck.theory._cyclotomic import Cyclotomic
from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup, check_cayley_table
from grokcheck.theory._fourier import (
    convolve,
    fourier_transform,
    inner_product_fourier,
    inverse_fourier_transform,
    irrep_energy,
    orbit_energy,
)
from grokcheck.theory._irreps import (
    Irrep,
    RealIrrep,
    assert_representation,
    is_representation,
    real_basis_change,
    representation_residuals,
)
from grokcheck.theory._names import group
from grokcheck.theory._permutations import parse_cycles, permutation_group_table

__all__ = [
    "Irrep",
    "RealIrrep",
    "assert_representation",
    "convolve",
    "fourier_transform",
    "group",
    "inner_product_fourier",
    "inverse_fourier_transform",
    "irrep_energy",
    "is_representation",
    "orbit_energy",
    "real_basis_change",
    "representation_residuals",
    "MAX_ORDER",
    "CharacterTable",
    "Cyclotomic",
    "FiniteGroup",
    "check_cayley_table",
    "compute_character_table",
    "parse_cycles",
    "permutation_group_table",
]
