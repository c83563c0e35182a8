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

Trained networks under hypothesis (:mod:`grokcheck.checks.properties`, docs/properties.md): the
``grokcheck_train`` fixture trains a drawn :class:`~grokcheck.checks.properties.TrainingSetup`
and caches it in pytest's cache folder (a temporary folder under ``-p no:cacheprovider``), and
the plugin registers the hypothesis profiles ``grokcheck-cpu`` and ``grokcheck-gpu``
(``--hypothesis-profile=grokcheck-cpu``)::

    from hypothesis import given
    from grokcheck.checks.properties import assert_beats_baseline, trainings

    @given(setup=trainings(widths=[8, 16]))
    def test_single_irrep(grokcheck_train, setup):
        assert_beats_baseline(grokcheck_train(setup))
"""

from __future__ import annotations

import pytest

try:  # registered on import, before hypothesis's own plugin reads --hypothesis-profile
    from grokcheck.checks.properties import register_profiles

    register_profiles()
except ImportError:  # hypothesis is a test dependency (the dev extra), not grokcheck's
    pass


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


@pytest.fixture(scope="session")
def grokcheck_train(request, tmp_path_factory):
    """``grokcheck_train(setup, *, device="cpu")``: :func:`~grokcheck.checks.properties.train_setting`
    with the trained weights cached in pytest's cache folder (``grokcheck-trained``), so a re-run
    or a shrink step that revisits a setting reads them back; session-scoped, so it can be used
    with ``@given``."""
    from grokcheck.checks.properties import train_setting

    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("grokcheck-trained") if cache is not None else tmp_path_factory.mktemp("grokcheck-trained")

    def run(setup, *, device: str = "cpu"):
        return train_setting(setup, cache_dir=folder, device=device)

    return run
