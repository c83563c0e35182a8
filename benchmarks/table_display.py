"""Time ``grokcheck table NAME`` end to end: the group, its exact character table and GAP's Display text.

Usage::

    python benchmarks/table_display.py                 # C1000, C2520, D14, S7, PSL(2,11)
    python benchmarks/table_display.py --only C1000 --json

Each name is timed in a fresh interpreter (``python -m``-style call of the CLI's ``main``), so the
figure includes the imports and nothing is cached between names; the text (or JSON) goes to
``/dev/null``. Target: C1000 in a few seconds on a 2-core CPU (it took over five minutes when
the table stored one eigenvalue-multiplicity array per class and named irrationalities by
scanning the legend).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

NAMES = ["C1000", "C2520", "D14", "S7", "PSL(2,11)"]


def time_table(name: str, as_json: bool) -> tuple[float, int]:
    """Wall seconds and output bytes of ``grokcheck table name`` in a fresh interpreter."""
    code = "import sys; from grokcheck.checks.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "table", name] + (["--json"] if as_json else [])
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start, len(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", default=NAMES, help="group names to time")
    ap.add_argument("--json", action="store_true", help="time `table --json` instead of the text display")
    args = ap.parse_args()
    print(f"{'group':>10} {'seconds':>8} {'kB out':>9}   (cpus: {os.cpu_count()})")
    for name in args.only:
        secs, size = time_table(name, args.json)
        print(f"{name:>10} {secs:8.2f} {size / 1e3:9.1f}")


if __name__ == "__main__":
    main()
