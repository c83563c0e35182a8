"""Chughtai, Chan & Nanda (arXiv 2302.03025, §6 "universality"): weak universality of the key irreps.

The paper finds that every network learns the group-composition algorithm with a few *key* real
irreps, but which irreps, how many and in what order differ from seed to seed ("weak"
universality), with regularities: the sign irrep is learned early, and lower-dimensional faithful
irreps are learned more often than higher-dimensional ones.

Per member (one seed of one trained one-layer MLP): the key irreps by the paper's logit
attribution (:func:`grokcheck.checks.training._attribution.character_fit`, the authors' cosine and
threshold), and, from the trace similarities logged at every evaluation, the step at which each
key irrep's cosine first exceeds :data:`ORDER_THRESHOLD` (the authors' ``determine_key_rep_order``).

Statistics over the grokked members (test accuracy ≥ 0.95), with 95% intervals: the number of key
irreps (Student t), how often each irrep is key (Wilson), how often a lowest-dimensional faithful
irrep is key, how often a higher-dimensional one is, and, where ``G`` has a non-trivial
one-dimensional real irrep (the sign of S_n), how often it is key and how often it crosses first.

Decision rule (:data:`DECISION`). PASS when at least 3 members grok, the Wilson lower bound of the
fraction of grokked members with a lowest-dimensional faithful irrep among their key irreps is
≥ 1/2, no higher-dimensional faithful irrep is key more often, and — where the sign order is
measured (runs with evaluations; the released checkpoints have none) and at least 3 members learn
a one-dimensional irrep — it crosses strictly before every other key irrep in a fraction whose
Wilson lower bound is ≥ 1/2 (a tie at the evaluation resolution is not "first"). FAIL when a
higher-dimensional faithful irrep is key significantly more often (its Wilson lower bound above
the lowest-dimensional ones' upper bound), or the one-dimensional irrep crosses after another key
irrep in significantly more than half of the members (Wilson lower > 1/2, at least 3 members). Fewer than
3 grokked members is a shortfall (INCONCLUSIVE). Rivals: "dimension-blind" (each non-trivial irrep
key with probability 1/2, random order) and "higher dimensions preferred" (the highest-dimensional
faithful irreps key with probability 0.9, the lowest with 0.2, the sign last); on a group whose
faithful irreps all have one dimension (S3, S4, D_n) the claim and the second rival coincide in
this statistic, and the run cannot PASS — it says so.

Budgets: ``small`` S3 (smoke test, 2 seeds); ``full`` S4 at 50% of the pairs, lr 3e-2, 8 seeds,
2,000 steps evaluated every 10 (irreps are learned within the first ~100); measured: 7 of 8
grok, the standard irrep crosses at step 10 and the sign at 20–60 in all 7 (FAIL in the proxy:
"does not transfer"), the restricted loss falls below 0.1·log|G| at steps 200–300 and test
accuracy reaches 0.95 at 600–1,700; 530 s on two loaded cores with the rival simulations (the setting of ``universality.onelayer-mlp-groks``, where members grok by step
~1,000); ``paper`` S5 at 40%, lr 1e-3, 250,000 steps (GPU). ``small``/``full`` are proxies.
:func:`members_from_models` turns given models (e.g. the paper's released S5 checkpoints, read
by the one model path) into members for the same analysis (:func:`decide_members`);
:func:`members_from_analysis` does the same from the JSON of ``grokcheck analyze FILE...
--attribution paper --json`` (one analysis, reused), and :func:`population_report` /
:func:`write_population_report` give the statistics, the verdict and a key-frequency chart for a
population of given models (``scripts/weak_universality.py``).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from grokcheck.checks._registry import Verdict, regime_shortfall
from grokcheck.checks.experiments._rivals import Design, Model, more_seeds, more_seeds_words
from grokcheck.checks.experiments._universality_mlp import chughtai_settings
from grokcheck.checks.experiments._study import (
    CPU_TABLE_TRAINING,
    Experiment,
    Outcome,
    first_crossing,
    group_of,
    inconclusive,
    single_group_cells,
    t_interval,
    wilson_interval,
)

__all__ = ["WEAK_UNIVERSALITY", "ORDER_THRESHOLD", "members_from_models", "members_from_analysis", "decide_members",
           "orbit_table", "orbits_from_analysis", "population_report", "write_population_report"]

GROKKED = 0.95  # test accuracy that counts as grokked (the project's t_grok threshold)

#: an irrep "has been learned" at the first evaluation where its logit cosine exceeds this: the
#: threshold of the authors' ``determine_key_rep_order`` (their key_reps_in_order.txt files)
ORDER_THRESHOLD = 0.05

#: snapshots per training run at which the restricted and excluded losses are computed
PROGRESS_POINTS = 20

#: members that must grok for the statistics to mean anything (a Wilson interval of 2 is [0.34, 1])
MIN_GROKKED = 3

DECISION = ("PASS if ≥ 3 members grok, the Wilson 95% lower bound of the fraction of grokked members with a "
            "lowest-dimensional faithful irrep among their key irreps is ≥ 1/2, no higher-dimensional faithful irrep "
            "is key more often, and (where the order is measured and ≥ 3 members learn a one-dimensional irrep) it "
            "crosses strictly first with Wilson lower bound ≥ 1/2; FAIL if a higher-dimensional faithful irrep is key "
            "significantly more often (Wilson intervals apart) or the one-dimensional irrep crosses after another key "
            "irrep in significantly more than half; fewer than 3 grokked members is a shortfall; a PASS must also "
            "exclude the rivals 'dimension-blind' and 'higher dimensions preferred' with simulated power ≥ 0.8")

BUDGETS = {
    "small": {"group": "S3", "fraction": 0.6, "embed": 32, "hidden": 32, "lr": 3e-2, "weight_decay": 1.0,
              "seeds": 2, "steps": 150, "eval_every": 50},
    "full": {"group": "S4", "fraction": 0.5, "embed": 256, "hidden": 128, "lr": 3e-2, "weight_decay": 1.0,
             "seeds": 8, "steps": 2000, "eval_every": 10},
    "paper": {"group": "S5", "fraction": 0.4, "embed": 256, "hidden": 128, "lr": 1e-3, "weight_decay": 1.0,
              "seeds": 4, "steps": 250_000, "eval_every": 1000},
}


def orbit_table(G, names=None) -> list[dict]:
    """Per real irrep (orbit of complex irreps): ``{"name", "dim", "faithful", "linear", "trivial"}``.

    ``dim`` is the real dimension (the degree, doubled for a complex or quaternionic orbit);
    ``faithful``: the kernel ``{g : χ(g) = χ(1)}`` is the identity alone; ``linear``: a
    non-trivial one-dimensional real irrep (the sign of S_n)."""
    from grokcheck.checks.training._attribution import orbit_characters

    orbits, chi, _, triv = orbit_characters(G)
    ct = G.character_table
    out = []
    for k, o in enumerate(orbits):
        deg = int(round(float(ct.degrees[o[0]])))
        real_dim = deg * (1 if len(o) == 1 and int(ct.fs_indicators[o[0]]) == 1 else 2)
        kernel = int(np.sum(np.abs(chi[k] - chi[k][G.identity]) < 1e-8))
        nm = names[o[0]].name if names is not None else f"X.{o[0] + 1}"
        out.append({"name": nm, "dim": real_dim, "faithful": kernel == 1, "linear": real_dim == 1 and k != triv,
                    "trivial": k == triv})
    return out


def _member(G, net, sims=None, steps=None, orbits=None) -> dict:
    """Key irreps of one network and, from its logged similarities, the step each one was learned."""
    from grokcheck.checks.training._attribution import character_fit

    fit = character_fit(G, net.logit_chunks())
    key = [int(k) for k in fit.key()]
    learned = {}
    if sims is not None:
        for k in key:
            learned[k] = first_crossing(steps, np.asarray(sims)[k], ORDER_THRESHOLD)
    return {"key": key, "fve_key": fit.fve_of(key), "learned_at": {str(k): v for k, v in learned.items()},
            "orbits": orbits}


def _run_cell(cell, ctx):
    from grokcheck.checks.experiments._study import table_split_masks, train_on_table
    from grokcheck.checks.training._attribution import AdditiveNet, character_fit
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._onelayer import OneLayerMLPConfig, OneLayerMLPNet
    from grokcheck.checks.training._optimizers import OptimizerConfig, build_optimizer
    from grokcheck.theory import group

    sp = cell.spec
    G = ctx.group if ctx.group is not None else group(sp["group"])
    n = G.order
    seeds = list(cell.seeds)
    S = len(seeds)
    task = group_task(G, train_fraction=1.0, n_seeds=S, seed=ctx.seed, encoding="concat")
    model = OneLayerMLPNet(OneLayerMLPConfig(embed=int(sp["embed"]), hidden=int(sp["hidden"])), task, n_seeds=S,
                           seed=ctx.seed, device=ctx.device)
    opt = build_optimizer(model, OptimizerConfig("adamw", lr=float(sp["lr"]), weight_decay=float(sp["weight_decay"]),
                                                 betas=(0.9, 0.98)), seed=ctx.seed)
    masks = table_split_masks(n * n, [sp["fraction"]], seeds, ctx.seed, device=ctx.device)
    steps = ctx.steps(sp["steps"])

    snapshots = []  # (step, θ¹, θ², ξ) at PROGRESS_POINTS steps, for the restricted/excluded losses
    every = max(1, steps // PROGRESS_POINTS)

    def log_similarities(step, m):
        t1, t2, xi = m.neuron_weights()  # the released model has no biases
        if step % every == 0 or step == steps:
            snapshots.append((step, t1, t2, xi))
        return {"trace_similarity": [character_fit(G, AdditiveNet(t1[s], t2[s], xi[s], None, None).logit_chunks())
                                     .trace_similarity for s in range(S)]}

    rec = train_on_table(model, task.x.to(ctx.device), task.y.to(ctx.device), masks, opt, steps=steps,
                         eval_every=min(int(sp["eval_every"]), steps), loss="ce", callback=log_similarities)
    t1, t2, xi = model.neuron_weights()
    from grokcheck.theory._irrep_names import irrep_names

    orbits = orbit_table(G, irrep_names(G))
    out = {}
    for j, s in enumerate(seeds):
        ok = bool(rec["alive"][j])
        row = {"alive": ok, "train_acc": float(rec["train_acc"][j, -1]), "test_acc": float(rec["test_acc"][j, -1]),
               "steps": steps}
        if ok:
            row.update(_member(G, AdditiveNet(t1[j], t2[j], xi[j], None, None), rec["trace_similarity"][j], rec["steps"],
                               orbits))
            row["progress"] = _progress(G, snapshots, j, row["key"], rec, fraction=float(sp["fraction"]))
        else:
            row.update({"key": [], "learned_at": {}, "orbits": orbits})
        out[s] = {"members": [row]}
    return out


def _progress(G, snapshots, j, key, rec, *, fraction: float) -> dict:
    """The paper's progress measures of member ``j`` over training (arXiv 2302.03025, §5, after Nanda et
    al. 2301.05217): the loss restricted to the final key irreps and with them excluded, at each snapshot,
    on all pairs, beside the member's test accuracy."""
    from grokcheck.checks.training._attribution import AdditiveNet, ablation_losses

    out = {"steps": [], "restricted": [], "excluded": [], "loss": []}
    for step, t1, t2, xi in snapshots:
        lo = ablation_losses(G, AdditiveNet(t1[j], t2[j], xi[j], None, None), key)
        out["steps"].append(int(step))
        for k in ("restricted", "excluded", "loss"):
            out[k].append(float(lo[k]))
    out["test_acc"] = [float(v) for v in np.interp(out["steps"], rec["steps"], rec["test_acc"][j])]
    out["log_order"] = float(np.log(G.order))
    return out


