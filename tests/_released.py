"""Where the released Chughtai et al. checkpoints are, for the tests that read them.

``$GROKCHECK_RELEASED_MODELS``, or a folder named ``chughtai-2023`` two levels below the
project's parent (where a workspace keeps test data); the tests that need them skip otherwise.
The files are never part of the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _released() -> Path | None:
    env = os.environ.get("GROKCHECK_RELEASED_MODELS")
    if env:
        return Path(env) if (Path(env) / "S5_seed1.pt").exists() else None
    root = Path(__file__).resolve().parents[2]
    for cand in sorted(root.glob("*/*/chughtai-2023")):
        if (cand / "S5_seed1.pt").exists():
            return cand
    return None


RELEASED = _released()
needs_released = pytest.mark.skipif(RELEASED is None, reason="the released Chughtai et al. checkpoints are not here")
