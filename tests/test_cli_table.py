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
