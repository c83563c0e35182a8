"""A newcomer's path: numbering from 1 everywhere, labels that name the real seed, help that says what it does."""

from __future__ import annotations

import json
import re

import pytest

from grokcheck.checks.cli import main


def test_flow_numbers_orbits_and_irreps_from_one_in_text_and_json(tmp_path, capsys):
    rc = main(["flow", "Q8", "--neurons", "8", "--seed", "0", "--method", "retraction", "--no-progress",
               "--out", str(tmp_path)])
    assert rc == 0
    text = capsys.readouterr().out
    rows = [ln.split() for ln in text.splitlines() if ln.strip().startswith(("2 ", "3 ", "4 ", "5 "))]
    # Q8's quaternionic irrep is X.5, in orbit 5 (orbit 1 is the trivial irrep's), as `grokcheck table` numbers it
    assert ["5", "X.5", "2", "-1"] in [r[:4] for r in rows]
    data = json.loads((tmp_path / "flow.json").read_text())
    orbits = data["measurements"]["summary"]["orbits"]
    assert [(o["orbit"], o["irreps"], o["irrep_names"]) for o in orbits] == [
        (k, [k], f"X.{k}") for k in range(2, 6) if any(o["orbit"] == k for o in orbits)]
    assert data["predictions"]["orbits"][0]["orbit"] == [1] and data["predictions"]["orbits"][0]["index"] == 1
    assert min(data["measurements"]["neurons"]["winner_orbit"]) >= 2  # no neuron wins the trivial orbit
    assert data["numbering"].startswith("1-based")


