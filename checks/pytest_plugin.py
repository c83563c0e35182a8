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

A user's own trained model enters through ``artifacts=`` (see each check's
docstring for the key it reads). The plugin also registers grokcheck's markers.
"""

from __future__ import annotations

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long trainings and sweeps")
    config.addinivalue_line("markers", "gpu: needs a CUDA device")


@pytest.fixture
def grokcheck_check():
    """``grokcheck_check(check_id, group, *, budget="small", seed=0, artifacts=None, expect="PASS")``."""
    from grokcheck.checks._registry import assert_check_passes
    from grokcheck.theory import FiniteGroup, group

    def run(check_id, G, **kwargs):
        if not isinstance(G, FiniteGroup):
            G = group(G)
        return assert_check_passes(check_id, G, **kwargs)

    return run
