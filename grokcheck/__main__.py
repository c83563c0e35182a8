"""``python -m grokcheck …`` is the ``grokcheck`` command (as ``python -m grokcheck.checks.cli``)."""

import sys

from grokcheck.checks.cli import main

if __name__ == "__main__":
    sys.exit(main())
