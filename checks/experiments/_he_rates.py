"""He et al.: representation competition and phase alignment converge exponentially; initialisation picks the irrep.

He et al. (arXiv 2606.02993; precursor arXiv 2602.16849), the Abelian population law: under the
Stage I flow each neuron's energy concentrates on one irrep orbit and its three vectors align
in phase, both *exponentially* fast, and the winning orbit is fixed at initialisation by a
lottery (the precursor: a larger initial magnitude together with a smaller phase misalignment).

Study (numerics only, no training): populations of neurons drawn uniformly on the spheres
(:func:`grokcheck.numerics.spherical_init`, one population per seed) integrated with the Stage I
flow (Fourier domain, RK45) on segments; at every save the neurons are measured
(:func:`grokcheck.numerics.measure_neurons`): competition ``c(t) = 1 − purity`` (the mass outside
the winning orbit) and misalignment ``a(t) = 1 − min align_re``. For every neuron the tail where
``1e-9 < c(t) < 1e-2`` (past the initial transient, above round-off) is fitted both as an
exponential (log c linear in t) and as a power law (log c linear in log t); the neuron
"prefers" the model with the smaller residual sum of squares. The same for ``a(t)``.

Statistics: the fraction of neurons preferring the exponential (Wilson 95%) for competition and
for alignment, and the median fitted rate; the lottery: the fraction of neurons whose final
winner is the orbit of their largest initial Ω contribution Ω(P_O θ¹, P_O θ², P_O ξ) (Ω is
diagonal over irreps, so these add up to Ω: magnitude and phase alignment together, as the
precursor's lottery says; Wilson 95%) against chance (the most frequent
final orbit's share).

Decision rule (:data:`DECISION`): PASS if both Wilson lower bounds of the exponential preference
exceed 1/2 and the lottery's lower bound exceeds twice chance; FAIL if a Wilson upper bound of
the exponential preference is below 1/2; INCONCLUSIVE otherwise (e.g. too few neurons with a
tail in the window: the shared shortfall rule). Rivals (:data:`HE_DESIGN`): a power-law
competition tail, a power-law alignment tail, and no lottery (the final orbit independent of the
initialisation), simulated at the run's time grid, rates and spreads. Group: an Abelian group of odd order (the population law's scope);
``verify G --budget full`` runs it on G when G is Abelian of odd order.
"""

from __future__ import annotations

import math

import numpy as np

from grokcheck.checks._registry import Hypothesis, Verdict, regime_shortfall
from grokcheck.checks.experiments._rivals import Design, Model, Setting
from grokcheck.checks.experiments._study import (
    Experiment,
    Outcome,
    group_of,
    inconclusive,
    single_group_cells,
    wilson_interval,
)

__all__ = ["HE_RATES"]

WINDOW = (1e-9, 1e-2)  # above round-off of the float64 flow, past the initial transient

DECISION = ("PASS if the Wilson 95% lower bounds of the fraction of neurons whose competition and misalignment tails "
            "fit an exponential better than a power law both exceed 1/2 and the lottery (orbit of the largest initial Ω "
            "contribution = final winner) beats twice chance at its Wilson lower bound; FAIL if an exponential-preference upper bound is "
            "below 1/2; INCONCLUSIVE otherwise")

BUDGETS = {
    "small": {"group": "C7", "neurons": 8, "seeds": 1, "segments": 14, "t1_units": 24.0},
    "full": {"group": "C11", "neurons": 64, "seeds": 3, "segments": 40, "t1_units": 40.0},
    "paper": {"group": "C23", "neurons": 256, "seeds": 5, "segments": 60, "t1_units": 60.0},
}


