"""The verify registry: every check can FAIL, reports are reproducible, the CLI and plugin work."""

import dataclasses
import json

import pytest

from grokcheck.checks import Verdict, VerifyContext, all_checks, assert_check_passes, run_check, verify
from grokcheck.checks._registry import Tolerance, compare
from grokcheck.theory import group

# Groups on which, between them, every registered check is applicable.
PROBE_GROUPS = ["S3", "Q8", "C3xC5", "C5"]


class _Other:
    """A prediction equal to nothing: makes an exact-equality check fail."""

    def __eq__(self, other):
        return False


def _wrong_prediction(measured, tol: Tolerance):
    import numpy as np

    if tol.kind == "equal":
        return _Other()
    m = np.asarray(measured, dtype=float)
    step = 2 * tol.value + 1.0 + np.abs(m)  # far outside the tolerance in the failing direction
    return m - step if tol.kind == "at_most" else m + step


def _applicable_contexts():
    from grokcheck.numerics._flow import run_stage_one

    out = {}
    for name in PROBE_GROUPS:
        G = group(name)
        # A small population keeps the test fast; the checks read it through the "flow" artifact.
        flow = run_stage_one(G, neurons=16, seed=0, throw=False)
        out[name] = VerifyContext(G, seed=0, artifacts={"flow": flow})
    # Stage II starts from a Stage I predictor right on every pair, which 16 neurons do not give:
    # one larger population on C5 (the checks' own hypothesis says so elsewhere)
    out["C5 (128 neurons)"] = VerifyContext(group("C5"), seed=0,
                                            artifacts={"flow": run_stage_one(group("C5"), neurons=128, seed=0, throw=False)})
    return out


@pytest.fixture(scope="module")
def contexts():
    return _applicable_contexts()


def _cheap(check):
    return check.layer != "training"


@pytest.mark.parametrize("check", [c for c in all_checks() if _cheap(c)], ids=lambda c: c.id)
def test_every_check_can_fail(check, contexts):
    applicable = False
    for name, ctx in contexts.items():
        res = run_check(check, ctx)
        if res.verdict == Verdict.NOT_APPLICABLE:
            assert "fails:" in res.reason
            continue
        assert res.verdict in (Verdict.PASS, Verdict.FAIL), (name, res.verdict, res.reason, res.details.get("traceback"))
        applicable = True
        wrong = dataclasses.replace(check, predict=lambda ctx, m=res.measurement: _wrong_prediction(m, check.tolerance))
        assert run_check(wrong, ctx).verdict == Verdict.FAIL
        break
    assert applicable, f"{check.id} is not applicable on any of {PROBE_GROUPS}"


def test_compare_rules():
    t = Tolerance(0.1, "test", "close")
    assert compare(1.0, 1.05, t) and not compare(1.0, 1.2, t)
    assert not compare(1.0, float("nan"), t)
    assert compare(0.0, 1e-11, Tolerance(1e-10, "t", "at_most")) and not compare(0.0, 1e-9, Tolerance(1e-10, "t", "at_most"))
    assert compare(0.95, 0.99, Tolerance(0, "t", "at_least")) and not compare(0.95, 0.9, Tolerance(0, "t", "at_least"))
    assert compare((6, 3), (6, 3), Tolerance(0, "t", "equal")) and not compare((6, 3), (6, 4), Tolerance(0, "t", "equal"))


def test_not_applicable_names_the_hypothesis():
    ctx = VerifyContext(group("S3"))
    (check,) = [c for c in all_checks() if c.id == "fourier.quaternionic-pairs"]
    res = run_check(check, ctx)
    assert res.verdict == Verdict.NOT_APPLICABLE and "indicator −1" in res.reason


def test_error_verdict_instead_of_a_crash():
    (check,) = [c for c in all_checks() if c.id == "irreps.certified"]
    broken = dataclasses.replace(check, measure=lambda ctx: 1 / 0)
    res = run_check(broken, VerifyContext(group("S3")))
    assert res.verdict == Verdict.ERROR and "ZeroDivisionError" in res.reason


def test_report_is_reproducible(tmp_path):
    cheap = [c.id for c in all_checks() if _cheap(c)]
    # C3 keeps the two real flow integrations short; everything random is seeded.
    a = verify(group("C3"), seed=3, only=cheap, out_dir=tmp_path / "a", progress=False)
    b = verify(group("C3"), seed=3, only=cheap, out_dir=tmp_path / "b", progress=False)
    ja = json.loads((tmp_path / "a" / "report.json").read_text())
    jb = json.loads((tmp_path / "b" / "report.json").read_text())
    assert ja == jb
    assert len(ja["checks"]) == len(cheap) and {"id", "claim", "source", "verdict", "prediction", "measurement",
                                                 "tolerance", "details"} <= set(ja["checks"][0])
    assert (tmp_path / "a" / "report.md").read_text().startswith("# grokcheck verify C3")
    # the published statements shown false that do not involve the group are counted apart, once each
    expected = sum(1 for c in all_checks() if _cheap(c) and c.published_false and c.group_independent)
    assert expected >= 2 and ja["counts"]["group_independent"]["expected FAIL"] == expected
    assert any(c["id"] == "flow.omega-star" and c["verdict"] == "PASS" for c in ja["checks"])
    assert a.summary() == b.summary()


