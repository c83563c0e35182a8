"""grokcheck: check how neural networks learn group structure against the theorems.

The three layers are imported as ``grokcheck.theory`` (exact group theory),
``grokcheck.numerics`` (flows, energies, metrics) and ``grokcheck.checks``
(training real networks and comparing them with predictions).
"""

from grokcheck.errors import (
    CertificationError,
    GrokcheckError,
    GroupInputError,
    InvalidInputError,
    NotAGroupError,
    NumericalFailure,
    RunDirectoryError,
)

__version__ = "0.1.0"

__all__ = [
    "CertificationError",
    "GrokcheckError",
    "GroupInputError",
    "InvalidInputError",
    "NotAGroupError",
    "NumericalFailure",
    "RunDirectoryError",
    "__version__",
]
