"""``python -m grokcheck.checks.cli …`` is the ``grokcheck`` command."""

import sys

from grokcheck.checks.cli import main

sys.exit(main())
