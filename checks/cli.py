"""The ``grokcheck`` command line.

Each subcommand lives in its own module ``grokcheck.checks._cmd_<name>`` that
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


def _command_modules():
    import grokcheck.checks as pkg

    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("_cmd_"))
    return [importlib.import_module(f"grokcheck.checks.{n}") for n in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grokcheck",
        description="Check the mathematics of how neural networks learn group structure.",
    )
    parser.add_argument("--version", action="version", version=f"grokcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _command_modules():
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
