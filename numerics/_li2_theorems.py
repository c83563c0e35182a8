"""Li₂'s remaining theorems, numerically (Tian, arXiv 2509.21519): Proposition 1's small-t expansion and
rate, Theorem 3's reconstruction, Theorem 6's repulsion signs, Theorem 7's top-down modulation, Lemma 2
(Muon ascends the joint energy) and Theorem 8's win probabilities and coverage count.

Conventions follow :mod:`grokcheck.numerics._li2`: ``X`` ``(g², 2g)`` concatenated one-hot inputs of the
full table, ``Y`` ``(g², g)`` one-hot targets, ``Ỹ = P^⊥_1 Y``, σ = x², ``F = σ(XW)`` ``(N, K)``.
Irreps are the group's certified unitary irreps (``G.irreps``), matrices ``(g, d, d)``.

References: Tian, arXiv 2509.21519, Proposition 1 and Props 3–4 (App. C), Theorems 3, 6, 7, 8, Lemma 2.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import integrate

from grokcheck.errors import GrokcheckError
from grokcheck.numerics._li2 import _center, gf_closed_form, gf_limit, table_inputs

__all__ = [
    "SmallTExpansion",
    "gf_small_t_expansion",
    "GFRate",
    "gf_rate",
    "reconstruction_nodes",
    "reconstruction_residual",
    "theorem3_width",
    "repulsion_signs",
    "isotypic_projector",
    "residual_target",
    "modulated_ascent",
    "muon_direction",
    "theorem8_win_frequencies",
    "coupon_collector_mean",
]


# ------------------------------------------------------------------ Proposition 1 (Stage I)
@dataclass(frozen=True)
class SmallTExpansion:
    """Residuals of Eq. (3), ``G_F(t) = t ỸỸᵀF̃ + O(α) + O(αt) + O(t²)``, on a grid.

    Attributes
    ----------
    ts : ``(T,)`` times; ``residual_t`` ``(T,)``: ``‖G_F(t) − t ỸỸᵀF̃‖_F`` with ``V(0) = 0``
        (only the ``O(t²)`` term remains); ``t_slope``: log-log slope of it against ``t`` (2).
    alphas : ``(A,)`` init scales; ``g0`` ``(A,)``: ``‖G_F(0)‖_F`` with ``V(0) ~ N(0, α²)``;
        ``alpha_slope``: log-log slope against α (1); ``g0_over_alpha_sqrt_km``: ``‖G_F(0)‖/(α√(KM))``.
    """

    ts: np.ndarray
    residual_t: np.ndarray
    t_slope: float
    alphas: np.ndarray
    g0: np.ndarray
    alpha_slope: float
    g0_over_alpha_sqrt_km: np.ndarray


def _slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def gf_small_t_expansion(F, Y, *, eta: float, ts, alphas, rng: np.random.Generator) -> SmallTExpansion:
    """Measure Eq. (3)'s orders with the exact solution :func:`gf_closed_form`."""
    F, Y = np.asarray(F, float), np.asarray(Y, float)
    K, C = F.shape[1], Y.shape[1]
    Ft, Yt = _center(F), _center(Y)
    lead = Yt @ (Yt.T @ Ft)
    ts = np.asarray(ts, float)
    exact = gf_closed_form(F, Y, np.zeros((K, C)), eta, ts)
    res = np.array([np.linalg.norm(e - t * lead) for e, t in zip(exact, ts)])
    alphas = np.asarray(alphas, float)
    z = rng.standard_normal((K, C))
    g0 = np.array([np.linalg.norm(gf_closed_form(F, Y, a * z, eta, [0.0])[0]) for a in alphas])
    return SmallTExpansion(ts=ts, residual_t=res, t_slope=_slope(ts, res), alphas=alphas, g0=g0,
                           alpha_slope=_slope(alphas, g0), g0_over_alpha_sqrt_km=g0 / (alphas * np.sqrt(K * C)))


@dataclass(frozen=True)
class GFRate:
    """Late-time decay of ``‖G_F(t) − G_F(∞)‖_F`` (Props 3–4 of App. C).

    ``rate``: fitted ``−d log‖·‖/dt`` over the late window; ``lambda_min``: ``λ_min(F̃ᵀF̃ + ηI)``;
    ``sigma_min_sq_plus_eta``: ``σ_min(F̃)² + η`` (the printed lower bound on ``λ_min``).
    """

    ts: np.ndarray
    distance: np.ndarray
    rate: float
    lambda_min: float
    sigma_min_sq_plus_eta: float


