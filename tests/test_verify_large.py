"""`grokcheck verify` beyond the dense table: the character-table and irrep checks run, the rest are NOT APPLICABLE."""

import json
import math

import pytest

from grokcheck.checks._hypotheses import CERTIFIED_IRREPS, DENSE_TABLE
from grokcheck.checks._registry import Verdict, VerifyContext
from grokcheck.checks._verify import _experiments_not_applicable, all_checks, verify
from grokcheck.checks.cli import main
from grokcheck.theory import group, large_group

TABLE_FREE = {"irreps.certified", "chartable.orthogonality", "chartable.sum-of-squares", "chartable.frobenius-schur-count"}
#: table-free but needing certified irreps (their degrees), so NOT APPLICABLE where irreps are out of reach (A8)
TABLE_FREE_WITH_IRREPS = {"li2.theorem3-width"}
BLOCK_FLOW = {"flow.table-free.single-irrep", "flow.table-free.omega-star", "flow.table-free.rank-one"}


def _involutions_of_sn(n: int) -> int:
    # elements with x² = 1 in S_n: Σ_k n! / (k! 2^k (n−2k)!) (products of k disjoint transpositions)
    return sum(math.factorial(n) // (math.factorial(k) * 2**k * math.factorial(n - 2 * k)) for k in range(n // 2 + 1))


def test_s8_runs_the_table_free_checks_and_refuses_the_rest_by_hypothesis():
    G = large_group("S8")
    # (the block-flow checks integrate for about a minute on S8: the slow tier runs them)
    group_ids = [c.id for c in all_checks() if not c.group_independent and c.id not in BLOCK_FLOW]
    report = verify(G, only=group_ids, progress=False)
    by_id = {r.id: r for r in report.results}
    assert {c.id for c in all_checks() if c.table_free} == TABLE_FREE | BLOCK_FLOW | TABLE_FREE_WITH_IRREPS
    for cid in TABLE_FREE:
        assert by_id[cid].verdict == Verdict.PASS, (cid, by_id[cid].reason)
    fs = by_id["chartable.frobenius-schur-count"]
    assert fs.prediction == fs.measurement == _involutions_of_sn(8) == 764  # every S_n irrep is real: Σ χ(1)
    assert by_id["chartable.sum-of-squares"].measurement == (40320, 22)
    assert by_id["irreps.certified"].measurement <= 1e-10  # Young's orthogonal form, certified
    for r in report.results:
        assert r.verdict != Verdict.ERROR, (r.id, r.reason)
        if r.id in TABLE_FREE_WITH_IRREPS:  # S8 has Young's certified irreps
            assert r.verdict == Verdict.PASS, (r.id, r.reason)
        elif r.id not in TABLE_FREE:
            assert r.verdict == Verdict.NOT_APPLICABLE and DENSE_TABLE.name in r.reason, (r.id, r.reason)


def test_a8_every_check_on_the_cli_no_error_and_irreps_refused_with_the_reason(tmp_path, capsys):
    out = tmp_path / "v"
    assert main(["verify", "A8", "--out", str(out), "--quiet"]) == 0
    data = json.loads((out / "report.json").read_text())
    results = {r["id"]: r for r in data["checks"]}
    assert all(r["verdict"] != "ERROR" for r in results.values()), [r["id"] for r in results.values() if r["verdict"] == "ERROR"]
    for cid in TABLE_FREE - {"irreps.certified"}:
        assert results[cid]["verdict"] == "PASS"
    for cid in BLOCK_FLOW:  # A8 has complex irreps: the block flow's hypothesis names them
        assert results[cid]["verdict"] == "NOT APPLICABLE" and "real type" in results[cid]["reason"]
    irr = results["irreps.certified"]
    # A8 has complex irreps and no Young form: 20160·Σd² entries exceed the bound, so no irreps, named as such
    assert irr["verdict"] == "NOT APPLICABLE" and CERTIFIED_IRREPS.name in irr["reason"] and "matrix entries" in irr["reason"]
    assert "A8 (order 20160)" in capsys.readouterr().out


def test_dense_groups_are_unaffected():
    report = verify(group("S4"), only=sorted(TABLE_FREE) + ["fourier.identities"], progress=False)
    assert all(r.verdict == Verdict.PASS for r in report.results), [(r.id, r.reason) for r in report.results]
    assert DENSE_TABLE.holds(VerifyContext(group("S4"))) and CERTIFIED_IRREPS.holds(VerifyContext(group("S4")))


def test_group_experiments_are_not_applicable_beyond_the_dense_table():
    rows = _experiments_not_applicable(VerifyContext(large_group("A8")))
    assert rows and all(r.verdict == Verdict.NOT_APPLICABLE and DENSE_TABLE.name in r.reason for r in rows)


@pytest.mark.slow
def test_s8_block_flow_checks_pass_beyond_the_dense_table():
    report = verify(large_group("S8"), only=sorted(BLOCK_FLOW), progress=False)
    assert [r.verdict for r in report.results] == [Verdict.PASS] * 3, [(r.id, r.reason) for r in report.results]


@pytest.mark.slow
def test_psl_2_23_irreps_from_permutation_modules_pass_verify():
    # 14 irreps, complex ones included, cut from the point and pair modules (~10–40 s)
    report = verify(large_group("PSL(2,23)"), only=sorted(TABLE_FREE), progress=False)
    assert all(r.verdict == Verdict.PASS for r in report.results), [(r.id, r.reason) for r in report.results]
