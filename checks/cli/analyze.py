"""``grokcheck analyze RUN_DIR``: per-neuron Fourier analysis and population logits of a trained run."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="measure a trained run (neuron Fourier analysis, majority vote, Li2 quantities)",
        description="Measure a trained run directory; writes analysis.json, neuron_energy_heatmap.png and "
        "neuron_histograms.png (into --out, default the run directory).",
    )
    p.add_argument("run_dir")
    p.add_argument("--out", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--live-threshold", type=float, default=0.01)
    p.add_argument("--json", action="store_true", help="print the whole analysis as JSON")
    p.set_defaults(func=run)


def _fmt(v, spec=".4f"):
    return "—" if v is None else format(v, spec)


def run(args: argparse.Namespace) -> int:
    from grokcheck.checks.training._analyze import analyze_run

    rep = analyze_run(args.run_dir, out_dir=args.out, device=args.device, live_threshold=args.live_threshold)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    print(f"run {rep['run_dir']}: {rep['model']} / {rep['optimizer']}, step {rep['step']}")
    if rep["test_leakage"]:
        print("WARNING: test leakage: this run switched EGD off using test accuracy.")
    print(f"train acc {rep['train_acc']}\ntest acc  {rep['test_acc']}\nt_mem {rep['t_mem']}  t_grok {rep['t_grok']}")
    nr = rep.get("neurons")
    if nr and "skipped" not in nr and nr.get("neurons_live"):
        print(f"neurons: {nr['neurons_live']} live of {nr['neurons_total']} over {nr['seeds_measured']} seeds")
        print(f"  purity ≥ 0.95: {_fmt(nr['purity_fraction_ge_0.95'], '.3f')}   purity ≥ 0.9: {_fmt(nr['purity_fraction_ge_0.9'], '.3f')}"
              f"   quantiles {nr['purity_quantiles']}")
        rr = nr["rank_ratio_multidim"]
        print(f"  σ₂/σ₁ on d>1 winners ({rr['neurons']} neurons): median {_fmt(rr['median'])}, max {_fmt(rr['max'])}, "
              f"fraction < 0.1 {_fmt(rr['fraction_below_0.1'], '.3f')}")
        print(f"  alignment |cos| min {_fmt(nr['align_abs']['min'])} median {_fmt(nr['align_abs']['median'])};"
              f" Re cos min {_fmt(nr['align_re']['min'])} median {_fmt(nr['align_re']['median'])}")
        print("  occupancy (orbit irreps, dim, FS: neurons [single-irrep]):")
        for o in nr["occupancy"]:
            print(f"    {tuple(o['irreps'])} d={o['dim']} ι={o['fs_indicator']}: {o['count']} [{o['single_irrep_count']}]")
        if nr.get("occupancy_chi2_uniform_pvalue") is not None:
            print(f"  χ² uniform occupancy p = {nr['occupancy_chi2_uniform_pvalue']:.3g}")
    elif nr:
        print(f"neurons: {nr.get('skipped', 'none live')}")
    mv = rep.get("majority_vote")
    if mv:
        for s, r in enumerate(mv["per_seed"]):
            if r:
                print(f"  seed {s} majority vote coef/c1 {[_fmt(c, '.3f') for c in r['coef_normalized']]} R² {r['r2']:.3f}"
                      f" min margin {r['margin_min']:.4g} ({r['margin_positive_fraction']:.3f} pairs > 0)")
    if "li2" in rep:
        print(f"  Li2 (η={rep['li2']['eta']:g}): {rep['li2']['per_seed'][0]}")
    print(f"wrote {args.out or args.run_dir}/analysis.json")
    return 0