def gf_rate(F, Y, V0, *, eta: float, ts) -> GFRate:
    """Fit the exponential rate at which ``G_F(t)`` reaches Proposition 1's limit (``η > 0``)."""
    F, Y = np.asarray(F, float), np.asarray(Y, float)
    ts = np.asarray(ts, float)
    exact = gf_closed_form(F, Y, V0, eta, ts)
    lim = gf_limit(F, Y, eta)
    dist = np.array([np.linalg.norm(e - lim) for e in exact])
    rate = -float(np.polyfit(ts, np.log(dist), 1)[0])
    Ft = _center(F)
    lam = float(np.linalg.eigvalsh(Ft.T @ Ft + eta * np.eye(F.shape[1]))[0])
    smin = float(np.linalg.svd(Ft, compute_uv=False)[-1])
    return GFRate(ts=ts, distance=dist, rate=rate, lambda_min=lam, sigma_min_sq_plus_eta=smin**2 + eta)


# ------------------------------------------------------------------ Theorem 3 (reconstruction)
def reconstruction_nodes(G, *, drop: int = 0) -> np.ndarray:
    """Theorem 3's complex first layer ``W`` ``(2g, K)``: for every non-trivial irrep ``ρ`` (dim ``d``) and
    every ``(a, b, c, e) ∈ [d]⁴`` the pair ``w± = [ρ_ab; ±ρ_ce]`` (``K = 2 Σ_{k≠0} d_k⁴``).

    With σ = x², ``σ(x·w₊) − σ(x·w₋) = 4 ρ_ab(g₁) ρ_ce(g₂)``; the products with ``b = c`` sum to
    ``ρ_ae(g₁g₂)``, the functions of the target that make up ``Ỹ``. ``drop`` removes that many nodes
    from the end (to show the width is needed by this construction).
    """
    cols = []
    for rep in G.irreps[1:]:
        m = np.asarray(rep.matrices)
        d = m.shape[1]
        for a, b, c, e in itertools.product(range(d), repeat=4):
            u, v = m[:, a, b], m[:, c, e]
            cols.append(np.concatenate([u, v]))
            cols.append(np.concatenate([u, -v]))
    W = np.stack(cols, axis=1).astype(complex)
    if drop:
        W = W[:, : W.shape[1] - int(drop)]
    return W


def theorem3_width(G) -> tuple[int, int]:
    """``(2 Σ_{k≠0} m_k² d_k², 2[(M − κ)² + κ − 1])`` with ``m_k = d_k`` and ``κ(H)`` the number of
    non-trivial irreps (the paper's Eq. (8) convention)."""
    dims = [rep.dim for rep in G.irreps[1:]]
    kappa = len(dims)
    return 2 * sum(d**4 for d in dims), 2 * ((G.order - kappa) ** 2 + kappa - 1)


def reconstruction_residual(G, W) -> float:
    """``‖Ỹ − F̃ V‖_F / ‖Ỹ‖_F`` at the least-squares (η = 0) ``V``, ``F = (XW)²`` (complex)."""
    X, Y = table_inputs(G)
    F = (X @ W) ** 2
    Ft, Yt = F - F.mean(axis=0, keepdims=True), _center(Y)
    V, *_ = np.linalg.lstsq(Ft, Yt.astype(complex), rcond=None)
    return float(np.linalg.norm(Yt - Ft @ V) / np.linalg.norm(Yt))


# ------------------------------------------------------------------ Theorem 6 (repulsion)
def repulsion_signs(F, *, eta: float) -> dict:
    """Compare ``sign b_jl`` (``B = (F̃ᵀF̃ + ηI)⁻¹``) with ``−sign(f̃_jᵀ P_{η,−jl} f̃_l)`` for all pairs j < l.

    Returns ``{"agree", "pairs", "raw_agree"}``: pairs where the signs agree, all pairs, and the
    pairs where the naive ``−sign(f̃_jᵀ f̃_l)`` (no projection) agrees.
    """
    Ft = _center(np.asarray(F, float))
    N, K = Ft.shape
    B = np.linalg.inv(Ft.T @ Ft + eta * np.eye(K))
    agree = raw = pairs = 0
    for j, l in itertools.combinations(range(K), 2):
        rest = np.delete(Ft, [j, l], axis=1)
        P = np.eye(N) - rest @ np.linalg.solve(rest.T @ rest + eta * np.eye(K - 2), rest.T)
        s = Ft[:, j] @ P @ Ft[:, l]
        pairs += 1
        agree += int(np.sign(B[j, l]) == -np.sign(s))
        raw += int(np.sign(B[j, l]) == -np.sign(Ft[:, j] @ Ft[:, l]))
    return {"agree": agree, "pairs": pairs, "raw_agree": raw}


