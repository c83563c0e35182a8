"""Claims of your own: checks and experiments that other packages register through an entry point.

A package declares, in its ``pyproject.toml``::

    [project.entry-points."grokcheck.claims"]
    mylab = "mylab.claims"

and the module (or any object) it names defines ``CHECKS = (Check(...), ...)`` and/or
``EXPERIMENTS = (Experiment(...), ...)``, exactly as grokcheck's own paper modules do. The
registry (:func:`grokcheck.checks._registry.registered`) joins them to grokcheck's own, so
``grokcheck checks``, ``grokcheck verify``, ``grokcheck experiments`` and the pytest fixture
``grokcheck_check`` see them, and reports show their results beside grokcheck's
(docs/properties.md walks through one).

An entry point that fails to import, or whose entries are not :class:`Check` /
:class:`Experiment` values, is a :class:`~grokcheck.errors.GrokcheckError` naming the entry
point and its distribution (exit 2 at the command line), not a silently missing claim. So is
an id that another entry (grokcheck's own or another package's) already uses: the message names
both registrations. :func:`user_entries_with_origin` says which package registered each entry
(``grokcheck checks`` shows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

__all__ = ["ENTRY_POINT_GROUP", "Origin", "user_entries", "user_entries_with_origin"]

#: the entry-point group user packages register their claim modules under
ENTRY_POINT_GROUP = "grokcheck.claims"


@dataclass(frozen=True)
class Origin:
    """Who registered a check or an experiment.

    ``distribution``/``version``: the installed package (``"grokcheck"`` for grokcheck's own
    paper modules; ``None`` for an entry point without distribution metadata); ``module``: the
    module (or ``module:object``) that defines the entry; ``entry_point``: the name in the
    ``grokcheck.claims`` group (``None`` for grokcheck's own).
    """

    distribution: str | None
    version: str | None
    module: str
    entry_point: str | None = None

    @classmethod
    def builtin(cls, module: str) -> Origin:
        return cls("grokcheck", None, module)

    @property
    def user(self) -> bool:
        return self.entry_point is not None

    def words(self) -> str:
        """One phrase, e.g. ``the distribution mylab 1.0 (entry point mylab = 'mylab.claims')``."""
        if not self.user:
            return f"grokcheck's own module {self.module}"
        ep = f"the {ENTRY_POINT_GROUP!r} entry point {self.entry_point} = {self.module!r}"
        return f"{ep} of the distribution {self.distribution} {self.version}" if self.distribution else ep

    def to_json(self) -> dict:
        return {"distribution": self.distribution, "version": self.version, "module": self.module,
                "entry_point": self.entry_point}


def _origin(ep) -> Origin:
    dist = getattr(ep, "dist", None)
    return Origin(None if dist is None else dist.name, None if dist is None else dist.version, ep.value, ep.name)


def _where(ep) -> str:
    return _origin(ep).words()


def user_entries(attr: str) -> list:
    """The ``attr`` entries (``"CHECKS"`` or ``"EXPERIMENTS"``) of every ``grokcheck.claims`` entry point,
    in the order of the entry points' names."""
    return [e for e, _ in user_entries_with_origin(attr)]


def user_entries_with_origin(attr: str) -> list[tuple[object, Origin]]:
    """``(entry, origin)`` for every ``attr`` entry of every ``grokcheck.claims`` entry point (see
    :func:`user_entries`): ``origin`` is the :class:`Origin` naming the entry point and its package."""
    from grokcheck.errors import GrokcheckError

    if attr == "CHECKS":
        from grokcheck.checks._registry import Check as kind
    elif attr == "EXPERIMENTS":
        from grokcheck.checks.experiments._study import Experiment as kind
    else:
        return []
    found = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure of a user package is reported by name
            raise GrokcheckError(f"{_where(ep)} failed to load: {type(exc).__name__}: {exc}") from exc
        entries = getattr(obj, attr, ())
        if not isinstance(entries, (tuple, list)):
            raise GrokcheckError(f"{_where(ep)}: {attr} must be a tuple of {kind.__name__} values, "
                                 f"got {type(entries).__name__}")
        bad = [e for e in entries if not isinstance(e, kind)]
        if bad:
            raise GrokcheckError(f"{_where(ep)}: {attr} holds {bad[0]!r}, not a grokcheck {kind.__name__}")
        origin = _origin(ep)
        found.extend((e, origin) for e in entries)
    return found
