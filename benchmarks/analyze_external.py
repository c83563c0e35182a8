"""``grokcheck analyze`` on many checkpoints against a plain numpy attribution, side by side.

Usage::

    python benchmarks/analyze_external.py DIR/S5_seed*.pt --group S5           # one-layer MLP files
    python benchmarks/analyze_external.py DIR/S5_seed*.pt --group S5 --rounds 3
    python benchmarks/analyze_external.py DIR/A5_seed*.pt --group A5 --repeat 10  # 4 files, each 10 times

Both sides do the same work per file: read the state dict (``torch.load(weights_only=True)``),
form the neurons' left/right responses ``u = W_x W[:e]``, ``v = W_y W[e:]``, evaluate the model on
all |G|² pairs (argmax accuracy against the group's table), and attribute every neuron to the real
irrep holding the largest share of its centred input energy (share ≥ 0.9: single-irrep), over the
neurons alive by grokcheck's default rule (fires on some pair; above the first ×100 drop in
strength). The numpy
side gets the group's isotypic projectors and table in the files' own labelling once, before its
clock starts (a script's author knows the labelling and would load them from a file); grokcheck's
side is its command line as a user runs it, finding the labelling from each model's predictions.

Ratios are printed (grokcheck / numpy; goal ≤ 1) for grokcheck's default output (a table of
text, ``text``) and for ``--json`` (the whole per-file schema, with every irrep's character per
model label: for C113 that is 113 × 113 complex values a file, most of the ``--json`` time):

* ``per model``: in this process, after one warm-up call of each (imports and the group's
  character table are paid once), what one more file costs: the median over ``--rounds`` of the
  time of a call on all k files less that of a call on the first file alone, over k − 1 (with
  one file: that call's time). ``one call, 1 file`` is the second time: the per-call work
  (argument parsing, the group's irrep names; the script's reading of its projectors) plus one
  model;
* ``end to end``: each side in a fresh interpreter (``python -c``), imports included, as a user
  would run them, the median over ``--rounds``.

Rounds interleave the two sides, so load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

NUMPY_SCRIPT = r'''
import sys, json, numpy as np, torch
d = np.load(sys.argv[1])
P, table, triv = d["P"], d["table"], int(d["trivial"])
n = table.shape[0]
out = []
for f in sys.argv[2:]:
    sd = torch.load(f, map_location="cpu", weights_only=True)
    Wx, Wy, W, WU = (sd[k].numpy().astype(np.float64) for k in ("W_x", "W_y", "W", "W_U"))
    e = Wx.shape[1]
    u, v = Wx @ W[:e], Wy @ W[e:]                      # (n, h)
    u32, v32, WU32 = u.astype(np.float32), v.astype(np.float32), WU.astype(np.float32)  # the file's dtype
    pred = (np.maximum(u32[:, None, :] + v32[None, :, :], 0) @ WU32).argmax(-1)  # (n, n) on every pair
    acc = float((pred == table).mean())
    E = ((P @ u) * u).sum(1).T + ((P @ v) * v).sum(1).T  # (h, orbits): f·P_O f, P_O an orthogonal projector
    E[:, triv] = 0
    share = E.max(1) / E.sum(1)
    # alive: fires on some pair, strength above the first x100 drop (grokcheck's default rule)
    st = np.sqrt((u * u).sum(0) + (v * v).sum(0)) * np.sqrt((WU * WU).sum(1))
    srt = np.sort(st)[::-1]
    drops = np.nonzero(srt[:-1] >= 100 * srt[1:])[0]
    alive = (st >= srt[drops[0]] if drops.size else st > 0) & (u.max(0) + v.max(0) > 0)
    out.append((acc, float((share[alive] >= 0.9).mean())))
print(json.dumps(out))
'''


def _projectors(G) -> tuple[np.ndarray, int]:
    """(k, n, n) real isotypic projectors P_O[g, h] = Σ_{ρ∈O} d_ρ/|G| χ_ρ(g h⁻¹), and the trivial orbit."""
    ct = G.character_table
    chi = ct.on_elements()
    prod = G.table[:, G.inverses]
    P = np.stack([sum(float(ct.degrees[i]) / G.order * chi[i][prod] for i in o).real for o in ct.orbits])
    triv = next(k for k, o in enumerate(ct.orbits) if np.allclose(ct.values[o[0]], 1.0))
    return P, triv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--group", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=1,
                    help="list the files this many times on both sides: steadier per-model figures for a handful of "
                         "files (a few ms each are within the machine's noise)")
    args = ap.parse_args()
    args.files = list(args.files) * max(1, args.repeat)

    import json
    import tempfile

    from grokcheck.checks.cli import main as grokcheck
    from grokcheck.theory import group

    G = group(args.group)
    P, triv = _projectors(G)
    # the numpy side works in the files' own labelling (a script's author knows it): read it once,
    # from the first file, with grokcheck, before any clock starts
    from grokcheck.checks.claims._given_model import read_given_model

    perm = read_given_model(G, args.files[0], "onelayer-mlp").element_of_label  # model label -> element
    inv = np.argsort(perm)
    P = P[:, perm][:, :, perm]
    table = inv[G.table[np.ix_(perm, perm)]]  # the product in model labels
    tmp = tempfile.mkdtemp()
    npz = os.path.join(tmp, "projectors.npz")
    np.savez(npz, P=P, table=table, trivial=triv)
    devnull = open(os.devnull, "w")

    def gc_argv(files, *extra):
        return ["analyze", *files, "--format", "onelayer-mlp", args.group, *extra]

    text, cli = gc_argv(args.files), gc_argv(args.files, "--json")

    def run_grokcheck_inproc(argv):
        old = sys.stdout
        sys.stdout = devnull
        try:
            grokcheck(argv)
        finally:
            sys.stdout = old

    ns = {"__name__": "bench"}
    code = compile(NUMPY_SCRIPT, "numpy_attribution", "exec")

    def run_numpy_inproc(files=tuple(args.files)):
        old_argv, old = sys.argv, sys.stdout
        sys.argv, sys.stdout = ["x", npz, *files], devnull
        try:
            exec(code, dict(ns))
        finally:
            sys.argv, sys.stdout = old_argv, old

    def timed(f):
        t = time.perf_counter()
        f()
        return time.perf_counter() - t

    run_grokcheck_inproc(text), run_grokcheck_inproc(cli), run_numpy_inproc()  # warm-up: imports, the group's tables
    g_in, gj_in, n_in, g_out, gj_out, n_out = [], [], [], [], [], []
    py = sys.executable

    def fresh(argv):
        return lambda: subprocess.run([py, *argv], stdout=subprocess.DEVNULL, check=True)

    one = args.files[:1]
    g_1, gj_1, n_1 = [], [], []
    for _ in range(args.rounds):
        g_in.append(timed(lambda: run_grokcheck_inproc(text)))
        n_in.append(timed(run_numpy_inproc))
        gj_in.append(timed(lambda: run_grokcheck_inproc(cli)))
        g_1.append(timed(lambda: run_grokcheck_inproc(gc_argv(one))))
        n_1.append(timed(lambda: run_numpy_inproc(one)))
        gj_1.append(timed(lambda: run_grokcheck_inproc(gc_argv(one, "--json"))))
        g_out.append(timed(fresh(["-m", "grokcheck.checks.cli", *text])))
        n_out.append(timed(fresh(["-c", NUMPY_SCRIPT, npz, *args.files])))
        gj_out.append(timed(fresh(["-m", "grokcheck.checks.cli", *cli])))
    # the two sides agree on every file (the same statistic)
    res = subprocess.run([py, "-c", NUMPY_SCRIPT, npz, *args.files], capture_output=True, text=True, check=True)
    ref = json.loads(res.stdout)
    out = subprocess.run([py, "-m", "grokcheck.checks.cli", *cli], capture_output=True, text=True, check=True)
    js = json.loads(out.stdout)["files"]
    agree = all(abs(a - f["table"]["accuracy"]) < 1e-12 and abs(s - f["summary"]["fraction_single_irrep"]) < 1e-9
                for (a, s), f in zip(ref, js))
    m = statistics.median
    k = len(args.files)

    def per_model(all_files, first):
        return (m(all_files) - m(first)) / (k - 1) if k > 1 else m(all_files)

    def row(label, a, b, unit=".4f"):
        print(f"{label:<22} {format(a, unit):>9}s {format(b, unit):>9}s {a / b:>7.2f}")

    print(f"{k} files of {args.group}, {args.rounds} rounds (median), same statistics on every file: {agree}")
    print(f"{'':<22} {'grokcheck':>10} {'numpy':>10} {'ratio':>7}")
    row("per model, text", per_model(g_in, g_1), per_model(n_in, n_1))
    row("per model, --json", per_model(gj_in, gj_1), per_model(n_in, n_1))
    row("one call, 1 file", m(g_1), m(n_1))
    row("end to end, text", m(g_out), m(n_out), ".2f")
    row("end to end, --json", m(gj_out), m(n_out), ".2f")


if __name__ == "__main__":
    main()
