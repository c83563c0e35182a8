"""grokcheck's ``table`` display against GAP's ``Display``, character for character.

Reference outputs were produced with GAP 4.12.1 (Debian package ``gap``) by::

    for G in [CyclicGroup(IsPermGroup,5), DihedralGroup(28), AlternatingGroup(5), SymmetricGroup(4)] do
      Display(CharacterTable(G), rec(indicator:=true));
    od;

and, for ``SL(2,5)`` (which GAP treats through a permutation image and shows without
power maps), after ``for p in PrimeDivisors(Size(G)) do PowerMap(tbl,p); od;``
(the identifier line ``CT1`` … is dropped). GAP prints every power map it has computed:
Dixon–Schneider computes one per prime up to the largest element order (D14: 2P … 13P),
Abelian groups get none; grokcheck's default rows are the same (``DEFAULT_ROWS`` below). GAP's order of classes and characters is
its own, so each test finds the permutation of classes and characters that carries
grokcheck's exact table onto GAP's (matching exact values), prints grokcheck's table
in that order with grokcheck's formatter, and compares the text exactly: centraliser
rows, class names, every power map, the naming of irrationalities (``A``, ``*A``,
``/A``) and the legend (``-E(5)-E(5)^4``, ``(1-Sqrt(5))/2 = -b5``).
A second, live test does the same on more groups when GAP is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from grokcheck.theory import Cyclotomic, group
from grokcheck.theory._gap_format import display_table, gap_string, quadratic, zumbroich_exponents

GAP_DISPLAY = {
    "C5": """\

        5  1  1  1  1  1

          1a 5a 5b 5c 5d
       2
X.1    +   1  1  1  1  1
X.2    o   1  A  B /B /A
X.3    o   1  B /A  A /B
X.4    o   1 /B  A /A  B
X.5    o   1 /A /B  B  A

A = E(5)
B = E(5)^2
""",
    "D14": """\

         2  2  2   1  1  2   1  1   1  1  2
         7  1  .   1  1  .   1  1   1  1  1

           1a 2a 14a 7a 2b 14b 7b 14c 7c 2c
        2P 1a 1a  7a 7b 1a  7c 7c  7b 7a 1a
        3P 1a 2a 14b 7c 2b 14c 7a 14a 7b 2c
        5P 1a 2a 14c 7b 2b 14a 7c 14b 7a 2c
        7P 1a 2a  2c 1a 2b  2c 1a  2c 1a 2c
       11P 1a 2a 14b 7c 2b 14c 7a 14a 7b 2c
       13P 1a 2a 14a 7a 2b 14b 7b 14c 7c 2c
        2
X.1     +   1  1   1  1  1   1  1   1  1  1
X.2     +   1 -1  -1  1  1  -1  1  -1  1 -1
X.3     +   1 -1   1  1 -1   1  1   1  1  1
X.4     +   1  1  -1  1 -1  -1  1  -1  1 -1
X.5     +   2  .   A -B  .   C -C   B -A -2
X.6     +   2  .   B -C  .   A -A   C -B -2
X.7     +   2  .   C -A  .   B -B   A -C -2
X.8     +   2  .  -B -C  .  -A -A  -C -B  2
X.9     +   2  .  -C -A  .  -B -B  -A -C  2
X.10    +   2  .  -A -B  .  -C -C  -B -A  2

A = -E(7)^3-E(7)^4
B = -E(7)-E(7)^6
C = -E(7)^2-E(7)^5
""",
    "A5": """\

        2  2  2  .  .  .
        3  1  .  1  .  .
        5  1  .  .  1  1

          1a 2a 3a 5a 5b
       2P 1a 1a 3a 5b 5a
       3P 1a 2a 1a 5b 5a
       5P 1a 2a 3a 1a 1a
       2
X.1    +   1  1  1  1  1
X.2    +   3 -1  .  A *A
X.3    +   3 -1  . *A  A
X.4    +   4  .  1 -1 -1
X.5    +   5  1 -1  .  .

A = -E(5)-E(5)^4
  = (1-Sqrt(5))/2 = -b5
""",
    "SL(2,5)": """\

        2  3   1   1  3   1   1  1  1  2
        3  1   .   .  1   .   .  1  1  .
        5  1   1   1  1   1   1  .  .  .

          1a 10a 10b 2a  5a  5b 3a 6a 4a
       2P 1a  5b  5a 1a  5b  5a 3a 3a 2a
       3P 1a 10b 10a 2a  5b  5a 1a 2a 4a
       5P 1a  2a  2a 2a  1a  1a 3a 6a 4a
       2