# ------------------------------------------------------------------ Theorem 7 (top-down modulation)
def isotypic_projector(G, indices) -> np.ndarray:
    """Real ``(g, g)`` projector onto the functions on ``G`` spanned by the matrix coefficients of the
    irreps ``indices`` (closed under duals): ``Π = Σ_k (d_k/|G|) Σ_x χ_k(x)^* L_x``."""
    g = G.order
    P = np.zeros((g, g), dtype=complex)
    T = np.asarray(G.table)
    for k in indices:
        rep = G.irreps[k]
        chi = np.asarray(rep.character)
        for x in range(g):
            # (L_x f)(y) = f(x⁻¹ y): row y, column x⁻¹y
            cols = T[G.inverses[x], :]
            P[np.arange(g), cols] += rep.dim / g * np.conj(chi[x])
    if np.max(np.abs(P.imag)) > 1e-9:
        raise GrokcheckError("isotypic_projector needs a set of irreps closed under duals")
    return P.real


def residual_target(G, learned) -> np.ndarray:
    """``Ỹ`` minus its least-squares fit by the perfect features of the irreps ``learned`` (Theorem 3's
    nodes restricted to them): the target that η → 0⁺ leaves in ``G_F`` (``(g², g)``, real)."""
    X, Y = table_inputs(G)
    cols = []
    for k in learned:
        m = np.asarray(G.irreps[k].matrices)
        d = m.shape[1]
        for a, b, c, e in itertools.product(range(d), repeat=4):
            cols.append(np.concatenate([m[:, a, b], m[:, c, e]]))
            cols.append(np.concatenate([m[:, a, b], -m[:, c, e]]))
    Yt = _center(Y)
    if not cols:
        return Yt
    F = (X @ np.stack(cols, axis=1)) ** 2
    Ft = F - F.mean(axis=0, keepdims=True)
    V, *_ = np.linalg.lstsq(Ft, Yt.astype(complex), rcond=None)
    R = Yt - Ft @ V
    return R.real


def modulated_ascent(G, R, w0, *, lr: float | None = None, steps: int = 20000, tol: float = 1e-12) -> np.ndarray:
    """Projected ascent of ``𝓔_S(w) = ½‖Rᵀ(Xw)²‖²`` on the unit sphere for a batch ``w0`` ``(B, 2g)``."""
    X, _ = table_inputs(G)
    g = G.order
    w = np.asarray(w0, float)
    w = w / np.linalg.norm(w, axis=-1, keepdims=True)
    lr = 0.1 / g if lr is None else lr
    for _ in range(steps):
        pre = w @ X.T
        back = ((pre**2) @ R) @ R.T
        gr = (2.0 * pre * back) @ X
        tang = gr - np.sum(gr * w, axis=-1, keepdims=True) * w
        w = w + lr * tang
        w = w / np.linalg.norm(w, axis=-1, keepdims=True)
        if np.max(np.linalg.norm(tang, axis=-1)) <= tol * g:
            break
    return w


# ------------------------------------------------------------------ Lemma 2 and Theorem 8 (Muon)
def muon_direction(grad: np.ndarray) -> np.ndarray:
    """Muon's map ``G_W = U D Vᵀ ↦ U Vᵀ`` (compact SVD, exact), ``(m, p)``."""
    u, _, vh = np.linalg.svd(np.asarray(grad, float), full_matrices=False)
    return u @ vh


