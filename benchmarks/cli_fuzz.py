"""Fuzz the ``grokcheck`` command line as a new user would, and count how each bad input ends.

Usage::

    python benchmarks/cli_fuzz.py [--out cli-fuzz] [--timeout 120] [--only train,verify]

Cases come from two sources:

* a hand-written list (group names, cycle strings, Cayley files of every broken kind, run
  folders that are missing, empty, foreign, corrupt or another run's, output paths that are
  files, read-only or under ``/proc``, option values out of range), and
* a sweep generated from the parser itself: every option of every subcommand (including
  subcommands added later) with a ``type=`` gets ``nan``, ``inf``, ``-inf``, ``1e999``,
  ``abc``, ``-1`` and an empty string; every option with choices gets a bogus choice.

Each case runs ``grokcheck.checks.cli.main(argv)`` in a worker process (one Python import for
all cases; a worker that dies or exceeds ``--timeout`` is replaced and the case is counted as
an abort or a hang). Outcomes:

``clean``      exit 2 and a message, no traceback;
``traceback``  a Python traceback (any exit code) or exit 1;
``accepted``   exit 0 where an error was expected (a silent accept, listed for review: some
               generated values such as ``-1`` can be legitimate for an option);
``ok``         exit 0 where the case is valid input (marked ``accept``);
``hang`` / ``abort`` as above; ``other`` for any other exit code.

Writes ``OUT/cli_fuzz.json`` (every case with its outcome and the last lines of stderr) and
``OUT/cli_fuzz.md`` (the counts and the non-clean cases with their command lines), and prints
the counts. Everything runs under a temporary folder; nothing is written elsewhere except OUT.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_WORKER = r"""
import contextlib, io, json, os, sys, time, traceback
from grokcheck.checks.cli import main
for line in sys.stdin:
    job = json.loads(line)
    os.chdir(job["cwd"])
    out, err = io.StringIO(), io.StringIO()
    t0 = time.time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(job["argv"])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # main itself must not raise: a traceback here is a finding
            traceback.print_exc()
            rc = -1
    print(json.dumps({"rc": rc, "out": out.getvalue()[-1500:], "err": err.getvalue()[-3000:],
                      "seconds": round(time.time() - t0, 2)}), flush=True)
