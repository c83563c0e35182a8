"""``grokcheck analyze``: per-neuron irrep analysis of trained networks.

Two modes:

* ``grokcheck analyze RUN_DIR`` (no ``--format``): a grokcheck run directory, as before
  (neuron Fourier analysis, majority vote, Li₂ quantities; writes ``analysis.json`` and PNGs).
* ``grokcheck analyze FILE… --format onelayer-mlp|concat-mlp|summed-mlp|transformer-lens|grokcheck
  [GROUP | --perms … | --cayley FILE | --elements FILE]``: networks trained anywhere. Without a group the group is
  recovered from each model's predictions on all pairs (a table a few entries off is repaired to
  the nearest group table, with the count stated; ``--strict-table`` refuses instead). One
  summary row per file (irreps used, named, with their single-irrep neuron counts) and, for
  several files, an aggregate: how many models use each irrep. ``--json`` prints, and ``--out DIR``
  writes ``DIR/analysis.json``: ``{"schema": "grokcheck.analyze/1", "files": [per-file report],
  "aggregate": {...}}`` with the per-file schema of :meth:`grokcheck.checks.training.ModelReport.to_json`
  (``irreps: [{index, dim, fs_indicator, name, character, …}]`` with ``character`` per model label,
  ``neurons: [{alive, irrep, share, share_out, …}]``, ``summary`` with occupancy, fraction
  single-irrep, the alive rule and thresholds). Irreps are numbered 1..k as GAP's X.1..X.k.
  ``--attribution paper`` adds ``files[i].attribution`` (Chughtai et al.'s key representations,
  :func:`grokcheck.checks.training._attribution.attribute_model`) with ``status`` ``"OK"`` or
  ``"INCONCLUSIVE"`` and the reasons in ``inconclusive`` (the model has not learned the table, or
  its key irreps do not stand out of the chance level ``null_baseline``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from grokcheck.checks.cli import _validators as v

__all__ = ["register"]

SCHEMA = "grokcheck.analyze/1"

#: the text output lists a group's irreps one per line up to this many (S6 has 11), else summarises them
MAX_IRREPS_LISTED = 16


def register(subparsers) -> None:
    from grokcheck.checks.training._analysis_options import (
        ALIVE_RULES,
        ALIVE_THRESHOLD,
        DEFAULT_ALIVE_RULE,
        MODEL_FORMATS,
        SHARE_SINGLE_IRREP,
    )

    p = subparsers.add_parser(
        "analyze",
        help="per-neuron irrep analysis of a trained run or of model files from any codebase",
        description="Measure a grokcheck run directory (RUN_DIR), or networks trained elsewhere "
        "(FILE... --format F [GROUP]): which irrep each neuron uses, named, with the group recovered "
        "from the model's own predictions when no group is given.",
        epilog="examples: grokcheck analyze runs/s4 | grokcheck analyze S5_seed*.pt --format onelayer-mlp | "
        "grokcheck analyze model.pt --format transformer-lens C113",
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="a run directory, or model files (with --format); one argument that is not a file "
                   "is the GROUP name")
    p.add_argument("--format", nargs="+", metavar="FORMAT", default=None,
                   help=f"the state-dict layout of the FILEs, one of {', '.join(MODEL_FORMATS)} (without it: "
                   "RUN_DIR mode); FILEs and the GROUP may follow it")
    p.add_argument("--perms", nargs="+", metavar="CYCLES", help='the group by permutation generators, e.g. "(1,2)" "(1,2,3,4,5)"')
    p.add_argument("--cayley", metavar="FILE", help="the group by a Cayley table (JSON list of lists or .npy)")
    p.add_argument("--elements", metavar="FILE",
                   help="the group as one permutation per model label (JSON list of cycle strings or 0-based image "
                   "arrays, in label order), or sympy:Sn for the order of sympy's SymmetricGroup(n).generate() (the "
                   "released Chughtai et al. S5/S6 labelling): labels are those elements, S_n/A_n partitions exact "
                   "(S6 included)")
    p.add_argument("--labels", choices=("auto", "identity"), default="auto",
                   help="with a GROUP: how model labels map to its elements (auto: identity when the repaired "
                   "predicted table is the group's, else an isomorphism from it)")
    p.add_argument("--strict-table", action="store_true",
                   help="refuse a predicted table that is not a group instead of repairing it")
    p.add_argument("--max-repair", type=v.positive_int, default=None,
                   help="accept a repair changing up to this many entries (default: as many as the vote provably repairs)")
    p.add_argument("--alive-rule", choices=ALIVE_RULES, default=DEFAULT_ALIVE_RULE,
                   help="gap (default): fires on some pair and |in|·|out| above the first ×100 drop in the sorted "
                   "strengths; weights: |in|·|out| ≥ threshold·max; input: |in| alone; fires: weights and the ReLU "
                   "fires on some pair; all: every finite neuron (docs/statistics.md)")
    p.add_argument("--alive-threshold", type=v.fraction, default=ALIVE_THRESHOLD,
                   help="relative threshold of the weights/input/fires alive rules")
    p.add_argument("--share-threshold", type=v.fraction, default=SHARE_SINGLE_IRREP,
                   help="a neuron is single-irrep when this fraction of its centred input energy is in one irrep")
    p.add_argument("--count-output", action="store_true",
                   help="output weights count: the irrep maximises input + output share, single-irrep needs both")
    p.add_argument("--activation", default="relu", help="MLP activation of concat-mlp/summed-mlp/transformer-lens")
    p.add_argument("--eq-token", type=v.nonnegative_int, default=None, help='the "=" token of a transformer (default n)')
    p.add_argument("--tl-config", metavar="FILE", default=None,
                   help="transformer-lens: the HookedTransformerConfig as JSON (default: FILE.json or config.json beside FILE)")
    p.add_argument("--tl-layer", type=int, default=None, help="transformer-lens: the block whose MLP neurons are analysed (default: last)")
    p.add_argument("--tl-mlp-site", choices=("post", "pre"), default="post",
                   help="transformer-lens: analyse MLP activations after (post, as Nanda et al.) or before the activation function")
    p.add_argument("--attribution", choices=("neurons", "paper"), default="neurons",
                   help="with --format: neurons (default): per-neuron irreps; paper: also Chughtai et al.'s key "
                   "representations by logit attribution, with embedding, neuron and ablation evidence, marked "
                   "INCONCLUSIVE for a model below 0.95 accuracy or whose key irreps explain no more than 10x the "
                   "chance level (docs/mechanisms.md)")
    p.add_argument("--out", default=None, help="write analysis.json (and, in RUN_DIR mode, PNGs) into this directory")
    p.add_argument("--device", type=v.device, default="cpu")
    p.add_argument("--threads", default="auto", metavar="N|auto",
                   help="torch threads per model (auto: from the forward pass's size, |G|² pairs × hidden units × |G| logits, and "
                        "the cores not busy; on a loaded 2-core machine torch's default oversubscribes the cores)")
    p.add_argument("--json", action="store_true", help="print the whole analysis as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of another run in --out")
    p.set_defaults(func=run)


def _definition(args):
    from grokcheck.checks.training._analysis_options import SingleIrrepDefinition

    return SingleIrrepDefinition.from_options(alive_rule=args.alive_rule, alive_threshold=args.alive_threshold,
                                              share_threshold=args.share_threshold, count_output=args.count_output)


def _fmt(v, spec=".4f"):
    return "—" if v is None else format(v, spec)


def run(args: argparse.Namespace) -> int:
    from grokcheck.checks.training._analysis_options import MODEL_FORMATS
    from grokcheck.errors import InvalidInputError

    if args.format is None:
        if args.attribution == "paper":
            raise InvalidInputError("--attribution paper reads models through --format; for a run directory give "
                                    "--format grokcheck (grokcheck analyze RUN_DIR --format grokcheck --attribution paper)",
                                    option="--attribution")
        return _run_dir_mode(args)
    fmt, *rest = args.format
    if fmt not in MODEL_FORMATS:
        raise InvalidInputError(f"--format must be one of {', '.join(MODEL_FORMATS)}, got {fmt!r}", option="--format")
    args.format = fmt
    args.paths = list(args.paths) + rest
    if not args.paths:
        raise InvalidInputError("give at least one model FILE", option="FILE")
    return _files_mode(args)


def _run_dir_mode(args: argparse.Namespace) -> int:
    import contextlib

    from grokcheck.checks._run_dir import open_run_directory, refuse_writing_into_live_run, require_run_directory
    from grokcheck.checks.training._analyze import analyze_run
    from grokcheck.errors import InvalidInputError

    if len(args.paths) != 1:
        raise InvalidInputError(f"without --format give one run directory, got {len(args.paths)} paths "
                                "(model files need --format)", option="--format")
    args.run_dir = args.paths[0]
    run_dir = require_run_directory(args.run_dir)
    refuse_writing_into_live_run(run_dir, args.out, command="analyze")  # not into a train still running
    import os

    if args.out is None and not os.access(run_dir, os.W_OK):  # fail now, not after the analysis
        from grokcheck.errors import InvalidInputError

        raise InvalidInputError(f"RUN_DIR {run_dir} is not writable: give --out DIR for the analysis files",
                                option="--out")
    # an explicit --out is claimed before the analysis; the default writes beside the run's own files
    definition = _definition(args)
    claim = (open_run_directory(args.out, command="analyze", config={"run_dir": str(run_dir.resolve()),
                                                                     **definition.to_json()},
                                overwrite=args.overwrite, rerun_same=True,
                                outputs=("analysis.json", "neuron_energy_heatmap.png", "neuron_histograms.png"))
             if args.out else contextlib.nullcontext())
    with claim:
        rep = analyze_run(args.run_dir, out_dir=args.out, device=args.device, definition=definition)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    print(f"run {rep['run_dir']}: {rep['model']} / {rep['optimizer']}, step {rep['step']}")
    if rep["test_leakage"]:
        print("WARNING: test leakage: this run switched EGD off using test accuracy.")
    print(f"train acc {rep['train_acc']}\ntest acc  {rep['test_acc']}\nt_mem {rep['t_mem']}  t_grok {rep['t_grok']}")
    nr = rep.get("neurons")
    if nr and "skipped" not in nr and nr.get("neurons_live"):
        print(f"neurons: {nr['neurons_live']} alive of {nr['neurons_total']} over {nr['seeds_measured']} seeds")
        si = nr["single_irrep"]
        print(f"  single-irrep fraction {_fmt(si['fraction'], '.3f')} ({si['single']}/{si['alive']}); {si['definition']}")
        print(f"  He et al.'s purity (θ¹, θ², ξ together) ≥ 0.95: {_fmt(nr['purity_fraction_ge_0.95'], '.3f')}   purity ≥ 0.9: {_fmt(nr['purity_fraction_ge_0.9'], '.3f')}"
              f"   quantiles {nr['purity_quantiles']}")
        rr = nr["rank_ratio_multidim"]
        print(f"  σ₂/σ₁ on d>1 winners ({rr['neurons']} neurons): median {_fmt(rr['median'])}, max {_fmt(rr['max'])}, "
              f"fraction < 0.1 {_fmt(rr['fraction_below_0.1'], '.3f')}")
        print(f"  alignment |cos| min {_fmt(nr['align_abs']['min'])} median {_fmt(nr['align_abs']['median'])};"
              f" Re cos min {_fmt(nr['align_re']['min'])} median {_fmt(nr['align_re']['median'])}")
        print("  occupancy (irrep, dim, FS: neurons [single-irrep]):")
        for o in nr["occupancy"]:
            num = "/".join(f"X.{i}" for i in o["irrep_numbers"])
            print(f"    {num} {o['name'] or ''} d={o['dim']} ι={o['fs_indicator']}: {o['count']} [{o['single_irrep_count']}]")
        if nr.get("occupancy_chi2_uniform_pvalue") is not None:
            print(f"  χ² uniform occupancy p = {nr['occupancy_chi2_uniform_pvalue']:.3g}")
    elif nr:
        print(f"neurons: {nr.get('skipped', 'none live')}")
    mv = rep.get("majority_vote")
    if mv:
        for s, r in enumerate(mv["per_seed"]):
            if r:
                print(f"  member {s + 1} majority vote coef/c1 {[_fmt(c, '.3f') for c in r['coef_normalized']]} R² {r['r2']:.3f}"
                      f" min margin {r['margin_min']:.4g} ({r['margin_positive_fraction']:.3f} pairs > 0)")
    if "li2" in rep:
        print(f"  Li2 (η={rep['li2']['eta']:g}): {rep['li2']['per_seed'][0]}")
    print(f"wrote {args.out or args.run_dir}/analysis.json")
    return 0


def _group_from(args):
    """The GROUP (a trailing non-file positional, --perms or --cayley), or None; and the files."""
    from grokcheck.checks.cli._group_args import group_from_args

    from grokcheck.errors import InvalidInputError

    missing = [pth for pth in args.paths if not Path(pth).exists()]
    paths = [pth for pth in args.paths if Path(pth).exists()]
    if len(missing) > 1 or (missing and not paths):
        raise InvalidInputError(f"no such model file(s): {', '.join(missing)}", option="FILE")
    name = missing[0] if missing else None
    if args.elements:
        if name or args.perms or args.cayley:
            raise InvalidInputError("give the group once: GROUP, --perms, --cayley or --elements", option="--elements")
        from grokcheck.theory._irrep_names import group_of_permutations

        if args.elements.startswith("sympy:"):
            data = _sympy_symmetric_elements(args.elements)
        else:
            try:
                data = json.loads(Path(args.elements).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise InvalidInputError(f"cannot read --elements {args.elements}: {exc}", option="--elements") from None
        if not isinstance(data, list):
            raise InvalidInputError(f"--elements {args.elements}: expected a JSON list of permutations", option="--elements")
        G, rec = group_of_permutations(data)
        args.labels = "identity"  # the file says which element each label is
        args._recognition = rec
        return G, paths
    if not (name or args.perms or args.cayley):
        return None, paths
    ns = argparse.Namespace(group=name, perms=args.perms, cayley=args.cayley)
    return group_from_args(ns), paths


def _sympy_symmetric_elements(spec: str) -> list:
    """``--elements sympy:Sn``: S_n's elements in the order sympy's ``SymmetricGroup(n).generate()`` lists them.

    That is the labelling of Chughtai et al.'s released S5/S6 checkpoints (their ``_elements`` was that list in the
    sympy they used); with it S6's irreps are named exactly rather than up to S6's outer automorphism.
    """
    import re

    from grokcheck.errors import InvalidInputError

    m = re.fullmatch(r"sympy:S(\d{1,2})", spec)
    if m is None or not 2 <= int(m.group(1)) <= 7:  # S7 (5040) is the largest dense table
        raise InvalidInputError(f"--elements {spec}: write sympy:Sn with 2 ≤ n ≤ 7 (or give a JSON file of "
                                "permutations in label order)", option="--elements")
    from sympy.combinatorics.named_groups import SymmetricGroup

    return [p.array_form for p in SymmetricGroup(int(m.group(1))).generate()]


def _used(summary) -> str:
    parts = [f"{u['name']} ×{u['neurons']}" for u in summary["irreps_used"]]
    return ", ".join(parts) if parts else "—"


def _files_mode(args: argparse.Namespace) -> int:
    import gc

    import grokcheck.checks.training._external  # noqa: F401  (torch: imported before the freeze)

    # torch and the theory layer are imported (~10^6 objects that live as long as the process): keep them out
    # of the full garbage collections the per-file reports would otherwise trigger a few times over (~0.2 s of
    # a 50-file run); unfrozen afterwards for a caller in the same process (unless it had frozen objects itself)
    own = gc.get_freeze_count() == 0
    if own:
        gc.freeze()
    try:
        return _analyze_files(args)
    finally:
        if own:
            gc.unfreeze()


def _analyze_files(args: argparse.Namespace) -> int:
    import time

    from grokcheck.checks._io import atomic_write_text, json_text
    from grokcheck.checks.training._external import TableMemo, analyze_model, load_models
    from grokcheck.checks.training._threads import forward_threads, resolve_threads, step_elements, torch_threads
    from grokcheck.errors import InvalidInputError
    from grokcheck.numerics._blas import single_blas_thread
    from grokcheck.theory._irrep_names import irrep_names

    G, paths = _group_from(args)
    for pth in paths:
        if not Path(pth).exists():
            raise InvalidInputError(f"no such model file: {pth}", option="FILE")
    memo = TableMemo()  # equal predicted tables: repaired, built and matched to the group once
    names_of: dict = {}
    # the per-file report reads the irrep shares only: the purity measurements are not computed
    options = dict(_definition(args).options(), measure=False)
    reports = []
    with single_blas_thread():  # the per-model products are small (grokcheck.numerics._blas)
        for pth in paths:
            t0 = time.perf_counter()
            with torch_threads(1):  # reading: products of a few 100k entries, where a second thread only waits
                models = load_models(pth, args.format, G, activation=args.activation, eq_token=args.eq_token,
                                     device=args.device, config=args.tl_config, layer=args.tl_layer,
                                     mlp_site=args.tl_mlp_site)
            for model in models:
                H = G if G is not None else model.group
                if H is None:
                    pre_names = None
                else:
                    if id(H) not in names_of:
                        names_of[id(H)] = (H, irrep_names(H, recognition=getattr(args, "_recognition", None) or True))
                    pre_names = names_of[id(H)][1]
                # the forward pass over all |G|² pairs is the largest operation: threads from its size
                width = max([int(v) for k, v in model.meta.items() if k in ("hidden", "d_mlp", "width")
                             and isinstance(v, int)], default=1)
                with torch_threads(forward_threads(args.threads, model.order**2, width, model.order)):
                    rep = analyze_model(model, G, labels=args.labels, strict_table=args.strict_table,
                                        max_changes=args.max_repair, names=pre_names, memo=memo,
                                        **options)
                if pre_names is None:
                    names_of.setdefault(id(rep.group), (rep.group, rep.names))
                js = rep.to_json()
                js["seconds"] = time.perf_counter() - t0  # reading the file included
                t0 = time.perf_counter()
                reports.append((rep, js))
    attributions = None
    if args.attribution == "paper":
        from grokcheck.checks.training._attribution import attribute_reports

        largest = max((step_elements(1, rep.model.order**2, rep.model.order) for rep, _ in reports), default=1)
        with torch_threads(resolve_threads(args.threads, largest)):  # its largest operation: |G|² pairs × |G| logits
            attributions = attribute_reports([rep for rep, _ in reports])
        for (_, js), att in zip(reports, attributions):
            js["attribution"] = att.to_json()
    aggregate = _aggregate([js for _, js in reports])
    out = {"schema": SCHEMA, "files": [js for _, js in reports], "aggregate": aggregate}
    if args.out:
        path = Path(args.out)
        path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path / "analysis.json", json_text(out, indent=2) + "\n")  # indented for reading
    if args.json:
        # compact: the C encoder (an indent makes json use its pure-Python one, ~10 ms per released model)
        print(_compact_json(out, reports))
        return 0
    _print_text(reports, aggregate)
    if attributions is not None:
        from grokcheck.checks.training._attribution import print_attribution

        print_attribution([rep for rep, _ in reports], attributions)
    if args.out:
        print(f"wrote {Path(args.out) / 'analysis.json'}")
    return 0


def _compact_json(out: dict, reports) -> str:
    """``json_text(out)``, the ``irreps`` rows of models with the same group, names and labelling encoded once.

    Those rows list every irrep's character per model label (113 × 113 complex values a C113 file): the same
    value under each of many models, encoded once and put back in each place (the same text)."""
    import numpy as np

    from grokcheck.checks._io import json_text_shared, shared_placeholder

    shared: dict = {}
    slot: dict = {}
    files = []
    for rep, js in reports:  # the reports hold their groups and names: the ids stay theirs
        key = (id(rep.group), tuple(map(id, rep.names)), np.asarray(rep.element_of_label).tobytes())
        if key not in slot:
            slot[key] = shared_placeholder(len(slot))
            shared[slot[key]] = js["irreps"]
        files.append(dict(js, irreps=slot[key]))
    return json_text_shared(dict(out, files=files), shared)


def _aggregate(files: list[dict]) -> dict:
    """Per group: how many models use each irrep, and their single-irrep neurons in total."""
    groups: dict = {}
    for js in files:
        g = js["group"]
        key = (g["name"] or g["known_as"] or f"order {g['order']}", g["order"])
        entry = groups.setdefault(key, {"group": key[0], "order": key[1], "models": 0, "irreps": {}})
        entry["models"] += 1
        for occ in js["summary"]["occupancy"]:
            row = entry["irreps"].setdefault(occ["irrep"], {"irrep": occ["irrep"], "name": occ["name"], "dim": occ["dim"],
                                                            "models": 0, "single_irrep_neurons": 0, "alive_neurons": 0})
            row["alive_neurons"] += occ["alive"]
            row["single_irrep_neurons"] += occ["single_irrep"]
            row["models"] += occ["single_irrep"] > 0
    out = []
    for entry in groups.values():
        entry["irreps"] = sorted(entry["irreps"].values(), key=lambda r: r["irrep"])
        out.append(entry)
    return {"groups": out, "definition": "an irrep is used by a model when at least one alive neuron is single-irrep in it"}


def _print_text(reports, aggregate) -> None:
    shown_groups = set()
    for rep, js in reports:
        gid = id(rep.group)
        if gid not in shown_groups:
            shown_groups.add(gid)
            g = js["group"]
            known = f", known as {g['known_as']}" if g["known_as"] else ""
            how = "recovered from the model's predictions" if g["labels"] == "table" else f"{g['name'] or 'given'}, labels: {g['labels']}"
            if (g.get("source") or "").startswith("permutations ("):
                how += f"; elements read as {g['source'][len('permutations ('):-1]}"
            irreps = js["irreps"]
            if len(irreps) <= MAX_IRREPS_LISTED:
                print(f"group of order {g['order']} ({how}{known}); irreps:")
                for ir in irreps:
                    print(f"  X.{ir['index']:<3} {ir['name']:<28} dim {ir['dim']:<3} {ir['kind']:<12} {ir['field']}")
            else:  # C113 has 113: the results, not the table, are what a reader came for
                dims = sorted({int(ir["dim"]) for ir in irreps})
                print(f"group of order {g['order']} ({how}{known}); {len(irreps)} irreps of dimension "
                      f"{', '.join(map(str, dims))} (--json lists them)")
            for note in dict.fromkeys(ir["note"] for ir in js["irreps"] if ir.get("note")):
                print(f"  note: {note}")
    print(f"{'file':<40} {'acc':>6} {'table':>9} {'alive':>8} {'single':>7}  irreps used (single-irrep neurons)")
    for rep, js in reports:
        if js.get("warning"):
            print(f"WARNING {Path(js['file']).name}: {js['warning']}")
        t = js["table"]
        tab = "group" if t.get("was_group") else (f"{t['entries_changed']} fixed" if t.get("entries_changed") is not None
                                                   else "not group")
        s = js["summary"]
        fs = s["fraction_single_irrep"]
        print(f"{Path(js['file']).name:<40} {js['table']['accuracy']:>6.3f} {tab:>9} {s['alive']:>4}/{s['neurons']:<3} "
              f"{'—' if fs is None else format(fs, '.2f'):>7}  {_used(s)}")
        if t.get("changes"):
            ch = ", ".join(f"{c['left']}·{c['right']}: {c['predicted']}→{c['repaired']}" for c in t["changes"][:6])
            more = "" if len(t["changes"]) <= 6 else f" (+{len(t['changes']) - 6} more)"
            print(f"{'':<40} repaired entries (left·right: predicted→repaired): {ch}{more}")
        if t.get("repair_error"):
            print(f"{'':<40} table: {t['repair_error']}")
    if len(reports) == 1:
        rep, js = reports[0]
        s = js["summary"]
        print(s["definition"])
        print("occupancy (alive neurons [single-irrep]):")
        for o in s["occupancy"]:
            if o["alive"]:
                print(f"  X.{o['irrep']:<3} {o['name']:<28} {o['alive']:>5} [{o['single_irrep']}]")
        for key, rows in js["spectra"].items():
            top = sorted(rows, key=lambda r: -r["share"])[:6]
            print(f"{key} spectrum (share of centred energy): " + ", ".join(f"X.{r['irrep']} {r['name']} {r['share']:.2f}" for r in top))
    else:
        for g in aggregate["groups"]:
            print(f"aggregate over {g['models']} models of {g['group']}: models using each irrep [single-irrep neurons in total]")
            for r in g["irreps"]:
                if r["models"] or r["alive_neurons"]:
                    print(f"  X.{r['irrep']:<3} {r['name']:<28} {r['models']:>4} models [{r['single_irrep_neurons']}]")
        secs = [js["seconds"] for _, js in reports]
        print(f"time per model: first {secs[0]:.2f} s, then median {sorted(secs[1:])[len(secs[1:]) // 2]:.2f} s")