X.1    +   1   1   1  1   1   1  1  1  1
X.2    -   2   A  *A -2  -A -*A -1  1  .
X.3    -   2  *A   A -2 -*A  -A -1  1  .
X.4    +   3  *A   A  3  *A   A  .  . -1
X.5    +   3   A  *A  3   A  *A  .  . -1
X.6    +   4  -1  -1  4  -1  -1  1  1  .
X.7    -   4   1   1 -4  -1  -1  1 -1  .
X.8    +   5   .   .  5   .   . -1 -1  1
X.9    -   6  -1  -1 -6   1   1  .  .  .

A = -E(5)-E(5)^4
  = (1-Sqrt(5))/2 = -b5
""",
    "S4": """\

        2  3  2  3  .  2
        3  1  .  .  1  .

          1a 2a 2b 3a 4a
       2P 1a 1a 1a 3a 2b
       3P 1a 2a 2b 1a 4a
       2
X.1    +   1 -1  1  1 -1
X.2    +   3 -1 -1  .  1
X.3    +   2  .  2 -1  .
X.4    +   3  1 -1  . -1
X.5    +   1  1  1  1  1
""",
}

_TERM = re.compile(r"([+-]?)(?:(\d+)\*)?(?:E\((\d+)\)(?:\^(\d+))?|(\d+))")


def parse_gap_cyclotomic(text: str) -> Cyclotomic:
    """A GAP cyclotomic string such as ``-E(5)-E(5)^4`` or ``2*E(3)+E(3)^2`` as an exact value."""
    total = Cyclotomic.integer(0)
    pos = 0
    while pos < len(text):
        m = _TERM.match(text, pos)
        assert m and m.end() > pos, f"cannot parse {text!r} at {pos}"
        sign, coef, n, e, const = m.groups()
        c = (-1 if sign == "-" else 1) * (int(coef) if coef else 1)
        if const is not None:
            term = Cyclotomic.integer(c * int(const))
        else:
            n, e = int(n), int(e or 1)
            full = [0] * n
            full[e % n] = c
            term = Cyclotomic.from_exponents(full, n)
        total = total + term
        pos = m.end()
    return total


def parse_display(text: str) -> dict:
    """Classes, centralisers, power maps, indicators and exact values from GAP's Display text."""
    lines = text.splitlines()
    legend = {}
    for ln in lines:
        m = re.fullmatch(r"([A-Z]+) = (.+)", ln)
        if m:
            legend[m.group(1)] = parse_gap_cyclotomic(m.group(2))
    names, cent, pmaps, rows, ind = [], {}, {}, {}, {}
    page_cent: dict = {}
    page_names: list = []
    for ln in lines:
        tok = ln.split()
        if not tok or ln[0] != " " and not tok[0].startswith("X."):
            continue
        if tok[0].startswith("X."):
            i = int(tok[0][2:])
            vals = tok[1:]
            if i not in rows:
                rows[i] = []
                if vals and vals[0] in ("+", "o", "-") and len(vals) > len(page_names):
                    ind[i] = {"+": 1, "o": 0, "-": -1}[vals[0]]
                    vals = vals[1:]
            rows[i] += vals
        elif all(re.fullmatch(r"\d+[a-z]+", t) for t in tok):
            page_names = tok
            names += tok
            for p, v in page_cent.items():
                cent.setdefault(p, []).extend(v)
            page_cent = {}
        elif re.fullmatch(r"\d+P", tok[0]):
            pmaps.setdefault(int(tok[0][:-1]), []).extend(tok[1:])
        elif tok[0].isdigit() and len(tok) > 1:
            page_cent[int(tok[0])] = [0 if t == "." else int(t) for t in tok[1:]]

    def cell(t: str) -> Cyclotomic:
        if t == ".":
            return Cyclotomic.integer(0)
        if re.fullmatch(r"-?\d+", t):
            return Cyclotomic.integer(int(t))
        neg = t.startswith("-")
        t = t.lstrip("-")
        op = t[0] if t[0] in "/*" else ""
        z = legend[t.lstrip("/*")]
        if op == "/":
            z = z.conjugate()
        elif op == "*":
            conj = z.conjugates()
            assert len(conj) == 2
            z = conj[1]
        return -z if neg else z

    k = len(names)
    centralizers = [int(np.prod([p ** cent[p][c] for p in cent])) for c in range(k)]
    index = {nm: i for i, nm in enumerate(names)}
    return {
        "names": names,
        "orders": [int(re.match(r"\d+", nm).group()) for nm in names],
        "centralizers": centralizers,
        "power_maps": {p: [index[v] for v in vs] for p, vs in pmaps.items()},
        "values": [[cell(t) for t in rows[i]] for i in sorted(rows)],
        "indicators": [ind[i] for i in sorted(rows)] if ind else None,
    }


