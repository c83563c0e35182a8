"""Property-based testing of trained networks (grokcheck.checks.properties; docs/properties.md).

* the worked examples of docs/properties.md: a property that holds for quadratic networks over
  the groups of order 4 to 24 (the trained single-irrep fraction beats its random-init baseline),
  and one that fails (every width learns the table in 300 steps), as an expected failure whose
  shrunk counterexample (hypothesis's falsifying example) is the smallest group and width;
* the cache: a second training of a setting is a file read, a damaged file is retrained, and the
  file is read without unpickling;
* the invariances and the registered-claim property on drawn trained networks;
* the strategy's shrinking and argument checks, and the profiles the plugin registers.

Budgets: each training is 300 full-batch steps (or fewer) of a width ≤ 32 network on ≤ 576 pairs
(0.5–1.7 s on one thread of a loaded 2-core machine); the session-wide cache (the
``grokcheck_train`` fixture) makes the shrink steps that revisit a setting file reads. The failing
search trains about a dozen settings.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from grokcheck.checks.properties import (
    PROFILES,
    PropertyFailure,
    TrainingSetup,
    assert_beats_baseline,
    assert_claim_holds,
    assert_neuron_permutation_invariant,
    assert_relabelling_invariant,
    assert_rescaling_invariant,
    train_setting,
    trainings,
)
from grokcheck.checks.training import OptimizerConfig
from grokcheck.errors import InvalidInputError
from grokcheck.theory import group
from grokcheck.theory.strategies import groups

#: the package's CPU profile, with the examples this file can afford on 2 shared cores
CPU = settings(settings.get_profile("grokcheck-cpu"), max_examples=4)


# --------------------------------------------------------------------------- the worked examples

#: groups of order 4 to 24: C1, C2 and C3 have at most one non-trivial real irrep, so every random
#: neuron is already single-irrep there and no statistic can beat that baseline
QUADRATIC_GROUPS = groups(min_order=4, max_order=24, relabel=False)


@CPU
@given(setup=trainings(groups=QUADRATIC_GROUPS, models=["quadratic"], widths=[8, 16], budgets=[300]))
def test_quadratic_single_irrep_fraction_beats_its_random_init_baseline(grokcheck_train, setup):
    """The property that holds (docs/properties.md, first example)."""
    assert_beats_baseline(grokcheck_train(setup))


#: the failing example's search: every group of order ≤ 24 and three widths, 300 steps
LEARNS = trainings(groups=groups(max_order=24, relabel=False), models=["quadratic"], widths=[4, 8, 16], budgets=[300])


def _learns_the_table(trained) -> bool:
    return bool(np.min(trained.net.train_acc) == 1.0)


def every_width_learns_the_table_in_300_steps(grokcheck_train, setup):
    """The property that fails (docs/properties.md, second example)."""
    trained = grokcheck_train(setup)
    assert _learns_the_table(trained), f"{setup.describe()}: train accuracy per seed {trained.net.train_acc}"


def test_the_failing_property_is_an_expected_failure_shrunk_to_the_smallest_group_and_width(request, grokcheck_train):
    with pytest.raises(AssertionError) as e:
        CPU(given(setup=LEARNS)(every_width_learns_the_table_in_300_steps))(grokcheck_train)
    # hypothesis's own report: the falsifying example after shrinking, then the failure it raised
    notes = "\n".join(getattr(e.value, "__notes__", []))
    assert "Falsifying example" in notes and "setup=TrainingSetup(C3 (order 3), quadratic width 4," in notes, notes
    assert str(e.value).startswith("C3 (order 3), quadratic width 4, adam lr 0.01, 300 steps"), str(e.value)
    # the failure was expected and is checked here: no patch of "failing examples" for this passing test
    request.node._hypothesis_failing_examples = None
    # minimal in both directions: width 8 learns C3 and width 4 learns C2 (the only smaller non-trivial group)
    for G, w in (("C3", 8), ("C2", 4)):
        bigger = TrainingSetup(group(G), "quadratic", w, OptimizerConfig("adam", lr=1e-2), 300)
        assert _learns_the_table(grokcheck_train(bigger)), bigger


# --------------------------------------------------------------------------- the cache


def _setup(G="S3", model="quadratic", width=8, steps=60, **kw) -> TrainingSetup:
    return TrainingSetup(group(G), model, width, OptimizerConfig("adam", lr=1e-2), steps, **kw)


def test_a_second_training_is_a_file_read_and_a_damaged_file_is_retrained(tmp_path, monkeypatch):
    s = _setup()
    first = train_setting(s, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert not first.cached and len(files) == 1
    second = train_setting(s, cache_dir=tmp_path)
    assert second.cached
    for k in ("theta1", "theta2", "xi", "logits", "train_acc"):
        np.testing.assert_array_equal(getattr(first.net, k), getattr(second.net, k))
        np.testing.assert_array_equal(getattr(first.init, k), getattr(second.init, k))
    assert second.net.source == first.net.source and second.net.steps == 60
    # the file is plain arrays: numpy reads it without unpickling anything
    with np.load(files[0], allow_pickle=False) as z:
        assert "net.theta1" in z.files and all(z[k].dtype != object for k in z.files)
    files[0].write_bytes(b"not an npz file")
    third = train_setting(s, cache_dir=tmp_path)
    assert not third.cached
    np.testing.assert_array_equal(third.net.theta1, first.net.theta1)  # seeded: the same weights again
    assert train_setting(s, cache_dir=tmp_path).cached
    # another setting is another file
    assert not train_setting(_setup(width=9), cache_dir=tmp_path).cached
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_the_random_init_baseline_is_the_same_configuration_untrained(tmp_path):
    t = train_setting(_setup(), cache_dir=tmp_path)
    assert t.init.steps == 0 and t.net.steps == 60
    assert t.net.theta1.shape == t.init.theta1.shape == (2, 8, 6)
    assert not np.allclose(t.net.theta1, t.init.theta1)


# --------------------------------------------------------------------------- invariances and claims


@CPU
@given(setup=trainings(groups=groups(min_order=2, max_order=12, relabel=False), models=["quadratic", "mlp"],
                       widths=[6, 12], budgets=[60]),
       sigma_seed=st.integers(0, 2**16))
def test_statistics_are_invariant_on_trained_networks(grokcheck_train, setup, sigma_seed):
    t = grokcheck_train(setup)
    rng = np.random.default_rng(sigma_seed)
    assert_relabelling_invariant(t, rng.permutation(setup.group.order))
    assert_neuron_permutation_invariant(t, rng.permutation(setup.width))
    if setup.model == "mlp":
        assert_rescaling_invariant(t, rng.uniform(0.05, 20.0, size=setup.width))
    else:
        with pytest.raises(InvalidInputError, match="degree 2"):
            assert_rescaling_invariant(t)


def test_a_broken_statistic_is_caught_with_a_readable_failure(tmp_path):
    """The invariance properties have teeth: a neuron's output weights zeroed is not a symmetry."""
    from dataclasses import replace

    from grokcheck.checks.properties import _check_invariant

    t = train_setting(_setup("C5", width=8, steps=200), cache_dir=tmp_path)
    xi = t.net.xi.copy()
    xi[:, :4] = 0.0
    with pytest.raises(PropertyFailure, match=r"(?s)invariance under zeroed outputs fails.*setting: C5 \(order 5\)"):
        _check_invariant(t, t.group, replace(t.net, xi=xi), "zeroed outputs")


