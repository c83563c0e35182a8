"""The ``grokcheck`` command line.

Each subcommand lives in its own module ``grokcheck.checks.cli.<name>`` that
defines ``register(subparsers)``; this file only discovers and dispatches them.
Subcommands render results computed by library functions; they hold no logic of
their own.

Exit codes
----------
0
    the command ran (whatever the verdicts of the checks).
2
    bad input or environment: a :class:`~grokcheck.errors.GrokcheckError`, an
    argument refused by argparse, or an ``OSError`` (missing file, directory
    given for a file, permission, read-only or full disk), a file that is not
    text, nested too deeply, or ends early, or memory exhausted (``MemoryError`` or
    torch's out-of-memory error on any device). One line names
    the problem and, where there is one, the fix.
130
    interrupted (Ctrl-C / SIGINT).
141
    the reader of stdout went away (``grokcheck checks | head``); no traceback.
1
    a negative answer, as ``grep`` and ``diff`` give one: ``verify --strict`` found an
    unexpected FAIL or an ERROR, ``identify`` did not recognise the group, ``sweep`` had
    cells that failed (recorded in ``OUT/cells/``). Anything else
    that exits 1 is a bug in grokcheck: then the traceback is printed; please report it.

``--debug`` (anywhere on the command line, or ``GROKCHECK_DEBUG=1``) prints the
traceback for every error, including bad input.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys

from grokcheck import __version__
from grokcheck.errors import GrokcheckError

__all__ = ["HelpFormatter", "build_parser", "describe_error", "main"]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows every option's default, once.

    Options whose help already states a default (``"(default 4)"``) are left as
    they are; flags (``store_true``) say nothing, their default is "off".
    """

    def _fill_text(self, text, width, indent):
        if "\n" in text:  # a pre-formatted description or epilog (e.g. kkt's table of columns): keep its lines
            return "".join(indent + line + "\n" for line in text.splitlines())
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower() or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return text
        if action.default is None:  # an optional positional (a group NAME) says nothing
            return text + (" (default: not set)" if action.option_strings else "")
        return super()._get_help_string(action)


def _short_error(self, message: str):
    """argparse's error, without the (long) usage block: the message, then where the help is."""
    self.exit(2, f"{self.prog}: error: {message}\n(see `{self.prog} --help`)\n")


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """Give every option of ``parser`` a help line, so the formatter can show its default."""
    import types

    parser.formatter_class = HelpFormatter
    parser.error = types.MethodType(_short_error, parser)
    for action in parser._actions:
        if not action.option_strings or action.help is argparse.SUPPRESS:
            continue
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if not action.help:
            if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
                action.help = "a flag (off by default)"
            elif action.default is None:
                action.help = "(default: not set)"
            else:
                action.help = "(default: %(default)s)"


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
    """The top-level parser with one subparser per public module of this package."""
    parser = argparse.ArgumentParser(
        prog="grokcheck",
        description="Check the mathematics of how neural networks learn group structure.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"grokcheck {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of every error, including bad input (anywhere on the line)")
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
    seen = set()
    for p in (parser, *sub.choices.values()):
        if id(p) not in seen:
            seen.add(id(p))
            _show_defaults(p)
    return parser


_OS_HINTS = {
    errno.ENOSPC: "free some space or choose another --out",
    getattr(errno, "EDQUOT", -1): "free some space or choose another --out",
    errno.EROFS: "choose another --out",
    errno.EACCES: "choose a path you can write (or read)",
    errno.EPERM: "choose another path",
    errno.ENOENT: "check the path",
    errno.EISDIR: "a file was expected here",
    errno.ENOTDIR: "a part of this path is a file",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.EMFILE: "close other programs or raise the limit (ulimit -n)",
}


def describe_error(exc: BaseException) -> str | None:
    """The one-line message for an error caused by the user's input or environment, else ``None``.

    ``None`` means the error is taken to be a bug in grokcheck (a traceback is shown).
    """
    if isinstance(exc, GrokcheckError):
        return str(exc)
    if isinstance(exc, OSError):
        where = ", ".join(str(f) for f in (exc.filename, exc.filename2) if f)
        what = exc.strerror or str(exc) or type(exc).__name__
        hint = _OS_HINTS.get(exc.errno)
        return (f"{where}: " if where else "") + what + (f" ({hint})" if hint else "")
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not UTF-8 text ({exc.reason} at byte {exc.start}): give a text file (JSON) or a .npy array"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read: give a flat list of lists"
    if isinstance(exc, EOFError):
        return "a file ended early (empty or truncated): regenerate it"
    if isinstance(exc, MemoryError):
        return "out of memory: choose a smaller group, fewer seeds or a smaller model"
    oom = _torch_out_of_memory(exc)
    if oom:
        return oom
    return None


def _torch_out_of_memory(exc: BaseException) -> str | None:
    """The message for torch's out-of-memory error (CUDA, MPS or the CPU allocator), else ``None``."""
    torch = sys.modules.get("torch")  # never import torch just to classify an error
    cuda_oom = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None) if torch else None
    text = str(exc)
    is_oom = (cuda_oom is not None and isinstance(exc, cuda_oom)) or (
        isinstance(exc, RuntimeError)
        and ("out of memory" in text.lower() or "can't allocate memory" in text or "failed to allocate" in text.lower())
    )
    if not is_oom:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    on_cpu = "CPUAllocator" in text or "alloc_cpu" in text
    return (f"out of memory in torch ({first[:200]}): use a smaller --width, --batch-size or model, or fewer seeds"
            + ("" if on_cpu else ", or --device cpu (the machine usually has more memory than the GPU)"))


def _debug_requested(argv: list[str]) -> tuple[bool, list[str]]:
    on = os.environ.get("GROKCHECK_DEBUG", "") not in ("", "0")
    if "--debug" in argv:
        argv = [a for a in argv if a != "--debug"]
        on = True
    return on, argv


def _quiet_broken_pipe() -> int:
    # Python flushes stdout at exit; point it at /dev/null so that flush cannot raise again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return 141


def main(argv: list[str] | None = None) -> int:
    """Run one ``grokcheck`` command and return its exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug, argv = _debug_requested(argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt as exc:
        if debug:
            import traceback

            traceback.print_exc()
        from grokcheck.errors import RunInterrupted

        print(f"grokcheck: interrupted: {exc}" if isinstance(exc, RunInterrupted) else "grokcheck: interrupted",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one error boundary of the command line
        msg = describe_error(exc)
        if msg is None or debug:
            import traceback

            traceback.print_exc()
        if msg is None:
            print("grokcheck: internal error (a bug in grokcheck; please report the command line and the "
                  "traceback above)", file=sys.stderr)
            return 1
        print(f"grokcheck: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