def _run_cell(cell, ctx):
    from grokcheck.numerics._flow import StageOneFlow, integrate, spherical_init
    from grokcheck.numerics._measurements import measure_neurons
    from grokcheck.theory import group

    sp = cell.spec
    G = ctx.group if ctx.group is not None else group(sp["group"])
    g = G.order
    unit = g ** 1.5  # the flow-time unit 1/Ω* ~ |G|^{3/2}
    # save times log-spaced from 0.02 to t1 units: alignment settles within a few units, competition later
    times = np.geomspace(0.02, float(sp["t1_units"]), int(sp["segments"]))
    segs = len(times) if ctx.max_steps is None else min(len(times), int(ctx.max_steps))
    flow = StageOneFlow(G, domain="fourier", sphere="separate")
    chi = np.array([r.matrices[:, 0, 0] for r in G.irreps]) if G.is_abelian else None  # (k, g) characters
    out = {}
    for s in cell.seeds:
        seed = int(np.random.SeedSequence([ctx.seed, s, 13]).generate_state(1)[0])
        x = spherical_init(int(sp["neurons"]), g, seed=seed)
        m0 = measure_neurons(G, *x)
        init_winner = _lottery(G, chi, m0.orbits, x)
        ts, comp, mis = [0.0], [1 - m0.purity], [1 - m0.align_re.min(axis=1)]
        m, prev = m0, 0.0
        for k in range(segs):
            sol = integrate(flow, x, t1=(times[k] - prev) * unit, saves=1, rtol=1e-10, atol=1e-13, throw=False)
            if not sol.ok:
                break
            prev = times[k]
            x = (sol.theta1, sol.theta2, sol.xi)
            m = measure_neurons(G, *x)
            ts.append(float(times[k]))
            comp.append(1 - m.purity)
            mis.append(1 - m.align_re.min(axis=1))
        out[s] = {"t": ts, "competition": np.array(comp).T.tolist(), "misalignment": np.array(mis).T.tolist(),
                  "init_winner": init_winner.tolist(), "final_winner": m.winner_orbit.tolist() if segs else [],
                  "n_orbits": len(m0.orbits)}
    return out


def _lottery(G, chi, orbits, x):
    """Each neuron's orbit with the largest initial Ω contribution Ω(P_O θ¹, P_O θ², P_O ξ) (nontrivial O).

    Ω is diagonal over irreps (its Fourier form is a sum over ρ), so these contributions add up to
    Ω; for an Abelian group P_O f = Re Σ_{ρ∈O} χ_ρ f̂(ρ) with f̂(ρ) = |G|⁻¹ Σ_h conj χ_ρ(h) f(h).
    Falls back to the largest initial energy for a non-Abelian group.
    """
    from grokcheck.numerics._omega import omega
    from grokcheck.numerics._measurements import measure_neurons

    if chi is None:
        e = measure_neurons(G, *x).orbit_energy.sum(axis=1)
        e[:, [i for i, o in enumerate(orbits) if 0 in o]] = -np.inf
        return np.argmax(e, axis=1)
    g = G.order
    vals = np.full((x[0].shape[0], len(orbits)), -np.inf)
    for i, o in enumerate(orbits):
        if 0 in o:
            continue
        proj = [np.real(sum(np.outer(v @ np.conj(chi[r]) / g, chi[r]) for r in o)) for v in x]
        vals[:, i] = omega(G, *proj)
    return np.argmax(vals, axis=1)


def _fit_pref(t, y):
    """(exp preferred?, rate) for one curve, or None when the window has < 4 points."""
    t = np.asarray(t, dtype=float)
    y = np.abs(np.asarray(y, dtype=float))
    sel = (y > WINDOW[0]) & (y < WINDOW[1]) & (t > 0)
    if sel.sum() < 4:
        return None
    tt, ly = t[sel], np.log(y[sel])
    res = []
    for x in (tt, np.log(tt)):
        A = np.stack([x, np.ones_like(x)], 1)
        coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
        r = ly - A @ coef
        res.append((float(r @ r), -float(coef[0])))
    return res[0][0] < res[1][0], res[0][1]


