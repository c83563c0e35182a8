"""Shared command-line arguments for naming a group: NAME, --perms, or --cayley."""

from __future__ import annotations

import argparse

from grokcheck.errors import GroupInputError

__all__ = ["add_group_arguments", "group_from_args"]


def add_group_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("group", nargs="?", help="a group name such as S4, D5, C3xC5, SL(2,3)")
    parser.add_argument("--perms", nargs="+", metavar="CYCLES", help='permutation generators, e.g. "(1,2)(3,4)" "(1,2,3)"')
    parser.add_argument("--cayley", metavar="FILE", help="a Cayley table as JSON (list of lists) or .npy")


def group_from_args(args: argparse.Namespace):
    from grokcheck.theory import FiniteGroup

    given = [x for x in (args.group, args.perms, args.cayley) if x]
    if len(given) != 1:
        raise GroupInputError("give exactly one of: a group NAME, --perms CYCLES..., or --cayley FILE")
    if args.group:
        from grokcheck.theory import group

        return group(args.group)
    if args.perms:
        if any(not str(c).strip() for c in args.perms):  # an unset shell variable, most often
            raise GroupInputError("--perms got an empty generator: write () for the identity, or leave it out",
                                  text=args.perms)
        return FiniteGroup.from_permutations(args.perms)
    return FiniteGroup.from_file(args.cayley)