def members_from_models(G, models, names=None) -> list[dict]:
    """Members (the format of the experiment's results) from networks read by the one model path.

    ``models``: :class:`~grokcheck.checks.training._external.ModelReport` s on ``G`` (e.g. the
    paper's released checkpoints); a model's accuracy on all pairs stands for its test accuracy;
    no order is measured (a file holds one checkpoint)."""
    from grokcheck.checks.training._attribution import additive_net

    orbits = orbit_table(G, names)
    out = []
    for rep in models:
        net = additive_net(rep.model, rep.element_of_label)
        row = {"alive": True, "train_acc": rep.accuracy, "test_acc": rep.accuracy, "steps": 0}
        row.update(_member(G, net, orbits=orbits))
        out.append(row)
    return out


#: two values of one character closer than this are equal (the analysis JSON holds float64 values of exact
#: characters; distinct values of a character of a group of order ≤ 10⁶ differ by far more)
CHARACTER_TOLERANCE = 1e-6


def orbits_from_analysis(file_json: dict) -> list[dict]:
    """:func:`orbit_table` rebuilt from one file's entry of ``grokcheck analyze`` JSON.

    The real irreps are the distinct ``orbit`` lists of ``irreps`` (complex irreps numbered from 1,
    GAP's ``X.i``), in order of their first irrep; the real dimension is the degree ``dim``, doubled for
    a complex pair or a quaternionic irrep (``fs_indicator`` −1); the kernel, read from ``character``
    (``[re, im]`` per model label), is that of any of the orbit's irreps. Each row also carries
    ``"first"``, the 1-based index of its first irrep (how ``attribution.key`` names it)."""
    from grokcheck.errors import InvalidInputError

    rows = file_json.get("irreps") or []
    by_index = {int(r["index"]): r for r in rows}
    out, seen = [], set()
    for r in rows:
        orbit = tuple(int(i) for i in r["orbit"])
        if orbit[0] in seen:
            continue
        seen.add(orbit[0])
        first = by_index.get(orbit[0])
        if first is None:
            raise InvalidInputError(f"{file_json.get('file')}: irrep X.{orbit[0]} of an orbit is not listed",
                                    option="ANALYSIS")
        chi = np.array([complex(re, im) for re, im in first["character"]])
        deg = int(first["dim"])
        real_dim = deg * (1 if len(orbit) == 1 and int(first["fs_indicator"]) == 1 else 2)
        fixed = int(np.sum(np.abs(chi - deg) < CHARACTER_TOLERANCE))  # the kernel: χ(g) = χ(1)
        trivial = deg == 1 and fixed == len(chi)
        out.append({"name": first["name"], "dim": real_dim, "faithful": fixed == 1,
                    "linear": real_dim == 1 and not trivial, "trivial": trivial, "first": orbit[0]})
    if sum(o["trivial"] for o in out) != 1:
        raise InvalidInputError(f"{file_json.get('file')}: the analysis lists no trivial irrep (is it a "
                                "`grokcheck analyze` JSON of one group?)", option="ANALYSIS")
    return out


