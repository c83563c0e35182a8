"""Names a reader sees: the group in titles and reports, irreps numbered 1..k as in GAP.

Irreps are numbered ``X.1 … X.k`` in the order of :attr:`CharacterTable` rows, exactly as
``grokcheck table`` and GAP's ``Display`` show them; Python lists stay 0-based, so irrep
``i`` of a list is ``X.{i+1}``. An orbit ``{ρ, ρ̄}`` of complex-conjugate irreps is named by
its members, e.g. ``X.3+X.4``.
"""

from __future__ import annotations

__all__ = ["group_display_name", "irrep_label", "orbit_label"]

_SOURCES = {"table": "Cayley table", "permutations": "permutations", "product": "direct product", "name": "name"}


def _identify(G) -> str | None:
    try:
        import grokcheck.theory as theory

        identify = getattr(theory, "identify", None)
    except Exception:  # noqa: BLE001 - an optional recogniser must not break a report
        return None
    if identify is None:
        return None
    try:
        name = identify(G)
    except Exception:  # noqa: BLE001
        return None
    return str(name) if name else None


def group_display_name(G) -> str:
    """``"S4"`` for a named group; ``"S4 (recognised; order 24, from a Cayley table)"`` when grokcheck
    recognises a table or permutation group among its named families; otherwise
    ``"group of order 24 (Cayley table grp.json)"``."""
    if getattr(G, "name", None):
        return str(G.name)
    src = str(getattr(G, "source", "table"))
    how = _SOURCES.get(src) or (f"Cayley table {src[len('cayley:'):]}" if src.startswith("cayley:") else src)
    ident = _identify(G)
    if ident:
        return f"{ident} (recognised; order {G.order}, from {how})"
    return f"group of order {G.order} ({how})"


def irrep_label(i: int) -> str:
    """GAP's name ``X.{i+1}`` of the 0-based irrep index ``i``."""
    return f"X.{int(i) + 1}"


def orbit_label(G, k: int) -> str:
    """The irreps of orbit ``k`` of ``G.character_table.orbits``, e.g. ``"X.3+X.4"``."""
    return "+".join(irrep_label(i) for i in G.character_table.orbits[int(k)])
