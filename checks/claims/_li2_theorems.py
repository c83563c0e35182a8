"""Measurements for Li₂'s remaining theorems (Tian, arXiv 2509.21519): Proposition 1's expansion and rate,
Lemma 1's large-K scale, Theorem 3's reconstruction and width, Theorem 6's repulsion signs, Theorem 7's
top-down modulation, Lemma 2 (Muon ascends) and Theorem 8's win probabilities and coverage bound."""

from __future__ import annotations

import numpy as np

from grokcheck.checks._registry import Hypothesis, Measured


def _features(ctx, K: int, salt: str):
    """A random first layer on the full table: ``F = (XW)²`` scaled so that ``‖F̃‖₂ = 1`` (the flow's rates
    then lie in [η, 1 + η]), and the one-hot targets."""
    from grokcheck.numerics._li2 import table_inputs

    X, Y = table_inputs(ctx.group)
    rng = ctx.rng(salt)
    W = rng.standard_normal((X.shape[1], K)) / np.sqrt(2)
    F = (X @ W) ** 2
    return F / np.linalg.norm(F - F.mean(axis=0), 2), Y, rng


def _small_t(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import gf_small_t_expansion

    K = min(2 * ctx.group.order + 4, ctx.group.order**2 - 2)  # F̃ of full column rank (K < |G|² − 1)
    F, Y, rng = _features(ctx, K, "li2.small-t")
    # t and α over two decades, both ≪ 1/‖A‖ = 1/(1 + η): the next order is 1e-2 relative at most
    ex = gf_small_t_expansion(F, Y, eta=0.3, ts=np.geomspace(1e-4, 1e-2, 5), alphas=np.geomspace(1e-4, 1e-2, 5), rng=rng)
    return Measured([ex.t_slope, ex.alpha_slope],
                    {"t": ex.ts.tolist(), "residual_after_t_YYF": ex.residual_t.tolist(),
                     "alpha": ex.alphas.tolist(), "norm_GF0": ex.g0.tolist(),
                     "norm_GF0_over_alpha_sqrt_KM": ex.g0_over_alpha_sqrt_km.tolist(), "K": K})


def _rate(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import gf_rate

    K = min(2 * ctx.group.order + 4, ctx.group.order**2 - 2)
    F, Y, rng = _features(ctx, K, "li2.rate")
    eta = 0.3
    V0 = 1e-3 * rng.standard_normal((K, Y.shape[1]))
    # late window t ∈ [20, 40]/(rate scale): the e^{−2λt} terms are below e^{−λ·20} ≈ 1e-3 relative of the e^{−λt}
    # term there, and the distance stays far above rounding (≳ 1e-8 of its start)
    r = gf_rate(F, Y, V0, eta=eta, ts=np.linspace(20.0, 40.0, 6))
    return Measured(r.rate / r.sigma_min_sq_plus_eta,
                    {"fitted_rate": r.rate, "lambda_min_A": r.lambda_min, "sigma_min_sq_plus_eta": r.sigma_min_sq_plus_eta,
                     "distance": r.distance.tolist(), "eta": eta, "K": K})


# ------------------------------------------------------------------ Lemma 1 (large K)
_L1_K = (200, 400, 800, 1600)


def _lemma1(ctx) -> dict:
    """Lemma 1's setting: n = 24 unit-norm inputs in d = 4000 (pairwise |x_iᵀx_i'| ≲ 0.05 = ε), W ~ N(0, 1),
    σ = x², 4 random classes, η = 0.01; G_F(∞) against ỸỸᵀF̃ for K ≫ n."""
    from grokcheck.numerics._li2 import _center, gf_limit

    def build():
        rng = ctx.rng("li2.lemma1")
        n, d, C, eta = 24, 4000, 4, 1e-2
        X = rng.standard_normal((n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        Y = np.eye(C)[rng.integers(0, C, n)]
        rows = []
        for K in _L1_K:
            F = (X @ rng.standard_normal((d, K))) ** 2
            G = gf_limit(F, Y, eta)
            Ft, Yt = _center(F), _center(Y)
            L = Yt @ (Yt.T @ Ft)
            s = float(np.sum(G * L) / np.sum(L * L))
            cos = float(np.sum(G * L) / (np.linalg.norm(G) * np.linalg.norm(L)))
            # σ = x² on unit inputs: FFᵀ ≈ K(3 I + (1 + 2ρ²)11ᵀ), so F̃F̃ᵀ ≈ 2K P^⊥ (c₁ = 2)
            rows.append({"K": K, "coefficient": s, "cosine": cos, "coefficient_times_(2K+eta)^2_over_eta": s * (2 * K + eta) ** 2 / eta})
        Ks = np.array(_L1_K, float)
        slope = float(np.polyfit(np.log(Ks), np.log([r["coefficient"] for r in rows]), 1)[0])
        return {"rows": rows, "slope": slope, "n": n, "d": d, "eta": eta}

    return ctx.artifact("li2.lemma1", build)


def _lemma1_cos(ctx) -> Measured:
    out = _lemma1(ctx)
    return Measured(out["rows"][-1]["cosine"], out)


def _lemma1_slope(ctx) -> Measured:
    out = _lemma1(ctx)
    return Measured(out["slope"], out)


# ------------------------------------------------------------------ Theorem 3
def _reconstruction(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import reconstruction_nodes, reconstruction_residual, theorem3_width

    W = reconstruction_nodes(ctx.group)
    res = reconstruction_residual(ctx.group, W)
    k, bound = theorem3_width(ctx.group)
    return Measured(res, {"K": int(W.shape[1]), "K_formula": k, "K_bound": bound, "M": ctx.group.order,
                          "irrep_dims": [r.dim for r in ctx.group.irreps]})


def _width(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import theorem3_width

    k, bound = theorem3_width(ctx.group)
    return Measured(k - bound, {"K": k, "bound_2[(M-kappa)^2+kappa-1]": bound, "M": ctx.group.order,
                                "kappa_nontrivial_irreps": len(ctx.group.irreps) - 1,
                                "abelian_K_equals_2M-2": bool(ctx.group.is_abelian and k == 2 * ctx.group.order - 2)})


# ------------------------------------------------------------------ Theorem 6
def _repulsion(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import repulsion_signs

    K = min(8, ctx.group.order**2 - 3)
    F, _, rng = _features(ctx, K, "li2.repulsion")
    # two near-duplicate nodes (the "similar features" of the theorem's remark)
    F = np.concatenate([F, F[:, :1] + 0.05 * rng.standard_normal((F.shape[0], 1)) * F[:, :1].std()], axis=1)
    out = repulsion_signs(F, eta=0.3)
    return Measured(out["agree"] / out["pairs"], out)


# ------------------------------------------------------------------ Theorem 7
def _learned_missing(G):
    """Learned set S: the first non-trivial irrep with its dual; missing: the rest (both closed under duals)."""
    first = G.irreps[1]
    learned = sorted({1, int(first.dual_index)})
    missing = [k for k in range(1, len(G.irreps)) if k not in learned]
    return learned, missing


TWO_IRREP_CLASSES = Hypothesis(
    "G has non-trivial irreps outside the first one and its dual (something left to learn)",
    lambda ctx: len(_learned_missing(ctx.group)[1]) > 0,
    lambda ctx: f"every non-trivial irrep of {ctx.group} is the first one or its dual",
)


def _top_down(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import isotypic_projector, modulated_ascent, residual_target

    G = ctx.group
    g = G.order
    learned, missing = _learned_missing(G)
    R = residual_target(G, learned)
    P_S = isotypic_projector(G, learned)
    w0 = ctx.rng("li2.top-down").standard_normal((16, 2 * g))
    w = modulated_ascent(G, R, w0)
    u, v = w[:, :g], w[:, g:]
    in_s = np.linalg.norm(u @ P_S.T, axis=1) ** 2 + np.linalg.norm(v @ P_S.T, axis=1) ** 2
    from grokcheck.numerics._li2 import table_inputs

    X, _ = table_inputs(G)
    e = 0.5 * np.sum(((w @ X.T) ** 2 @ R) ** 2, axis=1)
    return Measured(float(in_s.max()), {"learned_irreps": learned, "missing_irreps": missing,
                                        "energy_at_maxima": sorted(set(np.round(e, 6).tolist())),
                                        "starts": int(w0.shape[0])})


# ------------------------------------------------------------------ Lemma 2
def _muon(ctx) -> Measured:
    from grokcheck.numerics._li2 import li2_energy, li2_energy_gradient
    from grokcheck.numerics._li2_theorems import muon_direction

    G = ctx.group
    rng = ctx.rng("li2.muon")
    worst_align, worst_fd = 1.0, 1.0
    for _ in range(4):
        W = rng.standard_normal((6, 2 * G.order))  # K = 6 nodes, rows w_j
        grad = li2_energy_gradient(G, W)  # (K, 2g): ∇E_joint row by row
        D = muon_direction(grad)
        nuc = float(np.linalg.svd(grad, compute_uv=False).sum())
        align = float(np.sum(grad * D)) / nuc
        h = 1e-6 / (1 + np.abs(W).max())
        fd = float((li2_energy(G, W + h * D).sum() - li2_energy(G, W - h * D).sum()) / (2 * h)) / float(np.sum(grad * D))
        worst_align, worst_fd = min(worst_align, align), min(worst_fd, fd)
    return Measured(min(worst_align, worst_fd), {"alignment_<G,UV^T>/nuclear_norm": worst_align,
                                                 "finite_difference_over_<G,UV^T>": worst_fd})


# ------------------------------------------------------------------ Theorem 8
_T8_MU = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
_T8_A = 2.0
_T8_TRIALS = 200_000
#: the theorem's win probabilities μ_l^a / Σ μ^a
_T8_P = _T8_MU**_T8_A / np.sum(_T8_MU**_T8_A)


def _t8_win(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import theorem8_win_frequencies

    freq = theorem8_win_frequencies(_T8_MU, _T8_A, trials=_T8_TRIALS, rng=ctx.rng("li2.theorem8"))
    p = _T8_P
    se = np.sqrt(p * (1 - p) / _T8_TRIALS)
    z = float(np.max(np.abs(freq - p) / se))
    return Measured(z, {"frequencies": freq.tolist(), "mu^a/sum": p.tolist(), "mu": _T8_MU.tolist(), "a": _T8_A,
                        "trials": _T8_TRIALS})


def _t8_cover(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import coupon_collector_mean

    p = _T8_P
    L = p.size
    t0 = coupon_collector_mean(p)
    bound = max(1 / p.min(), sum(1 / k for k in range(1, L + 1)))
    return Measured(t0 - bound, {"T0_exact": t0, "printed_bound": bound, "L_times_H_L": L * sum(1 / k for k in range(1, L + 1)),
                                 "p": p.tolist()})


_T8_GUIDED_TRIALS = 200_000


def _t8_muon(ctx) -> Measured:
    """Theorem 8's Muon count: nodes learned one after another, the rates of covered maxima halved (the
    proof's model of Muon guiding), until all L maxima are covered; the mean count against
    T_a = 2^{−a}T₀ + (1 − 2^{−a})L in standard errors, T₀ the exact coupon-collector mean."""
    from grokcheck.numerics._li2 import guided_cover_counts
    from grokcheck.numerics._li2_theorems import coupon_collector_mean

    p = _T8_P
    L = p.size
    t0 = coupon_collector_mean(p)
    t_a = 2.0**-_T8_A * t0 + (1 - 2.0**-_T8_A) * L
    n = guided_cover_counts(_T8_MU, _T8_A, suppression=2.0, trials=_T8_GUIDED_TRIALS, rng=ctx.rng("li2.theorem8-muon"))
    se = float(n.std(ddof=1) / np.sqrt(n.size))
    return Measured(float((n.mean() - t_a) / se),
                    {"mean_nodes_guided": float(n.mean()), "standard_error": se, "T_a_printed": t_a, "T0_exact": t0,
                     "L": L, "a": _T8_A, "mu": _T8_MU.tolist(), "suppression": 2.0, "trials": _T8_GUIDED_TRIALS})


# ------------------------------------------------------------------ Theorem 4 (the d_k factor)
def _real_dmax_two(G) -> bool:
    dims = [r.dim for r in G.irreps]
    return max(dims) == 2 and all(int(r.fs_indicator) == 1 for r in G.irreps if r.dim == 2)


REAL_DMAX_TWO = Hypothesis(
    "G is non-Abelian with largest irreps of dimension 2, all real (their maxima have 𝓔* = M/4, the value of a "
    "complex pair of Z_M, so the two thresholds compare landscapes of equal height)",
    lambda ctx: (not ctx.group.is_abelian) and _real_dmax_two(ctx.group),
    lambda ctx: f"{ctx.group} is Abelian" if ctx.group.is_abelian else f"{ctx.group}'s largest irreps are not real of dimension 2",
)

# sample fractions n/M² on a geometric grid of ratio ≈ 1.17 from 1/4 to all pairs
_T4_FRACTIONS = tuple(float(f) for f in np.geomspace(0.25, 1.0, 10))


def _theorem4(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import critical_samples
    from grokcheck.theory import FiniteGroup

    def build():
        G = ctx.group
        M = G.order
        a = np.arange(M)
        Z = FiniteGroup.from_table((a[:, None] + a[None, :]) % M)
        two = [i for i, r in enumerate(G.irreps) if r.dim == 2][0]
        pair = sorted({1, int(Z.irreps[1].dual_index)})
        rng = ctx.rng("li2.theorem4")
        # 20 draws, kept on ≥ 90 %: Theorem 4's δ = 0.1
        ng = critical_samples(G, [two], fractions=_T4_FRACTIONS, draws=20, rng=rng)
        nz = critical_samples(Z, pair, fractions=_T4_FRACTIONS, draws=20, rng=rng)
        return ng, nz, two, pair

    ng, nz, two, pair = ctx.artifact("li2.theorem4", build)
    if ng["n_c"] is None or nz["n_c"] is None:
        return Measured(float("nan"), {"G": ng, "Z_M": nz},
                        inconclusive="a maximum was not kept even on all M² pairs within the ascent budget",
                        decide="more ascent steps")
    return Measured(ng["n_c"] / nz["n_c"], {"n_c_G_2dim_irrep": ng["n_c"], "n_c_Z_M_complex_pair": nz["n_c"],
                                            "grid_G": ng["grid"], "grid_Z_M": nz["grid"], "irrep_of_G": two,
                                            "pair_of_Z_M": pair, "M": ctx.group.order})


# ------------------------------------------------------------------ Theorem 5
def _memorization(ctx) -> Measured:
    from grokcheck.numerics._li2_theorems import memorization_ascent, memorization_prediction

    G = ctx.group
    rng = ctx.rng("li2.theorem5")
    # pair probabilities with a unique largest at least 1.5× the others: for σ = x² the other pairs are saddles
    # of the quadratic form z, and the ascent leaves them at a rate ∝ the gap, so a near tie would need
    # arbitrarily many steps (a slow saddle, not another local maximum)
    p = rng.uniform(0.5, 1.0, G.order)
    p[int(rng.integers(G.order))] = 1.5
    p /= p.sum()
    h = int(rng.integers(G.order))
    worst, rows = 0.0, {}
    for act in ("square", "relu", "tanh"):
        w = memorization_ascent(G, h, p, act, starts=8, rng=rng, steps=6000)
        d = np.linalg.norm(w - memorization_prediction(G, h, p, act), axis=1)
        rows[act] = d.tolist()
        worst = max(worst, float(d.max()))
    return Measured(worst, {"distance_to_theorem_by_activation": rows, "p": p.tolist(), "target": h})


# ------------------------------------------------------------------ §7: weight decay as the feature-learning rate
_WD_ETAS = (1e-3, 1e-2, 1e-1)


def _weight_decay(ctx) -> Measured:
    """Slope of log‖G_F(∞)‖ against log η in Lemma 1's setting at K = 1600 ≫ n = 24 (and, for contrast, at
    K = 12 < n, where Ỹ is not in the span of F̃ and G_F(∞) stays finite as η → 0)."""
    from grokcheck.numerics._li2 import gf_limit

    def build():
        rng = ctx.rng("li2.weight-decay")
        n, d, C = 24, 4000, 4
        X = rng.standard_normal((n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        Y = np.eye(C)[rng.integers(0, C, n)]
        out = {}
        for K in (1600, 12):
            F = (X @ rng.standard_normal((d, K))) ** 2
            norms = [float(np.linalg.norm(gf_limit(F, Y, eta))) for eta in _WD_ETAS]
            out[K] = {"norms": norms, "slope": float(np.polyfit(np.log(_WD_ETAS), np.log(norms), 1)[0])}
        return out

    out = ctx.artifact("li2.weight-decay", build)
    return Measured(out[1600]["slope"], {"eta": list(_WD_ETAS), "K=1600 (K ≫ n)": out[1600], "K=12 (K < n)": out[12]})