def _analyze(settings, results, ctx):
    (key,) = results
    per = results[key]
    stats = {}
    for q in ("competition", "misalignment"):
        prefs, rates = [], []
        for s in per:
            for curve in per[s][q]:
                f = _fit_pref(per[s]["t"], curve)
                if f is not None:
                    prefs.append(f[0])
                    rates.append(f[1])
        k, n = int(sum(prefs)), len(prefs)
        p, lo, hi = wilson_interval(k, n)
        stats[q] = {"exp_preferred": k, "fitted": n, "fraction": p, "interval": [lo, hi],
                    "median_rate_per_unit": float(np.median(rates)) if rates else None}
    iw = np.concatenate([per[s]["init_winner"] for s in per])
    fw = np.concatenate([per[s]["final_winner"] for s in per])
    hits = int((iw == fw).sum())
    lp, llo, lhi = wilson_interval(hits, len(fw))
    chance = float(np.bincount(fw).max() / len(fw)) if len(fw) else 1.0
    c_lo, m_lo = stats["competition"]["interval"][0], stats["misalignment"]["interval"][0]
    fitted = min(stats["competition"]["fitted"], stats["misalignment"]["fitted"])
    n_neurons = int(len(fw))
    shortfall = regime_shortfall(fitted, n_neurons, needed=5, event="a tail inside the fit window",
                                 decide="a longer flow time or more neurons")
    if shortfall is not None:
        verdict = inconclusive()
    elif c_lo > 0.5 and m_lo > 0.5 and llo > 2 * chance:
        verdict = Verdict.PASS
    elif stats["competition"]["interval"][1] < 0.5 or stats["misalignment"]["interval"][1] < 0.5:
        verdict = Verdict.FAIL
    else:
        verdict = inconclusive()
    reason = (f"exponential preferred by {stats['competition']['exp_preferred']}/{stats['competition']['fitted']} "
              f"competition and {stats['misalignment']['exp_preferred']}/{stats['misalignment']['fitted']} alignment "
              f"tails; lottery {hits}/{len(fw)} = {lp:.2f} [{llo:.2f}, {lhi:.2f}] vs chance {chance:.2f}")

    def draw(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from grokcheck.checks._io import atomic_save_figure

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        s0 = sorted(per)[0]
        for ax, q in zip(axes, ("competition", "misalignment")):
            for curve in per[s0][q][:32]:
                ax.semilogy(per[s0]["t"], np.maximum(np.abs(curve), 1e-16), lw=0.7)
            ax.axhspan(*WINDOW, color="grey", alpha=0.1, label="fit window")
            ax.set_xlabel("flow time / |G|^{3/2}")
            ax.set_ylabel("1 − purity" if q == "competition" else "1 − min alignment cos")
            ax.set_title(f"{q} under the Stage I flow on {group_of(settings, ctx)} (log-linear = exponential)")
            ax.legend(fontsize=8)
        fig.tight_layout()
        atomic_save_figure(fig, path, dpi=110)
        plt.close(fig)

    return Outcome(verdict=verdict, statistic=stats["competition"]["fraction"],
                   interval=tuple(stats["competition"]["interval"]), predicted="> 1/2 (exponential)", reason=reason,
                   details={**stats, "lottery": {"hits": hits, "neurons": int(len(fw)), "fraction": lp,
                                                  "interval": [llo, lhi], "chance": chance},
                            "interval_method": "Wilson 95% over neurons"},
                   figures={f"he_rates_{key}.png": draw},
                   test="fraction of neurons whose competition tail fits exp better than a power law, Wilson 95%",
                   n_seeds=int(settings["seeds"]), decide="a longer flow time or more neurons", shortfall=shortfall)


# --------------------------------------------------------------------------- rivals and power


def _times(settings) -> np.ndarray:
    return np.r_[0.0, np.geomspace(0.02, float(settings["t1_units"]), int(settings["segments"]))]


def _measured(settings, results):
    """From the run: the median exponential rate and window entry time of each quantity, the log-residual
    spread about the exponential fits, the lottery's hit rate and the number of orbits."""
    (key,) = results
    per = results[key]
    out = {}
    for q in ("competition", "misalignment"):
        rates, entries, resid = [], [], []
        for s in per:
            t = np.asarray(per[s]["t"], dtype=float)
            for curve in per[s][q]:
                y = np.abs(np.asarray(curve, dtype=float))
                sel = (y > WINDOW[0]) & (y < WINDOW[1]) & (t > 0)
                if sel.sum() < 4:
                    continue
                A = np.stack([t[sel], np.ones(int(sel.sum()))], 1)
                coef, *_ = np.linalg.lstsq(A, np.log(y[sel]), rcond=None)
                if coef[0] >= 0:
                    continue
                rates.append(-float(coef[0]))
                entries.append(float(t[sel][0]))
                resid.append(float(np.std(np.log(y[sel]) - A @ coef)))
        if len(rates) < 5:
            return None
        out[q] = {"rate": float(np.median(rates)), "entry": float(np.median(entries)),
                  "log_sd": float(max(np.median(resid), 1e-3))}
    iw = np.concatenate([per[s]["init_winner"] for s in per])
    fw = np.concatenate([per[s]["final_winner"] for s in per])
    out["lottery_hit"] = float((iw == fw).mean()) if len(fw) else 0.0
    out["n_orbits"] = int(per[sorted(per)[0]]["n_orbits"])
    return out


def _stated(settings):
    """An exponential at rate 1 per unit entering the window at t = 1, 5% log-spread, a lottery that picks the
    final orbit 80% of the time, and the (|G| − 1)/2 + 1 orbits of a cyclic group of odd order."""
    g = int(str(settings["group"]).lstrip("C")) if str(settings["group"]).lstrip("C").isdigit() else 11
    q = {"rate": 1.0, "entry": 1.0, "log_sd": 0.05}
    return {"competition": dict(q), "misalignment": dict(q), "lottery_hit": 0.8, "n_orbits": (g - 1) // 2 + 1}


def _curve(t, q, law, rng, n):
    """``n`` curves on the time grid ``t``: an exponential, or a power law crossing the window in the same time."""
    t_in, r = q["entry"], q["rate"]
    span = math.log(WINDOW[1] / WINDOW[0])
    if law == "exp":
        logc = math.log(WINDOW[1]) - r * (t - t_in)
    else:  # a power law entering at t_in and leaving at the exponential's exit time
        t_out = t_in + span / r
        k = span / math.log(t_out / t_in)
        logc = math.log(WINDOW[1]) - k * np.log(np.maximum(t, 1e-12) / t_in)
    logc = np.minimum(logc, 0.0)  # 1 − purity ≤ 1
    return np.exp(logc[None, :] + q["log_sd"] * rng.standard_normal((n, t.size)))


def _he_model(comp_law: str, align_law: str, lottery: bool):
    def simulate(settings, noise, rng):
        t = _times(settings)
        n, k = int(settings["neurons"]), int(noise["n_orbits"])
        per = {}
        for s in range(int(settings["seeds"])):
            init = rng.integers(1, k, n)
            rand = rng.integers(1, k, n)
            final = np.where(rng.random(n) < noise["lottery_hit"], init, rand) if lottery else rand
            per[s] = {"t": t.tolist(), "competition": _curve(t, noise["competition"], comp_law, rng, n).tolist(),
                      "misalignment": _curve(t, noise["misalignment"], align_law, rng, n).tolist(),
                      "init_winner": init.tolist(), "final_winner": final.tolist(), "n_orbits": k}
        return {"G": per}
    return simulate


HE_DESIGN = Design(
    claim=Model("exponential + lottery", "both tails exponential; the final orbit is the initial Ω leader's "
                "at the run's hit rate", _he_model("exp", "exp", True)),
    rivals=(Model("power-law competition", "the competition tail decays as a power law", _he_model("pow", "exp", True)),
            Model("power-law alignment", "the misalignment tail decays as a power law", _he_model("exp", "pow", True)),
            Model("no lottery", "the final orbit is independent of the initialisation", _he_model("exp", "exp", False))),
    noise=_measured, stated_noise=_stated,
    enlarge=lambda settings, f: {**settings, "neurons": int(settings["neurons"]) * f},
    enlarge_words=lambda settings, f: f"{f}× the neurons ({int(settings['neurons']) * f} per seed)",
    # 100 simulations (±0.08 on a rate near the bar): each analysis fits two laws to every neuron's tails
    n_sims=100)

HE_SETTING = {b: Setting("paper", "the Stage I flow of the population law on an Abelian group of odd order")
              for b in ("small", "full", "paper")}


HE_RATES = Experiment(
    id="he.exponential-rates-and-lottery",
    claim="He et al.: under the Stage I flow, representation competition and phase alignment converge exponentially "
          "(not as a power law), and the irrep a neuron ends on is set by its initialisation.",
    source="He et al., arXiv 2606.02993 (the Abelian population law); precursor arXiv 2602.16849",
    budgets=BUDGETS,
    cells=single_group_cells,
    run_cell=_run_cell,
    analyze=_analyze,
    decision_rule=DECISION,
    design=HE_DESIGN,
    setting=HE_SETTING,
    group_parameter=True,
    hypotheses=(Hypothesis("G Abelian of odd order (the population law's scope)",
                           lambda ctx: ctx.group is None or (ctx.group.is_abelian and ctx.group.order % 2 == 1),
                           lambda ctx: f"{ctx.group} is not Abelian of odd order"),),
)
