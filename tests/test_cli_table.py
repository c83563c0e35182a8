"""`grokcheck table`: the text display, the --json schema, and the three ways to name a group."""

import json

import numpy as np

from grokcheck.checks.cli import main
from grokcheck.theory import group


def test_table_name_text(capsys):
    assert main(["table", "A5"]) == 0
    out = capsys.readouterr().out
    assert "X.5" in out and "Sqrt(5)" in out and "2P" in out and "5P" in out


def test_table_json_matches_the_input_labelling(tmp_path, capsys):
    G = group("S3")
    perm = np.random.default_rng(0).permutation(6)
    H = G.relabel(perm)
    path = tmp_path / "s3.json"
    path.write_text(json.dumps(H.table.tolist()))
    assert main(["table", "--cayley", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["order"] == 6 and sorted(r["dim"] for r in data["irreps"]) == [1, 1, 2]
    # the character of the 2-dim irrep in the input's labels: 2 at the identity, -1 on 3-cycles, 0 on transpositions
    chi = np.array([complex(*z) for z in [r for r in data["irreps"] if r["dim"] == 2][0]["character"]])
    orders = H.element_orders
    assert np.allclose(chi[orders == 1], 2) and np.allclose(chi[orders == 3], -1) and np.allclose(chi[orders == 2], 0)
    assert all(r["fs_indicator"] == 1 for r in data["irreps"])


def test_table_perms_and_bad_input(tmp_path, capsys):
    assert main(["table", "--perms", "(1,2)(3,4)", "(1,2,3)", "--irreps"]) == 0
    assert "certified irreps" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("[[0, 1], [1, 1]]")
    assert main(["table", "--cayley", str(bad)]) == 2
    assert "Latin square" in capsys.readouterr().err
    assert main(["table", "D"]) == 2


def test_table_command_does_not_import_torch():
    """Building the whole parser and printing a table stays torch-free (a fresh interpreter)."""
    import subprocess
    import sys

    code = ("import sys; from grokcheck.checks.cli import main; main(['table', 'S3']); "
            "sys.exit(3 if 'torch' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, "grokcheck table imported torch" if done.returncode == 3 else done.stderr


def _power_rows(text):
    import re

    return [ln.split()[0] for ln in text.splitlines() if re.fullmatch(r"\s*\d+P( +\d+[a-z]+)+", ln)]


def test_table_power_map_rows_are_gaps(capsys):
    # GAP 4.12.1, Display(CharacterTable(DihedralGroup(28))): 2P 3P 5P 7P 11P 13P (Dixon–Schneider
    # computes every prime up to the largest element order, 14); C5: none
    assert main(["table", "D14"]) == 0
    assert _power_rows(capsys.readouterr().out) == ["2P", "3P", "5P", "7P", "11P", "13P"]
    assert main(["table", "C5"]) == 0
    assert _power_rows(capsys.readouterr().out) == []
    for spec, rows in [("divisors", ["2P", "7P"]), ("none", []), ("3,2", ["2P", "3P"]), ("all", None)]:
        assert main(["table", "D14", "--power-maps", spec]) == 0
        got = _power_rows(capsys.readouterr().out)
        assert got == (rows if rows is not None else ["2P", "3P", "5P", "7P", "11P", "13P"])
    assert main(["table", "C5", "--power-maps", "all"]) == 0
    assert _power_rows(capsys.readouterr().out) == ["2P", "3P", "5P"]
    assert main(["table", "D14", "--power-maps", "4"]) == 2
    assert "--power-maps" in capsys.readouterr().err


def test_table_json_power_maps_and_help(capsys):
    assert main(["table", "D7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # every prime up to the largest element order (7), each a class index per class; 7P kills the rotations
    assert sorted(data["power_maps"], key=int) == ["2", "3", "5", "7"]
    orders = [c["order"] for c in data["classes"]]
    assert all(orders[i] == 1 for i, c in zip(data["power_maps"]["7"], orders) if c == 7)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        main(["table", "--help"])
    text = " ".join(buf.getvalue().split())
    assert "JSON schema" not in text and "power_maps" in text and "--power-maps" in text


def test_table_c1000_is_fast_and_exact(capsys):
    """C1000 took over five minutes (one multiplicity array per class, 6·10⁸ integers, and a legend
    scanned per cell); now ~2 s on a 2-core machine. The 60 s bound only catches that regression
    on a loaded CI box, it is not a benchmark (see benchmarks/table_display.py)."""
    import time

    start = time.perf_counter()
    assert main(["table", "C1000"]) == 0
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert elapsed < 60, f"grokcheck table C1000 took {elapsed:.0f} s"
    legend = [ln for ln in out.splitlines() if " = E(" in ln or " = -E(" in ln]
    # the values are ζ_1000^a; apart from ±1 (rational) and ±i (one letter: -i is /A) each letter names four
    # distinct values w, -w, w̄, -w̄, so (1000 - 4) / 4 + 1 = 250 letters, A … IP
    assert len(legend) == 250 and legend[0].startswith("A = ") and legend[-1].startswith("IP = ")
    assert "E(1000)" in out and "P " not in out.split("X.1", 1)[0]  # Abelian: no power-map rows, as GAP