def _key(z: Cyclotomic):
    w = complex(z)
    return (round(w.real, 9) + 0.0, round(w.imag, 9) + 0.0)  # exact values: 1e-9 only absorbs float64 rounding


def align(G, gap: dict) -> tuple[list[int], list[int]]:
    """``(sigma, tau)``: GAP class c is grokcheck class sigma[c], GAP character x is grokcheck's tau[x]."""
    ct = G.character_table
    k = G.num_classes
    ours = [[_key(ct.cyclotomic(x, c)) for c in range(k)] for x in range(k)]
    theirs = [[_key(z) for z in row] for row in gap["values"]]
    orders = G.class_orders
    col_ours = [sorted(r[c] for r in ours) for c in range(k)]
    col_theirs = [sorted(r[c] for r in theirs) for c in range(k)]
    cands = [
        [c for c in range(k) if orders[c] == gap["orders"][g] and G.centralizer_orders[c] == gap["centralizers"][g]
         and col_ours[c] == col_theirs[g]]
        for g in range(k)
    ]
    def search(g, used, sigma):
        # prune: the rows restricted to the columns fixed so far must agree as multisets
        if sorted(tuple(r[c] for c in sigma) for r in ours) != sorted(tuple(r[:g]) for r in theirs):
            return None
        if g == k:
            return list(sigma)
        for c in cands[g]:
            if c not in used:
                found = search(g + 1, used | {c}, sigma + [c])
                if found:
                    return found
        return None

    sigma = search(0, frozenset(), [])
    assert sigma is not None, "no permutation of classes carries grokcheck's table onto GAP's"
    rows = {tuple(r[c] for c in sigma): x for x, r in enumerate(ours)}
    tau = [rows[tuple(r)] for r in theirs]
    return sigma, tau


def display_in_gap_order(G, gap: dict, primes=None) -> str:
    """grokcheck's table in GAP's order of classes and characters, with the power maps of ``primes``
    (default: the ones GAP's text shows), computed by grokcheck from the group."""
    sigma, tau = align(G, gap)
    ct = G.character_table
    inv = {c: g for g, c in enumerate(sigma)}
    primes = gap["power_maps"] if primes is None else primes
    pmaps = {p: [inv[int(G.power_map(p)[sigma[g]])] for g in range(len(sigma))] for p in primes}
    values = [[ct.cyclotomic(tau[x], sigma[c]) for c in range(len(sigma))] for x in range(len(tau))]
    return display_table(
        "",
        G.order,
        [int(G.centralizer_orders[c]) for c in sigma],
        [int(G.class_orders[c]) for c in sigma],
        pmaps,
        values,
        indicators=[int(ct.fs_indicators[x]) for x in tau] if gap["indicators"] is not None else None,
    )


# The pP rows of plain Display(CharacterTable(G)) where GAP's route is neither Dixon–Schneider on G itself
# nor one grokcheck follows by default (GAP 4.12.1): matrix groups go through a permutation image.
# (SL(2,5)'s stored text was made after PowerMap for the prime divisors, see the module docstring.)
OTHER_ROUTE = {"SL(2,5)": [2, 3, 5], "SL(2,3)": [], "GL(2,3)": [], "SL(2,7)": []}


@pytest.mark.parametrize("name", sorted(GAP_DISPLAY))
def test_display_matches_gap_character_for_character(name):
    # every row grokcheck prints by default (power maps included) is GAP's, character for character
    G = group(name)
    gap = parse_display(GAP_DISPLAY[name])
    primes = OTHER_ROUTE.get(name, G.character_table.display_power_map_primes())
    assert sorted(gap["power_maps"]) == primes
    assert display_in_gap_order(G, gap, primes) == "\n" + GAP_DISPLAY[name]


@pytest.mark.parametrize("name", sorted(GAP_DISPLAY))
def test_own_order_display_has_gaps_structure(name):
    # grokcheck's own ordering: its default pP rows, and the text parses back to the exact table
    G = group(name)
    text = G.character_table.display()
    parsed = parse_display(text.split("\n", 1)[1])
    primes = sorted({int(p) for p in re.findall(r"(\d+)P", GAP_DISPLAY[name])})
    assert sorted(parsed["power_maps"]) == (G.character_table.power_map_primes() if name in OTHER_ROUTE else primes)
    ct = G.character_table
    assert [[_key(z) for z in r] for r in parsed["values"]] == [
        [_key(ct.cyclotomic(x, c)) for c in range(G.num_classes)] for x in range(G.num_classes)
    ]
    assert parsed["indicators"] == ct.fs_indicators.tolist()


