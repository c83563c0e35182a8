"""Claims of your own: a user package registers a check through the ``grokcheck.claims`` entry point.

The package is ``tests/fixtures/user_claims`` (its own pyproject declares the entry point). It is
not pip-installed: each test puts its source folder and a ``.dist-info`` generated from that
pyproject (METADATA and entry_points.txt, what pip would write) on ``sys.path`` through
``monkeypatch``, and removes its modules afterwards, so no other test sees it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grokcheck.checks import all_checks
from grokcheck.checks.cli import main
from grokcheck.errors import GrokcheckError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PACKAGE = Path(__file__).parent / "fixtures" / "user_claims"
CHECK_ID = "mylab.degrees-divide-order"


def _install_on_path(root: Path, monkeypatch, project: dict, src: Path | None) -> None:
    """What ``pip install`` leaves for importlib.metadata: ``<name>-<version>.dist-info`` on sys.path."""
    info = root / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    lines = []
    for group, eps in project.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in eps.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(root))
    if src is not None:
        monkeypatch.syspath_prepend(str(src))


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    _install_on_path(tmp_path / "site", monkeypatch, project, PACKAGE / "src")
    yield project
    for name in [m for m in sys.modules if m == "grokcheck_user_claims" or m.startswith("grokcheck_user_claims.")]:
        del sys.modules[name]


def test_the_fixture_declares_its_claims_module_by_entry_point(user_package):
    assert user_package["entry-points"]["grokcheck.claims"] == {"mylab": "grokcheck_user_claims.claims"}


def test_the_registry_and_grokcheck_checks_list_the_users_claim(user_package, capsys):
    ids = [c.id for c in all_checks()]
    assert CHECK_ID in ids and ids == sorted(ids)
    assert main(["checks"]) == 0
    out = capsys.readouterr().out
    assert CHECK_ID in out and "Frobenius (1896)" in out


def test_grokcheck_verify_reports_the_users_claim(user_package, tmp_path, capsys):
    out = tmp_path / "verify"
    assert main(["verify", "S4", "--only", CHECK_ID, "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    rows = [r for r in _results(report) if r["id"] == CHECK_ID]
    assert len(rows) == 1 and rows[0]["verdict"] == "PASS", rows
    assert rows[0]["measurement"] == [0, 0, 0, 0, 0]  # S4's degrees 1, 1, 2, 3, 3 divide 24
    assert CHECK_ID in (out / "report.md").read_text()
    # on the trivial group the user's own hypothesis decides, as grokcheck's own do
    out1 = tmp_path / "verify1"
    assert main(["verify", "C1", "--only", CHECK_ID, "--out", str(out1), "--quiet"]) == 0
    row = [r for r in _results(json.loads((out1 / "report.json").read_text())) if r["id"] == CHECK_ID][0]
    assert row["verdict"] == "NOT APPLICABLE" and "G is not trivial" in row["reason"]


def _results(report: dict) -> list:
    for key in ("results", "checks"):
        if key in report:
            return report[key]
    raise AssertionError(f"no results in the report's keys {sorted(report)}")


def test_the_pytest_fixture_runs_the_users_claim(user_package, pytester):
    pytester.makepyfile(f'''
        def test_mine(grokcheck_check):
            r = grokcheck_check({CHECK_ID!r}, "D5")
            assert r.verdict.value == "PASS" and r.measurement == [0] * 4
    ''')
    pytester.runpytest("-p", "grokcheck", "-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_users_claim_is_gone_without_the_package():
    assert CHECK_ID not in [c.id for c in all_checks()]


def test_a_broken_entry_point_is_a_named_error(tmp_path, monkeypatch, capsys):
    project = {"name": "broken-claims", "version": "1.0",
               "entry-points": {"grokcheck.claims": {"broken": "no_such_module_for_grokcheck.claims"}}}
    _install_on_path(tmp_path, monkeypatch, project, None)
    with pytest.raises(GrokcheckError, match=r"entry point broken = 'no_such_module_for_grokcheck.claims' of the "
                                             r"distribution broken-claims 1.0 failed to load: ModuleNotFoundError"):
        all_checks()
    assert main(["checks"]) == 2
    assert "broken-claims" in capsys.readouterr().err


def test_an_entry_that_is_not_a_check_is_refused(tmp_path, monkeypatch):
    mod = tmp_path / "src" / "not_checks_for_grokcheck.py"
    mod.parent.mkdir()
    mod.write_text("CHECKS = ('mylab.a-string',)\n")
    project = {"name": "odd-claims", "version": "1.0",
               "entry-points": {"grokcheck.claims": {"odd": "not_checks_for_grokcheck"}}}
    _install_on_path(tmp_path / "site", monkeypatch, project, mod.parent)
    try:
        with pytest.raises(GrokcheckError, match="CHECKS holds 'mylab.a-string', not a grokcheck Check"):
            all_checks()
    finally:
        sys.modules.pop("not_checks_for_grokcheck", None)


def _clashing_package(tmp_path, monkeypatch, name: str, check_id: str) -> None:
    """A package ``name`` whose entry point registers one check with id ``check_id``."""
    mod_name = f"{name.replace('-', '_')}_for_grokcheck"
    src = tmp_path / name / "src"
    src.mkdir(parents=True)
    (src / f"{mod_name}.py").write_text(
        "from grokcheck.checks import Check, Tolerance\n"
        f"CHECKS = (Check(id={check_id!r}, claim='c', source='s', predict=lambda ctx: 0, measure=lambda ctx: 0,\n"
        "                 tolerance=Tolerance(0, 'exact', kind='equal'), table_free=True),)\n")
    project = {"name": name, "version": "2.0", "entry-points": {"grokcheck.claims": {name: mod_name}}}
    _install_on_path(tmp_path / name / "site", monkeypatch, project, src)
    monkeypatch.delitem(sys.modules, mod_name, raising=False)  # (monkeypatch removes it again afterwards)


def test_a_user_check_whose_id_clashes_with_grokchecks_own_names_both_registrations(tmp_path, monkeypatch, capsys):
    own = all_checks()[0]
    _clashing_package(tmp_path, monkeypatch, "clash-claims", own.id)
    with pytest.raises(GrokcheckError) as err:
        all_checks()
    msg = str(err.value)
    assert f"check id registered twice: {own.id!r}" in msg
    assert "by grokcheck's own module grokcheck.checks.claims." in msg
    assert "entry point clash-claims = 'clash_claims_for_grokcheck' of the distribution clash-claims 2.0" in msg
    assert "rename the id in clash-claims" in msg
    assert main(["checks"]) == 2  # a grokcheck error: exit 2, the message on stderr
    assert "clash-claims 2.0" in capsys.readouterr().err


def test_two_packages_registering_one_id_are_both_named(tmp_path, monkeypatch):
    _clashing_package(tmp_path, monkeypatch, "lab-a", "shared.same-id")
    _clashing_package(tmp_path, monkeypatch, "lab-b", "shared.same-id")
    with pytest.raises(GrokcheckError, match=r"'shared.same-id' by the 'grokcheck.claims' entry point lab-a = "
                                             r"'lab_a_for_grokcheck' of the distribution lab-a 2.0 and by the "
                                             r"'grokcheck.claims' entry point lab-b = 'lab_b_for_grokcheck' of the "
                                             r"distribution lab-b 2.0"):
        all_checks()


def test_grokcheck_checks_names_the_package_that_registered_a_user_check(user_package, capsys):
    assert main(["checks"]) == 0
    out = capsys.readouterr().out
    block = out[out.index(CHECK_ID):].split("\n\n")[0]
    assert ("registered by: the 'grokcheck.claims' entry point mylab = 'grokcheck_user_claims.claims' of the "
            "distribution grokcheck-user-claims 0.1.0") in block
    assert out.count("registered by:") == 1  # grokcheck's own checks are not flagged
    assert "(1 registered by other packages)" in out
    assert main(["checks", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[CHECK_ID]["registered_by"] == {"distribution": "grokcheck-user-claims", "version": "0.1.0",
                                               "module": "grokcheck_user_claims.claims", "entry_point": "mylab"}
    own = next(r for i, r in rows.items() if i != CHECK_ID)
    assert own["registered_by"]["distribution"] == "grokcheck" and own["registered_by"]["entry_point"] is None


EXPERIMENT_ID = "mylab.quadratic-majority-single-irrep"


def test_grokcheck_experiments_lists_and_runs_the_users_experiment(user_package, tmp_path, capsys):
    """The package's experiment (a study with a decision rule, two rivals and proxy settings) runs
    like grokcheck's own: listed, run at the small budget, judged with its power analysis."""
    assert main(["experiments", "--list"]) == 0
    listing = capsys.readouterr().out
    assert EXPERIMENT_ID in listing and "rivals: random-init level" in listing
    out = tmp_path / "exp"
    assert main(["experiments", "--only", EXPERIMENT_ID, "--out", str(out), "--quiet"]) == 0
    rows = [r for r in _results(json.loads((out / "report.json").read_text())) if r["id"] == EXPERIMENT_ID]
    assert len(rows) == 1 and rows[0]["verdict"] == "PASS", rows
    sep = rows[0]["details"]["separation"]
    assert {r["name"] for r in sep["rivals"]} == {"random-init level", "near the bar"}
    assert all(r["power"] >= 0.8 for r in sep["rivals"])  # the rule excludes both rivals at this grid
    assert EXPERIMENT_ID in (out / "report.md").read_text()
