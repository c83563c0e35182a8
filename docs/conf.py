"""Sphinx configuration of the grokcheck documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "grokcheck"
author = "the grokcheck developers"
copyright = "2026, the grokcheck developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "grokcheck_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# numpydoc: parse the docstrings' sections; do not generate per-member tables (the API page lists
# members itself) and do not run numpydoc's style validation (pyflakes-level lint is ruff's job).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set = set()
numpydoc_xref_param_type = False

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"  # the docstrings state types and shapes
autodoc_member_order = "bysource"

html_theme = "alabaster"
html_static_path: list = []
html_title = "grokcheck"
html_theme_options = {"description": "Check the mathematics of how networks learn group structure", "fixed_sidebar": True}
