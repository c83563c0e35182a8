"""pytest plugin for grokcheck (entry point ``pytest11``).

Registers the markers grokcheck's own suites use, so a user's test suite that
installs grokcheck can select or deselect them too.
"""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long trainings and sweeps")
    config.addinivalue_line("markers", "gpu: needs a CUDA device")
