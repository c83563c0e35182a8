"""Hypotheses shared by several checks, as named predicates with reasons."""

from __future__ import annotations

from grokcheck.checks._registry import Hypothesis

__all__ = ["ABELIAN", "NON_ABELIAN", "ABELIAN_ODD", "CYCLIC", "HAS_QUATERNIONIC", "HAS_NONTRIVIAL_IRREP", "DENSE_TABLE",
           "CERTIFIED_IRREPS", "max_order"]


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


DENSE_TABLE = Hypothesis(
    "G has a dense Cayley table (|G| ≤ 5040)",
    lambda ctx: hasattr(ctx.group, "table"),
    lambda ctx: f"{ctx.group} (order {ctx.group.order}) is a permutation group beyond the dense table; only the checks "
                "that need the character table or certified irreps alone run on it",
)


def _irreps_refusal(G) -> str | None:
    """``None`` when G's certified irreps exist (built here, cached on G, beyond the dense table), else why not."""
    if hasattr(G, "table"):
        return None  # dense groups: the certified irreps are always built
    from grokcheck.errors import GroupInputError

    refusal = G.irreps_refusal()  # cheap: from the character table alone
    if refusal:
        return refusal
    try:
        G.irreps  # an irrep outside the point and pair modules is only found by building them
    except GroupInputError as exc:
        return str(exc)
    return None


CERTIFIED_IRREPS = Hypothesis(
    "grokcheck builds certified irreps of G (every group with a dense table; beyond it S_n, or |G|·Σd² ≤ 10⁸ with "
    "every irrep inside the point or pair permutation module)",
    lambda ctx: _irreps_refusal(ctx.group) is None,
    lambda ctx: _irreps_refusal(ctx.group),
)


def max_order(n: int, why: str) -> Hypothesis:
    """|G| ≤ n, for checks whose measurement is only affordable on small groups."""
    return Hypothesis(
        f"|G| ≤ {n} ({why})",
        lambda ctx: ctx.group.order <= n,
        lambda ctx: f"|G| = {ctx.group.order} > {n}",
    )
