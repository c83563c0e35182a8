"""Atomic file writes: a crash never leaves a half-written result behind."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_json", "atomic_write_via", "atomic_save_figure", "json_safe"]


def json_safe(obj):
    """Plain-JSON copy of ``obj``: numpy arrays/scalars to Python, non-finite floats to ``None``."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return json_safe(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""

    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    return atomic_write_via(path, write)


def atomic_write_json(path: str | Path, data, *, indent: int = 2, allow_nan: bool = True, default=None) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=indent, allow_nan=allow_nan, default=default) + "\n")


def atomic_write_via(path: str | Path, write) -> Path:
    """Call ``write(tmp_path)`` (e.g. a plotting function) on a temporary file, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix or ".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_save_figure(fig, path: str | Path, **kwargs) -> Path:
    """Save a matplotlib figure atomically as PNG."""
    return atomic_write_via(path, lambda tmp: fig.savefig(tmp, format="png", **kwargs))
