"""Every subcommand refuses bad input the same way: exit 2, one message naming the problem, no traceback.

One table of cases; each runs ``grokcheck.checks.cli.main`` in-process (argparse errors are
``SystemExit(2)``). The key words of the message are asserted, so a case cannot pass on an
unrelated error. ``test_every_subcommand_is_covered`` fails when a new subcommand has no case.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from grokcheck.checks.cli import build_parser, main

# Placeholders replaced per test: RUN (a finished tiny run), NOTRUN (a folder with a file, no
# checkpoint), CORRUPT (a run whose checkpoint.pt is truncated), FILE (a plain file), DIR (an
# empty folder), and the Cayley files below.
CASES = [
    # --- train: numeric options checked at parse time, nothing reinterpreted
    ("train-width-0", ["train", "C5", "--out", "NEW", "--width", "0"], ["--width", "positive integer"]),
    ("train-batch-0", ["train", "C5", "--out", "NEW", "--batch-size", "0"], ["--batch-size", "positive"]),
    ("train-ckpt-neg", ["train", "C5", "--out", "NEW", "--checkpoint-every", "-1"], ["--checkpoint-every", "[0,"]),
    ("train-lr-neg", ["train", "C5", "--out", "NEW", "--lr", "-0.1"], ["--lr", "out of range"]),
    ("train-lr-zero", ["train", "C5", "--out", "NEW", "--lr", "0"], ["--lr", "(0"]),
    ("train-lr-nan", ["train", "C5", "--out", "NEW", "--lr", "nan"], ["--lr", "finite"]),
    ("train-lr-inf-overflow", ["train", "C5", "--out", "NEW", "--lr", "1e999"], ["--lr", "finite"]),
    ("train-lr-per-seed-bad", ["train", "C5", "--out", "NEW", "--lr", "0.1,,0.2"], ["--lr", "comma"]),
    ("train-lr-text", ["train", "C5", "--out", "NEW", "--lr", "fast"], ["--lr", "not a number"]),
    ("train-wd-neg", ["train", "C5", "--out", "NEW", "--weight-decay", "-1"], ["--weight-decay", "out of range"]),
    ("train-warmup-neg", ["train", "C5", "--out", "NEW", "--warmup", "-5"], ["--warmup", "[0,"]),
    ("train-betas", ["train", "C5", "--out", "NEW", "--betas", "2", "2"], ["--betas", "[0, 1)"]),
    ("train-momentum", ["train", "C5", "--out", "NEW", "--momentum", "1.5"], ["--momentum", "[0, 1)"]),
    ("train-seeds-0", ["train", "C5", "--out", "NEW", "--seeds", "0"], ["--seeds", "positive"]),
    ("train-steps-neg", ["train", "C5", "--out", "NEW", "--steps", "-1"], ["--steps", "[0,"]),
    ("train-steps-huge", ["train", "C5", "--out", "NEW", "--steps", "10" * 10], ["--steps", "at most"]),
    ("train-tau-big", ["train", "C5", "--out", "NEW", "--train-fraction", "1.5"], ["--train-fraction", "(0, 1]"]),
    ("train-tau-zero", ["train", "C5", "--out", "NEW", "--train-fraction", "0"], ["--train-fraction", "(0, 1]"]),
    ("train-eval-0", ["train", "C5", "--out", "NEW", "--eval-every", "0"], ["--eval-every", "positive"]),
    ("train-depth-0", ["train", "C5", "--out", "NEW", "--depth", "0"], ["--depth", "positive"]),
    ("train-device", ["train", "C5", "--out", "NEW", "--device", "bogus"], ["--device", "not a torch device"]),
    ("train-heads", ["train", "C5", "--out", "NEW", "--model", "transformer", "--d-model", "10", "--heads", "3"],
     ["divisible"]),
    ("train-no-out", ["train", "C5"], ["--out", "required"]),
    # --- train: run directories
    ("train-out-file", ["train", "C5", "--out", "FILE", "--steps", "2"], ["is a file"]),
    ("train-out-notempty", ["train", "C5", "--out", "NOTRUN", "--steps", "2"], ["not empty", "--overwrite"]),
    ("train-into-other-run", ["train", "C6", "--out", "RUN", "--steps", "2"], ["another run", "--overwrite"]),
    ("train-resume-empty", ["train", "C5", "--out", "DIR", "--resume"], ["cannot resume", "empty"]),
    ("train-resume-missing", ["train", "C5", "--out", "NEW", "--resume"], ["cannot resume"]),
    ("train-resume-other-task", ["train", "C6", "--out", "RUN", "--resume", "--seeds", "1", "--width", "8",
                                 "--steps", "6", "--eval-every", "2", "--weight-decay", "0.1", "--init-scale", "2",
                                 "--no-plot", "--no-progress"], ["cannot resume", "task"]),
    ("train-resume-other-lr", ["train", "C5", "--out", "RUN", "--resume", "--seeds", "1", "--width", "8",
                               "--steps", "6", "--eval-every", "2", "--lr", "0.5", "--weight-decay", "0.1",
                               "--init-scale", "2", "--no-progress"], ["cannot resume", "optimizer.lr"]),
    ("train-resume-corrupt", ["train", "C5", "--out", "CORRUPT", "--resume", "--seeds", "1", "--width", "8",
                              "--steps", "6", "--eval-every", "2", "--weight-decay", "0.1", "--init-scale", "2",
                              "--no-progress"], ["corrupt", "--overwrite"]),
    ("train-overwrite-resume", ["train", "C5", "--out", "RUN", "--resume", "--overwrite"], ["contradict"]),
    ("train-perms-huge", ["train", "--perms", "(1,99999999)", "--out", "NEW"], ["MAX_POINT"]),
    ("train-cayley-dir", ["train", "--cayley", "DIR", "--out", "NEW"], ["directory"]),
    # --- table / group input
    ("table-C0", ["table", "C0"], ["positive"]),
    ("table-name", ["table", "C3xx"], ["group name", "C3xx"]),
    ("table-order", ["table", "S30"], ["limit"]),
    ("table-digits", ["table", "C" + "9" * 5001], ["limit"]),
    ("table-none", ["table"], ["exactly one"]),
    ("table-two", ["table", "C3", "--perms", "(1,2)"], ["exactly one"]),
    ("table-perm-open", ["table", "--perms", "(1,2"], ["malformed"]),
    ("table-perm-point", ["table", "--perms", f"(1,{10**20})"], ["MAX_POINT"]),
    ("table-perm-repeat", ["table", "--perms", "(1,2,1)"], ["repeats"]),
    ("table-cayley-missing", ["table", "--cayley", "MISSING.json"], ["no such"]),
    ("table-cayley-dir", ["table", "--cayley", "DIR"], ["directory"]),
    ("table-cayley-binary", ["table", "--cayley", "BINARY"], ["utf-8"]),
    ("table-cayley-deep", ["table", "--cayley", "DEEP"], ["nested too deeply"]),
    ("table-cayley-empty-npy", ["table", "--cayley", "EMPTYNPY"], ["cannot read", ".npy"]),
    ("table-cayley-npz", ["table", "--cayley", "NPZ"], [".npz"]),
    ("table-cayley-huge-int", ["table", "--cayley", "HUGEINT"], ["entry", "integer"]),
    ("table-cayley-not-group", ["table", "--cayley", "LATIN"], ["row 0"]),
    ("table-cayley-bad-json", ["table", "--cayley", "BADJSON"], ["not valid json"]),
    # --- verify
    ("verify-seed-neg", ["verify", "C3", "--seed", "-1"], ["--seed", "[0,"]),
    ("verify-device", ["verify", "C3", "--device", "bogus"], ["--device"]),
    ("verify-budget", ["verify", "C3", "--budget", "huge"], ["--budget", "invalid choice"]),
    ("verify-only", ["verify", "C3", "--only", "nosuch.check", "--out", "NEW"], ["unknown check id"]),
    ("verify-out-file", ["verify", "C3", "--out", "FILE"], ["is a file"]),
    ("verify-out-proc", ["verify", "C3", "--out", "/proc/grokcheck-nope"], ["/proc/grokcheck-nope"]),
    ("verify-into-train-run", ["verify", "C3", "--out", "RUN"], ["another run", "--overwrite"]),
    # --- flow
    ("flow-t1-nan", ["flow", "C3", "--t1", "nan"], ["--t1", "finite"]),
    ("flow-t1-inf", ["flow", "C3", "--t1", "inf"], ["--t1", "finite"]),
    ("flow-t1-huge", ["flow", "C3", "--t1", "1e308"], ["--t1", "out of range"]),
    ("flow-t1-neg", ["flow", "C3", "--t1", "-5"], ["--t1", "out of range"]),
    ("flow-t1-zero", ["flow", "C3", "--t1", "0"], ["--t1", "out of range"]),
    ("flow-neurons-0", ["flow", "C3", "--neurons", "0"], ["--neurons", "positive"]),
    ("flow-out-file", ["flow", "C3", "--out", "FILE", "--t1", "1"], ["is a file"]),
    # --- kkt
    ("kkt-max-0", ["kkt", "RUN", "--max-constraints", "0"], ["--max-constraints", "positive"]),
    ("kkt-seeds-neg", ["kkt", "RUN", "--seeds", "-1"], ["--seeds", "[0,"]),
    ("kkt-seeds-range", ["kkt", "RUN", "--seeds", "7", "--no-progress"], ["0..0"]),
    ("kkt-missing", ["kkt", "MISSING"], ["does not exist"]),
    ("kkt-not-run", ["kkt", "NOTRUN"], ["not a training run"]),
    ("kkt-file", ["kkt", "FILE"], ["is a file"]),
    ("kkt-corrupt", ["kkt", "CORRUPT", "--no-progress"], ["corrupt"]),
    # --- analyze
    ("analyze-missing", ["analyze", "MISSING"], ["does not exist"]),
    ("analyze-not-run", ["analyze", "NOTRUN"], ["not a training run"]),
    ("analyze-threshold", ["analyze", "RUN", "--alive-threshold", "2"], ["--alive-threshold", "[0, 1]"]),
    ("analyze-attribution-rundir", ["analyze", "RUN", "--attribution", "paper"], ["--format grokcheck"]),
    ("analyze-corrupt", ["analyze", "CORRUPT"], ["corrupt"]),
    ("analyze-out-file", ["analyze", "RUN", "--out", "FILE"], ["is a file"]),
    # --- grok-time
    ("grok-alpha", ["grok-time", "--task", "diag", "--alphas", "0.5", "--lambdas", "0.1"], ["--alphas", "(1"]),
    ("grok-lambda-0", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "0"], ["--lambdas", "(0"]),
    ("grok-lambda-nan", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "nan"], ["--lambdas", "finite"]),
    ("grok-seeds", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "0.1", "--seeds", "-1"], ["--seeds"]),
    ("grok-set-nan", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "0.1", "--set", "d=nan"],
     ["--set", "finite"]),
    ("grok-set-unknown", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "0.1", "--set", "bogus=1",
                          "--out", "NEW"], ["unknown settings"]),
    ("grok-out-file", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "0.1", "--out", "FILE"],
     ["is a file"]),
    # --- accelerate
    ("acc-lr-method", ["accelerate", "C5", "--lr", "bogus=0.1", "--out", "NEW"], ["--lr", "bogus", "not one of"]),
    ("acc-lr-neg", ["accelerate", "C5", "--lr", "sgd=-1", "--out", "NEW"], ["--lr", "> 0"]),
    ("acc-lr-text", ["accelerate", "C5", "--lr", "sgd=abc", "--out", "NEW"], ["not a number"]),
    ("acc-lr-form", ["accelerate", "C5", "--lr", "0.1", "--out", "NEW"], ["METHOD=VALUE"]),
    ("acc-wd-nan", ["accelerate", "C5", "--wd", "sgd=nan", "--out", "NEW"], ["--wd", "finite"]),
    ("acc-seeds-0", ["accelerate", "C5", "--seeds", "0"], ["--seeds", "positive"]),
    ("acc-epochs-0", ["accelerate", "C5", "--epochs", "0"], ["--epochs", "positive"]),
    ("acc-batch-0", ["accelerate", "C5", "--batch-size", "0"], ["--batch-size", "positive"]),
    ("acc-methods-empty", ["accelerate", "C5", "--methods", ",", "--out", "NEW"], ["names no method"]),
    ("acc-out-file", ["accelerate", "C5", "--out", "FILE", "--epochs", "1"], ["is a file"]),
    # --- identify
    ("identify-none", ["identify"], ["exactly one"]),
    ("identify-deep", ["identify", "--cayley", "DEEP"], ["nested too deeply"]),
    ("identify-perms", ["identify", "--perms", "(1,2"], ["malformed"]),
    # --- sweep and experiments
    ("sweep-missing", ["sweep", "MISSING.json"], ["no such file"]),
    ("sweep-bad-toml", ["sweep", "BADJSON", "--out", "NEW"], ["toml"]),
    ("sweep-device", ["sweep", "BADJSON", "--device", "bogus"], ["--device", "not a torch device"]),
    ("experiments-only", ["experiments", "--only", "nosuch.experiment", "--out", "NEW"], ["unknown experiment"]),
    ("experiments-seed", ["experiments", "--seed", "-1"], ["--seed", "[0,"]),
    # --- checks and the top level
    ("checks-option", ["checks", "--bogus"], ["unrecognized arguments"]),
    ("top-unknown", ["nosuchcommand"], ["invalid choice"]),
]


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    """The files and folders the placeholders stand for (one tiny finished run included)."""
    from grokcheck.checks._run_dir import MANIFEST

    root = tmp_path_factory.mktemp("bad-input")
    p = {}
    p["FILE"] = root / "a-file.txt"
    p["FILE"].write_text("not a folder\n")
    p["DIR"] = root / "empty-dir"
    p["DIR"].mkdir()
    p["NOTRUN"] = root / "not-a-run"
    p["NOTRUN"].mkdir()
    (p["NOTRUN"] / "notes.txt").write_text("hello\n")
    p["MISSING"] = root / "missing"
    p["MISSING.json"] = root / "missing.json"
    p["BINARY"] = root / "binary.json"
    p["BINARY"].write_bytes(bytes(range(256)))
    p["DEEP"] = root / "deep.json"
    p["DEEP"].write_text("[" * 100_000 + "]" * 100_000)
    p["EMPTYNPY"] = root / "empty.npy"
    p["EMPTYNPY"].write_bytes(b"")
    p["NPZ"] = root / "table.npz"
    np.savez(p["NPZ"], table=np.zeros((2, 2), dtype=int))
    p["HUGEINT"] = root / "huge.json"
    p["HUGEINT"].write_text(json.dumps([[0, 10**400], [1, 0]]))
    p["LATIN"] = root / "latin.json"
    p["LATIN"].write_text(json.dumps([[0, 0], [1, 0]]))
    p["BADJSON"] = root / "bad.json"
    p["BADJSON"].write_text("[[0, 1], [1, 0]")
    # one finished run, through the command line itself
    run = root / "run"
    argv = ["train", "C5", "--out", str(run), "--seeds", "1", "--width", "8", "--steps", "6", "--eval-every", "2",
            "--weight-decay", "0.1", "--init-scale", "2", "--no-plot", "--no-progress"]
    assert main(argv) == 0
    p["RUN"] = run
    corrupt = root / "corrupt"
    corrupt.mkdir()
    for f in ("task.pt", "config.json", "metrics.jsonl", MANIFEST):
        (corrupt / f).write_bytes((run / f).read_bytes())
    (corrupt / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes()[:100])  # a cut-off write
    p["CORRUPT"] = corrupt
    p["NEW"] = root / "fresh-out"
    p["_root"] = root
    return p


def _fill(argv, places, case_id):
    out = []
    for a in argv:
        if a == "NEW":
            out.append(str(places["_root"] / f"new-{case_id}"))
        elif a in places and not a.startswith("_"):
            out.append(str(places[a]))
        else:
            out.append(a)
    return out


def _run(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("case_id,argv,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_clean_error(case_id, argv, words, places, capsys):
    rc, out, err = _run(_fill(argv, places, case_id), capsys)
    assert rc == 2, (rc, out[-500:], err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out
    low = err.lower()
    for w in words:
        assert w.lower() in low, (w, err)
    assert len(err.strip().splitlines()) <= 3  # one message (and where the help is), not a usage block


def test_a_failed_bad_input_run_leaves_no_folder(places, capsys):
    new = places["_root"] / "left-nothing"
    rc, _, err = _run(["verify", "C3", "--only", "nosuch.check", "--out", str(new)], capsys)
    assert rc == 2 and "unknown check id" in err
    assert not new.exists()  # nothing was written, so nothing blocks the corrected command


def test_every_subcommand_is_covered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    covered = {c[1][0] for c in CASES}
    missing = sorted(set(sub.choices) - covered)
    assert not missing, f"add bad-input cases for the new subcommand(s) {missing} to CASES"


@pytest.mark.parametrize("name", sorted(next(a for a in build_parser()._actions if a.dest == "command").choices))
def test_every_subcommand_refuses_an_unknown_option_and_shows_defaults(name, capsys):
    rc, _, err = _run([name, "--no-such-option-xyz"], capsys)
    assert rc == 2 and "Traceback" not in err
    rc, out, _ = _run([name, "--help"], capsys)
    assert rc == 0
    assert "%%" not in out  # a literal %% means an unformatted help string
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[name]
    for action in sub._actions:
        if action.option_strings and action.default not in (None, False) and action.help != "==SUPPRESS==" \
                and action.dest not in ("help",):
            assert "default" in (action.help or "").lower() or "(default:" in out, (name, action.dest)


def test_broken_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from grokcheck.checks.cli import main\n"
            "sys.exit(main(['checks']))\n")
    p = subprocess.run(f"{sys.executable} -c \"{code}\" | head -n 1", shell=True, capture_output=True, text=True,
                       timeout=300)
    assert "BrokenPipeError" not in p.stderr and "Traceback" not in p.stderr, p.stderr