def members_from_analysis(doc: dict) -> tuple[str, list[dict]]:
    """``(group name, members)`` from the JSON of ``grokcheck analyze FILE... --attribution paper``.

    Every file must be on one group (the same irreps, named alike). A member's key irreps are its
    ``attribution.key``; its accuracy on all pairs stands for the test accuracy (a model that has
    not learned the table does not count as grokked), and a file whose attribution is
    ``INCONCLUSIVE`` (its key irreps do not stand out of chance) counts as not alive. No order is
    measured (a file holds one checkpoint)."""
    from grokcheck.errors import InvalidInputError

    files = doc.get("files") if isinstance(doc, dict) else None
    if not files:
        raise InvalidInputError("the analysis JSON lists no files (expected the output of `grokcheck analyze FILE... "
                                "--attribution paper --json`)", option="ANALYSIS")
    orbits = orbits_from_analysis(files[0])
    of_first = {o["first"]: k for k, o in enumerate(orbits)}
    shape = [(o["name"], o["dim"], o["faithful"]) for o in orbits]
    g = files[0].get("group", {})
    gname = g.get("name") or g.get("known_as") or f"order {g.get('order')}"
    members = []
    for f in files:
        att = f.get("attribution")
        if att is None:
            raise InvalidInputError(f"{f.get('file')}: no attribution in the analysis (run `grokcheck analyze` with "
                                    "--attribution paper)", option="ANALYSIS")
        if f is not files[0] and [(o["name"], o["dim"], o["faithful"]) for o in orbits_from_analysis(f)] != shape:
            raise InvalidInputError(f"{f.get('file')}: a different group or irrep naming from {files[0].get('file')}; "
                                    "analyse one group's models together", option="ANALYSIS")
        acc = float(f["table"]["accuracy"])
        members.append({"alive": att.get("status") == "OK", "train_acc": acc, "test_acc": acc, "steps": 0,
                        "key": [of_first[int(k["irrep"])] for k in att["key"]], "learned_at": {},
                        "orbits": orbits, "file": f.get("file")})
    return gname, members