"""

BAD_VALUES = ("nan", "inf", "-inf", "1e999", "abc", "-1", "")


class Worker:
    def __init__(self):
        self.p = None
        self.start()

    def start(self):
        self.p = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def run(self, argv, cwd, timeout):
        try:
            self.p.stdin.write(json.dumps({"argv": argv, "cwd": str(cwd)}) + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            self.restart()
            return {"outcome": "abort", "rc": None, "err": "worker was dead before the case"}
        t0 = time.time()
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not ready:
            self.restart()
            return {"outcome": "hang", "rc": None, "err": f"no answer within {timeout} s", "seconds": timeout}
        line = self.p.stdout.readline()
        if not line:
            rc = self.p.wait()
            self.start()
            return {"outcome": "abort", "rc": rc, "err": f"the interpreter died (exit {rc})",
                    "seconds": round(time.time() - t0, 2)}
        return json.loads(line)

    def restart(self):
        self.p.kill()
        self.p.wait()
        self.start()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


def _fixtures(root: Path, worker: Worker) -> dict[str, str]:
    """Files and folders the cases name (placeholders in upper case)."""
    import numpy as np

    p: dict[str, Path] = {}
    (root / "file.txt").write_text("a file, not a folder\n")
    p["FILE"] = root / "file.txt"
    p["DIR"] = root / "empty-dir"
    p["DIR"].mkdir()
    p["NOTRUN"] = root / "not-a-run"
    p["NOTRUN"].mkdir()
    (p["NOTRUN"] / "notes.txt").write_text("mine\n")
    p["MISSING"] = root / "missing"
    files = {
        "BINARY": bytes(range(256)) * 4,
        "DEEP": ("[" * 200_000 + "]" * 200_000).encode(),
        "EMPTYJSON": b"",
        "BADJSON": b"[[0, 1], [1, 0]",
        "OBJNOTABLE": b'{"rows": [[0]]}',
        "STRINGS": b'[["a", "b"], ["b", "a"]]',
        "FLOATS": b"[[0, 1.5], [1, 0]]",
        "NANJSON": b"[[0, NaN], [1, 0]]",
        "HUGEINT": json.dumps([[0, 10**400], [1, 0]]).encode(),
        "NEGATIVE": b"[[0, -1], [1, 0]]",
        "RAGGED": b"[[0, 1], [1]]",
        "NOTLATIN": b"[[0, 0], [1, 0]]",
        "NOTASSOC": json.dumps([[0, 1, 2], [1, 0, 2], [2, 2, 0]]).encode(),
        "NOIDENTITY": b"[[1, 0], [0, 1]]",
        "SCALAR": b"7",
        "EMPTYLIST": b"[]",
        "THREED": b"[[[0]]]",
    }
    for k, data in files.items():
        p[k] = root / f"{k.lower()}.json"
        p[k].write_bytes(data)
    p["EMPTYNPY"] = root / "empty.npy"
    p["EMPTYNPY"].write_bytes(b"")
    p["TEXTNPY"] = root / "text.npy"
    p["TEXTNPY"].write_text("[[0,1],[1,0]]")
    p["NPZ"] = root / "t.npz"
    np.savez(p["NPZ"], t=np.zeros((2, 2), dtype=int))
    p["FLOATNPY"] = root / "f.npy"
    np.save(p["FLOATNPY"], np.array([[0.0, 1.0], [1.0, 0.5]]))
    p["ONEDNPY"] = root / "oned.npy"
    np.save(p["ONEDNPY"], np.arange(4))
    p["OBJNPY"] = root / "obj.npy"
    np.save(p["OBJNPY"], np.array([[0, 1], [1, 0]], dtype=object), allow_pickle=True)
    p["SPEC"] = root / "bad-spec.toml"
    p["SPEC"].write_text("this is = not [valid toml\n")
    p["EMPTYSPEC"] = root / "empty-spec.toml"
    p["EMPTYSPEC"].write_text("")
    # a finished tiny run, made by the command line itself
    run = root / "run"
    r = worker.run(["train", "C5", "--out", str(run), "--seeds", "1", "--width", "8", "--steps", "6",
                    "--eval-every", "2", "--weight-decay", "0.1", "--init-scale", "2", "--no-plot", "--no-progress"],
                   root, 600)
    if r.get("rc") != 0:
        raise SystemExit(f"could not make the fixture run: {r}")
    p["RUN"] = run
    corrupt = root / "corrupt-run"
    corrupt.mkdir()
    for f in run.iterdir():
        if f.is_file():
            (corrupt / f.name).write_bytes(f.read_bytes())
    (corrupt / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes()[:200])
    p["CORRUPT"] = corrupt
    emptyck = root / "empty-ck-run"
    emptyck.mkdir()
    for f in run.iterdir():
        if f.is_file():
            (emptyck / f.name).write_bytes(f.read_bytes())
    (emptyck / "checkpoint.pt").write_bytes(b"")
    p["EMPTYCK"] = emptyck
    notask = root / "no-task-run"
    notask.mkdir()
    (notask / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes())
    p["NOTASK"] = notask
    p["RO"] = root / "ro"
    p["RO"].mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(p["RO"])],
                                           capture_output=True).returncode == 0:
        p["_mounted"] = p["RO"]
    else:
        os.chmod(p["RO"], 0o555)
    return {k: str(v) for k, v in p.items()}


# Minimal valid arguments that make each subcommand cheap, so an accepted case finishes fast.
BASE = {
    "table": ["C3"],
    "verify": ["C3", "--only", "chartable.orthogonality", "--quiet", "--out", "NEW"],
    "flow": ["C3", "--neurons", "4", "--t1", "1", "--no-progress"],
    "train": ["C3", "--steps", "2", "--seeds", "1", "--width", "4", "--no-progress", "--no-plot", "--out", "NEW"],
    "analyze": ["RUN", "--out", "NEW"],
    "kkt": ["RUN", "--no-progress", "--out", "NEW"],
    "grok-time": ["--task", "diag", "--alphas", "2", "--lambdas", "1", "--no-progress", "--set", "d=20", "--out", "NEW"],
    "accelerate": ["C5", "--methods", "sgd", "--seeds", "1", "--epochs", "1", "--quiet", "--out", "NEW"],
    "checks": [],
    "experiments": ["--list"],
    "sweep": ["SPEC", "--out", "NEW"],
}


def hand_cases() -> list[tuple[str, list[str], str]]:
    """(label, argv, expect) with expect "error" or "accept"."""
    C: list[tuple[str, list[str], str]] = []
    E = "error"
    names = ["C0", "C-1", "C", "Z", "D0", "D1x", "S0", "A0", "A1x", "Q7", "Q16", "Dic0", "F22", "SL(2,4)", "GL(2,1)",
             "PSL(2,9)", "SL(3,2)", "C3xx", "xC3", "C3xxC4", "C3*C4", "C3^2", "c3 x c4", "S30", "A40", "C5041",
             "C" + "9" * 50, "C" + "9" * 5001, "C3x" * 200 + "C2", "", " ", "é", "C1e3", "C0x10", "C3.5",
             "D2.5", "SL(2,5", "SL(2,)", "SL(,5)", "Dic-3", "C99999999999", "S" + "9" * 30, "GL(2,7919)", "Z0"]
    for n in names:
        C.append((f"name {n[:20]!r}", ["table", n], E))
    C.append(("name 'C3\\n' (trailing newline) is C3", ["table", "C3\n"], "accept"))
    perms = [["(1,2"], ["1,2)"], ["(1,2)(3"], ["(a,b)"], ["(1,-2)"], ["(1,2,1)"], ["(1,,2)"], ["(1;2)"],
             ["(1,99999999)"], [f"(1,{10**20})"], ["(1," + "9" * 5001 + ")"], ["(0,1)(1,2)x"], ["[1,2]"], [""],
             ["(1,2,3,4,5,6,7,8,9,10,11,12)", "(1,2)"], ["((1,2))"], ["(1.5,2)"], ["(1e3,2)"], ["()", ""]]
    for g in perms:
        C.append((f"perms {g[0][:24]!r}", ["table", "--perms", *g], E))
    C.append(("perms '(1 2)' '(1 2 3)' means S3", ["table", "--perms", "(1 2)", "(1 2 3)"], "accept"))
    C.append(("perms '(1,999999)' is C2, cheap", ["table", "--perms", "(1,999999)"], "accept"))
    C.append(("perms '(1,...,8)' is C8", ["table", "--perms", "(1,2,3,4,5,6,7,8)"], "accept"))
    C.append(("perms '()()' is the identity", ["table", "--perms", "()()"], "accept"))
    C.append(("cayley with string labels", ["table", "--cayley", "STRINGS"], "accept"))
    C.append(("cayley whose identity is element 1", ["table", "--cayley", "NOIDENTITY"], "accept"))
    for f in ("MISSING", "DIR", "BINARY", "DEEP", "EMPTYJSON", "BADJSON", "OBJNOTABLE", "FLOATS",
              "NANJSON", "HUGEINT", "NEGATIVE", "RAGGED", "NOTLATIN", "NOTASSOC", "SCALAR",
              "EMPTYLIST", "THREED", "EMPTYNPY", "TEXTNPY", "NPZ", "FLOATNPY", "ONEDNPY", "OBJNPY", "FILE"):
        C.append((f"cayley {f}", ["table", "--cayley", f], E))
    for f in ("DIR", "BINARY", "DEEP", "EMPTYNPY", "NPZ"):
        C.append((f"train cayley {f}", ["train", "--cayley", f, "--out", "NEW"], E))
    for f in ("MISSING", "DIR", "BINARY", "DEEP", "EMPTYJSON", "HUGEINT", "NOTLATIN", "NOTASSOC", "EMPTYNPY", "NPZ"):
        C.append((f"identify cayley {f}", ["identify", "--cayley", f], E))
    for n in ("C0", "C3xx", "S30", "C" + "9" * 5001):
        C.append((f"identify name {n[:12]!r}", ["identify", n], E))
    for g in (["(1,2"], ["(1,99999999)"], [""]):
        C.append((f"identify perms {g[0]!r}", ["identify", "--perms", *g], E))
    C.append(("identify none", ["identify"], E))
    C.append(("valid: identify --perms '(1 2)' '(1 2 3)'", ["identify", "--perms", "(1 2)", "(1 2 3)"], "accept"))
    C += [
        ("table none", ["table"], E), ("table two groups", ["table", "C3", "--cayley", "FILE"], E),
        ("verify none", ["verify"], E), ("flow none", ["flow"], E), ("train none", ["train", "--out", "NEW"], E),
    ]
    # run folders
    for cmd in ("analyze", "kkt"):
        for d in ("MISSING", "FILE", "DIR", "NOTRUN", "CORRUPT", "EMPTYCK", "NOTASK", "/", "/proc"):
            C.append((f"{cmd} {d}", [cmd, d, *(["--no-progress"] if cmd == "kkt" else [])], E))
    C += [
        ("kkt --max-constraints 0", ["kkt", "RUN", "--max-constraints", "0", "--no-progress"], E),
        ("kkt --seeds 5 (run has 1)", ["kkt", "RUN", "--seeds", "5", "--no-progress", "--out", "NEW"], E),
        ("kkt --seeds 0 0", ["kkt", "RUN", "--seeds", "0", "0", "--no-progress", "--out", "NEW"], E),
        ("analyze into a file", ["analyze", "RUN", "--out", "FILE"], E),
        ("train resume missing", ["train", "C5", "--out", "NEW", "--resume"], E),
        ("train resume empty dir", ["train", "C5", "--out", "DIR", "--resume"], E),
        ("train resume not a run", ["train", "C5", "--out", "NOTRUN", "--resume"], E),
        ("train resume corrupt", ["train", "C5", "--out", "CORRUPT", "--resume", "--seeds", "1", "--width", "8",
                                  "--steps", "6", "--eval-every", "2", "--weight-decay", "0.1", "--init-scale", "2",
                                  "--no-progress"], E),
        ("train resume other group", ["train", "C6", "--out", "RUN", "--resume", "--seeds", "1", "--width", "8",
                                      "--steps", "6", "--eval-every", "2", "--weight-decay", "0.1", "--init-scale",
                                      "2", "--no-progress"], E),
        ("train resume other width", ["train", "C5", "--out", "RUN", "--resume", "--seeds", "1", "--width", "9",
                                      "--steps", "6", "--eval-every", "2", "--weight-decay", "0.1", "--init-scale",
                                      "2", "--no-progress"], E),
        ("train resume + overwrite", ["train", "C5", "--out", "RUN", "--resume", "--overwrite"], E),
        ("train into another run", ["train", "C6", "--out", "RUN", "--steps", "2"], E),
        ("train into a non-empty folder", ["train", "C5", "--out", "NOTRUN", "--steps", "2"], E),
        ("verify into a train run", ["verify", "C3", "--out", "RUN"], E),
        ("train transformer heads", ["train", "C5", "--model", "transformer", "--d-model", "10", "--heads", "3",
                                     "--out", "NEW"], E),
        ("train mnist without path", ["train", "--task", "mnist", "--out", "NEW"], E),
        ("train mnist missing path", ["train", "--task", "mnist", "--mnist-path", "MISSING", "--out", "NEW"], E),
        ("train parity k>n", ["train", "--task", "parity", "--parity", "3", "5", "--out", "NEW"], E),
        ("train init-from missing", ["train", "C5", "--init-from", "MISSING", "--out", "NEW", "--steps", "1"], E),
        ("train egd-layers bogus", ["train", "C5", "--optimizer", "egd", "--egd-layers", "nosuch", "--out", "NEW",
                                    "--steps", "1", "--width", "4", "--seeds", "1", "--no-progress"], E),
        ("train lr per-seed mismatch", ["train", "C5", "--seeds", "2", "--lr", "0.1,0.2,0.3", "--out", "NEW",
                                        "--steps", "1", "--width", "4", "--no-progress"], E),
        ("train batch > data is clipped", ["train", "C3", "--batch-size", "100000", "--steps", "2", "--seeds", "1",
                                           "--width", "4", "--no-progress", "--no-plot", "--out", "NEW"], "accept"),
        ("accelerate C23 default batch", ["accelerate", "C23", "--methods", "sgd", "--seeds", "1", "--epochs", "1",
                                          "--quiet", "--out", "NEW"], "accept"),
        ("accelerate --lr bogus=0.1", ["accelerate", "C5", "--lr", "bogus=0.1", "--out", "NEW"], E),
        ("accelerate --lr sgd=-1", ["accelerate", "C5", "--lr", "sgd=-1", "--out", "NEW"], E),
        ("accelerate --lr sgd", ["accelerate", "C5", "--lr", "sgd", "--out", "NEW"], E),
        ("accelerate --methods nosuch", ["accelerate", "C5", "--methods", "nosuch", "--seeds", "1", "--epochs", "1",
                                         "--quiet", "--out", "NEW"], E),
        ("accelerate --methods ,", ["accelerate", "C5", "--methods", ",", "--out", "NEW"], E),
        ("grok-time --paper-size on diag", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "1",
                                            "--paper-size", "--out", "NEW"], E),
        ("grok-time --set bogus", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "1", "--set",
                                   "bogus=1", "--out", "NEW"], E),
        ("grok-time --set d", ["grok-time", "--task", "diag", "--alphas", "2", "--lambdas", "1", "--set", "d",
                               "--out", "NEW"], E),
        ("verify --only nosuch", ["verify", "C3", "--only", "nosuch", "--out", "NEW"], E),
        ("experiments --only nosuch", ["experiments", "--only", "nosuch.experiment", "--out", "NEW"], E),
        ("sweep missing spec", ["sweep", "MISSING"], E),
        ("sweep bad toml", ["sweep", "SPEC", "--out", "NEW"], E),
        ("sweep empty spec", ["sweep", "EMPTYSPEC", "--out", "NEW"], E),
        ("sweep dir spec", ["sweep", "DIR", "--out", "NEW"], E),
        ("sweep binary spec", ["sweep", "BINARY", "--out", "NEW"], E),
        ("unknown command", ["nosuch"], E), ("no command", [], E),
        ("valid: verify", ["verify", *BASE["verify"]], "accept"),
        ("valid: flow", ["flow", *BASE["flow"]], "accept"),
        ("valid: train --checkpoint-every 0", ["train", *BASE["train"], "--checkpoint-every", "0"], "accept"),
        ("valid: analyze", ["analyze", *BASE["analyze"]], "accept"),
        ("valid: kkt", ["kkt", *BASE["kkt"]], "accept"),
        ("valid: grok-time", ["grok-time", *BASE["grok-time"]], "accept"),
        ("valid: table --perms '(1 2)' '(1 2 3)' is S3", ["table", "--perms", "(1 2)", "(1 2 3)", "--json"], "accept"),
        ("checks extra", ["checks", "extra"], E),
    ]
    # output paths that cannot be written
    outs = {"file": "FILE", "proc": "/proc/grokcheck-x", "read-only": "RO/x", "under a file": "FILE/x",
            "long name": "x" * 300, "dev-null": "/dev/null"}
    for cmd in ("train", "verify", "flow", "grok-time", "accelerate", "analyze", "kkt", "experiments", "sweep"):
        for what, path in outs.items():
            argv = [a for a in BASE[cmd]] if cmd != "experiments" else ["--only", "li2.critical-ratio-law",
                                                                           "--max-steps", "2", "--quiet"]
            if "--out" in argv:
                i = argv.index("--out")
                argv[i + 1] = path
            else:
                argv += ["--out", path]
            C.append((f"{cmd} --out {what}", [cmd, *argv], E))
    return C


def generated_cases(parser) -> list[tuple[str, list[str], str]]:
    """Every typed option of every subcommand with values no option should take."""
    C = []
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sp in sorted(sub.choices.items()):
        base = BASE.get(name, [])
        for a in sp._actions:
            if not a.option_strings or a.option_strings[0] in ("-h", "--help", "--out"):
                continue
            opt = max(a.option_strings, key=len)
            n = a.nargs if isinstance(a.nargs, int) else 1
            if a.choices:
                C.append((f"{name} {opt} bogus-choice", [name, *_drop(base, opt), opt, *["bogus"] * max(n, 1)],
                          "error"))
            elif a.type is not None and a.nargs != 0:
                for v in BAD_VALUES:
                    if v == "-1" and opt in ("--threads",):
                        continue
                    C.append((f"{name} {opt} {v!r}", [name, *_drop(base, opt), opt, *[v] * max(n, 1)], "error"))
    return C


def _drop(base, opt):
    """``base`` without ``opt`` and its value (so the case's value is the only one)."""
    out, skip = [], 0
    for i, a in enumerate(base):
        if skip:
            skip -= 1
            continue
        if a == opt:
            skip = 1
            continue
        out.append(a)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="cli-fuzz")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--only", default=None, help="comma-separated subcommands")
    args = ap.parse_args(argv)

    from grokcheck.checks.cli import build_parser

    cases = hand_cases() + generated_cases(build_parser())
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if c[1] and c[1][0] in keep]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="grokcheck-fuzz-") as tmp:
        root = Path(tmp)
        worker = Worker()
        fx = _fixtures(root, worker)
        try:
            for k, (label, argv_, expect) in enumerate(cases):
                cwd = root / f"case-{k}"
                cwd.mkdir()
                real = []
                for a in argv_:
                    if a == "NEW":
                        a = str(cwd / "out")
                    elif a.split("/")[0] in fx:
                        head, _, rest = a.partition("/")
                        a = fx[head] + ("/" + rest if rest else "")
                    real.append(a)
                r = worker.run(real, cwd, args.timeout)
                if "outcome" not in r:
                    tb = "Traceback (most recent call last)" in r["err"] or r["rc"] in (1, -1)
                    if tb:
                        r["outcome"] = "traceback"
                    elif r["rc"] == 2:
                        r["outcome"] = "clean"
                    elif r["rc"] == 0:
                        r["outcome"] = "ok" if expect == "accept" else "accepted"
                    else:
                        r["outcome"] = "other"
                if expect == "accept" and r["outcome"] == "clean":
                    r["outcome"] = "refused-valid"
                r.update(label=label, argv=["grokcheck", *argv_], expect=expect)
                results.append(r)
                print(f"[{k + 1}/{len(cases)}] {r['outcome']:>13}  {label}", flush=True)
        finally:
            worker.close()
            if "_mounted" in fx:
                subprocess.run(["umount", fx["_mounted"]], capture_output=True)
            else:
                os.chmod(fx["RO"], 0o755)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    (out / "cli_fuzz.json").write_text(json.dumps({"counts": counts, "cases": results}, indent=1) + "\n")
    lines = ["# grokcheck command-line fuzz", "", f"{len(results)} cases: "
             + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())), "",
             "| outcome | case | command | last line of stderr |", "|---|---|---|---|"]
    for r in results:
        if r["outcome"] in ("clean", "ok"):
            continue
        last = (r.get("err") or "").strip().splitlines()[-1:] or [""]
        cmd = " ".join(shlex.quote(a) for a in r["argv"])
        lines.append(f"| {r['outcome']} | {r['label']} | `{cmd[:160]}` | {last[0][:160]} |")
    lines += ["", "Clean errors (exit 2, one message) are not listed; `cli_fuzz.json` has every case."]
    (out / "cli_fuzz.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
