"""Hand-known character tables, written from the literature, for exact comparison.

Provenance: standard tables (James & Liebeck, *Representations and Characters of
Groups*, chapters 18–19 and 26; GAP's CharacterTable library agrees). Each
column is labelled by (element order, class size); values are exact sympy
expressions. Groups are given by permutation generators in GAP notation.
"""

import itertools

import sympy
from sympy import I, Rational, sqrt

w = Rational(-1, 2) + sqrt(3) * I / 2  # E(3)
w2 = Rational(-1, 2) - sqrt(3) * I / 2
phi = (1 + sqrt(5)) / 2
b7 = (-1 + sqrt(7) * I) / 2  # E(7)+E(7)^2+E(7)^4
b7c = (-1 - sqrt(7) * I) / 2

ORACLES = {
    "S3": (
        ["(1,2)", "(1,2,3)"],
        [(1, 1), (2, 3), (3, 2)],
        [[1, 1, 1], [1, -1, 1], [2, 0, -1]],
    ),
    "Q8": (
        ["(1,2,4,7)(3,6,8,5)", "(1,3,4,8)(2,5,7,6)"],
        [(1, 1), (2, 1), (4, 2), (4, 2), (4, 2)],
        [[1, 1, 1, 1, 1], [1, 1, 1, -1, -1], [1, 1, -1, 1, -1], [1, 1, -1, -1, 1], [2, -2, 0, 0, 0]],
    ),
    "D4": (
        ["(1,2,3,4)", "(1,3)"],
        [(1, 1), (2, 1), (2, 2), (2, 2), (4, 2)],
        [[1, 1, 1, 1, 1], [1, 1, -1, -1, 1], [1, 1, 1, -1, -1], [1, 1, -1, 1, -1], [2, -2, 0, 0, 0]],
    ),
    "A4": (
        ["(1,2,3)", "(2,3,4)"],
        [(1, 1), (2, 3), (3, 4), (3, 4)],
        [[1, 1, 1, 1], [1, 1, w, w2], [1, 1, w2, w], [3, -1, 0, 0]],
    ),
    "S4": (
        ["(1,2)", "(1,2,3,4)"],
        [(1, 1), (2, 3), (2, 6), (3, 8), (4, 6)],
        [[1, 1, 1, 1, 1], [1, 1, -1, 1, -1], [2, 2, 0, -1, 0], [3, -1, 1, 0, -1], [3, -1, -1, 0, 1]],
    ),
    "A5": (
        ["(1,2,3)", "(1,2,3,4,5)"],
        [(1, 1), (2, 15), (3, 20), (5, 12), (5, 12)],
        [[1, 1, 1, 1, 1], [3, -1, 0, phi, 1 - phi], [3, -1, 0, 1 - phi, phi], [4, 0, 1, -1, -1], [5, 1, -1, 0, 0]],
    ),
    "F21": (
        ["(1,2,3,4,5,6,7)", "(2,3,5)(4,7,6)"],
        [(1, 1), (3, 7), (3, 7), (7, 3), (7, 3)],
        [[1, 1, 1, 1, 1], [1, w, w2, 1, 1], [1, w2, w, 1, 1], [3, 0, 0, b7, b7c], [3, 0, 0, b7c, b7]],
    ),
    "SL(2,3)": (
        "sl23",  # built from 2×2 matrices over F_3 by sl23_table()
        [(1, 1), (2, 1), (3, 4), (3, 4), (4, 6), (6, 4), (6, 4)],
        [
            [1, 1, 1, 1, 1, 1, 1],
            [1, 1, w, w2, 1, w, w2],
            [1, 1, w2, w, 1, w2, w],
            [2, -2, -1, -1, 0, 1, 1],
            [2, -2, -w, -w2, 0, w, w2],
            [2, -2, -w2, -w, 0, w2, w],
            [3, 3, 0, 0, -1, 0, 0],
        ],
    ),
}


def canon(x):
    return sympy.expand(sympy.nsimplify(x))


def tables_match(ours, our_cols, known, known_cols) -> bool:
    """Exact equality up to permuting rows and (order, size)-preserving columns."""
    if sorted(our_cols) != sorted(known_cols) or len(ours) != len(known):
        return False
    ours = [[canon(v) for v in row] for row in ours]
    known = [[canon(v) for v in row] for row in known]
    target = sorted(tuple(sympy.srepr(v) for v in row) for row in known)
    slots = list(range(len(our_cols)))
    # try every assignment of our columns to known columns with equal labels
    for perm in itertools.permutations(slots):
        if any(our_cols[perm[j]] != known_cols[j] for j in slots):
            continue
        rows = sorted(tuple(sympy.srepr(row[perm[j]]) for j in slots) for row in ours)
        if rows == target:
            return True
    return False


def sl23_table():
    """Cayley table of SL(2,3) from its 24 matrices over F_3 (independent of grokcheck's names)."""
    import numpy as np

    mats = [
        (a, b, c, d)
        for a in range(3)
        for b in range(3)
        for c in range(3)
        for d in range(3)
        if (a * d - b * c) % 3 == 1
    ]
    index = {m: i for i, m in enumerate(mats)}
    n = len(mats)
    t = np.empty((n, n), dtype=np.int64)
    for i, (a, b, c, d) in enumerate(mats):
        for j, (e, f, g, h) in enumerate(mats):
            t[i, j] = index[((a * e + b * g) % 3, (a * f + b * h) % 3, (c * e + d * g) % 3, (c * f + d * h) % 3)]
    return t


def oracle_group(name):
    from grokcheck.theory import FiniteGroup

    gens = ORACLES[name][0]
    if gens == "sl23":
        return FiniteGroup.from_table(sl23_table())
    return FiniteGroup.from_permutations(gens)