#: simulated populations per rival in :func:`population_report` (the experiments' ``n_sims``: power within ±0.06)
POPULATION_SIMS = 200


def _population_power(group: str, n: int, *, n_sims: int = POPULATION_SIMS, seed: int = 0) -> dict | None:
    """The claim's PASS rate and each rival's power (fraction of its datasets not PASS) under
    :func:`decide_members`, for populations of ``n`` members like the given ones: no order measured.
    ``None`` when ``group`` is not a name grokcheck knows (the rivals are drawn on its irreps)."""
    from types import SimpleNamespace

    from grokcheck.checks.experiments._rivals import simulate_verdicts

    try:
        _orbits_of(group)
    except Exception:  # noqa: BLE001 - a group given only by its elements: no rivals to draw
        return None

    def analyze(settings, data, ctx):
        members = [dict(m, learned_at={}) for per in data.values() for s in per for m in per[s]["members"]]
        return SimpleNamespace(verdict=decide_members(members, budget="paper")[0])

    settings = {"group": group, "seeds": int(n), "steps": 1}
    out = {"n_sims": int(n_sims), "bar": DESIGN.power_bar, "definition": "rival power: the fraction of its simulated "
           "populations (as many members, no order measured) that do not PASS; claim: the fraction that PASS"}
    counts = simulate_verdicts(DESIGN.claim, analyze, settings, {}, None, n_sims=n_sims, seed=seed)
    out["claim"] = {"name": DESIGN.claim.name, "pass_rate": counts.get("PASS", 0) / n_sims}
    out["rivals"] = []
    for r in DESIGN.rivals:
        counts = simulate_verdicts(r, analyze, settings, {}, None, n_sims=n_sims, seed=seed)
        out["rivals"].append({"name": r.name, "power": 1.0 - counts.get("PASS", 0) / n_sims})
    return out