def theorem8_win_frequencies(mu, a: float, *, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Frequencies with which the independent dynamics ``α̇_l = μ_l α_l²`` (Eq. (10) in the ζ basis) reach
    ``ζ_l`` first, with ``α_l(0)`` inverse-exponential (Fréchet, ``CDF = exp(−x^{−a})``).

    Coordinate ``l`` blows up at ``t_l = 1/(μ_l α_l(0))``, so the first to reach the sphere is
    ``argmax_l μ_l α_l(0)``. ``(L,)``.
    """
    mu = np.asarray(mu, float)
    alpha = (-np.log(rng.uniform(size=(trials, mu.size)))) ** (-1.0 / a)  # inverse CDF of exp(−x^{−a})
    win = np.argmax(mu * alpha, axis=1)
    return np.bincount(win, minlength=mu.size) / trials


def coupon_collector_mean(p) -> float:
    """Expected number of independent draws to see every outcome of ``p`` at least once:
    ``∫₀^∞ (1 − Π_l (1 − e^{−p_l t})) dt`` (Poissonisation; exact)."""
    p = np.asarray(p, float)
    if np.any(p <= 0) or abs(p.sum() - 1) > 1e-9:
        raise GrokcheckError("coupon_collector_mean needs positive probabilities summing to 1")
    val, _ = integrate.quad(lambda t: 1.0 - np.prod(-np.expm1(-p * t)), 0, np.inf, limit=400)
    return float(val)


# ------------------------------------------------------------------ Theorem 4 (samples keep the maxima)
def _isotypic_content(w, P, g):
    return np.linalg.norm(w[..., :g] @ P.T, axis=-1) ** 2 + np.linalg.norm(w[..., g:] @ P.T, axis=-1) ** 2


def population_maximum(G, indices, *, rng: np.random.Generator, steps: int = 4000) -> np.ndarray:
    """A maximum of the full-table 𝓔 inside the irreps ``indices`` (closed under duals): projected ascent
    from a random start projected onto their isotypic subspace (which the ascent keeps), ``(2g,)``."""
    from grokcheck.numerics._li2 import li2_projected_ascent

    g = G.order
    P = isotypic_projector(G, indices)
    w0 = rng.standard_normal(2 * g)
    w0 = np.concatenate([P @ w0[:g], P @ w0[g:]])
    res = li2_projected_ascent(G, w0[None], max_steps=steps)
    w = res.w[0]
    if _isotypic_content(w, P, g) < 1 - 1e-6:
        raise GrokcheckError("population ascent left the isotypic subspace it started in")
    return w


def sampled_maximum_kept(G, indices, n: int, *, draws: int, rng: np.random.Generator, steps: int = 3000,
                         keep: float = 0.9) -> dict:
    """Fraction of ``draws`` random training sets of ``n`` pairs (uniform without replacement) on which the
    projected ascent of the empirical energy ``𝓔̂(w) = ½‖Ỹ_Sᵀσ(X_S w)‖² · g²/n`` (``Ỹ_S`` centred over the
    sample), started at a population maximum of the irreps ``indices``, stays there: its final weight in
    their isotypic subspace is at least ``keep``. Theorem 4's event "𝓔̂ keeps the local maximum"."""
    X, Y = table_inputs(G)
    g = G.order
    P = isotypic_projector(G, indices)
    w_star = population_maximum(G, indices, rng=rng)
    idx = np.stack([rng.choice(g * g, size=n, replace=False) for _ in range(draws)])  # (D, n)
    Xs, Ys = X[idx], Y[idx]  # (D, n, 2g), (D, n, g)
    Ys = Ys - Ys.mean(axis=1, keepdims=True)
    scale = g * g / n
    w = np.repeat(w_star[None], draws, axis=0)
    lr = 0.1 / g
    for _ in range(steps):
        pre = np.einsum("dnk,dk->dn", Xs, w)
        z = np.einsum("dn,dnc->dc", pre**2, Ys)
        back = np.einsum("dnc,dc->dn", Ys, z)
        gr = scale * np.einsum("dn,dnk->dk", 2.0 * pre * back, Xs)
        tang = gr - np.sum(gr * w, axis=-1, keepdims=True) * w
        w = w + lr * tang
        w = w / np.linalg.norm(w, axis=-1, keepdims=True)
    content = _isotypic_content(w, P, g)
    return {"n": int(n), "kept": float(np.mean(content >= keep)), "content": content.tolist()}


def critical_samples(G, indices, *, fractions, draws: int, rng: np.random.Generator, steps: int = 3000,
                     kept: float = 0.9) -> dict:
    """Smallest ``n = round(f·g²)`` over the increasing ``fractions`` at which the maximum of the irreps
    ``indices`` is kept on at least ``kept`` of ``draws`` random training sets (:func:`sampled_maximum_kept`);
    ``None`` if never. Theorem 4's ``n`` at ``δ = 1 − kept``."""
    g = G.order
    rows = []
    for f in fractions:
        n = int(round(f * g * g))
        r = sampled_maximum_kept(G, indices, n, draws=draws, rng=rng, steps=steps)
        rows.append({"n": n, "kept": r["kept"]})
        if r["kept"] >= kept:
            return {"n_c": n, "grid": rows}
    return {"n_c": None, "grid": rows}


# ------------------------------------------------------------------ Theorem 5 (memorisation)
_ACTIVATIONS = {
    # σ, σ' (σ'(x) > 0 for x > 0, as the theorem assumes)
    "square": (lambda x: x * x, lambda x: 2 * x),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "tanh": (np.tanh, lambda x: 1.0 / np.cosh(x) ** 2),
}


def memorization_ascent(G, h: int, p, activation: str, *, starts: int, rng: np.random.Generator,
                        steps: int = 20000, lr: float = 0.05) -> np.ndarray:
    """Maximise Theorem 5's energy for data that only hold the pairs ``(g, g⁻¹h)`` of one target ``h``, pair
    ``g`` with probability ``p_g``: ``𝓔(w) = ½ z²``, ``z = Σ_g p_g σ(w[g] + w[M + g⁻¹h])``, on the unit sphere of
    ``w ∈ ℝ^{2M}``, by projected ascent from ``starts`` random points. Returns the final ``w`` ``(starts, 2M)``,
    sign-fixed so that ``z ≥ 0``."""
    if activation not in _ACTIVATIONS:
        raise GrokcheckError(f"unknown activation {activation!r}; use one of {sorted(_ACTIVATIONS)}")
    sig, dsig = _ACTIVATIONS[activation]
    g = G.order
    p = np.asarray(p, float)
    p = p / p.max()  # the maximisers do not depend on the scale of p; this keeps the step size O(1) for every |G|
    partner = np.asarray(G.table)[np.asarray(G.inverses), h]  # g⁻¹h for every g
    w = np.abs(rng.standard_normal((starts, 2 * g)))  # positive starts: ReLU's energy is flat where all pre < 0
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    cols = np.arange(g)
    for _ in range(steps):
        pre = w[:, cols] + w[:, g + partner]
        z = (p * sig(pre)).sum(axis=1, keepdims=True)
        coef = z * p * dsig(pre)
        gr = np.zeros_like(w)
        gr[:, cols] += coef
        np.add.at(gr, (slice(None), g + partner), coef)
        tang = gr - np.sum(gr * w, axis=1, keepdims=True) * w
        w = w + lr * tang
        w /= np.linalg.norm(w, axis=1, keepdims=True)
    return w


def memorization_prediction(G, h: int, p, activation: str) -> np.ndarray:
    """Theorem 5's optimum ``(2M,)``: focused ``(e_{g*} + e_{M+g*⁻¹h})/√2`` when ``φ = σ'(x)/x`` is
    non-decreasing (σ = x²), spreading ``½ Σ_g s_g (e_g + e_{M+g⁻¹h})`` with ``φ(s_g) = 2λ/p_g``,
    ``Σ s_g² = 2`` when φ is strictly decreasing (ReLU, tanh; λ by bisection)."""
    g = G.order
    p = np.asarray(p, float)
    partner = np.asarray(G.table)[np.asarray(G.inverses), h]
    w = np.zeros(2 * g)
    if activation == "square":
        k = int(np.argmax(p))
        w[k] += 1 / np.sqrt(2)
        w[g + partner[k]] += 1 / np.sqrt(2)
        return w
    if activation == "relu":
        s = p / np.linalg.norm(p) * np.sqrt(2)  # φ(x) = 1/x: s_g = p_g/(2λ)
    elif activation == "tanh":
        from scipy.optimize import brentq

        def s_of(lam):  # φ(s) = sech²(s)/s = 2λ/p_g, φ decreasing from ∞ to 0 on (0, ∞)
            return np.array([brentq(lambda x, c=2 * lam / pg: 1 / np.cosh(x) ** 2 / x - c, 1e-12, 50.0) for pg in p])

        lam = brentq(lambda la: np.sum(s_of(la) ** 2) - 2.0, 1e-9, 1e3)
        s = s_of(lam)
    else:
        raise GrokcheckError(f"unknown activation {activation!r}")
    w[np.arange(g)] += s / 2
    np.add.at(w, g + partner, s / 2)
    return w
