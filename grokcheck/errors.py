"""One exception tree for grokcheck.

Every error grokcheck raises on bad input derives from :class:`GrokcheckError`
and also from the matching builtin, so ``except ValueError`` keeps working.
Messages name the culprit (the row, the triple, the step) and, where there is
one, a fix.
"""

from __future__ import annotations

from typing import Any


class GrokcheckError(Exception):
    """Base class of every error raised by grokcheck."""


class GroupInputError(GrokcheckError, ValueError):
    """A group description (name, cycle string, generator array, file) is malformed.

    Attributes
    ----------
    text : the offending input, or the part of it that could not be read.
    """

    def __init__(self, message: str, *, text: Any = None):
        super().__init__(message)
        self.text = text


class NotAGroupError(GrokcheckError, ValueError):
    """A Cayley table does not define a group.

    Attributes
    ----------
    reason : one of ``"shape"``, ``"range"``, ``"latin"``, ``"identity"``,
        ``"associativity"``.
    witness : the evidence: the bad shape, the ``(row, col, value)`` out of range,
        the ``(row_or_col, index, repeated_value)`` of a Latin-square failure, or
        the non-associative triple ``(a, b, c)``.
    """

    def __init__(self, message: str, *, reason: str, witness: Any = None):
        super().__init__(message)
        self.reason = reason
        self.witness = witness


class CertificationError(GrokcheckError, ArithmeticError):
    """A computed object failed its own certificate (a residual above tolerance).

    Attributes
    ----------
    residuals : mapping from the name of the residual to its measured value.
    """

    def __init__(self, message: str, *, residuals: dict | None = None):
        super().__init__(message)
        self.residuals = dict(residuals or {})


class NumericalFailure(GrokcheckError, FloatingPointError):
    """A NaN/Inf or a diverging step, with where it happened.

    Attributes
    ----------
    where : a mapping such as ``{"seed": 3, "step": 120}``.
    """

    def __init__(self, message: str, *, where: dict | None = None):
        super().__init__(message)
        self.where = dict(where or {})


class InvalidInputError(GrokcheckError, ValueError):
    """A value given by the user (an option, an argument, a file's content) is out of range or malformed.

    Attributes
    ----------
    option : the option or argument at fault (``"--lr"``, ``"RUN_DIR"``), or ``None``.
    """

    def __init__(self, message: str, *, option: str | None = None):
        super().__init__(message)
        self.option = option


class RunDirectoryError(GrokcheckError, ValueError):
    """An output or run directory cannot be used: another run's outputs, a lock, a stale or foreign run.

    Attributes
    ----------
    path : the directory.
    differing : for a refused resume, the configuration or task keys that differ (else empty).
    """

    def __init__(self, message: str, *, path=None, differing: tuple[str, ...] = ()):
        super().__init__(message)
        self.path = None if path is None else str(path)
        self.differing = tuple(differing)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a run after it saved its state; the message says how to resume.

    A ``KeyboardInterrupt`` (not a :class:`GrokcheckError`), so ``except Exception`` never
    swallows it.

    Attributes
    ----------
    step : the step at which the run stopped (its final checkpoint), or ``None``.
    path : the run directory holding that checkpoint, or ``None``.
    """

    def __init__(self, message: str, *, step: int | None = None, path=None):
        super().__init__(message)
        self.step = step
        self.path = None if path is None else str(path)


class LabellingError(InvalidInputError):
    """A model's labels were mapped to the group's elements in a way the model's own predictions contradict.

    Attributes
    ----------
    model : the model's source (file, seed).
    accuracy : the fraction of pairs right under the given labelling.
    accuracy_isomorphism : the fraction under the isomorphism read from the model's predictions.
    """

    def __init__(self, message: str, *, model: str | None = None, accuracy: float | None = None,
                 accuracy_isomorphism: float | None = None):
        super().__init__(message, option="labels")
        self.model = model
        self.accuracy = accuracy
        self.accuracy_isomorphism = accuracy_isomorphism
