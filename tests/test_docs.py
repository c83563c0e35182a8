"""The documentation's generated pages cover the registry (without running Sphinx).

The Sphinx build itself is ``sphinx-build -W -b html docs docs/_build/html``; these tests check
the generators of ``docs/_ext/grokcheck_docs.py`` that the build calls.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

gd = pytest.importorskip("grokcheck_docs", reason="docs/_ext needs docutils and sphinx (the dev extra)")


def test_claims_page_lists_every_registered_check_once():
    from grokcheck.checks import all_checks

    text = gd.claims_rst()
    ids = [c.id for c in all_checks()]
    assert ids, "the registry is empty"
    for cid in ids:
        assert len(re.findall(rf"``{re.escape(cid)}``", text)) == 1, cid
    for c in all_checks():  # the source and the tolerance's reason are in the table
        assert gd._cell(c.source) in text and gd._cell(c.tolerance.reason) in text, c.id


def test_each_paper_page_shows_its_module_and_the_errata_list_every_published_false_check():
    modules = gd.claims_modules()
    for mod, checks in modules.items():
        if mod == "library":
            continue
        page = DOCS / "papers" / f"{mod}.md"
        assert page.exists(), f"no docs page for grokcheck.checks.claims.{mod}"
        assert f"{{grokcheck-claims}} {mod}" in page.read_text()
        text = gd.claims_rst(mod)
        for c in checks:
            assert f"``{c.id}``" in text
    from grokcheck.checks import all_checks

    errata = gd.published_false_rst()
    for c in all_checks():
        assert (f"``{c.id}``" in errata) == c.published_false, c.id


def test_api_reference_documents_each_object_once():
    entries = gd.api_entries()
    names = [f"{ns}.{n}" for ns, n, _ in entries]
    assert len(names) == len(set(names))
    assert "grokcheck.checks.training.train" in names and "grokcheck.theory.FiniteGroup" in names


def test_plain_bars_are_escaped_outside_literals():
    lines = ["over all |G|² pairs, ``|G|`` and :math:`|x|`", "| a line block", "|G|."]
    gd.escape_bars(lines)
    assert lines == [r"over all \|G\|² pairs, ``|G|`` and :math:`|x|`", "| a line block", r"\|G\|."]


def test_docs_never_point_outside_the_project():
    outside = ("MATH" + ".md", "../" + "shared")  # files a user of the package never has
    for page in DOCS.rglob("*"):
        if page.suffix in (".md", ".rst", ".py") and "_build" not in page.parts:
            text = page.read_text()
            assert not any(o in text for o in outside), page


def test_package_and_readme_never_point_outside_the_project():
    """No file a user gets (package, CLI help, README, benchmarks) names the internal spec."""
    root = DOCS.parent
    outside = ("MATH" + ".md", "shared" + "/spec", "../" + "shared")
    files = [root / "README.md"] + [p for d in ("theory", "numerics", "checks", "grokcheck", "benchmarks")
                                    for p in (root / d).rglob("*.py")]
    offenders = [str(p.relative_to(root)) for p in files if any(o in p.read_text() for o in outside)]
    assert not offenders, offenders


def test_readme_counts_are_those_of_the_command_it_shows(tmp_path):
    """The README's Q8 counts (of `grokcheck verify Q8 --budget small`) are what the command reports now
    (~8 s; in the default tier so that a new check cannot leave the README's first screen stale)."""
    import json

    from grokcheck.checks.cli import main

    assert main(["verify", "Q8", "--budget", "small", "--out", str(tmp_path / "v"), "--quiet"]) == 0
    counts = json.loads((tmp_path / "v" / "report.json").read_text())["counts"]
    text = " ".join((DOCS.parent / "README.md").read_text(encoding="utf-8").split())
    m = re.search(r"On Q8: (\d+) PASS, (\d+) expected FAIL .*?, (\d+) INCONCLUSIVE .*?, (\d+) NOT APPLICABLE", text)
    assert m, "the README's sentence of Q8 counts"
    g = counts["group"]
    assert [int(x) for x in m.groups()] == [g["PASS"], g["expected FAIL"], g["INCONCLUSIVE"], g["NOT APPLICABLE"]]
    m2 = re.search(r"diagonal nets: (\d+) PASS, (\d+) expected FAIL, (\d+) NOT APPLICABLE\)", text)
    gi = counts["group_independent"]
    assert m2 and [int(x) for x in m2.groups()] == [gi["PASS"], gi["expected FAIL"], gi["NOT APPLICABLE"]]