def population_report(members, *, group: str, n_sims: int = POPULATION_SIMS) -> dict:
    """The weak-universality statistics and verdict of a population of given models (one seed each).

    ``{"group", "verdict", "reason", "decision_rule", "statistics", "rivals", "per_member", "dimension_classes"}``;
    ``statistics`` is :func:`decide_members`'s (Student-t for the number of key irreps, Wilson 95%
    for each fraction); ``dimension_classes`` pools the members with any lowest-dimensional faithful
    irrep key, with any higher-dimensional one, and with any non-faithful non-trivial one. As in the
    experiment, a PASS stands only when each rival of :data:`DESIGN` is excluded (not PASS) in at
    least :data:`~grokcheck.checks.experiments._rivals.POWER_BAR` of ``n_sims`` simulated populations of
    the same size without an order measured (``rivals``); else it is INCONCLUSIVE, naming the rival.
    ``n_sims=0`` skips the rivals: the verdict of :func:`decide_members` alone."""
    verdict, reason, st, shortfall = decide_members(members, budget="paper")
    grok = _grokked(members)
    counted = {id(m) for m in grok}
    power = None
    if verdict == Verdict.PASS and n_sims:  # n_sims = 0: the rule's statistics alone (decide_members)
        power = _population_power(group, len(grok), n_sims=n_sims)
        weak = [r for r in (power or {}).get("rivals", []) if not r["power"] >= DESIGN.power_bar]
        if power is None:
            verdict = inconclusive()
            reason += "; the rivals cannot be simulated on this group (not a group name grokcheck knows)"
        elif weak:
            verdict = inconclusive()
            reason += "; " + ", ".join(f"rival '{r['name']}' excluded in only {r['power']:.0%} of simulated "
                                       f"populations of {len(grok)}" for r in weak)
    classes = {}
    if grok:
        orbits = grok[0]["orbits"]
        dmin = st["lowest_faithful_dim"]
        pools = {"lowest_faithful": [k for k, o in enumerate(orbits) if o["faithful"] and o["dim"] == dmin],
                 "higher_faithful": [k for k, o in enumerate(orbits) if o["faithful"] and o["dim"] != dmin],
                 "not_faithful": [k for k, o in enumerate(orbits) if not o["faithful"] and not o["trivial"]]}
        for nm, ks in pools.items():
            c = sum(any(k in m["key"] for k in ks) for m in grok)
            p, lo, hi = wilson_interval(c, len(grok))
            classes[nm] = {"irreps": [orbits[k]["name"] for k in ks], "count": c, "of": len(grok),
                           "fraction": p, "interval": [lo, hi]}
    return {"group": group, "verdict": verdict.value, "reason": reason, "decision_rule": DECISION,
            "shortfall": None if shortfall is None else str(shortfall), "statistics": st, "rivals": power,
            "dimension_classes": classes,
            "interval_method": "Wilson score 95% for fractions, Student-t 95% for the mean number of key irreps, "
                               "over grokked members (accuracy on all pairs ≥ 0.95, attribution OK)",
            "per_member": [{"file": m.get("file"), "accuracy": m["test_acc"], "counted": id(m) in counted,
                            "key": [m["orbits"][k]["name"] for k in m["key"]]} for m in members]}


def _markdown(rep: dict) -> str:
    st = rep["statistics"]
    n = st.get("grokked", 0)
    lines = [f"# Weak universality on {rep['group']}: {rep['verdict']}", "", rep["reason"], "",
             f"Members: {st['members']}, counted (grokked, attribution OK): {n}.", ""]
    if n:
        kc = st["key_count"]
        lines += [f"Key irreps per member: mean {kc['mean']:.2f}, 95% Student-t [{kc['interval'][0]:.2f}, "
                  f"{kc['interval'][1]:.2f}]; {st['distinct_key_sets']} distinct key sets.", "",
                  "| irrep | real dim | faithful | key in | fraction | Wilson 95% |", "|---|---|---|---|---|---|"]
        for r in st["per_irrep"]:
            lines.append(f"| {r['irrep']} | {r['dim']} | {'yes' if r['faithful'] else 'no'} | {r['key_in']}/{n} | "
                         f"{r['fraction']:.2f} | [{r['interval'][0]:.2f}, {r['interval'][1]:.2f}] |")
        lines += ["", "| members with a key irrep among | count | fraction | Wilson 95% |", "|---|---|---|---|"]
        for nm, c in rep["dimension_classes"].items():
            lines.append(f"| {nm.replace('_', ' ')} ({', '.join(c['irreps']) or '—'}) | {c['count']}/{c['of']} | "
                         f"{c['fraction']:.2f} | [{c['interval'][0]:.2f}, {c['interval'][1]:.2f}] |")
    if rep.get("rivals"):
        pw = rep["rivals"]
        lines += ["", f"Simulated populations of {n} ({pw['n_sims']} each): the claim PASSes in "
                  f"{pw['claim']['pass_rate']:.0%}; " + "; ".join(f"rival '{r['name']}' excluded in {r['power']:.0%}"
                                                                  for r in pw["rivals"]) + "."]
    lines += ["", f"Decision rule: {rep['decision_rule']}", "", f"Intervals: {rep['interval_method']}.", ""]
    return "\n".join(lines)


