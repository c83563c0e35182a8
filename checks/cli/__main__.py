"""``python -m grokcheck.checks.cli …`` is the ``grokcheck`` command."""

import sys

from grokcheck.checks.cli import main

if __name__ == "__main__":
    sys.exit(main())
