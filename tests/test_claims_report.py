"""The verify report a reader trusts: Markdown tables that render, counts that separate expected
from unexpected FAILs, full NOT APPLICABLE reasons, one irrep numbering, readable group names,
``--strict`` and log-friendly progress."""

from __future__ import annotations

import dataclasses
import json

import pytest

from grokcheck.checks import Verdict, all_checks, verify
from grokcheck.theory import FiniteGroup, group

CHEAP = ["chartable", "fourier", "irreps", "omega.fourier-form", "li2.identity", "li2.theorem2-printed",
         "tanhuang", "abelian.majority", "trained.mlp-groks", "lyu.diag-grok-time"]


@pytest.fixture(scope="module")
def q8_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("q8")
    rep = verify(group("Q8"), only=CHEAP, out_dir=out, progress=False)
    return rep, out


def _tables(md: str):
    """Every table of ``md`` parsed as GitHub Markdown: a list of (header cells, rows of cells)."""
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(md)
    tables, cur, row, cell, in_head = [], None, None, None, False
    for t in tokens:
        if t.type == "table_open":
            cur = ([], [])
        elif t.type == "thead_open":
            in_head = True
        elif t.type == "thead_close":
            in_head = False
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            cell = ""
        elif t.type == "inline" and cell is not None:
            cell += t.content
        elif t.type in ("th_close", "td_close"):
            row.append(cell)
            cell = None
        elif t.type == "tr_close":
            (cur[0].extend(row) if in_head else cur[1].append(row))
        elif t.type == "table_close":
            tables.append(cur)
            cur = None
    return tables


def test_every_table_row_renders_whole(q8_report):
    rep, out = q8_report
    md = (out / "report.md").read_text()
    # the result tables (a "Rivals and power" table of the group experiments may follow them)
    tables = [t for t in _tables(md) if t[0][:2] == ["verdict", "check"]]
    assert len(tables) == 3  # the group's checks, the group-independent ones, the infrastructure self-tests
    ids = {r.id for r in rep.results}
    seen = set()
    for header, rows in tables:
        assert header[:2] == ["verdict", "check"] and len(header) == 7
        for cells in rows:
            assert len(cells) == len(header), cells
            check_id = cells[1].strip("`").split("`")[0]
            assert check_id in ids, cells
            assert cells[0].strip("*").split("*")[0] in {v.value for v in Verdict}
            seen.add(check_id)
    assert seen == ids  # every result is one whole row
    assert any("|G|" in cells[2] for _, rows in tables for cells in rows)  # escaped pipes survive as text


def test_counts_and_sections(q8_report):
    rep, out = q8_report
    md = (out / "report.md").read_text()
    data = json.loads((out / "report.json").read_text())
    c = data["counts"]
    assert c["group"]["expected FAIL"] == 1 and c["group"]["unexpected FAIL"] == 0  # Li₂ Theorem 2 as printed
    assert c["group_independent"]["expected FAIL"] == 3  # Tan & Huang 3.2, 5.9, 5.12 as printed: once, apart from the group's tally
    assert "## Group-independent checks" in md and "## Published statements shown false" in md
    assert "4× the printed" in md  # the one line saying why Li₂ Theorem 2 is false
    # full NOT APPLICABLE reasons, never cut
    for r in rep.results:
        if r.verdict == Verdict.NOT_APPLICABLE:
            assert f"- `{r.id}`: {r.reason}" in md
    assert "because" in md  # tolerances in words


def test_irreps_are_numbered_from_one(tmp_path):
    rep = verify(group("Q8"), only=["fourier.quaternionic-pairs", "li2.theorem2-corrected"], out_dir=tmp_path,
                 progress=False)
    data = json.loads((tmp_path / "report.json").read_text())
    q = next(c for c in data["checks"] if c["id"] == "fourier.quaternionic-pairs")
    assert q["details"]["quaternionic_irreps"] == ["X.5"]  # grokcheck table Q8: X.5 is the 2-dim quaternionic one
    li = next(c for c in data["checks"] if c["id"] == "li2.theorem2-corrected")
    assert all(w.startswith("X.") and w != "X.1" for w in li["details"]["winning_irreps"])
    assert rep.to_json()["irrep_numbering"].startswith("irreps are numbered 1..k")


def test_group_names_for_tables_and_permutations():
    from grokcheck.checks import group_display_name

    G = group("S3")
    assert group_display_name(G) == "S3"
    T = FiniteGroup.from_table(G.table)
    name = group_display_name(T)
    assert "order 6" in name and "Cayley table" in name and "<group" not in name
    P = FiniteGroup.from_permutations(["(1,2,3)", "(1,2)"])
    assert "permutations" in group_display_name(P)


def test_omega_star_levels_merge_identical_values():
    from grokcheck.numerics._plots_flow import omega_star_levels
    from grokcheck.numerics._predictions import predictions

    levels = omega_star_levels(predictions(group("Q8")).orbits[1:])
    assert [len(m) for _, m in levels] == [3, 1]  # three 1-dim irreps share one Ω*, the quaternionic one its own


def test_figures_name_the_group_and_label_everything(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokcheck.numerics._flow import run_stage_one
    from grokcheck.numerics._plots_flow import plot_stage_one

    figs = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig))
    run = run_stage_one(group("Q8"), neurons=12, seed=0, t1=100 * 8**1.5, saves=20, throw=False)
    plot_stage_one(run, tmp_path, group_name="Q8")
    assert len(figs) == 3
    for fig in figs:
        for ax in fig.axes:
            assert ax.get_xlabel() or ax.get_ylabel(), ax
            if ax.get_title():
                assert "Q8" in ax.get_title()
        cbs = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
        for cb in cbs:
            assert cb.get_ylabel()
        real_close(fig)
    legend = figs[0].axes[0].get_legend()
    assert len(legend.get_texts()) == 2 and "X.2" in legend.get_texts()[0].get_text()


def test_strict_exits_one_on_unexpected_fail(tmp_path, monkeypatch):
    import grokcheck.checks._verify as v
    from grokcheck.checks.cli import main

    assert main(["verify", "Q8", "--only", "li2.theorem2-printed", "--out", str(tmp_path / "a"), "--quiet",
                 "--strict"]) == 0  # an expected FAIL is not a failure
    real = v.all_checks

    def broken():
        out = []
        for c in real():
            if c.id == "chartable.sum-of-squares":
                c = dataclasses.replace(c, predict=lambda ctx: (0, 0))
            out.append(c)
        return tuple(out)

    monkeypatch.setattr(v, "all_checks", broken)
    args = ["verify", "Q8", "--only", "chartable.sum-of-squares", "--out", str(tmp_path / "b"), "--quiet"]
    assert main(args) == 0
    assert main(args + ["--strict", "--overwrite"]) == 1


def test_progress_is_plain_lines_off_a_terminal(tmp_path, capsys):
    verify(group("C3"), only=["chartable"], progress=True)
    err = capsys.readouterr().err
    assert "verify [1/3] chartable" in err
    assert "\x1b[" not in err and "\r" not in err


def test_every_check_has_the_fields_a_report_needs():
    for c in all_checks():
        assert "measured" in c.tolerance.words() and ", because " in c.tolerance.words(), c.id
        assert c.tolerance.reason, c.id
