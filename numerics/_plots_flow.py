"""Figures for a Stage I run (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["plot_stage_one"]


def _save(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def plot_stage_one(run, out_dir) -> list[Path]:
    """Write ``omega.png`` (Ω(t) per neuron with Ω* levels), ``winners.png`` (winner
    histogram per orbit) and ``blocks.png`` (per-neuron orbit-energy heatmap of ξ, the
    block-sparsity picture) into ``out_dir``; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sol, m, pred = run.solution, run.measurements, run.predictions
    paths = []

    fig, ax = plt.subplots(figsize=(7, 4))
    ts = np.maximum(sol.ts, sol.ts[1] * 0.5 if sol.ts.size > 1 else 1.0)
    cmap = plt.get_cmap("tab10")
    from matplotlib.collections import LineCollection

    segs = [np.column_stack([ts, sol.omega[:, i]]) for i in range(sol.omega.shape[1])]
    cols = [cmap(int(w) % 10) for w in m.winner_orbit]
    ax.add_collection(LineCollection(segs, colors=cols, linewidths=0.5, alpha=0.5))
    ax.set_xlim(ts.min(), ts.max())
    lo, hi = float(np.min(sol.omega)), float(np.max(sol.omega))
    ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.05 * (hi - lo))
    for o in pred.orbits[1:]:
        ax.axhline(o.omega_star, color=cmap(o.index % 10), ls="--", lw=1, label=f"Ω* orbit {o.index} (d={o.dim}, ι={o.fs_indicator})")
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("flow time t")
    ax.set_ylabel("Ω per neuron")
    ax.set_title(f"{run.group_name}: Stage I flow, {run.neurons} neurons")
    ax.legend(fontsize=7)
    p = out_dir / "omega.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    occ = m.occupancy()[1:]
    labels = [f"{o.index}\nd={o.dim},ι={o.fs_indicator}" for o in pred.orbits[1:]]
    ax.bar(range(len(occ)), occ, color=[cmap((k + 1) % 10) for k in range(len(occ))])
    ax.set_xticks(range(len(occ)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("neurons")
    ax.set_title("winning irrep orbit")
    p = out_dir / "winners.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)

    fig, ax = plt.subplots(figsize=(7, 4))
    E = m.orbit_energy[:, 2, 1:]
    E = E / np.maximum(E.sum(axis=1, keepdims=True), 1e-300)
    order = np.argsort(m.winner_orbit, kind="stable")
    im = ax.imshow(E[order].T, aspect="auto", cmap="viridis", interpolation="nearest", vmin=0, vmax=1)
    ax.set_yticks(range(E.shape[1]))
    ax.set_yticklabels([str(o.index) for o in pred.orbits[1:]])
    ax.set_xlabel("neuron (sorted by winner)")
    ax.set_ylabel("irrep orbit")
    ax.set_title("share of ξ's nontrivial energy per orbit")
    fig.colorbar(im, ax=ax)
    p = out_dir / "blocks.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)
    return paths
