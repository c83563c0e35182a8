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
point and its distribution (exit 2 at the command line), not a silently missing claim.
"""

from __future__ import annotations

from importlib.metadata import entry_points

__all__ = ["ENTRY_POINT_GROUP", "user_entries"]

#: the entry-point group user packages register their claim modules under
ENTRY_POINT_GROUP = "grokcheck.claims"


def _where(ep) -> str:
    dist = getattr(ep, "dist", None)
    by = f" of the distribution {dist.name} {dist.version}" if dist is not None else ""
    return f"the {ENTRY_POINT_GROUP!r} entry point {ep.name} = {ep.value!r}{by}"


def user_entries(attr: str) -> list:
    """The ``attr`` entries (``"CHECKS"`` or ``"EXPERIMENTS"``) of every ``grokcheck.claims`` entry point,
    in the order of the entry points' names."""
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
        found.extend(entries)
    return found
