"""Registered checks: The library's own identities: certified irreps, character-table orthogonality, Frobenius–Schur counts, Fourier inversion and Plancherel."""

from __future__ import annotations

from grokcheck.checks._hypotheses import CERTIFIED_IRREPS, HAS_QUATERNIONIC
from grokcheck.checks._registry import Check
from grokcheck.checks._registry import Tolerance
from grokcheck.checks.claims._representations import _FOURIER_TOL
from grokcheck.checks.claims._representations import _REP_TOL
from grokcheck.checks.claims._representations import _fourier_errors
from grokcheck.checks.claims._representations import _fs_count
from grokcheck.checks.claims._representations import _involutions
from grokcheck.checks.claims._representations import _orthogonality
from grokcheck.checks.claims._representations import _quaternionic_pairs
from grokcheck.checks.claims._representations import _rep_residual

CHECKS = (
    Check(
        id="chartable.frobenius-schur-count",
        claim="Σ_χ ι(χ) χ(1) equals the number of solutions of g² = 1 (Frobenius–Schur count).",
        source="Frobenius–Schur count (Isaacs, Character Theory of Finite Groups, Cor. 4.6)",
        predict=_involutions,
        measure=_fs_count,
        tolerance=Tolerance(0, "integers: exact equality", "equal"),
        table_free=True,
    ),
    Check(
        id="chartable.orthogonality",
        claim="The character table satisfies the row and column orthogonality relations.",
        source="Schur orthogonality relations (Isaacs, Thm 2.13 and 2.18)",
        predict=lambda ctx: 0.0,
        measure=_orthogonality,
        tolerance=Tolerance(1e-10, "exact values evaluated in float64: the residual is ~1e-15·|G| ≪ 1e-10", "at_most"),
        table_free=True,
    ),
    Check(
        id="chartable.sum-of-squares",
        claim="The degrees satisfy Σ d_ρ² = |G| and there are as many irreps as classes.",
        source="Σ d² = |G| and #irreps = #classes (Isaacs, Cor. 2.7 and 2.14)",
        predict=lambda ctx: (ctx.group.order, ctx.group.num_classes),
        measure=lambda ctx: (int((ctx.group.character_table.degrees ** 2).sum()), ctx.group.character_table.num_irreps),
        tolerance=Tolerance(0, "integers: exact equality", "equal"),
        table_free=True,
    ),
    Check(
        id="fourier.identities",
        claim="Fourier inversion, Plancherel, and the convolution rule (u∗v)^ = |G| v̂ û hold.",
        source="Fourier analysis on finite groups with ν̂[ρ] = |G|⁻¹ Σ ν(g) ρ(g⁻¹) (He et al., arXiv 2606.02993, conventions)",
        predict=lambda ctx: 0.0,
        measure=_fourier_errors,
        tolerance=_FOURIER_TOL,
    ),
    Check(
        id="fourier.quaternionic-pairs",
        claim="For real ν the singular values of ν̂ on a quaternionic irrep come in equal pairs.",
        source="Frobenius–Schur: a real vector's Fourier block on a quaternionic irrep commutes with the quaternionic structure",
        predict=lambda ctx: 0.0,
        measure=_quaternionic_pairs,
        tolerance=Tolerance(1e-10, "exactly paired singular values differ only by float64 rounding (~1e-15 relative)", "at_most"),
        hypotheses=(HAS_QUATERNIONIC,),
    ),
    Check(
        id="irreps.certified",
        claim="Every irreducible representation is a unitary homomorphism with the exact table's character; real forms are orthogonal.",
        source="definition of an irreducible unitary representation; its character is the exact table's row",
        predict=lambda ctx: 0.0,
        measure=_rep_residual,
        tolerance=_REP_TOL,
        hypotheses=(CERTIFIED_IRREPS,),
        table_free=True,
    ),
)
