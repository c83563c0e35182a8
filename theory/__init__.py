"""Exact group theory: finite groups, conjugacy classes, character tables, irreps, Fourier."""

from grokcheck.theory._character_table import CharacterTable, compute_character_table
from grokcheck.theory._cyclotomic import Cyclotomic
from grokcheck.theory._energy import (
    StablePointCertificate,
    SymbolicEnergy,
    certify_stable_point,
    exact_stable_point,
    hessian_inertia,
    li2_energy_expression,
    li2_energy_star_exact,
    omega_expression,
    omega_fourier_expression,
    omega_star_exact,
    stable_point_subgroup,
)
from grokcheck.theory._finite_group import MAX_ORDER, FiniteGroup, check_cayley_table
from grokcheck.theory._group_like import GroupLike
from grokcheck.theory._perm_group import MAX_LARGE_ORDER, PermutationGroup, large_group
from grokcheck.theory._matrix_group import matrix_group
from grokcheck.theory._identify import abelian_invariants, identify, isomorphism
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
from grokcheck.theory._irrep_names import (
    IrrepName,
    SymmetricRecognition,
    group_of_permutations,
    irrep_names,
    murnaghan_nakayama,
    recognise_symmetric,
)
from grokcheck.theory._names import group
from grokcheck.theory._table_repair import TableRepair, find_isomorphism, repair_table, table_defects
from grokcheck.theory._permutations import parse_cycles, permutation_group_table

__all__ = [
    "GroupLike",
    "group_of_permutations",
    "large_group",
    "matrix_group",
    "MAX_LARGE_ORDER",
    "PermutationGroup",
    "abelian_invariants",
    "identify",
    "isomorphism",
    "TableRepair",
    "table_defects",
    "SymmetricRecognition",
    "repair_table",
    "recognise_symmetric",
    "murnaghan_nakayama",
    "irrep_names",
    "IrrepName",
    "assert_representation",
    "certify_stable_point",
    "CharacterTable",
    "check_cayley_table",
    "compute_character_table",
    "convolve",
    "Cyclotomic",
    "exact_stable_point",
    "find_isomorphism",
    "FiniteGroup",
    "fourier_transform",
    "group",
    "hessian_inertia",
    "inner_product_fourier",
    "inverse_fourier_transform",
    "Irrep",
    "irrep_energy",
    "is_representation",
    "li2_energy_expression",
    "li2_energy_star_exact",
    "MAX_ORDER",
    "omega_expression",
    "omega_fourier_expression",
    "omega_star_exact",
    "orbit_energy",
    "parse_cycles",
    "permutation_group_table",
    "real_basis_change",
    "RealIrrep",
    "representation_residuals",
    "stable_point_subgroup",
    "StablePointCertificate",
    "SymbolicEnergy",
]
