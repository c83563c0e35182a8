"""Figures for a Stage I run (matplotlib, Agg backend, PNG).

Irreps are numbered ``X.1 … X.k`` as in GAP's ``Display`` and ``grokcheck table``; an orbit
of complex-conjugate irreps is named by its members (``X.3+X.4``). Every figure names the
group and labels every axis and colorbar; Ω* levels that coincide are drawn once, with one
legend entry listing every orbit at that level.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["plot_stage_one", "omega_star_levels"]


def _save(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.chmod(tmp, 0o644)
        with open(tmp, "rb") as f:  # on disk before the rename: a crash leaves the old figure or the new
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _orbit_name(o) -> str:
    return "+".join(f"X.{i + 1}" for i in o.orbit)


def omega_star_levels(orbits, *, rtol: float = 1e-9) -> list[tuple[float, list]]:
    """Group orbit predictions by their Ω* value: ``[(Ω*, [orbits at that level]), …]``,
    highest first. Values within ``rtol`` (relative; float64 evaluations of the same closed
    form |G|^{-3/2}/√(d m)) are one level."""
    levels: list[tuple[float, list]] = []
    for o in sorted(orbits, key=lambda o: -o.omega_star):
        for lv in levels:
            if abs(lv[0] - o.omega_star) <= rtol * abs(lv[0]):
                lv[1].append(o)
                break
        else:
            levels.append((o.omega_star, [o]))
    return levels


def plot_stage_one(run, out_dir, *, group_name: str | None = None) -> list[Path]:
    """Write ``omega.png`` (Ω(t) per neuron with the Ω* levels), ``winners.png`` (winner
    histogram per orbit) and ``blocks.png`` (per-neuron orbit-energy heatmap of ξ, the
    block-sparsity picture) into ``out_dir``; return the paths.

    ``group_name`` is the name shown in the titles (default ``run.group_name``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.ticker import NullFormatter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sol, m, pred = run.solution, run.measurements, run.predictions
    name = group_name or run.group_name
    nontrivial = list(pred.orbits[1:])
    cmap = plt.get_cmap("tab10")
    levels = omega_star_levels(nontrivial)
    level_of = {o.index: i for i, (_, os_) in enumerate(levels) for o in os_}
    color = {o.index: cmap(level_of[o.index] % 10) for o in nontrivial}
    paths = []

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ts = sol.ts
    segs = [np.column_stack([ts, sol.omega[:, i]]) for i in range(sol.omega.shape[1])]
    cols = [color.get(int(w), "0.5") for w in m.winner_orbit]
    ax.add_collection(LineCollection(segs, colors=cols, linewidths=0.5, alpha=0.5))
    ax.set_xlim(ts.min(), ts.max())
    lo, hi = float(np.min(sol.omega)), float(np.max(sol.omega))
    ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.05 * (hi - lo))
    for i, (value, members) in enumerate(levels):
        label = f"Ω* = {value:.4g}: " + ", ".join(f"{_orbit_name(o)} (d={o.dim}, ι={o.fs_indicator})" for o in members)
        ax.axhline(value, color=cmap(i % 10), ls="--", lw=1, label=label)
    # logarithmic in t, linear below the first save time, so t = 0 stays at 0
    first = float(ts[ts > 0].min()) if np.any(ts > 0) else 1.0
    ax.set_xscale("symlog", linthresh=first)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"flow time t (linear below {first:.2g}, then logarithmic)")
    ax.set_ylabel("Ω per neuron (coloured by winning irreps)")
    ax.set_title(f"{name}: Stage I flow, {run.neurons} neurons")
    # below the axes, so the legend never covers the curves
    ax.legend(fontsize=7, title="predicted stable values (dashed); curves coloured by the level they reach",
              title_fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
    p = out_dir / "omega.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    occ = m.occupancy()[1:]
    labels = [f"{_orbit_name(o)}\nd={o.dim}, ι={o.fs_indicator}" for o in nontrivial]
    ax.bar(range(len(occ)), occ, color=[color[o.index] for o in nontrivial])
    ax.set_xticks(range(len(occ)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_xlabel("winning irreps (orbit under complex conjugation)")
    ax.set_ylabel("neurons")
    ax.set_title(f"{name}: winning irreps of {run.neurons} neurons")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=cmap(i % 10), label=f"Ω* = {value:.4g}") for i, (value, _) in enumerate(levels)],
              title="colour: the predicted level Ω*", title_fontsize=7, fontsize=7, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    p = out_dir / "winners.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    E = m.orbit_energy[:, 2, 1:]
    E = E / np.maximum(E.sum(axis=1, keepdims=True), 1e-300)
    order = np.argsort(m.winner_orbit, kind="stable")
    im = ax.imshow(E[order].T, aspect="auto", cmap="viridis", interpolation="nearest", vmin=0, vmax=1)
    ax.set_yticks(range(E.shape[1]))
    ax.set_yticklabels([_orbit_name(o) for o in nontrivial])
    ax.set_xlabel("neuron (sorted by winning irreps)")
    ax.set_ylabel("irreps (orbit)")
    ax.set_title(f"{name}: share of ξ's non-trivial energy per orbit")
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("share of ξ's non-trivial Fourier energy")
    p = out_dir / "blocks.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)
    return paths
