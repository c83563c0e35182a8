"""Tan & Huang's claims (arXiv 2311.06597) as plain check functions.

Every function takes the prediction under test (defaulting to the published one) and the
data, measures, and returns a :class:`~grokcheck.checks.CheckResult` (grokcheck's one verdict
type; ``ClaimResult`` is kept as its alias) with ``prediction``, ``measurement``,
``tolerance`` and ``verdict``. Each can FAIL: pass a wrong prediction (a smaller constant, a
shifted table value, a different step) and the verdict flips. A run that never reaches the
event a claim is about (no seed grokked) is INCONCLUSIVE.

Claims:

- Corollary 3.3's printed curve — :func:`check_corollary33` (a formula evaluation, not
  registered in ``verify``: its constants are fitted to the authors' run).
- Lemmas 5.7, 5.8, 5.11 on unit vectors — :func:`check_lemma57`, :func:`check_lemma58`,
  :func:`check_lemma511` (the published constants 4, 8, 16 PASS).
- Theorems 5.9 and 5.12 as published FAIL (output-rescaling counterexample);
  ``statement="normalized"`` (the Lemma 5.8/5.11 version on normalised features) PASSes —
  :func:`check_theorem59`, :func:`check_theorem512`.
- "PMI/PE (and MID/ED) change sharply at t_grok" on a logged run —
  :func:`check_metric_change_at_grok`.
- "Standard training fails the abelian test until it groks" — :func:`check_abelian_test_at_grok`.
- "Perturbed / abelian-regularised training groks earlier" — :func:`check_groks_earlier`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from grokcheck.checks._registry import CheckResult, Tolerance, result_from_comparison
from grokcheck.errors import GrokcheckError
from grokcheck.numerics._tan_huang import (
    COROLLARY33_TABLE,
    corollary33_accuracy,
    lemma57_sides,
    lemma58_sides,
    lemma511_sides,
    rescaling_counterexample,
)

__all__ = [
    "ClaimResult",
    "check_corollary33",
    "check_lemma57",
    "check_lemma58",
    "check_lemma511",
    "check_theorem59",
    "check_theorem512",
    "metric_change_step",
    "check_metric_change_at_grok",
    "check_abelian_test_at_grok",
    "check_groks_earlier",
]


_TH = "Tan & Huang, arXiv 2311.06597"

#: The run-level verdict type is the registry's :class:`~grokcheck.checks.CheckResult`; this
#: alias keeps old imports working. ``prediction``, ``measurement``, ``tolerance`` (a
#: :class:`~grokcheck.checks.Tolerance`) and ``verdict`` keep their meaning.
ClaimResult = CheckResult


def _res(id: str, where: str, prediction, measurement, tol: Tolerance, ok: bool, *, claim: str = "",
         inconclusive: str | None = None, decide: str = "") -> CheckResult:
    return result_from_comparison(f"tanhuang.{id}", claim or str(prediction), f"{_TH}, {where}", prediction,
                                  measurement, tol, bool(ok), inconclusive=inconclusive, decide=decide)


def check_corollary33(prediction: dict[int, float] | None = None) -> ClaimResult:
    """Corollary 3.3 with the paper's constants against a table ``{steps: bound}``.

    Default prediction: the curve tabulated at 1000 … 7080 steps. Tolerance 1e-3: the table is printed to three
    significant digits, so its rounding error is at most 5e-4 of the largest entry (1.0).
    """
    pred = dict(COROLLARY33_TABLE if prediction is None else prediction)
    steps = sorted(pred)
    vals = corollary33_accuracy(np.array(steps, dtype=float))
    meas = {int(s): float(v) for s, v in zip(steps, vals)}
    err = max(abs(meas[s] - pred[s]) for s in steps)
    tol = Tolerance(1e-3, "the table is printed to 3 significant digits (rounding ≤ 5e-4)", "close")
    return _res("corollary3.3", "Corollary 3.3", pred, {"values": meas, "max_abs_error": err}, tol, err <= tol.value,
                claim="the printed accuracy-bound curve of Corollary 3.3 at the given steps")


def _unit(rng, shape):
    v = rng.normal(size=shape)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _perturbed_units(rng, z, scale):
    return _unit(rng, z.shape) if scale is None else (lambda w: w / np.linalg.norm(w, axis=-1, keepdims=True))(
        z + scale * rng.normal(size=z.shape))


def check_lemma57(constant: float = 4.0, *, n_samples: int = 2000, dim: int = 8, seed: int = 0) -> ClaimResult:
    """Lemma 5.7 ``|⟨a_i,a_j⟩ − ⟨b_i,b_j⟩| ≤ C(‖a_i−b_i‖ + ‖a_j−b_j‖)`` on unit vectors.

    Samples random unit vectors, small perturbations of them, and the extremal family
    ``a_i = b_i = a_j``, ``b_j → −a_j`` (ratio → 1, so any ``C < 1`` FAILs). Measurement: the
    largest ``lhs / rhs`` over all samples; PASS iff it is ≤ 1.
    """
    rng = np.random.default_rng(seed)
    ai, aj = _unit(rng, (n_samples, dim)), _unit(rng, (n_samples, dim))
    scales = rng.choice([1e-3, 1e-1, 1.0], size=(n_samples, 1))
    bi = _perturbed_units(rng, ai, scales)
    bj = _perturbed_units(rng, aj, scales)
    # extremal family: b_j = -a_j rotated by a small angle φ toward e⊥, a_i = b_i = a_j
    k = 64
    base = _unit(rng, (k, dim))
    perp = _unit(rng, (k, dim))
    perp = perp - (perp * base).sum(-1, keepdims=True) * base
    perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
    phi = np.linspace(1e-3, 0.5, k)[:, None]
    bj_ext = -np.cos(phi) * base + np.sin(phi) * perp
    ai, bi = np.concatenate([ai, base]), np.concatenate([bi, base])
    aj, bj = np.concatenate([aj, base]), np.concatenate([bj, bj_ext])
    sides = lemma57_sides(ai, aj, bi, bj, constant=constant)
    ratio = float(np.max(sides.ratio))
    tol = Tolerance(0.0, "a bound holds iff max lhs/rhs ≤ 1 (the prediction) on every sample; float64 slack 1e-12", "at_most")
    return _res("lemma5.7", "Lemma 5.7", f"|Δ⟨·,·⟩| ≤ {constant:g}·(‖Δa_i‖+‖Δa_j‖)",
                {"max_ratio": ratio, "n_samples": int(len(ai))}, tol, sides.holds)


def _lemma_trials(rng, n_trials, n, dim, count):
    """``count`` arrays of unit rows ``(n_trials, n, dim)`` and their perturbations."""
    scales = rng.choice([1e-3, 1e-2, 1e-1, 1.0], size=(n_trials, 1, 1))
    zs = [_unit(rng, (n_trials, n, dim)) for _ in range(count)]
    return zs, [_perturbed_units(rng, z, scales) for z in zs]


# Two sample families: (n=2, d=2) is near-extremal for the H₂ / I₂ lemmas (ratios with C = 1 reach
# ≈ 0.71 and ≈ 0.52 there), (n=12, d=6) is generic.
_LEMMA_SHAPES = ((2, 2), (12, 6))


def check_lemma58(constant: float = 8.0, *, n_trials: int = 500, seed: int = 0) -> ClaimResult:
    """Lemma 5.8 ``|H₂(G) − H₂(G')| ≤ C Σ_i ‖z_i − z'_i‖`` on random unit rows and perturbations.

    Samples two families (2 vectors in the plane, where the ratio with ``C = 1`` reaches ≈ 0.71,
    and 12 vectors in R⁶), so a constant below ≈ 0.7 FAILs.
    """
    rng = np.random.default_rng(seed)
    ratio, holds = 0.0, True
    for n, d in _LEMMA_SHAPES:
        (z,), (zp,) = _lemma_trials(rng, n_trials, n, d, 1)
        sides = lemma58_sides(z, zp, constant=constant)
        ratio, holds = max(ratio, float(np.max(sides.ratio))), holds and sides.holds
    tol = Tolerance(0.0, "a bound holds iff max lhs/rhs ≤ 1 (the prediction) on every trial; float64 slack 1e-12", "at_most")
    return _res("lemma5.8", "Lemma 5.8", f"|ΔH₂| ≤ {constant:g}·Σ‖Δz_i‖",
                {"max_ratio": ratio, "n_trials": n_trials * len(_LEMMA_SHAPES)}, tol, holds)


def check_lemma511(constant: float = 16.0, *, n_trials: int = 500, seed: int = 0) -> ClaimResult:
    """Lemma 5.11 ``|ΔI₂| ≤ C Σ_j Σ_i ‖Δz_i⁽ʲ⁾‖`` on random unit rows and perturbations.

    Same two families as :func:`check_lemma58`, with ``Z₂ = Z₁`` in half the trials (the ratio
    with ``C = 1`` reaches ≈ 0.5 there), so a constant below ≈ 0.5 FAILs.
    """
    rng = np.random.default_rng(seed)
    ratio, holds = 0.0, True
    for n, d in _LEMMA_SHAPES:
        (z1, z2), (z1p, z2p) = _lemma_trials(rng, n_trials, n, d, 2)
        half = n_trials // 2
        z2[:half], z2p[:half] = z1[:half], z1p[:half]
        sides = lemma511_sides(z1, z2, z1p, z2p, constant=constant)
        ratio, holds = max(ratio, float(np.max(sides.ratio))), holds and sides.holds
    tol = Tolerance(0.0, "a bound holds iff max lhs/rhs ≤ 1 (the prediction) on every trial; float64 slack 1e-12", "at_most")
    return _res("lemma5.11", "Lemma 5.11", f"|ΔI₂| ≤ {constant:g}·ΣΣ‖Δz‖",
                {"max_ratio": ratio, "n_trials": n_trials * len(_LEMMA_SHAPES)}, tol, holds)


def _theorem(theorem, statement, seed):
    if statement not in ("published", "normalized"):
        raise GrokcheckError(f"statement must be 'published' or 'normalized', got {statement!r}")
    ce = rescaling_counterexample(theorem, seed=seed)
    sides = ce.published if statement == "published" else ce.normalized
    meas = {"scale": ce.scale, "lhs": float(sides.lhs), "rhs": float(sides.rhs), "ratio": float(sides.ratio),
            "lhs_at_unit_scale": float(ce.published_unit_scale.lhs), "sigma": ce.sigma, "n_draws": ce.n_draws}
    tol = Tolerance(0.0, "the bound holds iff lhs/rhs ≤ 1 (the prediction); the counterexample is built with a 10× margin "
                         "over the Monte-Carlo error of E_Δ", "at_most")
    return meas, tol, sides.holds


def check_theorem59(statement: str = "published", *, seed: int = 0) -> ClaimResult:
    """Theorem 5.9 ``ED(f,σ,2) ≤ 8 E Σ‖f(x+Δ) − f(x)‖`` on a rescaled ReLU network.

    ``statement="published"`` (raw outputs) FAILs: ED is invariant to ``f → c f`` while the
    right side scales with ``c``. ``"normalized"`` (normalised outputs, Lemma 5.8) PASSes.
    """
    meas, tol, holds = _theorem("5.9", statement, seed)
    return _res(f"theorem5.9-{statement}", "Theorem 5.9", f"Theorem 5.9 ({statement}) holds for every f", meas, tol, holds)


def check_theorem512(statement: str = "published", *, seed: int = 0) -> ClaimResult:
    """Theorem 5.12 ``MID(f,σ,2) ≤ 16 E Σ(‖Δf‖ + ‖Δf₁‖)``; as :func:`check_theorem59`."""
    meas, tol, holds = _theorem("5.12", statement, seed)
    return _res(f"theorem5.12-{statement}", "Theorem 5.12", f"Theorem 5.12 ({statement}) holds for every f", meas, tol, holds)


# --------------------------------------------------------------------------- run-level claims


def _series(history: Sequence[dict], key: str, seed: int):
    steps, vals = [], []
    for h in history:
        v = h.get(key)
        if v is None or v[seed] is None:
            continue
        steps.append(int(h["step"]))
        vals.append(float(v[seed]))
    return np.array(steps), np.array(vals)


def _first_step(history, key, seed, threshold):
    for h in history:
        v = h.get(key)
        if v is not None and v[seed] is not None and v[seed] >= threshold:
            return int(h["step"])
    return None


def metric_change_step(history: Sequence[dict], metric: str, *, seed: int = 0, decade_fraction: float = 0.1,
                       skip_first: int = 1) -> int | None:
    """Logged step ``t`` at which ``|m(t) − m(t / r)|`` is largest, ``r = 10^decade_fraction``.

    The paper plots its metrics against a log-step axis and reads "changes sharply" there, so
    the change is measured over a trailing window of fixed log-width (0.1 decade by default;
    ``m(t/r)`` by linear interpolation in ``log t``). Windows reaching below the second logged
    point (``skip_first`` = 1: the initialisation transient) are ignored.
    """
    steps, vals = _series(history, metric, seed)
    keep = steps > 0
    steps, vals = steps[keep], vals[keep]
    if len(steps) <= skip_first + 1:
        return None
    logt = np.log(steps.astype(float))
    back = logt - decade_fraction * np.log(10.0)
    valid = back >= logt[skip_first]
    if not np.any(valid):
        return None
    change = np.abs(vals - np.interp(back, logt, vals))
    change[~valid] = -np.inf
    return int(steps[int(np.argmax(change))])


def _window(t_grok: int, interval: int, rel: float) -> float:
    return max(2.0 * interval, rel * t_grok)


def check_metric_change_at_grok(
    history: Sequence[dict],
    *,
    metric: str = "pe",
    predicted_step: int | None = None,
    seeds: Sequence[int] | None = None,
    rel_window: float = 0.25,
) -> ClaimResult:
    """"``metric`` (PMI, PE, MID, ED) changes sharply at the moment of grokking" (Tan & Huang).

    Prediction: the step of the sharpest change equals ``t_grok`` (first logged step with test
    accuracy ≥ 0.95), or ``predicted_step`` if given (e.g. a wrong one, to see a FAIL).
    Measurement: :func:`metric_change_step` per seed. Tolerance: ``max(2 Δt, rel_window·t_grok)``
    where Δt is the logging interval of the metric (the change can only be located to within
    one interval on each side) and ``rel_window = 0.25`` ≈ 0.1 decade on the paper's log-step
    axis. PASS iff every grokked seed is within tolerance (seeds that never grok are listed but
    cannot support the claim; if none grokked the verdict is FAIL).
    """
    S = len(history[0]["test_acc"])
    seeds = list(range(S)) if seeds is None else list(seeds)
    per = []
    ok_all = True
    any_grok = False
    for s in seeds:
        tg = _first_step(history, "test_acc", s, 0.95)
        pred = predicted_step if predicted_step is not None else tg
        steps, _ = _series(history, metric, s)
        interval = int(np.min(np.diff(steps))) if len(steps) > 1 else 0
        tc = metric_change_step(history, metric, seed=s)
        if tg is None or tc is None or pred is None:
            per.append({"seed": s, "t_grok": tg, "t_change": tc, "predicted": pred, "within": None})
            continue
        any_grok = True
        w = _window(tg, interval, rel_window)
        within = abs(tc - pred) <= w
        ok_all &= within
        per.append({"seed": s, "t_grok": tg, "t_change": tc, "predicted": pred, "window": w, "within": within})
    tol = Tolerance(rel_window, f"|t_change − t_pred| ≤ max(2·log interval, {rel_window:g}·t_grok): the change is only "
                                "located to one logging interval each side, and 0.25·t_grok ≈ 0.1 decade on a log-step axis", "close")
    return _res("metric-change-at-grok", "the matrix-information metrics at the moment of grokking", f"sharpest change of {metric} at " + ("t_grok" if predicted_step is None else f"step {predicted_step}"),
                {"metric": metric, "per_seed": per}, tol, ok_all and any_grok,
                inconclusive=None if any_grok or not ok_all else "no seed grokked within the logged run",
                decide="more steps")


def check_abelian_test_at_grok(
    history: Sequence[dict],
    *,
    reference: str = "t_grok",
    threshold: float = 0.95,
    predicted_step: int | None = None,
    seeds: Sequence[int] | None = None,
    rel_window: float = 0.25,
) -> ClaimResult:
    """"The abelian test is failed until the model groks (standard training)" or, with
    ``reference="t_mem"``, "is passed as soon as train accuracy reaches 100%" (perturbed training).

    Measurement: first logged step with ``abelian_acc ≥ threshold`` per seed; prediction: the
    reference step (``t_grok``: test acc ≥ 0.95; ``t_mem``: train acc ≥ 0.99) or
    ``predicted_step``. Tolerance as in :func:`check_metric_change_at_grok`.
    """
    if reference not in ("t_grok", "t_mem"):
        raise GrokcheckError("reference must be 't_grok' or 't_mem'")
    S = len(history[0]["test_acc"])
    seeds = list(range(S)) if seeds is None else list(seeds)
    key, thr = ("test_acc", 0.95) if reference == "t_grok" else ("train_acc", 0.99)
    per, ok_all, any_ref = [], True, False
    for s in seeds:
        ref = _first_step(history, key, s, thr)
        pred = predicted_step if predicted_step is not None else ref
        steps, _ = _series(history, "abelian_acc", s)
        interval = int(np.min(np.diff(steps))) if len(steps) > 1 else 0
        ta = _first_step(history, "abelian_acc", s, threshold)
        if ref is None or pred is None or ta is None:
            per.append({"seed": s, reference: ref, "t_abelian": ta, "predicted": pred, "within": None})
            if ref is not None and ta is None:
                ok_all = False
            continue
        any_ref = True
        w = _window(ref, interval, rel_window)
        within = abs(ta - pred) <= w
        ok_all &= within
        per.append({"seed": s, reference: ref, "t_abelian": ta, "predicted": pred, "window": w, "within": within})
    tol = Tolerance(rel_window, f"|t_abelian − t_pred| ≤ max(2·log interval, {rel_window:g}·{reference})", "close")
    return _res("abelian-test-at-grok", "the abelian test", f"abelian test (≥ {threshold:g}) first passed at " + (reference if predicted_step is None else f"step {predicted_step}"),
                {"per_seed": per, "threshold": threshold}, tol, ok_all and any_ref,
                inconclusive=None if any_ref or not ok_all else f"no seed reached {reference} within the logged run",
                decide="more steps")


def check_groks_earlier(plain_t_grok: Sequence[int | None], intervened_t_grok: Sequence[int | None], *,
                        budget: int, intervention: str = "perturbed", min_ratio: float = 1.0) -> ClaimResult:
    """"``intervention`` groks earlier than plain training on the same split", seed by seed.

    ``None`` means "not grokked within ``budget`` steps" (counted as ``> budget``). Prediction:
    ``plain / intervened > min_ratio`` for every seed (``min_ratio = 1``: strictly earlier).
    Tolerance: none beyond the evaluation resolution, which is the same for both runs.
    """
    pairs = []
    ok = True
    for p, q in zip(plain_t_grok, intervened_t_grok, strict=True):
        if q is None:
            ok = False
            pairs.append({"plain": p, "intervened": None, "ratio": None})
            continue
        pv = math.inf if p is None else p
        ratio = pv / max(q, 1)
        ok &= ratio > min_ratio
        pairs.append({"plain": p, "intervened": q, "ratio": None if math.isinf(ratio) else ratio,
                      "plain_censored": p is None})
    tol = Tolerance(min_ratio, "both runs are evaluated on the same step grid, so equal t_grok is a tie, not a win",
                    "at_least")
    return _res("groks-earlier", "the robustness interventions", f"{intervention} training groks earlier (ratio > {min_ratio:g}) on every seed",
                {"per_seed": pairs, "budget": budget}, tol, ok and len(pairs) > 0)


# --------------------------------------------------------------------------- §3: Lemma 3.1, Theorem 3.2, Cor. 3.4

_SRC = _TH


def _r(id, claim, source, prediction, measurement, tol, ok, details=None, **kw) -> CheckResult:
    return result_from_comparison(id, claim, source, prediction, measurement, tol, bool(ok), details=details, **kw)


def robustness_setting(*, seed: int = 0, n: int = 24, d: int = 4, k: int = 3, width: int = 48,
                       spread: float = 0.5) -> dict:
    """A setting where §3's bounds are not vacuous: continuous inputs and an exactly interpolating net.

    Training data: ``k`` Gaussian blobs in ``ℝ^d`` (centres ``N(0, 4I)``, spread ``spread``), ``n``
    points with labels ``i mod k``. The interpolation solution ``W*``: a :func:`tanh_mlp` with a
    random first layer (``W1 ∼ N(0, 1/d)``, ``b1 = 0``, ``width ≥ n`` so the features have full row
    rank) and the minimum-norm least-squares ``(W2, b2)`` fitting the one-hot targets exactly
    (residual at float64 rounding). Test sets: ``near`` — each training point moved by a random
    direction at distance ``U(0, 2ε)`` (even indices) or ``U(0, 2ε̂)`` (odd: Corollary 3.4's radius)
    with its own label;
    ``flipped`` — the same points with the label of the next class (the printed theorem's
    counterexample); ``natural`` — fresh draws of the blobs (their distance to the training set
    is ≫ ε: the theorem is vacuous there).
    """
    import torch

    from grokcheck.numerics._tan_huang import tanh_mlp, theorem32_radius

    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((k, d))
    y = np.arange(n) % k
    X = centers[y] + spread * rng.standard_normal((n, d))
    W1 = rng.standard_normal((width, d)) / math.sqrt(d)
    b1 = np.zeros(width)
    H = np.concatenate([np.tanh(X @ W1.T + b1), np.ones((n, 1))], axis=1)
    Wb = np.linalg.lstsq(H, np.eye(k)[y], rcond=None)[0]  # minimum-norm exact fit: rank H = n ≤ width
    params = {"W1": W1, "b1": b1, "W2": Wb[:-1].T.copy(), "b2": Wb[-1].copy()}
    tp = {key: torch.as_tensor(v) for key, v in params.items()}
    resid = float(np.abs(tanh_mlp(tp, torch.as_tensor(X)).numpy() - np.eye(k)[y]).max())
    eps = theorem32_radius(params, X)["epsilon"]
    eps_l1 = theorem32_radius(params, X, norm="l1")["epsilon"]
    u = rng.standard_normal((n, d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    # half the points at the scale of Theorem 3.2's ε, half at Corollary 3.4's smaller ε̂
    scale = np.where(np.arange(n) % 2 == 0, eps, eps_l1)[:, None]
    near = X + u * rng.uniform(0, 2, size=(n, 1)) * scale
    yn = np.arange(3 * n) % k
    natural = centers[yn] + spread * rng.standard_normal((3 * n, d))
    return {"params": params, "X": X, "y": y, "k": k, "residual": resid, "epsilon": eps, "epsilon_l1": eps_l1,
            "tests": {"near": (near, y), "flipped": (near, (y + 1) % k), "natural": (natural, yn)}}


def check_lemma31(params, X, *, model=None) -> CheckResult:
    """Lemma 3.1 at ``params``: ``(1/n)Σ‖∇_x f(x_i)‖_F² ≤ ‖W‖_F² S(W)/min‖x_i‖²``; the measurement is the
    ratio of the two sides (≤ 1). ``model`` defaults to :func:`~grokcheck.numerics._tan_huang.tanh_mlp`
    (first layer linear in ``x``, the lemma's hypothesis)."""
    from grokcheck.numerics._tan_huang import lemma31_sides, tanh_mlp

    sides = lemma31_sides(params, X, model=model or tanh_mlp)
    m = float(sides.ratio)
    t = Tolerance(1e-12, "an inequality: lhs/rhs ≤ 1, 1e-12 is float64 slack", "at_most")
    return _r("tanhuang.lemma3.1", "the input-gradient norm is bounded by weight norm × sharpness / min ‖x‖²",
              f"{_SRC}, Lemma 3.1", 1.0, m, t, m <= 1.0 + 1e-12, {"lhs": float(sides.lhs), "rhs": float(sides.rhs)})


def check_theorem32(setting: dict, *, test: str = "near", same_label: bool = True, norm: str = "fro") -> CheckResult:
    """Theorem 3.2 (``norm="fro"``) or Corollary 3.4 (``norm="l1"``): test accuracy ≥ δ, the fraction of
    test points with a training neighbour within ``ε(W*)`` (``ε̂`` for ``l1``).

    ``same_label=True`` counts only neighbours with the test point's label (the proof's implicit
    hypothesis); ``same_label=False`` is the statement as printed. δ = 0 makes the bound vacuous:
    INCONCLUSIVE. The measurement is accuracy − δ (≥ 0 predicted).
    """
    import torch

    from grokcheck.numerics._tan_huang import tanh_mlp, theorem32_radius

    params, X, y = setting["params"], setting["X"], setting["y"]
    Xt, yt = setting["tests"][test]
    rad = theorem32_radius(params, X, norm=norm)
    eps = rad["epsilon"]
    D = np.linalg.norm(Xt[:, None, :] - X[None, :, :], axis=2)
    ok_nb = D <= eps
    if same_label:
        ok_nb &= yt[:, None] == y[None, :]
    delta = float(ok_nb.any(axis=1).mean())
    out = tanh_mlp({key: torch.as_tensor(v) for key, v in params.items()}, torch.as_tensor(Xt)).numpy()
    acc = float((out.argmax(axis=1) == yt).mean())
    m = acc - delta
    inconclusive = None if delta > 0 else (f"δ = 0: no test point has a training neighbour within ε = {eps:.3g} "
                                           "(the bound is vacuous on this test set)")
    name = "Corollary 3.4" if norm == "l1" else "Theorem 3.2"
    words = "with a same-label neighbour" if same_label else "as printed (any neighbour)"
    t = Tolerance(0.0, "a lower bound on an accuracy measured on the same finite test set: no slack", "at_least")
    return _r(f"tanhuang.{'corollary3.4' if norm == 'l1' else 'theorem3.2'}" + ("" if same_label else "-printed"),
              f"{name} {words}: test accuracy ≥ the fraction δ of test points within ε(W*) of a training point",
              f"{_SRC}, {name}", 0.0, m, t, m >= 0,
              {"test_set": test, "accuracy": acc, "delta": delta, "epsilon": eps, "L": rad["L"], "S": rad["S"],
               "weight_norm_sq": rad["weight_norm_sq"], "interpolation_residual": setting["residual"]},
              inconclusive=inconclusive, decide="test points closer to the training set")


def check_propositions_55_56(*, seed: int = 0, sizes=(5, 17, 40), printed_log_n: float = 2.0) -> CheckResult:
    """Propositions 5.5–5.6 at α = 2: ``H₂(K) = 2 log n − log ‖K‖_F²`` and
    ``I₂(R₁; R₂) = 2 log n − log(‖R₁‖_F² ‖R₂‖_F² / ‖R₁ ⊙ R₂‖_F²)``, against the *spectral* definition
    ``H₂(R) = −log Σ_i λ_i²`` (``λ`` the eigenvalues of ``R/n``; numpy ``eigvalsh``, independent of
    grokcheck's closed form) and ``I₂ = H₂(R₁) + H₂(R₂) − H₂(R₁ ⊙ R₂)``, on normalised Gram
    matrices (PSD, unit diagonal) of random features of several sizes and ranks.

    ``printed_log_n`` is the coefficient of ``log n`` in the closed forms (2 as printed); any other
    value FAILs. The measurement is the largest absolute difference. (The identity needs ``K``
    symmetric — ``tr K² = ‖K‖_F²`` — which the Gram matrices it is stated for are.)
    """
    import torch

    from grokcheck.numerics import normalized_gram

    def h2_spectral(R):
        lam = np.linalg.eigvalsh(0.5 * (R + R.T) / R.shape[0])
        return float(-np.log(np.sum(lam ** 2)))

    rng = np.random.default_rng(seed)
    worst = 0.0
    for n in sizes:
        for rank in (1, max(2, n // 3), n):
            R1 = normalized_gram(torch.as_tensor(rng.standard_normal((n, rank)))).numpy()
            R2 = normalized_gram(torch.as_tensor(rng.standard_normal((n, rank)))).numpy()
            f2 = lambda M: float((M ** 2).sum())  # noqa: E731
            h = printed_log_n * math.log(n) - math.log(f2(R1))
            i = printed_log_n * math.log(n) - math.log(f2(R1) * f2(R2) / f2(R1 * R2))
            i_spec = h2_spectral(R1) + h2_spectral(R2) - h2_spectral(R1 * R2)
            worst = max(worst, abs(h2_spectral(R1) - h), abs(i_spec - i))
    t = Tolerance(1e-9, "identities evaluated in float64 through an eigendecomposition (eigvalsh of n ≤ 40 "
                        "matrices: ~1e-13 relative), 1e-9 absolute on values of order log n", "at_most")
    return _r("tanhuang.propositions5.5-5.6", "at α = 2 the matrix entropy and mutual information are the "
              "Frobenius-norm closed forms", f"{_SRC}, Propositions 5.5–5.6", 0.0, worst, t, worst <= 1e-9,
              {"sizes": list(sizes), "alpha": 2.0, "log_n_coefficient": printed_log_n})
