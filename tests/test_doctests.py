"""Run the docstring examples of every grokcheck module (they are part of the docs)."""

import doctest
import importlib
import pkgutil

import pytest

import grokcheck


def _modules():
    names = ["grokcheck", "grokcheck.errors"]
    for sub in ("theory", "numerics", "checks"):
        pkg = importlib.import_module(f"grokcheck.{sub}")
        names.append(pkg.__name__)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{pkg.__name__}.")]
    return sorted(n for n in names if not n.endswith("pytest_plugin"))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_version():
    assert grokcheck.__version__.count(".") == 2
