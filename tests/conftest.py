"""Test configuration: hypothesis profiles, shared fixtures.

Profiles: ``ci`` (default; derandomized, bounded examples, no deadline so a slow
2-core CI machine never flakes on timing), ``dev`` (random), ``thorough`` (many
examples). Select with ``--hypothesis-profile=NAME``.
"""

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("ci")

pytest_plugins = ["pytester"]

# The test models are tiny: on a 2-core machine a second torch thread only adds
# synchronisation (15–100× slower when the machine is busy), so the suite runs with one.
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    """BLAS on one thread too (same reason as torch above); restored at the end of the session."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
