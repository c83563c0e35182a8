"""pytest plugin for grokcheck (entry point ``pytest11``).

In a test suite that has grokcheck installed::

    def test_my_group(grokcheck_check):
        grokcheck_check("irreps.certified", "C3xC6")           # a name, or a FiniteGroup

    from hypothesis import given
    from grokcheck.theory.strategies import groups

    @given(groups(max_order=24))
    def test_over_many_groups(G):
        from grokcheck.checks import assert_check_passes
        assert_check_passes("fourier.identities", G)

A user's own trained model enters through ``model=`` and ``model_format=`` (a file in one of
the ``--format`` layouts of ``grokcheck verify --model``, read by the same path: its labelling
found from its predictions, its accuracy and single-irrep fraction by the one definition), or
through ``artifacts=`` (see each check's docstring for the key it reads). The plugin also
registers grokcheck's markers.

Verdicts map onto pytest outcomes: PASS passes, FAIL and ERROR fail the test (with the
prediction, measurement and reason), NOT APPLICABLE and INCONCLUSIVE skip it with the
reason (and, for INCONCLUSIVE, what would decide it). ``expect="FAIL"`` asserts a published
statement shown false instead.
"""

from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long trainings and sweeps")
    config.addinivalue_line("markers", "gpu: needs a CUDA device")


@pytest.fixture
def grokcheck_check():
    """``grokcheck_check(check_id, group, *, budget="small", seed=0, artifacts=None, model=None,
    model_format=None, expect="PASS")``.

    Returns the :class:`~grokcheck.checks.CheckResult`. With ``expect="PASS"``: FAIL and ERROR
    fail the test, NOT APPLICABLE and INCONCLUSIVE skip it with the reason.
    """
    from grokcheck.checks._registry import VerifyContext, assert_check_passes, get_check, run_check
    from grokcheck.theory import FiniteGroup, group

    def run(check_id, G, *, budget: str = "small", seed: int = 0, artifacts: dict | None = None, model=None,
            model_format: str | None = None, expect: str = "PASS"):
        if not isinstance(G, FiniteGroup):
            G = group(G)
        on_model = False
        if model is not None:
            from grokcheck.checks.claims._given_model import model_artifacts

            if model_format is None:
                raise ValueError("model= needs model_format= (the layout, as grokcheck verify --format)")
            artifacts = dict(artifacts or {}, **model_artifacts(G, model, model_format, seed=seed))
            on_model = True
        if expect != "PASS":
            return assert_check_passes(check_id, G, budget=budget, seed=seed, artifacts=artifacts, expect=expect)
        r = run_check(get_check(check_id), VerifyContext(G, budget=budget, seed=seed, artifacts=artifacts,
                                                         on_model=on_model))
        v = r.verdict.value
        if v in ("NOT APPLICABLE", "INCONCLUSIVE"):
            pytest.skip(f"{check_id} on {G}: {v}: {r.reason}" + (f" (to decide: {r.decide})" if r.decide else ""))
        if v != "PASS":
            pytest.fail(f"{check_id} on {G}: {v} (predicted {r.prediction!r}, measured {r.measurement!r}; {r.reason})",
                        pytrace=False)
        return r

    return run