def write_population_report(rep: dict, out) -> dict:
    """Write ``weak_universality.json``, ``.md`` and ``.png`` (key frequency per irrep, Wilson 95%) under
    ``out`` (created), atomically; returns ``{kind: path}``."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokcheck.checks._io import atomic_save_figure, atomic_write_json, atomic_write_text, json_safe

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "weak_universality.json", "markdown": out / "weak_universality.md",
             "figure": out / "weak_universality.png"}
    atomic_write_json(paths["json"], json_safe(rep), allow_nan=False)
    atomic_write_text(paths["markdown"], _markdown(rep))
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    _draw_key_frequency(ax, rep["group"], rep["statistics"])
    fig.tight_layout()
    atomic_save_figure(fig, paths["figure"], dpi=110)
    plt.close(fig)
    return paths


def _grokked(members) -> list[dict]:
    """The members the statistics count: alive, with test accuracy ≥ :data:`GROKKED`."""
    return [m for m in members if m["alive"] and m["test_acc"] >= GROKKED]


def _stats(members) -> dict:
    grok = _grokked(members)
    n = len(grok)
    out = {"members": len(members), "grokked": n}
    if not n:
        return out
    orbits = grok[0]["orbits"]
    faithful = [k for k, o in enumerate(orbits) if o["faithful"]]
    dmin = min((orbits[k]["dim"] for k in faithful), default=None)
    low = [k for k in faithful if orbits[k]["dim"] == dmin]
    high = [k for k in faithful if orbits[k]["dim"] > dmin]
    linear = [k for k, o in enumerate(orbits) if o["linear"]]
    count = t_interval([len(m["key"]) for m in grok])
    per = []
    for k, o in enumerate(orbits):
        if o["trivial"]:
            continue
        c = sum(k in m["key"] for m in grok)
        p, lo, hi = wilson_interval(c, n)
        per.append({"irrep": o["name"], "dim": o["dim"], "faithful": o["faithful"], "key_in": c,
                    "fraction": p, "interval": [lo, hi]})
    k_low = sum(any(k in m["key"] for k in low) for m in grok)
    out.update({"key_count": {"mean": count[0], "interval": [count[1], count[2]]}, "per_irrep": per,
                "lowest_faithful_dim": dmin, "lowest_faithful": [orbits[k]["name"] for k in low],
                "higher_faithful": [orbits[k]["name"] for k in high],
                "lowest_faithful_key": dict(zip(("fraction", "lo", "hi"), wilson_interval(k_low, n)), count=k_low),
                "distinct_key_sets": len({tuple(sorted(m["key"])) for m in grok})})
    out["higher_faithful_key"] = [dict(zip(("fraction", "lo", "hi"), wilson_interval(sum(k in m["key"] for m in grok), n)),
                                       irrep=orbits[k]["name"], count=sum(k in m["key"] for m in grok)) for k in high]
    # order: among members whose key set has a one-dimensional irrep and whose order was logged; "first"
    # is strictly before every other key irrep, "later" strictly after one of them, a tie neither
    ordered = [m for m in grok if m["learned_at"] and any(str(k) in m["learned_at"] for k in linear)]
    first = later = 0
    for m in ordered:
        t = {int(k): (v if v is not None and math.isfinite(v) else math.inf) for k, v in m["learned_at"].items()}
        t_lin = min(t[k] for k in linear if k in t)
        others = [v for k, v in t.items() if k not in linear]
        first += bool(others) and t_lin < min(others) or not others
        later += bool(others) and t_lin > min(others)
    out["linear"] = [orbits[k]["name"] for k in linear]
    out["linear_key"] = dict(zip(("fraction", "lo", "hi"), wilson_interval(sum(any(k in m["key"] for k in linear)
                                                                              for m in grok), n)))
    out["linear_first"] = dict(zip(("fraction", "lo", "hi"), wilson_interval(first, len(ordered))), count=first,
                               of=len(ordered), ties=len(ordered) - first - later)
    out["linear_later"] = dict(zip(("fraction", "lo", "hi"), wilson_interval(later, len(ordered))), count=later,
                               of=len(ordered))
    return out


def decide_members(members, *, budget: str = "full") -> tuple[Verdict, str, dict, object]:
    """The decision rule on members: ``(verdict, reason, statistics, shortfall)``."""
    st = _stats(members)
    n = st["grokked"]
    if n < MIN_GROKKED:
        sf = regime_shortfall(n, st["members"], needed=MIN_GROKKED, event="grokking (test accuracy ≥ 0.95)",
                              decide="more steps or seeds" + (" (--budget full)" if budget == "small" else ""))
        return inconclusive(), f"only {n} of {st['members']} members grokked", st, sf
    low = st["lowest_faithful_key"]
    highs = st["higher_faithful_key"]
    lf, ll = st["linear_first"], st["linear_later"]
    reversed_dim = [h for h in highs if h["lo"] > low["hi"]]
    reversed_sign = ll["of"] >= MIN_GROKKED and ll["lo"] > 0.5
    if reversed_dim or reversed_sign:
        why = ([f"{h['irrep']} is key in {h['count']}/{n} grokked members, significantly more than a lowest-dimensional "
                f"faithful irrep ({low['count']}/{n})" for h in reversed_dim]
               + ([f"a one-dimensional irrep crosses after another key irrep in {ll['count']}/{ll['of']} members "
                   f"(Wilson lower {ll['lo']:.2f} > 1/2)"] if reversed_sign else []))
        return Verdict.FAIL, "; ".join(why), st, None
    prefers = low["lo"] >= 0.5 and all(h["count"] <= low["count"] for h in highs)
    sign_ok = lf["of"] < MIN_GROKKED or lf["lo"] >= 0.5
    words = (f"{n} grokked; key irreps per member {st['key_count']['mean']:.1f} "
             f"[{st['key_count']['interval'][0]:.1f}, {st['key_count']['interval'][1]:.1f}], "
             f"{st['distinct_key_sets']} distinct key sets; a lowest-dimensional faithful irrep "
             f"({', '.join(st['lowest_faithful'])}) key in {low['count']}/{n} [{low['lo']:.2f}, {low['hi']:.2f}]")
    if highs:
        words += "; higher-dimensional faithful: " + ", ".join(f"{h['irrep']} {h['count']}/{n}" for h in highs)
    if lf["of"]:
        words += (f"; one-dimensional irrep strictly first in {lf['count']}/{lf['of']} [{lf['lo']:.2f}, {lf['hi']:.2f}]"
                  f" ({lf['ties']} tied at the evaluation resolution)")
    if prefers and sign_ok:
        return Verdict.PASS, words, st, None
    return inconclusive(), words, st, None


def _analyze(settings, results, ctx):
    members = [r for per in results.values() for s in sorted(per) for r in per[s]["members"]]
    verdict, reason, st, shortfall = decide_members(members, budget=ctx.budget)
    details = dict(st, group=group_of(settings, ctx), interval_method="Wilson score for fractions, Student-t for the "
                   "number of key irreps, over grokked members",
                   definition=f"key irreps by logit attribution (cosine > 0.005); learned at the first evaluation with "
                              f"cosine > {ORDER_THRESHOLD}")
    if not getattr(ctx, "simulating", False):
        details["per_member"] = [{"test_acc": m["test_acc"], "key": [m["orbits"][k]["name"] for k in m["key"]],
                                  "learned_at": {m["orbits"][int(k)]["name"]: v for k, v in m["learned_at"].items()}}
                                 for m in members]
    prog = [m.get("progress") for m in members if m.get("progress")]
    if prog and not getattr(ctx, "simulating", False):
        def first(xs, ys, pred):
            return next((x for x, y in zip(xs, ys) if pred(y)), None)

        details["progress_measures"] = {
            "definition": "loss restricted to the final key irreps / with them excluded (all pairs), at "
                          f"{PROGRESS_POINTS} snapshots; 'restricted_low_at': first snapshot with restricted loss < "
                          "0.1·log|G|; 'grokked_at': first with test accuracy ≥ 0.95",
            "per_member": [{"restricted_low_at": first(p["steps"], p["restricted"], lambda v, p=p: v < 0.1 * p["log_order"]),
                            "grokked_at": first(p["steps"], p["test_acc"], lambda v: v >= GROKKED),
                            "excluded_final": p["excluded"][-1], "restricted_final": p["restricted"][-1]}
                           for p in prog]}
    figures = {}
    if not getattr(ctx, "simulating", False):
        gname = details["group"]

        def draw(path):
            _plot(path, gname, st, prog)

        figures[f"weak_universality_{gname}.png"] = draw
    low = st.get("lowest_faithful_key", {})
    return Outcome(verdict=verdict, statistic=low.get("fraction", math.nan), figures=figures,
                   interval=(low["lo"], low["hi"]) if low else None,
                   predicted=1.0, reason=reason, details=details, shortfall=shortfall,
                   test="fraction of grokked members with a lowest-dimensional faithful key irrep, Wilson 95%",
                   n_seeds=int(settings["seeds"]), decide="more seeds, or a group whose faithful irreps differ in "
                   "dimension (S5, A5: --budget paper)")


def _draw_key_frequency(ax, gname, st):
    """How often each non-trivial irrep is key, with Wilson 95% intervals, on ``ax``."""
    rows = st.get("per_irrep", [])
    x = np.arange(len(rows))
    if rows:
        frac = np.array([r["fraction"] for r in rows])
        lo = np.array([r["interval"][0] for r in rows])
        hi = np.array([r["interval"][1] for r in rows])
        ax.bar(x, frac, color=["C0" if r["faithful"] else "C7" for r in rows])
        # clipped at 0: at k = 0 or k = n the Wilson bound equals the fraction up to rounding
        ax.errorbar(x, frac, yerr=[np.maximum(frac - lo, 0), np.maximum(hi - frac, 0)], fmt="none", color="k", lw=1)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{r['irrep']}\n(dim {r['dim']})" for r in rows], fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction of grokked seeds with the irrep key")
    ax.set_title(f"{gname}: key irreps over {st.get('grokked', 0)} grokked seeds (blue: faithful)")


def _plot(path, gname, st, prog):
    """How often each irrep is key (Wilson 95%), and the progress measures of every member."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grokcheck.checks._io import atomic_save_figure

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    _draw_key_frequency(axes[0], gname, st)
    for p in prog or []:
        st_ = np.maximum(np.asarray(p["steps"], dtype=float), 1)
        axes[1].plot(st_, p["restricted"], "-", color="C2", lw=1)
        axes[1].plot(st_, p["excluded"], "-", color="C3", lw=1)
        axes[1].plot(st_, p["loss"], ":", color="k", lw=0.8)
    axes[1].plot([], [], color="C2", label="restricted to the final key irreps")
    axes[1].plot([], [], color="C3", label="key irreps excluded")
    axes[1].plot([], [], ":", color="k", label="model (all pairs)")
    axes[1].set_xscale("log")
    axes[1].set_yscale("symlog", linthresh=1e-3)
    axes[1].set_ylim(bottom=0)
    axes[1].set_xlabel("full-batch step")
    axes[1].set_ylabel("cross-entropy on all pairs")
    axes[1].set_title("progress measures" if prog else "progress measures (no training history)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    atomic_save_figure(fig, path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- rivals and settings


@functools.lru_cache(maxsize=8)
def _orbits_of(name: str) -> list:
    from grokcheck.theory import group

    return orbit_table(group(name))


def _simulator(p_of, linear_factor: float):
    """Members whose key irreps are drawn per orbit with probability ``p_of(orbit, orbits)``, learned at
    uniform random steps, a one-dimensional irrep's step multiplied by ``linear_factor``."""

    def simulate(settings, noise, rng):
        orbits = _orbits_of(settings["group"])
        members = []
        for _ in range(int(settings["seeds"])):
            key = [k for k, o in enumerate(orbits) if not o["trivial"] and rng.random() < p_of(o, orbits)]
            if not key:
                key = [int(rng.choice([k for k, o in enumerate(orbits) if not o["trivial"]]))]
            steps = int(settings["steps"])
            learned = {str(k): float(rng.uniform(0.1, 0.9) * steps * (linear_factor if orbits[k]["linear"] else 1.0))
                       for k in key}
            members.append({"alive": True, "train_acc": 1.0, "test_acc": 1.0, "key": key, "learned_at": learned,
                            "orbits": orbits, "steps": steps})
        return {"G": {0: {"members": members}}}

    return simulate


def _claim_p(o, orbits):
    dims = [x["dim"] for x in orbits if x["faithful"]]
    return 0.95 if (o["faithful"] and o["dim"] == min(dims)) or o["linear"] else 0.3


def _blind_p(o, orbits):
    return 0.5


def _higher_p(o, orbits):
    dims = [x["dim"] for x in orbits if x["faithful"]]
    if o["faithful"]:
        return 0.2 if o["dim"] == min(dims) else 0.9
    return 0.3


DESIGN = Design(
    claim=Model("lowest faithful first", "the lowest-dimensional faithful irreps and the sign are key in 95% of members "
                "(others 30%), the sign learned first", _simulator(_claim_p, 0.1)),
    rivals=(Model("dimension-blind", "each non-trivial irrep key with probability 1/2, learned in random order",
                  _simulator(_blind_p, 1.0)),
            Model("higher dimensions preferred", "the higher-dimensional faithful irreps key with probability 0.9, the "
                  "lowest 0.2, the sign learned last", _simulator(_higher_p, 2.0))),
    noise=lambda settings, results: {}, stated_noise=lambda settings: {},
    enlarge=more_seeds,
    enlarge_words=more_seeds_words)

SETTING = chughtai_settings(BUDGETS, "lr")

WEAK_UNIVERSALITY = Experiment(
    id="chughtai.weak-universality",
    claim=("Chughtai et al.: across seeds a one-layer MLP learns a few key irreps (weak universality: which and how "
           "many vary), preferring lower-dimensional faithful irreps, the sign learned first."),
    source="Chughtai, Chan & Nanda, arXiv 2302.03025, §6 (universality) and the authors' key_reps files",
    budgets=BUDGETS,
    cells=single_group_cells,
    run_cell=_run_cell,
    analyze=_analyze,
    decision_rule=DECISION,
    design=DESIGN,
    setting=SETTING,
    group_parameter=True,
    hypotheses=(CPU_TABLE_TRAINING,),
)
