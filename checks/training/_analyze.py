"""Measurements on trained networks (MATH.md §8.1–8.3), for any group.

* :func:`analyze_neurons` – per-neuron Fourier analysis with the theory layer's irreps
  (``grokcheck.numerics.measure_neurons``: winning orbit, purity, σ₂/σ₁, alignment cosines,
  phase residual) for every seed of a batched model, restricted to *live* neurons, aggregated
  into histograms across neurons and seeds.
* :func:`majority_vote` – population-logit regression on ``1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1``
  over all |G|² pairs, and the margin "correct minus best wrong".
* :func:`li2_quantities` – Li₂'s ``G_F = P⊥(Y − FV)Vᵀ``, the ridge ``V`` and the closed form
  ``G_F(∞)`` (Eq. 4), kernel diagonality of ``F̃ᵀF̃`` and ``F̃F̃ᵀ``, per-node energies against
  ``|G|/(2 d_ρ m_ρ)`` (§3.4, corrected constants).
* :func:`analyze_run` – all of the above for a run directory; writes ``analysis.json``,
  ``neuron_energy_heatmap.png`` (neuron × orbit energy, like the papers' DFT heatmaps) and
  ``neuron_histograms.png``.

Conventions
-----------
Neuron ``m`` of seed ``s``: ``θ¹, θ²`` are the two halves of its first-layer row and ``ξ`` the
column ``m`` of the output layer (MATH.md §1.4); biases are ignored. A neuron is *live* when
``‖[θ¹; θ²]‖·‖ξ‖ ≥ live_threshold · max_m ‖[θ¹; θ²]_m‖·‖ξ_m‖`` within its seed (weight decay
drives unused neurons to zero; their "Fourier pattern" is noise). Dead seeds (NaN) are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "NeuronAnalysis",
    "analyze_neurons",
    "majority_vote",
    "li2_quantities",
    "analyze_run",
    "plot_neuron_heatmap",
    "plot_neuron_histograms",
    "PURITY_SINGLE_IRREP",
]

#: purity above which a neuron counts as single-irrep in the reports (issue 5 acceptance).
PURITY_SINGLE_IRREP = 0.9


def _measure_neurons():
    try:
        from grokcheck.numerics import measure_neurons
    except ImportError:  # exported later by the numerics layer
        from grokcheck.numerics._measurements import measure_neurons
    return measure_neurons


def _f(v):
    v = float(v)
    return v if np.isfinite(v) else None


@dataclass(frozen=True, eq=False)
class NeuronAnalysis:
    """Per-seed :class:`NeuronMeasurements` of the live neurons, and their aggregate.

    ``measurements[s]`` is ``None`` for dead seeds; ``live[s]`` (M,) marks the measured neurons.
    """

    group_name: str
    measurements: tuple
    live: tuple
    strength: tuple
    abelian_odd: bool = False

    def _cat(self, attr: str) -> np.ndarray:
        parts = [getattr(m, attr) for m in self.measurements if m is not None]
        return np.concatenate(parts) if parts else np.zeros(0)

    def summary(self) -> dict:
        meas = [m for m in self.measurements if m is not None]
        if not meas:
            return {"neurons": 0}
        ref = meas[0]
        pur = self._cat("purity")
        rr = self._cat("rank_ratio")
        win = self._cat("winner_orbit").astype(int)
        a_abs = np.concatenate([m.align_abs for m in meas])
        a_re = np.concatenate([m.align_re for m in meas])
        phase = self._cat("phase_residual")
        dims = ref.orbit_dims[win] if win.size else np.zeros(0)
        multi = dims > 1
        k = len(ref.orbits)
        occ = np.bincount(win, minlength=k)
        n_live = int(win.size)
        n_total = int(sum(len(lv) for lv, m in zip(self.live, self.measurements) if m is not None))
        single = pur >= PURITY_SINGLE_IRREP
        orbits = []
        for o in range(1, k):
            sel = win == o
            orbits.append({
                "orbit": o,
                "irreps": [int(i) for i in ref.orbits[o]],
                "dim": int(ref.orbit_dims[o]),
                "fs_indicator": int(ref.orbit_fs[o]),
                "count": int(occ[o]),
                "single_irrep_count": int((sel & single).sum()),
                "fraction_of_live": float(occ[o] / max(1, n_live)),
            })
        hist, edges = np.histogram(pur, bins=20, range=(0.0, 1.0))
        out = {
            "group": self.group_name,
            "seeds_measured": len(meas),
            "neurons_total": n_total,
            "neurons_live": n_live,
            "purity_fraction_ge_0.95": float(np.mean(pur >= 0.95)) if n_live else None,
            "purity_fraction_ge_0.9": float(np.mean(single)) if n_live else None,
            "purity_fraction_ge_0.9_per_seed": [None if m is None else (float(np.mean(m.purity >= PURITY_SINGLE_IRREP)) if m.neurons else None)
                                                for m in self.measurements],
            "purity_per_vector_median": dict(zip(("theta1", "theta2", "xi"),
                                                 (float(v) for v in np.median(np.concatenate([m.purity_per_vector for m in meas]), axis=0)))),
            "purity_quantiles": {q: _f(np.quantile(pur, float(q))) for q in ("0.05", "0.25", "0.5")} if n_live else None,
            "purity_histogram": {"counts": hist.tolist(), "edges": edges.tolist()},
            "rank_ratio_multidim": {
                "neurons": int(multi.sum()),
                "median": _f(np.median(rr[multi])) if multi.any() else None,
                "max": _f(np.max(rr[multi])) if multi.any() else None,
                "fraction_below_0.1": float(np.mean(rr[multi] < 0.1)) if multi.any() else None,
            },
            "align_abs": {"min": _f(a_abs.min()), "median": _f(np.median(a_abs)), "fraction_ge_0.9": float(np.mean(a_abs >= 0.9))} if n_live else None,
            "align_re": {"min": _f(a_re.min()), "median": _f(np.median(a_re)), "fraction_ge_0.9": float(np.mean(a_re >= 0.9))} if n_live else None,
            "phase_residual_abs_median_1d": _f(np.nanmedian(np.abs(phase))) if np.isfinite(phase).any() else None,
            "occupancy": orbits,
        }
        nontriv = occ[1:]
        if self.abelian_odd and n_live and len(nontriv) > 1:  # the uniform law is for Abelian, odd order
            from scipy.stats import chisquare

            out["occupancy_chi2_uniform_pvalue"] = float(chisquare(nontriv).pvalue) if nontriv.sum() else None
        return out

    def orbit_energy_matrix(self, seed: int = 0) -> np.ndarray:
        """(M_live, k) share of nontrivial energy per orbit of seed ``seed``, θ¹+θ²+ξ summed."""
        m = self.measurements[seed]
        E = m.orbit_energy.sum(axis=1)  # (n, k)
        E = E[:, 1:]
        return E / np.maximum(E.sum(axis=1, keepdims=True), 1e-300)


def analyze_neurons(G, model, *, alive=None, live_threshold: float = 0.01) -> NeuronAnalysis:
    """Run ``measure_neurons`` on the live neurons of every alive seed of ``model``."""
    measure = _measure_neurons()
    t1, t2, xi = model.neuron_weights()
    S = t1.shape[0]
    alive = np.ones(S, dtype=bool) if alive is None else np.asarray(alive, dtype=bool)
    meas, lives, strengths = [], [], []
    for s in range(S):
        strength = np.sqrt((t1[s] ** 2).sum(1) + (t2[s] ** 2).sum(1)) * np.sqrt((xi[s] ** 2).sum(1))
        ok = alive[s] and np.all(np.isfinite(strength)) and strength.max() > 0
        live = strength >= live_threshold * strength.max() if ok else np.zeros_like(strength, dtype=bool)
        lives.append(live)
        strengths.append(strength)
        meas.append(measure(G, t1[s][live], t2[s][live], xi[s][live]) if ok else None)
    abelian_odd = bool(G.is_abelian and G.order % 2 == 1)
    return NeuronAnalysis(str(getattr(G, "name", None) or G), tuple(meas), tuple(lives), tuple(strengths), abelian_odd)


@torch.no_grad()
def majority_vote(G, model, task) -> dict:
    """Population-logit regression over all |G|² pairs (MATH.md §8.2), per seed.

    Least squares of the logits ``L[(g1,g2), j]`` on ``1{j=g1g2}, 1{j=g1²}, 1{j=g2²}, 1`` (pooled
    over pairs and classes); coefficients are reported divided by the first. Predicted:
    (1, 0.5, 0.5, ·) with summed (shared) input, (1, 0, 0, ·) with concatenated input.
    Also the margin ``L[g1g2] − max_{j≠g1g2} L[j]``: its minimum and the fraction of pairs > 0.
    """
    n = G.order
    pool = task.x
    if pool.shape[0] != n * n:
        raise ValueError("majority_vote needs a group task whose pool is the full table")
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    x = pool.to(device)
    if x.is_floating_point():
        x = x.to(dtype)
    S = model.n_seeds
    L = model(x[None].expand(S, *x.shape)).double().cpu().numpy()  # (S, n², n)
    table = np.asarray(G.table)
    g1 = np.repeat(np.arange(n), n)
    g2 = np.tile(np.arange(n), n)
    prod = table[g1, g2]
    sq1 = table[g1, g1]
    sq2 = table[g2, g2]
    j = np.arange(n)
    feats = np.stack([
        (j[None] == prod[:, None]),
        (j[None] == sq1[:, None]),
        (j[None] == sq2[:, None]),
        np.ones((n * n, n), dtype=bool),
    ], axis=-1).reshape(-1, 4).astype(float)
    out = []
    for s in range(S):
        y = L[s].reshape(-1)
        if not np.all(np.isfinite(y)):
            out.append(None)
            continue
        coef, *_ = np.linalg.lstsq(feats, y, rcond=None)
        resid = y - feats @ coef
        r2 = 1 - resid.var() / max(y.var(), 1e-300)
        correct = L[s][np.arange(n * n), prod]
        wrong = L[s].copy()
        wrong[np.arange(n * n), prod] = -np.inf
        margin = correct - wrong.max(axis=1)
        c1 = coef[0] if coef[0] != 0 else np.nan
        out.append({
            "coef": [float(c) for c in coef],
            "coef_normalized": [_f(c / c1) for c in coef],
            "r2": float(r2),
            "margin_min": float(margin.min()),
            "margin_positive_fraction": float(np.mean(margin > 0)),
        })
    return {"per_seed": out, "encoding": task.meta.get("encoding")}


@torch.no_grad()
def li2_quantities(model, x: torch.Tensor, y: torch.Tensor, *, eta: float, G=None) -> list[dict]:
    """Li₂ measurements (MATH.md §3.2, §8.3) per seed on inputs ``x`` (S, n, d), labels ``y`` (S, n).

    ``G_F = P⊥(Y − FV)Vᵀ`` with the model's ``V``; ``V_ridge = (F̃ᵀF̃+ηI)⁻¹F̃ᵀỸ``; the closed form
    ``G_F(∞) = η(F̃F̃ᵀ+ηI)⁻¹ỸỸᵀF̃(F̃ᵀF̃+ηI)⁻¹`` and its relative distance to ``G_F``; kernel
    diagonality (mean |off-diagonal| / mean |diagonal|) of ``F̃ᵀF̃`` (K×K) and ``F̃F̃ᵀ`` (n×n); with
    ``G`` and σ = x², the energies ``E(w/‖w‖) = ½‖Ỹᵀσ(Xw/‖w‖)‖²`` per node.
    The paper's loss is a sum over samples, so ``eta`` is on that scale (not the per-sample
    weight decay of a mean loss).
    """
    F = model.hidden(x).double()  # (S, n, K)
    Vp = model.V.detach().double().transpose(1, 2)  # (S, K, C)
    C = Vp.shape[-1]
    Y = torch.nn.functional.one_hot(y, C).double()
    Ft = F - F.mean(1, keepdim=True)
    Yt = Y - Y.mean(1, keepdim=True)
    res = []
    for s in range(F.shape[0]):
        f, ft, yt, v = F[s], Ft[s], Yt[s], Vp[s]
        if not torch.isfinite(f).all():
            res.append(None)
            continue
        n, K = f.shape
        GF = (yt - ft @ v) @ v.T
        A = ft.T @ ft + eta * torch.eye(K, dtype=f.dtype)
        Vr = torch.linalg.solve(A, ft.T @ yt)
        B = ft @ ft.T + eta * torch.eye(n, dtype=f.dtype)
        closed = eta * torch.linalg.solve(B, yt @ (yt.T @ ft)) @ torch.linalg.inv(A)
        gf_ridge = (yt - ft @ Vr) @ Vr.T

        def diag_ratio(M):
            d = M.diagonal().abs().mean()
            off = (M.abs().sum() - M.diagonal().abs().sum()) / max(1, M.numel() - M.shape[0])
            return float(off / d) if d > 0 else None

        row = {
            "gf_norm": float(GF.norm()),
            "gf_closed_form_norm": float(closed.norm()),
            "gf_vs_closed_form_rel": float((GF - closed).norm() / closed.norm()) if closed.norm() > 0 else None,
            "ridge_identity_rel": float((gf_ridge - closed).norm() / closed.norm()) if closed.norm() > 0 else None,
            "v_vs_ridge_rel": float((v - Vr).norm() / Vr.norm()) if Vr.norm() > 0 else None,
            "kernel_offdiag_ratio_FtF": diag_ratio(ft.T @ ft),
            "kernel_offdiag_ratio_FFt": diag_ratio(ft @ ft.T),
        }
        res.append(row)
    if G is not None and getattr(model.config, "activation", None) == "sqr" and hasattr(model, "W"):
        from grokcheck.checks.training._data import group_task

        full = group_task(G, train_fraction=1.0)
        X = full.x.double()
        Yf = torch.nn.functional.one_hot(full.y, G.order).double()
        Yft = Yf - Yf.mean(0, keepdim=True)
        for s, row in enumerate(res):
            if row is None:
                continue
            W = model.W.detach().double()[s]  # (K, 2n)
            Wn = W / W.norm(dim=1, keepdim=True)
            Z = (X @ Wn.T) ** 2  # (n², K)
            E = 0.5 * ((Yft.T @ Z) ** 2).sum(0)
            row["node_energy_normalized"] = {"max": float(E.max()), "median": float(E.median()),
                                             "M_over_2": G.order / 2.0, "M_over_4": G.order / 4.0}
    return res


def plot_neuron_heatmap(analysis: NeuronAnalysis, path, *, seed: int = 0, max_neurons: int = 256) -> None:
    """Neuron × orbit share of nontrivial Fourier energy for one seed, neurons sorted by winner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = analysis.measurements[seed]
    E = analysis.orbit_energy_matrix(seed)
    order = np.lexsort((-m.purity, m.winner_orbit))[:max_neurons]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * E.shape[1] + 2), 6))
    im = ax.imshow(E[order], aspect="auto", cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    labels = [f"{tuple(int(i) for i in o)} d={int(d)}" for o, d in zip(m.orbits[1:], m.orbit_dims[1:])]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_xlabel("orbit {ρ, ρ̄} (irrep indices)")
    ax.set_ylabel(f"live neuron (seed {seed}, sorted by winner)")
    ax.set_title(f"{analysis.group_name}: share of nontrivial energy (θ¹+θ²+ξ)")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_neuron_histograms(analysis: NeuronAnalysis, path) -> None:
    """Purity, σ₂/σ₁ and winning-orbit histograms across neurons and seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ = analysis.summary()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    axes[0].hist(analysis._cat("purity"), bins=40, range=(0, 1), color="C0")
    axes[0].set_xlabel("purity")
    axes[0].set_ylabel("neurons (all seeds)")
    axes[1].hist(analysis._cat("rank_ratio"), bins=40, range=(0, 1), color="C1")
    axes[1].set_xlabel("σ₂/σ₁ of the winning block")
    occ = summ["occupancy"]
    axes[2].bar(range(len(occ)), [o["count"] for o in occ], color="C2")
    axes[2].set_xticks(range(len(occ)))
    axes[2].set_xticklabels([f"{tuple(o['irreps'])}\nd={o['dim']}" for o in occ], fontsize=6)
    axes[2].set_ylabel("neurons")
    axes[2].set_title("winning orbit")
    fig.suptitle(f"{analysis.group_name}: {summ['neurons_live']} live neurons over {summ['seeds_measured']} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def analyze_run(run_dir: str | os.PathLike, *, out_dir=None, device="cpu", live_threshold: float = 0.01, plots: bool = True) -> dict:
    """All measurements of a run directory; writes ``analysis.json`` and PNGs into ``out_dir``
    (default: the run directory) and returns the JSON dict."""
    from grokcheck.checks.training._train import load_run, write_json_atomic

    run = load_run(run_dir, device=device)
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    last = run.history[-1] if run.history else {}
    report: dict = {
        "run_dir": str(run_dir),
        "step": run.step,
        "model": run.config.model.kind,
        "optimizer": run.config.optimizer.name,
        "test_leakage": run.test_leakage,
        "alive": [bool(a) for a in run.alive],
        "train_acc": last.get("train_acc"),
        "test_acc": last.get("test_acc"),
        "t_mem": last.get("t_mem"),
        "t_grok": last.get("t_grok"),
    }
    if run.task.kind == "group":
        G = run.task.group()
        try:
            na = analyze_neurons(G, run.model, alive=run.alive, live_threshold=live_threshold)
        except NotImplementedError as exc:
            report["neurons"] = {"skipped": str(exc)}
        else:
            report["neurons"] = na.summary()
            report["neurons"]["live_threshold"] = live_threshold
            report["neurons"]["per_seed"] = [None if m is None else m.summary() for m in na.measurements]
            first = next((s for s, m in enumerate(na.measurements) if m is not None and m.neurons), None)
            if plots and first is not None:
                plot_neuron_heatmap(na, out / "neuron_energy_heatmap.png", seed=first)
                plot_neuron_histograms(na, out / "neuron_histograms.png")
        report["majority_vote"] = majority_vote(G, run.model, run.task)
        if run.config.model.kind == "li2":
            xtr, ytr = run.task.split("train", device=device, dtype=run.config.torch_dtype)
            eta = run.config.model.ridge_v
            if eta is None:
                wd = run.config.optimizer.weight_decay
                eta = float(np.mean(wd)) * run.task.n_train
            report["li2"] = {"eta": eta, "per_seed": li2_quantities(run.model, xtr, ytr, eta=eta, G=G)}
    write_json_atomic(out / "analysis.json", report)
    return report
