"""Rivals, power, setting, censoring and equivalence: what makes an experiment's verdict mean what it says.

An experiment's decision rule is fixed in advance; this module asks whether that rule, at the
experiment's own grid and noise, can tell the claim from its rivals, and it says in which setting
the verdict holds.

Rivals and power (:class:`Model`, :class:`Design`, :func:`separation`). An experiment declares
the claim's generative model and its rival outcomes (another law, "no effect", an effect of half
the size, …). Each is a :class:`Model` whose ``simulate(settings, noise, rng)`` returns synthetic
per-seed results in the format of the experiment's ``run_cell`` (``{cell key: {seed: result}}``)
at the experiment's own grid; ``noise`` is measured from the run being judged
(:attr:`Design.noise`) or, where the run cannot give it, stated (:attr:`Design.stated_noise`).
The framework runs the experiment's own ``analyze`` (its decision rule; ``ctx.simulating`` is
true, so it may skip figures and reported-only intervals) on :attr:`Design.n_sims` simulated
datasets per model, seeded, and reports

* for the claim: the fraction of its datasets that PASS (``pass_rate``) and that FAIL;
* for each rival: its *power* (separation), the fraction of its datasets whose verdict is not
  PASS, i.e. the rate at which the rule excludes it.

:func:`apply_separation` turns that into the verdict: a PASS stands only when every declared
rival's power reaches :data:`POWER_BAR`; otherwise it becomes INCONCLUSIVE naming the rival and
the enlarged grid (:attr:`Design.enlarge`) at which the simulated power reaches the bar. A FAIL
stands only when the rule FAILs the claim's own datasets at most ``1 − POWER_BAR`` of the time
(else the rule cannot tell a FAIL from noise around the claim: INCONCLUSIVE). An INCONCLUSIVE
verdict on a grid that PASSes fewer than ``POWER_BAR`` of the claim's own datasets says so, with
the enlarged grid at which the claim's data would PASS.

The bar, 0.8, is the conventional minimum power of a planned study (Cohen, *Statistical Power
Analysis*, 1988): a rule that lets a true rival PASS more than one time in five cannot be said
to have excluded it. 200 simulations give the power within ±0.06 (a binomial standard error of
√(0.8·0.2/200) ≈ 0.028, twice that), enough to place it on either side of the bar except within
a few points of it.

Setting provenance (:class:`Setting`). Each budget declares whether it runs the paper's setting
or a proxy, with the differences listed. A FAIL in a proxy says that the claim *does not transfer*
to that setting; it is reported so, counted apart from refutations of the paper, and ``--strict``
does not treat it as an unexpected FAIL.

Censoring and magnitudes (:func:`censored_ratio`, :func:`decide_bound`). A comparison whose
baseline never reaches the event within the budget gives a bound (ratio > X), not a value. A bound
PASSes only when it clears the claim's own magnitude (:class:`Magnitude`: the paper's figure, as
stated in the claim); otherwise the verdict is INCONCLUSIVE, naming the budget that would observe
the baseline. Budgets are fixed from the claim and the paper, never from the run being judged.

Equivalence (:func:`equivalence`). Where the claim is a value, a PASS needs the interval inside
the band the claim allows (its finite-size corrections, stated in words); an interval that
excludes the prediction is reported as such even when it lies inside the band.

Budget shortfall (:func:`~grokcheck.checks._registry.regime_shortfall`) is never FAIL: the one
rule lives in the registry and serves checks and experiments alike.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from grokcheck.checks._registry import Verdict
from grokcheck.errors import GrokcheckError

__all__ = [
    "POWER_BAR",
    "N_SIMS",
    "Setting",
    "PAPER_SETTING",
    "proxy",
    "Model",
    "Design",
    "ModelRate",
    "Separation",
    "separation",
    "apply_separation",
    "Magnitude",
    "CensoredRatio",
    "censored_ratio",
    "decide_bound",
    "Equivalence",
    "equivalence",
]

#: the power a rival's exclusion must reach for a PASS to stand (see the module docstring)
POWER_BAR = 0.8
#: simulated datasets per model (±0.06 on a rate near the bar; module docstring)
N_SIMS = 200


# --------------------------------------------------------------------------- setting provenance


@dataclass(frozen=True)
class Setting:
    """Where a budget's runs stand relative to the paper.

    ``kind``: ``"paper"`` (the paper's setting, up to the grid's size) or ``"proxy"`` (another
    setting chosen to fit a CPU); ``name``: the setting in words (``"a one-layer MLP on C23 at 70%
    train"``); ``differences``: each difference from the paper's setting, one phrase each.
    """

    kind: str
    name: str = ""
    differences: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in ("paper", "proxy"):
            raise GrokcheckError(f"setting kind must be 'paper' or 'proxy', got {self.kind!r}")
        object.__setattr__(self, "differences", tuple(str(d) for d in self.differences))
        if self.kind == "proxy" and not self.differences:
            raise GrokcheckError(f"proxy setting {self.name!r} must list its differences from the paper's")

    @property
    def is_proxy(self) -> bool:
        return self.kind == "proxy"

    def words(self) -> str:
        """One line for the report: ``paper setting`` or ``proxy: NAME (differs: a; b)``."""
        if not self.is_proxy:
            return "the paper's setting" + (f" ({self.name})" if self.name else "")
        return f"proxy: {self.name or 'another setting'} (differs from the paper: {'; '.join(self.differences)})"

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "differences": list(self.differences)}


PAPER_SETTING = Setting("paper")


def proxy(name: str, *differences: str) -> Setting:
    """A proxy :class:`Setting` named ``name`` with its ``differences`` from the paper's."""
    return Setting("proxy", name, tuple(differences))


# --------------------------------------------------------------------------- rivals and power


@dataclass(frozen=True)
class Model:
    """A generative model of an experiment's results: the claim's, or a rival's.

    ``simulate(settings, noise, rng) -> {cell key: {seed: result}}`` draws one synthetic dataset
    at the grid of ``settings`` (the experiment's budget settings), with the noise parameters
    ``noise`` (a dict, see :attr:`Design.noise`) and the generator ``rng``; the results have the
    fields the experiment's ``analyze`` reads. ``description``: the model in one sentence.
    """

    name: str
    description: str
    simulate: Callable[[dict, dict, np.random.Generator], dict]


@dataclass(frozen=True)
class Design:
    """An experiment's declared generative models and how to measure its noise.

    Attributes
    ----------
    claim : the claim's :class:`Model`.
    rivals : the rival :class:`Model` s, each of which a PASS must exclude.
    noise : ``noise(settings, results) -> dict``: the noise parameters measured from the run
        being judged (between-seed spreads, scatter about the fitted law), or ``None`` when the
        results cannot give them (too few seeds or events).
    stated_noise : ``stated_noise(settings) -> dict``: the noise used when the run gives none
        (and in tests), with the reason for its size in the experiment's docstring.
    enlarge : ``enlarge(settings, factor) -> settings`` with a grid ``factor`` times larger (more
        seeds, more groups, a wider range), or ``None``; used to say what grid would separate an
        underpowered rival. ``enlarge_words(factor)`` names it (``"4× the seeds (12)"``).
    n_sims : simulated datasets per model.
    power_bar : the power a rival's exclusion needs (default :data:`POWER_BAR`).
    factors : the enlargements tried, in order, for an underpowered rival or claim.
    """

    claim: Model
    rivals: tuple[Model, ...]
    noise: Callable[[dict, dict], dict | None]
    stated_noise: Callable[[dict], dict]
    enlarge: Callable[[dict, int], dict] | None = None
    enlarge_words: Callable[[dict, int], str] | None = None
    n_sims: int = N_SIMS
    power_bar: float = POWER_BAR
    factors: tuple[int, ...] = (2, 4, 8)

    def __post_init__(self):
        object.__setattr__(self, "rivals", tuple(self.rivals))
        names = [self.claim.name, *(r.name for r in self.rivals)]
        if len(set(names)) != len(names):
            raise GrokcheckError(f"design models must have distinct names, got {names}")
        if not 0 < self.power_bar < 1:
            raise GrokcheckError(f"power bar must lie in (0, 1), got {self.power_bar}")


@dataclass(frozen=True)
class ModelRate:
    """How the decision rule treats one model's simulated datasets.

    ``counts``: verdict → number of datasets; ``n``: datasets; for a rival, ``power`` is the
    fraction not PASS; for the claim, ``pass_rate`` and ``fail_rate``. ``enlarged``: for an
    underpowered rival (or a claim PASSed less often than the bar), ``(factor, rate, words)`` of
    the smallest tried enlargement at which the rate reaches the bar, or ``None`` when none did.
    """

    name: str
    description: str
    counts: Mapping[str, int]
    n: int
    enlarged: tuple | None = None

    def rate(self, verdict: str) -> float:
        return self.counts.get(verdict, 0) / self.n if self.n else math.nan

    @property
    def pass_rate(self) -> float:
        return self.rate("PASS")

    @property
    def fail_rate(self) -> float:
        return self.rate("FAIL")

    @property
    def power(self) -> float:
        """The fraction of this model's datasets the rule does not PASS (a rival's exclusion rate)."""
        return 1.0 - self.pass_rate if self.n else math.nan

    def to_json(self) -> dict:
        out = {"name": self.name, "description": self.description, "n_sims": self.n, "counts": dict(self.counts),
               "pass_rate": self.pass_rate, "power": self.power}
        if self.enlarged is not None:
            out["enlarged"] = {"factor": self.enlarged[0], "power": self.enlarged[1], "grid": self.enlarged[2]}
        return out


@dataclass(frozen=True)
class Separation:
    """The simulated behaviour of an experiment's decision rule under the claim and each rival."""

    claim: ModelRate
    rivals: tuple[ModelRate, ...]
    noise: dict
    noise_source: str  # "measured" (from the run) or "stated"
    bar: float
    tried_factors: tuple[int, ...] = ()

    def underpowered(self) -> list[ModelRate]:
        """Rivals whose power is below the bar."""
        return [r for r in self.rivals if not (r.power >= self.bar)]

    def claim_fails_itself(self) -> bool:
        """Whether the rule FAILs more than ``1 − bar`` of the claim's own datasets."""
        return self.claim.fail_rate > 1.0 - self.bar

    def words(self) -> str:
        """One line: the claim's pass rate and each rival's power."""
        parts = [f"claim PASSes {self.claim.pass_rate:.0%} of its simulated datasets"]
        parts += [f"{r.name}: excluded in {r.power:.0%}" for r in self.rivals]
        return "; ".join(parts) + f" (n = {self.claim.n} each, bar {self.bar:.0%}, noise {self.noise_source})"

    def to_json(self) -> dict:
        return {"claim": self.claim.to_json(), "rivals": [r.to_json() for r in self.rivals],
                "noise": self.noise, "noise_source": self.noise_source, "power_bar": self.bar,
                "method": "the experiment's own analyze on seeded synthetic datasets from each model at the "
                          "experiment's grid; power = fraction of a rival's datasets not PASS",
                "tried_enlargements": list(self.tried_factors)}


def more_seeds(settings: dict, factor: int) -> dict:
    """:attr:`Design.enlarge` for a grid whose size is its ``settings["seeds"]``: ``factor`` × the seeds."""
    return {**settings, "seeds": int(settings["seeds"]) * factor}


def more_seeds_words(settings: dict, factor: int) -> str:
    """:attr:`Design.enlarge_words` for :func:`more_seeds`: ``"4× the seeds (12)"``."""
    return f"{factor}× the seeds ({int(settings['seeds']) * factor})"


def _model_rng(seed: int, name: str, i: int, salt: str = "") -> np.random.Generator:
    h = int.from_bytes(hashlib.sha256(f"{name}|{salt}".encode()).digest()[:4], "little")
    return np.random.default_rng([int(seed), h, int(i)])


def _sim_ctx(ctx):
    """A copy of ``ctx`` marked ``simulating`` (analyses may skip figures and reported-only intervals)."""
    import dataclasses

    return dataclasses.replace(ctx, simulating=True) if dataclasses.is_dataclass(ctx) else ctx


def simulate_verdicts(model: Model, analyze: Callable, settings: dict, noise: dict, ctx, *, n_sims: int,
                      seed: int = 0, salt: str = "") -> dict[str, int]:
    """Verdict counts of ``analyze`` on ``n_sims`` datasets drawn from ``model`` (seeded by ``seed``,
    the model's name and ``salt``). An analysis that raises counts as ERROR (never as PASS)."""
    sctx = _sim_ctx(ctx)
    counts: dict[str, int] = {}
    for i in range(int(n_sims)):
        data = model.simulate(settings, noise, _model_rng(seed, model.name, i, salt))
        try:
            v = analyze(settings, data, sctx).verdict
            v = Verdict(v).value
        except Exception:  # noqa: BLE001 - a dataset the rule cannot analyse is not a PASS
            v = Verdict.ERROR.value
        counts[v] = counts.get(v, 0) + 1
    return counts


def separation(design: Design, analyze: Callable, settings: dict, results: Mapping | None, ctx, *,
               n_sims: int | None = None, factors: Sequence[int] | None = None) -> Separation:
    """Simulate ``analyze`` under the claim and each rival of ``design`` at ``settings``' grid.

    ``results``: the run being judged (its noise is measured with :attr:`Design.noise`); ``None``
    or an unmeasurable run uses :attr:`Design.stated_noise`. For every rival below the power bar
    (and a claim PASSed less often than the bar) and a design with ``enlarge``, the grid is
    enlarged by each of ``factors`` (default :attr:`Design.factors`) in turn, with half the
    simulations, until the rate reaches the bar.
    """
    n = int(design.n_sims if n_sims is None else n_sims)
    factors = design.factors if factors is None else tuple(factors)
    seed = int(getattr(ctx, "seed", 0))
    noise = design.noise(settings, dict(results)) if results is not None else None
    source = "measured"
    if noise is None:
        noise, source = design.stated_noise(settings), "stated"
    tried: set = set()

    def search(model: Model, rate_of: Callable[[dict, int], float]):
        # the smallest tried enlargement at which ``rate_of(counts, m)`` reaches the bar
        if design.enlarge is None:
            return None
        for f in factors:
            tried.add(int(f))
            big = design.enlarge(settings, int(f))
            m = max(20, n // 2)
            ec = simulate_verdicts(model, analyze, big, noise, ctx, n_sims=m, seed=seed, salt=f"x{f}")
            p = rate_of(ec, m)
            if p >= design.power_bar:
                words = design.enlarge_words(settings, int(f)) if design.enlarge_words else f"{f}× the grid"
                return (int(f), p, words)
        return None

    counts = simulate_verdicts(design.claim, analyze, settings, noise, ctx, n_sims=n, seed=seed)
    claim = ModelRate(design.claim.name, design.claim.description, counts, n)
    if not (claim.pass_rate >= design.power_bar):
        # the grid at which the claim's own data PASS at the bar's rate (what would confirm it)
        claim = ModelRate(claim.name, claim.description, counts, n,
                          enlarged=search(design.claim, lambda c, m: c.get("PASS", 0) / m))
    rivals = []
    for r in design.rivals:
        rc = simulate_verdicts(r, analyze, settings, noise, ctx, n_sims=n, seed=seed)
        rate = ModelRate(r.name, r.description, rc, n)
        if not (rate.power >= design.power_bar):
            rate = ModelRate(r.name, r.description, rc, n,
                             enlarged=search(r, lambda c, m: 1.0 - c.get("PASS", 0) / m))
        rivals.append(rate)
    return Separation(claim, tuple(rivals), dict(noise), source, design.power_bar, tuple(sorted(tried)))


def apply_separation(verdict: Verdict, reason: str, decide: str, sep: Separation) -> tuple[Verdict, str, str]:
    """The verdict after the power analysis: ``(verdict, reason, decide)``.

    PASS stays PASS only when every rival's power reaches the bar; otherwise INCONCLUSIVE naming
    each underpowered rival and, where one was found, the grid that separates it. FAIL stays FAIL
    only when the rule FAILs at most ``1 − bar`` of the claim's own datasets. INCONCLUSIVE and
    the other verdicts are unchanged.
    """
    verdict = Verdict(verdict)
    if verdict == Verdict.PASS:
        weak = sep.underpowered()
        if weak:
            names = ", ".join(f"{r.name} (excluded in {r.power:.0%})" for r in weak)
            why = (f"{reason}; but the design cannot separate the claim from {names} at this grid "
                   f"(power bar {sep.bar:.0%})")
            fixes = []
            for r in weak:
                if r.enlarged is not None:
                    fixes.append(f"{r.enlarged[2]} separates {r.name} (simulated power {r.enlarged[1]:.0%})")
                else:
                    tried = ", ".join(f"{f}×" for f in sep.tried_factors) or "no enlargement declared"
                    fixes.append(f"no tried grid separates {r.name} ({tried}): a wider range of the "
                                 "grid's variable or a sharper statistic")
            return Verdict.INCONCLUSIVE, why, "; ".join(fixes)
        return verdict, reason, decide
    if verdict == Verdict.INCONCLUSIVE and not (sep.claim.pass_rate >= sep.bar):
        # say how rarely this grid could confirm the claim at all, and which grid would
        note = f"this grid PASSes only {sep.claim.pass_rate:.0%} of datasets drawn from the claim"
        big = sep.claim.enlarged
        fix = (f"{big[2]} (PASSes {big[1]:.0%} of the claim's simulated datasets)" if big is not None
               else "a wider grid than any tried")
        return verdict, f"{reason}; {note}", f"{decide}; {fix}" if decide else fix
    if verdict == Verdict.FAIL and sep.claim_fails_itself():
        why = (f"{reason}; but the rule FAILs {sep.claim.fail_rate:.0%} of datasets drawn from the claim itself "
               f"(more than {1 - sep.bar:.0%}), so this FAIL does not separate the claim from its noise")
        return Verdict.INCONCLUSIVE, why, decide or "more seeds (a narrower interval)"
    return verdict, reason, decide


# --------------------------------------------------------------------------- censoring and magnitudes


@dataclass(frozen=True)
class Magnitude:
    """The claim's own size of an effect: ``value`` (e.g. a speed-up of 45) with ``source`` (where the
    paper states it) and ``words`` (the figure as printed, e.g. ``"45–53× on modular addition"``)."""

    value: float
    source: str
    words: str = ""

    def to_json(self) -> dict:
        return {"value": self.value, "source": self.source, "words": self.words}


@dataclass(frozen=True)
class CensoredRatio:
    """``baseline time / treated time`` where baseline runs may not reach the event by ``budget``.

    ``estimate``: the ratio of medians with censored runs counted at the budget; ``lo, hi``: its
    seeded bootstrap interval; ``censored``: how many baseline runs never reached the event;
    ``is_bound``: some baseline run is censored, so the ratio (and every resample drawing that run) is
    only a lower bound: the interval's lower end holds, its upper end does not (``> lo``).
    ``treated_censored``: treated runs that never reached it (counted at +inf: ratio 0).
    """

    estimate: float
    lo: float
    hi: float
    censored: int
    n: int
    budget: float
    is_bound: bool
    treated_censored: int = 0

    def words(self) -> str:
        if self.is_bound:
            return (f"ratio > {self.lo:.3g} (a lower bound: the baseline never reached the event on "
                    f"{self.censored}/{self.n} seeds within {self.budget:g})")
        return f"ratio {self.estimate:.3g} [{self.lo:.3g}, {self.hi:.3g}]"

    def to_json(self) -> dict:
        return {"estimate": self.estimate, "interval": [self.lo, self.hi], "censored": self.censored, "n": self.n,
                "budget": self.budget, "is_bound": self.is_bound, "treated_censored": self.treated_censored}


def censored_ratio(baseline, treated, budget: float, *, seed: int = 0, n_boot: int = 2000,
                   level: float = 0.95) -> CensoredRatio:
    """``median(baseline)/median(treated)`` over paired seeds, with censoring made explicit.

    ``None`` (or NaN) entries did not reach the event: a baseline one counts at ``budget`` (so the
    ratio can only be larger: a bound), a treated one at +inf. The interval is a seeded percentile
    bootstrap over seeds; ``is_bound`` when any baseline run is censored (a resample drawing it
    often enough has the budget as its median, so no upper end is known).
    """
    from grokcheck.checks.experiments._study import bootstrap_interval

    def missing(v):
        return v is None or (isinstance(v, float) and not math.isfinite(v))

    s = np.array([budget if missing(v) else float(v) for v in baseline], dtype=float)
    e = np.array([math.inf if missing(v) else float(v) for v in treated], dtype=float)
    if s.size != e.size or s.size == 0:
        raise GrokcheckError(f"censored_ratio needs paired non-empty seeds, got {s.size} and {e.size}")
    n_cens = sum(missing(v) for v in baseline)

    def stat(idx):
        me = np.median(e[idx])
        return float(np.median(s[idx]) / me) if me > 0 else math.inf

    est, lo, hi = bootstrap_interval(stat, len(s), n_boot=n_boot, seed=seed, level=level)
    return CensoredRatio(est, lo, hi, int(n_cens), int(s.size), float(budget), bool(n_cens > 0),
                         int(sum(missing(v) for v in treated)))


def decide_bound(ratio: CensoredRatio, magnitude: Magnitude, *, needed_budget: str) -> tuple[Verdict, str, str]:
    """The verdict of a censored comparison against the claim's magnitude: ``(verdict, reason, decide)``.

    An observed ratio (no baseline run censored) is decided by its interval: PASS when its lower
    end clears ``magnitude.value``, FAIL when its upper end is below it, INCONCLUSIVE otherwise.
    A bound PASSes only when its lower end clears the magnitude; otherwise INCONCLUSIVE naming
    ``needed_budget`` (a budget at which the baseline would reach the event). A bound never FAILs:
    the baseline's time is unknown above the budget.
    """
    m = magnitude.value
    tag = f"the paper's {magnitude.words or f'{m:g}×'} ({magnitude.source})"
    if ratio.is_bound:
        if ratio.lo >= m:
            return Verdict.PASS, f"{ratio.words()} clears {tag}", ""
        return (Verdict.INCONCLUSIVE,
                f"{ratio.words()}: a bound below {tag} cannot decide the claim",
                f"a budget at which the baseline reaches the event: {needed_budget}")
    if ratio.lo >= m:
        return Verdict.PASS, f"{ratio.words()} clears {tag}", ""
    if ratio.hi < m:
        return Verdict.FAIL, f"{ratio.words()} lies below {tag}", ""
    return Verdict.INCONCLUSIVE, f"{ratio.words()} straddles {tag}", "more seeds (a narrower interval)"


# --------------------------------------------------------------------------- equivalence


@dataclass(frozen=True)
class Equivalence:
    """An interval compared with a predicted value and the band the claim allows around it.

    ``verdict``: PASS when the interval lies inside ``[prediction − band, prediction + band]``,
    FAIL when it lies entirely outside, INCONCLUSIVE when it straddles an edge (or is not
    finite); ``excludes_prediction``: the interval does not contain the prediction itself (said in
    the words even when the verdict is PASS); ``words``: the comparison and the band's reason.
    """

    verdict: Verdict
    excludes_prediction: bool
    words: str

    def to_json(self) -> dict:
        return {"verdict": self.verdict.value, "excludes_prediction": self.excludes_prediction, "words": self.words}


def equivalence(interval: tuple[float, float], prediction: float, band: float, band_reason: str, *,
                what: str = "the statistic") -> Equivalence:
    """Equivalence of ``interval`` with ``prediction`` within ``band`` (whose reason is ``band_reason``)."""
    lo, hi = (float(v) for v in interval)
    p, b = float(prediction), float(band)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Equivalence(Verdict.INCONCLUSIVE, False, f"{what}: no finite interval")
    excl = not (lo <= p <= hi)
    inside = p - b <= lo and hi <= p + b
    outside = hi < p - b or lo > p + b
    band_s = f"the band {p:g} ± {b:g} ({band_reason})"
    iv = f"{what} interval [{lo:.3g}, {hi:.3g}]"
    if inside:
        v, core = Verdict.PASS, f"{iv} lies inside {band_s}"
    elif outside:
        v, core = Verdict.FAIL, f"{iv} lies outside {band_s}"
    else:
        v, core = Verdict.INCONCLUSIVE, f"{iv} straddles an edge of {band_s}"
    if excl:
        core += f"; it excludes the prediction {p:g} itself"
    return Equivalence(v, excl, core)
