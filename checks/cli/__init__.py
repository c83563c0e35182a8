"""The ``grokcheck`` command line.

Each subcommand lives in its own module ``grokcheck.checks.cli.<name>`` that
defines ``register(subparsers)``; this file only discovers and dispatches them.
Subcommands render results computed by library functions; they hold no logic of
their own. Exit codes: 0 when the command ran, 2 for bad input (a
:class:`~grokcheck.errors.GrokcheckError`), 1 for anything unexpected.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from grokcheck import __version__
from grokcheck.errors import GrokcheckError

__all__ = ["main", "build_parser"]


def _broken(name: str, exc: Exception):
    """A subcommand whose module failed to import says so when used, instead of breaking every command."""

    class _Module:
        @staticmethod
        def register(sub):
            p = sub.add_parser(name, help=f"(unavailable: {type(exc).__name__})", add_help=False)
            p.add_argument("rest", nargs="*")
            p.set_defaults(func=lambda args: _fail(name, exc))

    return _Module


def _fail(name, exc) -> int:
    print(f"grokcheck: the '{name}' command could not be loaded: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grokcheck",
        description="Check the mathematics of how neural networks learn group structure.",
    )
    parser.add_argument("--version", action="version", version=f"grokcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    import grokcheck.checks.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            mod = importlib.import_module(f"grokcheck.checks.cli.{info.name}")
        except ImportError as exc:
            mod = _broken(info.name.replace("_", "-"), exc)
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GrokcheckError as exc:
        print(f"grokcheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grokcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