def test_cli(tmp_path, capsys):
    from grokcheck.checks.cli import main

    assert main(["verify", "Q8", "--only", "irreps", "fourier", "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert {c["id"] for c in data["checks"]} >= {"irreps.certified", "fourier.quaternionic-pairs"}
    assert main(["checks"]) == 0
    assert "irreps.certified" in capsys.readouterr().out
    assert main(["verify", "NotAGroup9", "--out", str(tmp_path / "x"), "--quiet"]) == 2


def test_assert_check_passes():
    assert assert_check_passes("irreps.certified", group("A4")).verdict == Verdict.PASS
    with pytest.raises(AssertionError, match="expected FAIL"):
        assert_check_passes("irreps.certified", group("A4"), expect="FAIL")


def test_pytest_plugin(pytester):
    """PASS passes, FAIL fails, NOT APPLICABLE and INCONCLUSIVE skip with the reason."""
    pytester.makepyfile(
        """
        def test_pass(grokcheck_check):
            grokcheck_check("chartable.sum-of-squares", "C3xC6")

        def test_not_applicable(grokcheck_check):
            grokcheck_check("fourier.quaternionic-pairs", "S3")   # S3 has no quaternionic irrep

        def test_inconclusive(grokcheck_check):
            grokcheck_check("trained.mlp-groks", "S4", budget="full",
                            artifacts={"trained.mlp": _no_history(), "trained.mlp.init": _no_history()})

        def test_published_false_fails(grokcheck_check):
            grokcheck_check("li2.theorem2-printed", "C3")

        def test_expect_fail(grokcheck_check):
            grokcheck_check("li2.theorem2-printed", "C3", expect="FAIL")

        def _no_history():
            import numpy as np
            from grokcheck.checks.claims._trained import TrainedNet
            z = np.zeros((1, 2, 24))
            return TrainedNet(z, z, z, None, np.ones(1), np.ones(1), np.array([-1]), np.array([-1]), 0, 0,
                              np.array([np.nan]))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=2, failed=1, skipped=2)
    result.stdout.fnmatch_lines(["*indicator −1*", "*training history*"])


def test_training_checks_give_a_verdict_on_tiny_runs():
    """The trained-network checks, fed tiny injected runs (their artifacts), never raise: a run this
    short has not learned the table, so they are INCONCLUSIVE (never PASS)."""
    import torch

    from grokcheck.checks import MLPConfig, OptimizerConfig, QuadraticConfig, TrainConfig, group_task, train

    old = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread avoids synchronisation overhead
    try:
        G = group("C3xC4")
        arts = {}
        for steps, suffix in ((40, ""), (0, ".init")):
            arts["trained.quadratic" + suffix] = train(
                TrainConfig(model=QuadraticConfig(width=16, scale=0.125), optimizer=OptimizerConfig("adam", lr=1e-2),
                            steps=steps, n_seeds=1, eval_every=20, dtype="float64", plot=False),
                group_task(G, n_seeds=1), progress=False)
            arts["trained.mlp" + suffix] = train(
                TrainConfig(model=MLPConfig(widths=(16,)), optimizer=OptimizerConfig("adamw", lr=1e-2, weight_decay=1.0),
                            steps=steps, n_seeds=3, eval_every=20, plot=False),
                group_task(G, train_fraction=0.8, n_seeds=3), progress=False)
    finally:
        torch.set_num_threads(old)
    ctx = VerifyContext(G, budget="full", artifacts=arts)
    checks = [c for c in all_checks() if c.uses_model]
    assert len(checks) >= 6
    for check in checks:
        res = run_check(check, ctx)
        assert res.verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE), (check.id, res.verdict, res.reason,
                                                                    res.details.get("traceback"))
        assert res.baseline is not None or res.verdict == Verdict.INCONCLUSIVE, check.id


from hypothesis import given, settings  # noqa: E402

from grokcheck.theory.strategies import groups  # noqa: E402


@given(groups(max_order=24))
@settings(max_examples=10)
def test_theory_checks_pass_over_many_groups(G):
    """The plugin's use case: a registered check asserted over hypothesis-drawn groups."""
    for check_id in ("irreps.certified", "chartable.orthogonality", "chartable.frobenius-schur-count",
                     "fourier.identities", "omega.fourier-form", "li2.identity-with-omega"):
        if G.order == 1 and check_id.startswith(("omega", "li2")):
            continue  # no non-trivial irrep: NOT APPLICABLE by hypothesis
        assert_check_passes(check_id, G)


def test_the_trivial_group_is_verified_in_seconds_without_li2_errors(tmp_path):
    """``verify C1`` never ended: li2.gf-closed-form divided C1's vanishing centred features by their norm (0) and
    solve_ivp stepped the NaN field forever; four other Li₂ checks raised there. On C1 they are NOT APPLICABLE."""
    import time

    t0 = time.perf_counter()
    report = verify(group("C1"), budget="small", out_dir=tmp_path, progress=False)
    seconds = time.perf_counter() - t0
    li2 = {r.id: r for r in report.results if r.id.startswith("li2.") and not r.group_independent}
    for i in ("li2.gf-closed-form", "li2.prop1-small-t", "li2.prop1-rate", "li2.theorem6-repulsion",
              "li2.theorem7-top-down"):
        assert li2[i].verdict == Verdict.NOT_APPLICABLE and "|G| > 1" in li2[i].reason, (i, li2[i].reason)
    assert not [r.id for r in li2.values() if r.verdict == Verdict.ERROR]
    assert seconds < 120, seconds  # ~6 s on a CPU core; the bound only catches a hang, not a slowdown
