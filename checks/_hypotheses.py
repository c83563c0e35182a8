"""Hypotheses shared by several checks, as named predicates with reasons."""

from __future__ import annotations

from grokcheck.checks._registry import Hypothesis

__all__ = ["ABELIAN", "NON_ABELIAN", "ABELIAN_ODD", "CYCLIC", "HAS_QUATERNIONIC", "HAS_NONTRIVIAL_IRREP", "max_order"]


ABELIAN = Hypothesis(
    "G is Abelian",
    lambda ctx: ctx.group.is_abelian,
    lambda ctx: f"{ctx.group} is not Abelian",
)

NON_ABELIAN = Hypothesis(
    "G is non-Abelian",
    lambda ctx: not ctx.group.is_abelian,
    lambda ctx: f"{ctx.group} is Abelian, where the statement is vacuous",
)

ABELIAN_ODD = Hypothesis(
    "G is Abelian of odd order (no self-conjugate non-trivial irreps)",
    lambda ctx: ctx.group.is_abelian and ctx.group.order % 2 == 1,
    lambda ctx: f"{ctx.group} is not Abelian" if not ctx.group.is_abelian else f"|G| = {ctx.group.order} is even",
)

CYCLIC = Hypothesis(
    "G is cyclic (Z_p of the precursor paper)",
    lambda ctx: ctx.group.is_abelian and int(ctx.group.element_orders.max()) == ctx.group.order,
    lambda ctx: f"{ctx.group} is not cyclic",
)

HAS_QUATERNIONIC = Hypothesis(
    "G has a quaternionic irrep (Frobenius–Schur indicator −1)",
    lambda ctx: bool((ctx.group.character_table.fs_indicators == -1).any()),
    lambda ctx: f"{ctx.group} has no irrep with indicator −1",
)

HAS_NONTRIVIAL_IRREP = Hypothesis(
    "|G| > 1",
    lambda ctx: ctx.group.order > 1,
    lambda ctx: "the trivial group has no non-trivial irrep",
)


def max_order(n: int, why: str) -> Hypothesis:
    """|G| ≤ n, for checks whose measurement is only affordable on small groups."""
    return Hypothesis(
        f"|G| ≤ {n} ({why})",
        lambda ctx: ctx.group.order <= n,
        lambda ctx: f"|G| = {ctx.group.order} > {n}",
    )