def test_the_neuron_heatmap_names_the_member_and_the_run_seed(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    labels = []
    close = plt.close

    def record(fig=None):
        if fig is not None and hasattr(fig, "axes"):
            labels.extend(ax.get_ylabel() for ax in fig.axes)
        return close(fig)

    monkeypatch.setattr(plt, "close", record)
    run = tmp_path / "run"
    assert main(["train", "C5", "--model", "quadratic", "--width", "8", "--steps", "20", "--seed", "7",
                 "--seeds", "2", "--no-plot", "--out", str(run)]) == 0
    assert main(["analyze", str(run)]) == 0
    assert any("member 1 of 2, run seed 7" in lb for lb in labels), labels


@pytest.mark.parametrize(("argv", "wanted", "unwanted"), [
    (["verify", "--help"], "the group experiments", "paper-sized"),
    (["table", "--help"], "print the table as JSON", "JSON schema"),
])
def test_help_says_what_an_option_does(argv, wanted, unwanted, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    out = " ".join(capsys.readouterr().out.split())
    assert wanted in out and unwanted not in out


@pytest.mark.parametrize(("argv", "not_needed"), [
    (["checks"], ("torch", "scipy.stats", "sympy", "matplotlib")),
    (["table", "C4"], ("torch", "scipy.stats", "matplotlib")),  # the exact values need sympy
    (["--help"], ("torch", "scipy.stats", "sympy", "matplotlib")),
])
def test_a_command_imports_only_what_it_needs(argv, not_needed):
    import subprocess
    import sys

    code = ("import json, sys\nfrom grokcheck.checks.cli import main\n"
            "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as e:\n    rc = e.code\n"
            f"print(json.dumps([m for m in {list(not_needed)!r} if m in sys.modules]), file=sys.stderr)\n"
            "sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stderr.strip().splitlines()[-1]) == []


def test_train_writes_no_carriage_returns_into_a_log_file(tmp_path):
    import subprocess

    log = tmp_path / "train.log"
    with open(log, "w") as f:
        r = subprocess.run(["grokcheck", "train", "C5", "--model", "quadratic", "--width", "8", "--steps", "20",
                            "--seeds", "2", "--no-plot", "--out", str(tmp_path / "run")], stdout=f, stderr=f,
                           timeout=300)
    assert r.returncode == 0, log.read_text()[-2000:]
    assert "\r" not in log.read_text()


def test_unnamed_groups_of_one_order_get_their_own_default_folder_and_readable_reasons(tmp_path, monkeypatch, capsys):
    import numpy as np

    from grokcheck.theory import group

    monkeypatch.chdir(tmp_path)
    perm = np.random.default_rng(1).permutation(12)
    (tmp_path / "dic3.json").write_text(json.dumps(group("Dic3").relabel(perm).table.tolist()))
    (tmp_path / "c12.json").write_text(json.dumps(group("C12").table.tolist()))
    for f in ("dic3.json", "c12.json"):
        assert main(["verify", "--cayley", f, "--only", "precursor.ode", "--quiet"]) == 0
    folders = sorted(p.name for p in tmp_path.glob("verify-*"))
    assert len(folders) == 2 and all(re.fullmatch(r"verify-order12-[0-9a-f]{8}", f) for f in folders)
    out = capsys.readouterr().out
    assert "<group of order" not in out and "Dic3 (recognised; order 12, from Cayley table dic3.json) is not cyclic" in out
    assert "Dic3 (recognised; order 12, from Cayley table dic3.json): " in out  # the order said once


def test_the_table_free_flow_says_how_it_ended_in_its_own_words(tmp_path, capsys):
    assert main(["flow", "S4", "--table-free", "--neurons", "8", "--out", str(tmp_path)]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "RK45: t1_reached at t=" in head and "successfully" not in head
    data = json.loads((tmp_path / "flow.json").read_text())
    assert data["status"] == "t1_reached" and "solver_message" in data


def test_identify_shows_the_images_of_the_users_own_generators(capsys):
    assert main(["identify", "--perms", "(1,2)(3,4)", "(1,3)", "(1,2,3,4)", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "D4" and [g["element"] for g in data["generators"]] == ["(1,2)(3,4)", "(1,3)", "(1,2,3,4)"]


def test_a_named_product_above_5040_is_identified_and_a_refusal_suggests_permutations(capsys):
    assert main(["identify", "S8xC2"]) == 0 and capsys.readouterr().out.startswith("S8xC2")
    assert main(["identify", "S10"]) == 2  # above MAX_LARGE_ORDER: the limit and the --perms form are named
    err = capsys.readouterr().err
    assert '--perms "(1,2,3,4,5,6,7,8)" "(1,2)" "(9,10)"' in err and "MAX_LARGE_ORDER = 2000000" in err


def test_kkt_reports_margins_of_a_default_run_without_a_predicted_switch(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "C5", "--model", "mlp", "--width", "16", "--steps", "30", "--seeds", "1",
                 "--checkpoint-history", "3", "--no-plot", "--out", str(run)]) == 0  # α = 1, λ = 0: the defaults
    capsys.readouterr()
    assert main(["kkt", str(run), "--out", str(tmp_path / "kkt")]) == 0
    out = capsys.readouterr().out
    assert "margins and KKT residuals only" in out and "needs α > 1 and λ > 0" in out
    data = json.loads((tmp_path / "kkt" / "kkt.json").read_text())
    assert data["predicted_switch_step"] is None and len(data["steps"]) >= 2


def test_a_law_figure_with_no_grokked_run_says_so(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from grokcheck.checks.experiments import _lyu_experiments as lyu

    texts = []
    close = plt.close

    def record(fig=None):
        if fig is not None and hasattr(fig, "axes"):
            texts.extend(t.get_text() for ax in fig.axes for t in ax.texts)
            texts.extend(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
        return close(fig)

    monkeypatch.setattr(plt, "close", record)
    rows = [{"alpha": a, "lambda": 1e-3, "t_grok": None} for a in (2.0, 4.0, 8.0)]

    class Ctx:
        simulating = False

    out = lyu._slope_outcome(rows, {"alphas": [2.0, 4.0, 8.0], "seeds": 1}, Ctx(), title="t", fig_name="f.png")
    out.figures["f.png"](tmp_path / "f.png")
    assert any(t.startswith("no member grokked") for t in texts) and not any("nan" in t for t in texts), texts


def test_labelled_tables_a_header_row_a_misplaced_identity_and_a_non_central_first_row():
    from grokcheck.errors import GroupInputError, NotAGroupError
    from grokcheck.theory import FiniteGroup, group

    # a header row above the n rows is read as the column labels
    H = FiniteGroup.from_table([["e", "a", "b"], ["e", "a", "b"], ["a", "b", "e"], ["b", "e", "a"]])
    assert H.order == 3 and H.elements[H.identity] == "e"
    # a first row that is not the identity's would silently make 'a' the identity while 'e' exists
    with pytest.raises(GroupInputError, match="'e' is the identity, its row must come first"):
        FiniteGroup.from_table([["a", "b", "e"], ["b", "e", "a"], ["e", "a", "b"]])
    # Dic3 starting with a non-central element: the refusal says why and what to do
    G = group("Dic3")
    nc = next(g for g in range(12) if any(G.table[g, x] != G.table[x, g] for x in range(12)))
    order = [nc] + [g for g in range(12) if g != nc]
    T = [[f"g{G.table[r, c]}" for c in order] for r in order]
    with pytest.raises(NotAGroupError, match="put the identity's row first or give the element order"):
        FiniteGroup.from_table(T)
