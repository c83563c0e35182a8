"""Explicit, lazily imported re-exports (PEP 562).

A package lists each public name with the module that defines it; the module is imported the
first time the name is used, so importing a package never loads torch by itself.
"""

from __future__ import annotations

import importlib


def lazy_exports(package: str, table: dict[str, str]):
    """``(__getattr__, __dir__, __all__)`` for ``package`` re-exporting ``table`` (name → module)."""

    def __getattr__(name: str):
        try:
            module = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__():
        return sorted(set(vars(importlib.import_module(package))) | set(table))

    return __getattr__, __dir__, sorted(table)
