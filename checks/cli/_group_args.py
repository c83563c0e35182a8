"""Shared command-line arguments for naming a group: NAME, --perms, --cayley, or --matrices with --field."""

from __future__ import annotations

import argparse

from grokcheck.errors import GroupInputError

__all__ = ["add_group_arguments", "group_from_args"]


def add_group_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("group", nargs="?", help="a group name such as S4, D5, C3xC5, SL(2,3), C8:C2[3], S8xC2")
    parser.add_argument("--perms", nargs="+", metavar="CYCLES", help='permutation generators, e.g. "(1,2)(3,4)" "(1,2,3)"')
    parser.add_argument("--cayley", metavar="FILE", help="a Cayley table as JSON (list of lists) or .npy")
    parser.add_argument("--matrices", nargs="+", metavar="MATRIX",
                        help='invertible generator matrices over GF(p) as JSON rows, e.g. "[[1,1],[0,1]]" "[[0,1],[-1,0]]" '
                             "(with --field p; the group acts on the non-zero row vectors, v -> v·M)")
    parser.add_argument("--field", type=int, metavar="P", help="the prime p of --matrices (GF(p))")


def group_from_args(args: argparse.Namespace, *, large: bool = False):
    """The group the arguments name; with ``large``, a group above the dense-table limit
    (``--perms``, ``--matrices``, or any name of the grammar, products such as ``S8xC2`` included)
    comes back as a :class:`~grokcheck.theory.PermutationGroup` instead of being refused."""
    from grokcheck.theory import MAX_ORDER, FiniteGroup

    matrices = getattr(args, "matrices", None)
    field = getattr(args, "field", None)
    given = [x for x in (args.group, args.perms, args.cayley, matrices) if x]
    if len(given) != 1:
        raise GroupInputError("give exactly one of: a group NAME, --perms CYCLES..., --cayley FILE, or --matrices M... "
                              "--field P")
    if (field is None) != (not matrices):
        raise GroupInputError("--matrices and --field P go together (matrices over GF(p))")
    if matrices:
        from grokcheck.theory._matrix_group import matrix_group

        return matrix_group(matrices, field, max_order=None if large else MAX_ORDER)
    if args.group:
        from grokcheck.theory import group

        if large:
            import math

            from grokcheck.theory._names import _factor_order, _parse

            try:
                factors = _parse(args.group)
            except GroupInputError:
                factors = None  # group() below says what is wrong with the name
            if factors and math.prod(_factor_order(f) for f in factors) > MAX_ORDER:
                from grokcheck.theory import large_group

                return large_group(args.group)  # S8xC2 too: each factor on its own points
        return group(args.group)
    if args.perms:
        if any(not str(c).strip() for c in args.perms):  # an unset shell variable, most often
            raise GroupInputError("--perms got an empty generator: write () for the identity, or leave it out",
                                  text=args.perms)
        if large:
            from grokcheck.theory import PermutationGroup

            P = PermutationGroup.from_permutations(args.perms)
            if P.order > MAX_ORDER:
                return P
        return FiniteGroup.from_permutations(args.perms)
    return FiniteGroup.from_file(args.cayley)
