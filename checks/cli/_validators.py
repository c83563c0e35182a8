"""argparse ``type=`` functions that validate a value at parse time.

Every function here turns a command-line string into a value or raises
:class:`argparse.ArgumentTypeError` whose message states the accepted range, so
``argparse`` reports ``grokcheck train: error: argument --lr: ...`` and exits 2
before any work starts. Nothing is reinterpreted silently: ``0``, negative
numbers, ``nan`` and ``inf`` are refused wherever they have no meaning.

Examples
--------
>>> positive_int("3")
3
>>> fraction("0.4")
0.4
>>> floats_or_per_seed(minimum=0.0)("0.1,0.2")
(0.1, 0.2)
"""

from __future__ import annotations

import argparse
import math

__all__ = [
    "MAX_INT",
    "device",
    "finite_float",
    "float_in",
    "floats_or_per_seed",
    "fraction",
    "int_at_least",
    "nonnegative_float",
    "nonnegative_int",
    "open_fraction",
    "positive_float",
    "positive_int",
]

#: Largest integer accepted by any count option (steps, seeds, widths): beyond it an
#: allocation or loop would not finish, and a typo is far more likely than intent.
MAX_INT = 10**9


def _int(text: str) -> int:
    s = str(text).strip()
    if len(s) > 12:
        raise argparse.ArgumentTypeError(f"{s[:20]}… is not an integer in range (at most {MAX_INT})")
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def int_at_least(lo: int, hi: int = MAX_INT):
    """An integer type accepting ``lo ≤ n ≤ hi``."""

    def parse(text: str) -> int:
        v = _int(text)
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is out of range: expected an integer in [{lo}, {hi}]")
        return v

    parse.__name__ = f"integer ≥ {lo}"
    return parse


def positive_int(text: str) -> int:
    """An integer ``1 ≤ n ≤ MAX_INT``."""
    v = _int(text)
    if not 1 <= v <= MAX_INT:
        raise argparse.ArgumentTypeError(f"{v} is out of range: expected a positive integer in [1, {MAX_INT}]")
    return v


def nonnegative_int(text: str) -> int:
    """An integer ``0 ≤ n ≤ MAX_INT``."""
    v = _int(text)
    if not 0 <= v <= MAX_INT:
        raise argparse.ArgumentTypeError(f"{v} is out of range: expected an integer in [0, {MAX_INT}]")
    return v


def finite_float(text: str) -> float:
    """A finite float (no ``nan``, ``inf``, or overflow to inf such as ``1e999``)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return v


def float_in(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False):
    """A finite float in the interval given (``None`` = unbounded on that side)."""

    def parse(text: str) -> float:
        v = finite_float(text)
        bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (
            hi is not None and (v > hi or (hi_open and v == hi))
        )
        if bad:
            left = "(-inf" if lo is None else ("(" if lo_open else "[") + f"{lo:g}"
            right = "inf)" if hi is None else f"{hi:g}" + (")" if hi_open else "]")
            raise argparse.ArgumentTypeError(f"{v:g} is out of range: expected a number in {left}, {right}")
        return v

    parse.__name__ = "number"
    return parse


positive_float = float_in(0.0, lo_open=True)
positive_float.__doc__ = "A finite float > 0."
nonnegative_float = float_in(0.0)
nonnegative_float.__doc__ = "A finite float ≥ 0."
fraction = float_in(0.0, 1.0)
fraction.__doc__ = "A float in [0, 1]."
open_fraction = float_in(0.0, 1.0, lo_open=True)
open_fraction.__doc__ = "A float in (0, 1]."


def floats_or_per_seed(*, minimum: float = 0.0, strict: bool = False):
    """A float or comma-separated per-seed floats, each finite and ≥ ``minimum`` (> when ``strict``)."""
    one = float_in(minimum, lo_open=strict)

    def parse(text: str):
        parts = [p for p in str(text).split(",")]
        if not parts or any(p.strip() == "" for p in parts):
            raise argparse.ArgumentTypeError(f"{text!r}: expected a number or comma-separated numbers")
        vals = tuple(one(p) for p in parts)
        return vals[0] if len(vals) == 1 else vals

    parse.__name__ = "number list"
    return parse


def device(text: str) -> str:
    """A torch device string (``cpu``, ``cuda``, ``cuda:1``, ``mps``), checked to exist on this machine."""
    s = str(text).strip()
    base, _, index = s.partition(":")
    known = ("cpu", "cuda", "mps", "xpu")
    if base not in known or (index and not index.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a torch device: expected one of cpu, cuda, cuda:N, mps")
    if base == "cpu":
        return s
    import torch

    if base == "cuda":
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError(f"{text!r}: CUDA is not available on this machine (use --device cpu)")
        if index and int(index) >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(
                f"{text!r}: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0"
            )
    elif base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise argparse.ArgumentTypeError(f"{text!r}: MPS is not available on this machine (use --device cpu)")
    elif base == "xpu" and not (hasattr(torch, "xpu") and torch.xpu.is_available()):
        raise argparse.ArgumentTypeError(f"{text!r}: XPU is not available on this machine (use --device cpu)")
    return s