def test_zumbroich_basis_is_gaps():
    # GAP 4.12.1: ZumbroichBase(n, 1) for these n
    gap = {
        8: [0, 1, 2, 3],
        9: [2, 3, 4, 5, 6, 7],
        12: [4, 7, 8, 11],
        15: [1, 2, 4, 7, 8, 11, 13, 14],
        20: [1, 4, 8, 9, 12, 13, 16, 17],
        24: [1, 8, 11, 14, 16, 17, 19, 22],
        40: [2, 7, 8, 13, 16, 18, 21, 23, 24, 26, 29, 31, 32, 34, 37, 39],
        60: [4, 7, 8, 11, 16, 19, 23, 28, 31, 32, 43, 44, 47, 52, 56, 59],
    }
    for n, exps in gap.items():
        assert list(zumbroich_exponents(n)) == exps


def test_gap_strings_and_quadratic_forms():
    # GAP 4.12.1: Print(1+E(4)), E(8)-E(8)^3, 2*E(3)+E(3)^2, E(9)+E(9)^2, E(20)^3; Quadratic(...)
    def E(n, j=1):
        full = [0] * n
        full[j % n] = 1
        return Cyclotomic.from_exponents(full, n)

    assert gap_string(E(4) + 1) == "1+E(4)"
    assert gap_string(E(8) - E(8, 3)) == "E(8)-E(8)^3"
    assert gap_string(2 * E(3) + E(3, 2)) == "2*E(3)+E(3)^2"
    assert gap_string(E(9) + E(9, 2)) == "E(9)^2-E(9)^4-E(9)^7"
    assert gap_string(E(20, 3)) == "-E(20)^13"
    assert gap_string(E(15) + E(15, 2)) == "E(15)+E(15)^2"
    q = quadratic(E(8) + E(8, 3))
    assert (q["display"], q["ATLAS"], q["root"]) == ("Sqrt(-2)", "i2", -2)
    q = quadratic(E(12, 7) - E(12, 11))
    assert (q["display"], q["ATLAS"]) == ("-Sqrt(3)", "-r3")
    q = quadratic(3 * E(5) + 3 * E(5, 4))
    assert (q["display"], q["ATLAS"], q["a"], q["b"], q["d"]) == ("(-3+3*Sqrt(5))/2", "3b5", -3, 3, 2)
    assert quadratic(E(4))["ATLAS"] == "i" and quadratic(E(7) + E(7, 2) + E(7, 4))["ATLAS"] == "b7"
    assert quadratic(E(9) + E(9, 8)) is None  # degree 3


# ------------------------------------------------------------------ live GAP
def _unwrap(text: str) -> str:
    """GAP's Print breaks lines longer than the screen with a trailing backslash; grokcheck does not."""
    return text.replace("\\\n", "")


LIVE = {
    "S5": "SymmetricGroup(5)",
    "PSL(2,7)": "PSL(2,7)",
    "SL(2,3)": "SL(2,3)",
    "Q8": "QuaternionGroup(8)",
    "F21": "SmallGroup(21,1)",
    "C3xC6": "DirectProduct(CyclicGroup(3),CyclicGroup(6))",
    "GL(2,3)": "GL(2,3)",
    "D5": "DihedralGroup(10)",
    "C16": "CyclicGroup(16)",
    "A6": "AlternatingGroup(6)",
    "SL(2,7)": "SL(2,7)",
    "PSL(2,11)": "PSL(2,11)",
    "Dic3xC3": "DirectProduct(SmallGroup(12,1),CyclicGroup(3))",
    "D7": "DihedralGroup(14)",
    "D14": "DihedralGroup(IsPermGroup,28)",
    "C3xC12": "DirectProduct(CyclicGroup(3),CyclicGroup(12))",
    "C120": "CyclicGroup(120)",
    "S7": "SymmetricGroup(7)",  # 2P 3P 5P 7P, though 12 is an element order (no 11P)  # 30 irrationalities: names run past Z to AA … AD
}


