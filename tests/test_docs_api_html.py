"""The built API page shows every public name's own documentation.

The Sphinx build (``sphinx-build -W -b html docs …``, about a minute on 2 cores) runs once per
session into a temporary folder, so the HTML tests are ``slow``; the docstring rewrites of
``docs/_ext/grokcheck_docs.py`` they rely on are tested here without Sphinx too.
"""

from __future__ import annotations

import html
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

gd = pytest.importorskip("grokcheck_docs", reason="docs/_ext needs docutils and sphinx (the dev extra)")

_ROLE = re.compile(r":\w+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _own_doc(ns: str, name: str, kind: str) -> str:
    """The first sentence of the documentation the page should show, roles reduced to their text."""
    obj = getattr(importlib.import_module(ns), name)
    lines = gd.data_doc(ns, name) if kind == "data" else (inspect.getdoc(obj) or "").splitlines()
    return _shown(" ".join(lines).split(". ")[0])


def _shown(rst: str) -> str:
    """The text of ``rst`` with roles as Sphinx shows them (``~`` keeps the last component of a target)."""
    return _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if "~" in m.group(0) else m.group(1), rst)


@pytest.fixture(scope="session")
def api_html(tmp_path_factory) -> str:
    if shutil.which("sphinx-build") is None:
        pytest.skip("sphinx-build is not installed (the dev extra)")
    out = tmp_path_factory.mktemp("html")
    r = subprocess.run(["sphinx-build", "-q", "-W", "-b", "html", str(DOCS), str(out)],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    return (out / "api.html").read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


@pytest.mark.slow
def test_every_public_name_shows_its_own_docstring(api_html):
    entries = gd.api_entries()
    starts = {f"{ns}.{n}": api_html.find(f'id="{ns}.{n}"') for ns, n, _ in entries}
    assert not [i for i, p in starts.items() if p < 0], "public names missing from the API page"
    order = sorted((p, i) for i, p in starts.items())
    kinds = {f"{ns}.{n}": k for ns, n, k in entries}
    wrong = []
    for j, (p, ident) in enumerate(order):
        end = order[j + 1][0] if j + 1 < len(order) else len(api_html)
        shown = " ".join(_words(_text(api_html[p:end])))
        ns, name = ident.rsplit(".", 1)
        want = _words(_own_doc(ns, name, kinds[ident]))[:6]
        if "alias of" in shown:  # another name of a class documented under its own name (ClaimResult)
            continue
        if not want or " ".join(want) not in shown:
            wrong.append((ident, " ".join(want), shown[:160]))
    assert not wrong, wrong


@pytest.mark.slow
def test_the_api_page_has_no_raw_roles_type_docstrings_or_private_pointers(api_html):
    text = _text(api_html)
    for raw in (":meth:`", ":class:`", ":func:`", ":data:`", ":mod:`", ":attr:`"):
        assert raw not in text, raw
    # Python's own docstrings of int and tuple, which a re-exported constant used to show
    assert "int([x])" not in text and "Built-in immutable sequence" not in text
    assert "_given_model" not in text
    for ns in gd.NAMESPACES:
        summary = _shown(gd.module_summary(importlib.import_module(ns)))
        assert " ".join(_words(summary)) in " ".join(_words(text)), ns  # the whole first paragraph


def test_the_namespaces_include_compact_groups_and_properties():
    names = {f"{ns}.{n}" for ns, n, _ in gd.api_entries()}
    assert "grokcheck.theory.compact.SO3" in names and "grokcheck.checks.properties.trainings" in names


def test_constants_are_documented_by_their_comment_not_their_type():
    assert gd.data_doc("grokcheck.theory", "MAX_ORDER")[0].startswith("Largest order grokcheck builds")
    assert gd.data_doc("grokcheck.checks.training", "ROBUSTNESS_KEYS")[0].startswith("Keys a")
    assert gd.data_doc("grokcheck.theory.compact", "SO3")[0].startswith("The rotation group SO(3)")
    rst = gd.api_rst()
    assert ".. py:data:: grokcheck.theory.MAX_ORDER\n   :value: 5040\n\n   Largest order" in rst


def test_module_summaries_are_whole_paragraphs():
    mod = importlib.import_module("grokcheck.numerics")
    first = inspect.getdoc(mod).split("\n\n")[0]
    assert gd.module_summary(mod) == " ".join(first.split())
    assert gd.module_summary(mod).endswith(".")


def test_a_closing_paragraph_leaves_the_parameters_and_descriptions_leave_the_type():
    lines = ["Summary.", "", "Parameters", "----------", "relabel : if true, some draws (:meth:`FiniteGroup.relabel`)",
             "    go on.", "n : int", "    the count.", "", "Draws products of :data:`MAX_FACTORS` groups.", "",
             "Returns", "-------", "int"]
    gd.lift_stray_paragraphs(lines)
    gd.split_descriptions(lines)
    assert lines == ["Summary.", "", "Draws products of :data:`MAX_FACTORS` groups.", "", "Parameters", "----------",
                     "relabel", "    if true, some draws (:meth:`FiniteGroup.relabel`)", "    go on.", "n : int",
                     "    the count.", "", "Returns", "-------", "int"]