def test_beats_baseline_failure_names_setting_statistic_and_baseline(tmp_path):
    t = train_setting(_setup("C3", width=8, steps=60), cache_dir=tmp_path)  # one non-trivial real irrep
    with pytest.raises(PropertyFailure) as e:
        assert_beats_baseline(t)
    msg = str(e.value)
    for words in ("setting: C3 (order 3), quadratic width 8", "statistic: single-irrep fraction", "trained: 1.0000",
                  "baseline (random init): 1.0000", "random-init neurons already reach it"):
        assert words in msg, msg

    def median_alive_share(net, analysis):
        return float(np.median(analysis.alive_shares()))

    t = train_setting(_setup("C5", width=8, steps=200), cache_dir=tmp_path)
    assert_beats_baseline(t, median_alive_share)
    with pytest.raises(PropertyFailure, match="'median_alive_share' beats its random-init baseline fails"):
        assert_beats_baseline(t, median_alive_share, margin=1.0)


def test_a_registered_claim_holds_on_a_trained_network(tmp_path):
    t = train_setting(_setup("C7", width=32, steps=300), cache_dir=tmp_path)
    r = assert_claim_holds("trained.quadratic-single-irrep", t)
    assert r.verdict.value == "PASS" and r.on_model
    with pytest.raises(PropertyFailure, match=r"(?s)verdict: NOT APPLICABLE.*setting: |verdict: NOT APPLICABLE"):
        assert_claim_holds("trained.mlp-single-irrep", t, undecided="fail")  # not an MLP


# --------------------------------------------------------------------------- the strategy and profiles


def test_trainings_shrink_to_the_smallest_group_width_and_budget():
    s = find(trainings(widths=[32, 8, 16], budgets=[500, 100]), lambda s: True,
             settings=settings(database=None, suppress_health_check=list(HealthCheck)))
    assert (s.group.order, s.width, s.steps, s.model, s.optimizer.lr) == (1, 8, 100, "quadratic", 1e-2)


@pytest.mark.parametrize("kw", [dict(widths=[]), dict(widths=[0, 4]), dict(budgets=["many"]), dict(models=["cnn"]),
                                dict(optimizers=["adam"]), dict(groups=[group("C3")]), dict(n_seeds=0)])
def test_trainings_refuse_bad_arguments_when_drawn(kw):
    with pytest.raises(InvalidArgument):
        find(trainings(**kw), lambda s: True, settings=settings(database=None))


def test_the_plugin_registers_the_profiles():
    for name, kw in PROFILES.items():
        assert settings.get_profile(name).max_examples == kw["max_examples"]
        assert settings.get_profile(name).deadline is None