@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (apt-get install gap)")
def test_display_matches_live_gap():
    script = "".join(
        f'tbl:=CharacterTable({expr});; Print("@@@\\n"); Display(tbl, rec(indicator:=true));\n'
        for expr in LIVE.values()
    ) + "QUIT;\n"
    out = subprocess.run(["gap", "-q"], input=script, capture_output=True, text=True, timeout=300).stdout
    blocks = out.split("@@@\n")[1:]
    assert len(blocks) == len(LIVE)
    for name, block in zip(LIVE, blocks):
        body = _unwrap(block.split("\n", 1)[1])
        G = group(name)
        gap = parse_display(body)
        primes = OTHER_ROUTE.get(name, G.character_table.display_power_map_primes())
        assert sorted(gap["power_maps"]) == primes, name
        assert display_in_gap_order(G, gap, primes) == "\n" + body, name


LARGE = {  # grokcheck name (a permutation group without a dense table) → GAP expression
    "A8": "AlternatingGroup(8)",
    "S8": "SymmetricGroup(8)",  # GAP's symmetric-group library: 2P 3P 5P 7P only (no 11P, 13P)
    "PSL(2,23)": "PSL(2,23)",
}


@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (apt-get install gap)")
@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_group_display_matches_live_gap(name):
    from grokcheck.theory import large_group

    script = f'tbl:=CharacterTable({LARGE[name]});; Print("@@@\\n"); Display(tbl, rec(indicator:=true));\nQUIT;\n'
    out = subprocess.run(["gap", "-q"], input=script, capture_output=True, text=True, timeout=300).stdout
    body = _unwrap(out.split("@@@\n")[1].split("\n", 1)[1])
    G = large_group(name)
    gap = parse_display(body)
    primes = OTHER_ROUTE.get(name, G.character_table.display_power_map_primes())
    assert sorted(gap["power_maps"]) == primes
    assert display_in_gap_order(G, gap, primes) == "\n" + body


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gap") is None, reason="GAP is not installed (apt-get install gap)")
def test_m11_and_gl211_match_live_gap():
    from grokcheck.theory import PermutationGroup, large_group

    m11 = PermutationGroup.from_permutations(["(1,2,3,4,5,6,7,8,9,10,11)", "(3,7,11,8)(4,10,5,6)"])
    for G, expr in [(m11, "MathieuGroup(11)"), (large_group("GL(2,11)"), "GL(2,11)")]:
        script = (
            f"tbl:=CharacterTable({expr});; for p in PrimeDivisors(Size(tbl)) do PowerMap(tbl,p); od; "
            'Print("@@@\\n"); Display(tbl, rec(indicator:=true));\nQUIT;\n'
        )
        out = subprocess.run(["gap", "-q"], input=script, capture_output=True, text=True, timeout=600).stdout
        body = _unwrap(out.split("@@@\n")[1].split("\n", 1)[1])
        assert display_in_gap_order(G, parse_display(body)) == "\n" + body


def test_zumbroich_coefficients_are_exact_canonical_and_at_the_conductor():
    """GAP-free: the closed-form Zumbroich expansion rebuilds the number, uses only basis exponents, and its
    conductor N is minimal: for every prime p | N some unit k ≡ 1 mod N/p (N/4 when 4 ∥ N, since
    Q(ζ_{N/2}) = Q(ζ_{N/4}) then) moves the number, so it is not in the smaller field."""
    from math import gcd

    from grokcheck.theory._gap_format import gap_coefficients, key_to_cyclotomic

    rng = np.random.default_rng(7)
    for _ in range(150):
        o = int(rng.choice([4, 5, 8, 9, 12, 15, 16, 20, 21, 24, 27, 28, 30, 36, 40, 45, 60]))
        m = np.zeros(o, dtype=np.int64)
        if rng.random() < 0.5:  # a few roots of unity
            np.add.at(m, rng.integers(0, o, size=3), 1)
        else:  # a sum over a subgroup of units: lands in a proper subfield
            step = int(rng.choice([d for d in range(1, o) if o % d == 0]))
            for u in range(1, o):
                if gcd(u, o) == 1 and u % step == 1 % step:
                    m[u % o] += 1
        z = Cyclotomic.from_exponents(m, o)
        N, terms = gap_coefficients(z)
        assert key_to_cyclotomic((N, terms)) == z
        if N == 1:
            assert z.is_rational
            continue
        assert N % 4 != 2 and {j for j, _ in terms} <= set(zumbroich_exponents(N))
        lifted = z.lift(N * o // gcd(N, o))
        for p in {q for q in range(2, N + 1) if N % q == 0 and all(q % d for d in range(2, q))}:
            M = N // 4 if p == 2 and N % 8 == 4 else N // p
            L = lifted.N
            movers = [k for k in range(1, L) if gcd(k, L) == 1 and (k - 1) % M == 0 and lifted.galois(k) != lifted]
            assert movers, (m.tolist(), o, N, p)
