"""Experiments: registered claims whose measurement is a study over a declared grid.

An :class:`Experiment` is a claim (id, sentence, source) plus

* ``budgets`` – one settings dict per budget: ``"small"`` (seconds; CI), ``"full"`` (CPU
  minutes on two cores) and ``"paper"`` (the paper's sizes, for ``device="cuda"``);
* ``cells(settings, ctx) -> [Cell]`` – the grid, as units of work. A cell is one batched
  computation (one ensemble model whose members are the seeds, and the hyperparameters or train
  fractions wherever shapes allow) and names the seeds it covers;
* ``run_cell(cell, ctx) -> {seed: result}`` – runs one cell and returns one JSON-able result
  per seed;
* ``analyze(settings, results, ctx) -> Outcome`` – summary statistics with confidence intervals
  over seeds, the fitted law where the claim is a law, figures, and the verdict by the
  experiment's decision rule (``decision_rule``, written in words and shown in the report).

:func:`run_experiment` evaluates one experiment and returns the project's
:class:`~grokcheck.checks.CheckResult`; it never raises (an exception becomes ERROR).

Cache. With an output directory, every finished cell is stored as one JSON file per seed under
``<out>/cache/<experiment id>/<budget>/<cell key>-<hash>/seed-<k>.json`` (atomic writes), where
the hash covers the cell's full specification (settings, device, step override). A rerun loads
the cells whose seeds are all present and computes only the others, so an interrupted study
resumes at the first unfinished cell, and a changed setting reruns only the cells it changes.
A cell is computed as a whole (its seeds are members of one batched model whose per-member
randomness is drawn from ``generator_for(run seed, member index, ...)``): a cell with a missing
seed is recomputed entirely.

Confidence intervals (:func:`t_interval`, :func:`wilson_interval`, :func:`bootstrap_interval`,
:func:`fit_line`): Student-t intervals for means over seeds and for least-squares slopes, Wilson
score intervals for proportions, and percentile bootstrap intervals (over seeds, with a seeded
generator) for statistics of a whole fit. The level is 95% throughout unless an experiment says
otherwise.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from grokcheck.checks._io import atomic_write_json, json_safe
from grokcheck.checks._registry import CheckResult, Hypothesis, Shortfall, Verdict
from grokcheck.errors import GrokcheckError

__all__ = [
    "BUDGETS",
    "Cell",
    "Outcome",
    "Experiment",
    "StudyContext",
    "run_experiment",
    "experiments_on_group",
    "all_experiments",
    "get_experiment",
    "t_interval",
    "wilson_interval",
    "bootstrap_interval",
    "welch_interval",
    "fit_line",
    "inconclusive",
    "train_on_table",
    "table_split_masks",
    "first_crossing",
    "LineFit",
]

BUDGETS = ("small", "full", "paper")
LEVEL = 0.95


def inconclusive() -> Verdict:
    """The INCONCLUSIVE verdict (the run did not reach the regime the claim is about)."""
    return Verdict("INCONCLUSIVE")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Cell:
    """One unit of work of a study: ``key`` (short, path-safe), ``spec`` (JSON-able), ``seeds``."""

    key: str
    spec: dict
    seeds: tuple[int, ...]

    def __post_init__(self):
        if not self.key or any(c in self.key for c in "/\\ "):
            raise GrokcheckError(f"cell key {self.key!r} must be non-empty and path-safe")
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        if not self.seeds:
            raise GrokcheckError(f"cell {self.key!r} covers no seeds")

    def digest(self, extra: Mapping) -> str:
        blob = json.dumps(json_safe({"spec": self.spec, "seeds": list(self.seeds), **extra}), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Outcome:
    """What an experiment's ``analyze`` returns.

    ``verdict``: PASS / FAIL / INCONCLUSIVE by the decision rule; ``statistic``: the measured
    number the verdict is about, with its ``interval`` (lo, hi) where it has one;
    ``predicted``: the paper's value or form; ``reason``: one sentence a reader needs (what
    decided, or what would decide it); ``details``: every number behind it; ``figures``:
    ``{file name: draw(path)}``; ``shortfall``: the run did not reach the claim's regime (then
    INCONCLUSIVE, never FAIL).
    """

    verdict: Verdict
    statistic: Any
    predicted: Any = None
    interval: tuple[float, float] | None = None
    reason: str = ""
    details: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    test: str = ""
    n_seeds: int | None = None
    baseline: Any = None
    decide: str = ""
    # the run did not reach the claim's regime (:func:`~grokcheck.checks._registry.regime_shortfall`):
    # the verdict is INCONCLUSIVE whatever ``verdict`` says (the rule checks share)
    shortfall: Shortfall | None = None


@dataclass
class StudyContext:
    """What cells and analyses see: budget, run seed, device, optional group and step override."""

    budget: str = "small"
    seed: int = 0
    device: str = "cpu"
    group: Any = None
    max_steps: int | None = None
    progress: bool = False
    # true while the power analysis runs ``analyze`` on simulated datasets (see ``_rivals``): an
    # analysis may then skip figures and intervals that are reported but do not enter its rule
    simulating: bool = False

    def steps(self, n: int) -> int:
        """``n`` capped by the ``max_steps`` override (tests run the paper budget for a few steps)."""
        return int(n) if self.max_steps is None else max(1, min(int(n), int(self.max_steps)))

    def rng(self, salt: str) -> np.random.Generator:
        h = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:4], "little")
        return np.random.default_rng([self.seed, h])


@dataclass(frozen=True)
class Experiment:
    """A registered claim measured by a study (see the module docstring)."""

    id: str
    claim: str
    source: str
    budgets: Mapping[str, dict]
    cells: Callable[[dict, StudyContext], list[Cell]]
    run_cell: Callable[[Cell, StudyContext], dict]
    analyze: Callable[[dict, dict, StudyContext], Outcome]
    decision_rule: str
    group_parameter: bool = False
    hypotheses: tuple[Hypothesis, ...] = ()
    published_false: bool = False
    # the claim's generative model and its rivals (``_rivals.Design``): a PASS must exclude each
    design: Any = None
    # budget → ``_rivals.Setting`` (the paper's setting or a proxy with its differences)
    setting: Mapping[str, Any] | None = None
    # the claim's own magnitude where it has one (``_rivals.Magnitude``), shown in the report
    magnitude: Any = None

    def __post_init__(self):
        missing = [b for b in BUDGETS if b not in self.budgets]
        if missing:
            raise GrokcheckError(f"experiment {self.id!r} has no settings for budget(s) {missing}")
        if self.setting is not None:
            undeclared = [b for b in BUDGETS if b not in self.setting]
            if undeclared:
                raise GrokcheckError(f"experiment {self.id!r} declares no setting for budget(s) {undeclared}")

    def setting_of(self, budget: str):
        """The ``_rivals.Setting`` of ``budget`` (``None`` when the experiment declares none)."""
        return None if self.setting is None else self.setting.get(budget)

    def settings(self, budget: str) -> dict:
        if budget not in BUDGETS:
            raise GrokcheckError(f"unknown budget {budget!r}; one of {BUDGETS}")
        return dict(self.budgets[budget])

    def to_json(self) -> dict:
        out = {"id": self.id, "claim": self.claim, "source": self.source, "decision_rule": self.decision_rule,
               "group_parameter": self.group_parameter, "budgets": json_safe(dict(self.budgets))}
        if self.setting is not None:
            out["setting"] = {b: s.to_json() for b, s in self.setting.items()}
        if self.design is not None:
            out["rivals"] = [{"name": r.name, "description": r.description} for r in self.design.rivals]
            out["claim_model"] = {"name": self.design.claim.name, "description": self.design.claim.description}
        if self.magnitude is not None:
            out["magnitude"] = self.magnitude.to_json()
        return out


# --------------------------------------------------------------------------- statistics


def t_interval(values, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of ``values`` (finite entries) and its Student-t interval ``(mean, lo, hi)``.

    One finite value gives ``(v, nan, nan)``; none gives all NaN.
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (math.nan, math.nan, math.nan)
    m = float(v.mean())
    if v.size < 2:
        return (m, math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return (m, m - half, m + half)


def welch_interval(a, b, level: float = LEVEL) -> tuple[float, float, float]:
    """``(mean(a) − mean(b), lo, hi)``: the difference of means with its Welch interval (unequal variances;
    finite entries only; NaN bounds when either side has < 2 values)."""
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        d = float(a.mean() - b.mean()) if a.size and b.size else math.nan
        return d, math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    d = float(a.mean() - b.mean())
    if se == 0:
        return d, d, d
    dof = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, dof) * se)
    return d, d - half, d + half


def wilson_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float, float]:
    """Proportion ``k/n`` with its Wilson score interval ``(p, lo, hi)``."""
    from scipy import stats

    if n <= 0:
        return (math.nan, math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (p, max(0.0, c - half), min(1.0, c + half))


def bootstrap_interval(stat: Callable[[np.ndarray], float], n_units: int, *, n_boot: int = 2000, seed: int = 0,
                       level: float = LEVEL) -> tuple[float, float, float]:
    """Percentile bootstrap over ``n_units`` resampled units (seeds), with a seeded generator.

    ``stat(idx)`` evaluates the statistic on the resample ``idx`` (int array of unit indices);
    returns ``(stat(arange), lo, hi)``. Resamples on which ``stat`` is not finite are dropped.
    """
    rng = np.random.default_rng(seed)
    full = float(stat(np.arange(n_units)))
    vals = []
    for _ in range(n_boot):
        v = float(stat(rng.integers(0, n_units, n_units)))
        if math.isfinite(v):
            vals.append(v)
    if len(vals) < n_boot // 2:
        return (full, math.nan, math.nan)
    lo, hi = np.quantile(vals, [0.5 - level / 2, 0.5 + level / 2])
    return (full, float(lo), float(hi))


@dataclass(frozen=True)
class LineFit:
    """Least squares ``y = slope·x + intercept`` with Student-t intervals and the residual sum of squares."""

    slope: float
    intercept: float
    slope_interval: tuple[float, float]
    intercept_interval: tuple[float, float]
    rss: float
    n: int

    def to_json(self) -> dict:
        return json_safe({"slope": self.slope, "intercept": self.intercept, "slope_interval": list(self.slope_interval),
                          "intercept_interval": list(self.intercept_interval), "rss": self.rss, "n": self.n})


def fit_line(x, y, level: float = LEVEL) -> LineFit:
    """Ordinary least squares of ``y`` on ``x`` (finite pairs), with t intervals (n − 2 dof)."""
    from scipy import stats

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 2 or np.ptp(x) == 0:
        nan2 = (math.nan, math.nan)
        return LineFit(math.nan, math.nan, nan2, nan2, math.nan, n)
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    rss = float(r @ r)
    if n < 3:
        nan2 = (math.nan, math.nan)
        return LineFit(float(coef[0]), float(coef[1]), nan2, nan2, rss, n)
    s2 = rss / (n - 2)
    cov = s2 * np.linalg.inv(A.T @ A)
    q = float(stats.t.ppf(0.5 + level / 2, n - 2))
    hs, hi = q * math.sqrt(cov[0, 0]), q * math.sqrt(cov[1, 1])
    return LineFit(float(coef[0]), float(coef[1]), (coef[0] - hs, coef[0] + hs), (coef[1] - hi, coef[1] + hi), rss, n)


# --------------------------------------------------------------------------- batched training on a full table


def table_split_masks(n_pool: int, fractions: Sequence[float], seeds: Sequence[int], run_seed: int, *,
                      device="cpu"):
    """Train masks (members, n_pool) bool for every (fraction, seed) member, nested across fractions.

    Member ``i·len(seeds) + j`` trains on the first ``round(fractions[i]·n_pool)`` entries of seed
    ``seeds[j]``'s permutation of the pool (``generator_for(run_seed, seed, "split")``), so the
    training sets of one seed grow with the fraction and two fractions differ only by the pairs added.
    """
    import torch

    from grokcheck.checks.training._data import generator_for

    perms = {s: torch.randperm(n_pool, generator=generator_for(run_seed, s, "split")) for s in seeds}
    masks = torch.zeros(len(fractions) * len(seeds), n_pool, dtype=torch.bool)
    for i, f in enumerate(fractions):
        k = max(1, int(round(float(f) * n_pool)))
        for j, s in enumerate(seeds):
            masks[i * len(seeds) + j, perms[s][:k]] = True
    return masks.to(device)


def train_on_table(model, x, y, train_mask, optimizer, *, steps: int, eval_every: int, loss: str = "ce",
                   callback: Callable | None = None, forward: Callable | None = None,
                   on_step: Callable | None = None) -> dict:
    """Full-batch training of a batched model on one shared pool, each member on its own subset.

    Parameters
    ----------
    model : EnsembleModel with ``n_seeds = S`` members (any of the training layer's models).
    x : (P, ...) pool inputs shared by every member (the whole group table); y : (P,) labels.
    train_mask : (S, P) bool, member ``s`` trains on ``train_mask[s]`` and is tested on the rest.
        Members may have different numbers of training pairs (train fractions as a batch axis):
        the loss of member ``s`` is its mean over its own training pairs.
    optimizer : an :class:`~grokcheck.checks.training.EnsembleOptimizer` for ``model`` (per-member
        learning rates and weight decays are a hyperparameter axis).
    loss : ``"ce"`` or ``"mse_centered"`` (see :func:`~grokcheck.checks.training.per_seed_loss`).
    callback : ``callback(step, model) -> dict`` of per-member lists, merged into the curves.
    forward : ``forward(xs) -> (S, P, C)`` used instead of ``model(xs)`` (the same function of the
        same parameters computed more cheaply, e.g. one-hot products as gathers).
    on_step : ``on_step(step, alive)`` called after the gradients and before every optimizer step
        (e.g. to set per-member learning rates from the current parameters and accumulate the
        continuous time ``Σ η``).

    Returns
    -------
    dict with ``steps`` (T,), ``train_acc``, ``test_acc``, ``train_loss``, ``test_loss``
    (S, T) float arrays (NaN for a member that diverged from then on), and ``alive`` (S,).
    """
    import torch

    S = model.n_seeds
    dev = train_mask.device
    P = int(x.shape[0])
    xs = x.unsqueeze(0).expand(S, *x.shape)
    ys = y.unsqueeze(0).expand(S, P)
    w_tr = train_mask.to(torch.float64 if x.dtype == torch.float64 else torch.float32)
    w_te = 1.0 - w_tr
    n_tr = w_tr.sum(1).clamp_min(1.0)
    n_te = w_te.sum(1)
    C = None
    params = [p for p in model.parameters() if p.requires_grad]
    alive = torch.ones(S, dtype=torch.bool, device=dev)
    rec: dict[str, list] = {"steps": [], "train_acc": [], "test_acc": [], "train_loss": [], "test_loss": []}
    extra: dict[str, list] = {}
    fwd = model if forward is None else forward

    def per_example(out):
        nonlocal C
        C = out.shape[-1]
        if loss == "ce":
            return torch.nn.functional.cross_entropy(out.reshape(S * P, C), ys.reshape(-1), reduction="none").view(S, P)
        if loss == "mse_centered":
            oh = torch.nn.functional.one_hot(ys, C).to(out.dtype)
            r = out - out.mean(-1, keepdim=True) - (oh - 1.0 / C)
            return (r * r).sum(-1)
        raise GrokcheckError(f"train_on_table: unknown loss {loss!r} (ce or mse_centered)")

    @torch.no_grad()
    def log(step):
        out = fwd(xs)
        le = per_example(out)
        correct = (out.argmax(-1) == ys).to(w_tr.dtype)
        a = alive.cpu().numpy()
        nan = torch.full((S,), float("nan"), dtype=w_tr.dtype, device=dev)

        def masked(v):
            return torch.where(alive, v, nan).cpu().numpy()

        rec["steps"].append(step)
        rec["train_loss"].append(masked((le * w_tr).sum(1) / n_tr))
        rec["train_acc"].append(masked((correct * w_tr).sum(1) / n_tr))
        rec["test_loss"].append(masked((le * w_te).sum(1) / n_te.clamp_min(1.0)))
        rec["test_acc"].append(masked(torch.where(n_te > 0, (correct * w_te).sum(1) / n_te.clamp_min(1.0), nan)))
        if callback is not None:
            for k, v in (callback(step, model) or {}).items():
                vv = np.asarray(v, dtype=np.float64)
                vv = np.where(a, vv, np.nan) if vv.shape == (S,) else vv
                extra.setdefault(k, []).append(vv)

    log(0)
    zero = torch.zeros((), dtype=w_tr.dtype, device=dev)
    for step in range(1, steps + 1):
        model.before_step(xs, ys)
        for p in params:
            p.grad = None
        per = (per_example(fwd(xs)) * w_tr).sum(1) / n_tr
        bad = alive & ~torch.isfinite(per.detach())
        if bool(bad.any()):
            alive &= ~bad
        if not bool(alive.any()):
            break
        torch.where(alive, per, zero).sum().backward()
        gok = torch.ones(S, dtype=torch.bool, device=dev)
        for p in params:
            if p.grad is not None:
                gok &= torch.isfinite(p.grad).reshape(S, -1).all(1)
        alive &= gok
        model.project_gradients()
        if on_step is not None:
            on_step(step, alive)
        optimizer.step(alive)
        model.retract()
        if step % eval_every == 0 or step == steps:
            log(step)
    out = {k: (np.asarray(v) if k == "steps" else np.stack(v, axis=1)) for k, v in rec.items()}
    for k, v in extra.items():
        out[k] = np.stack(v, axis=-1) if np.asarray(v[0]).ndim else np.asarray(v)
    out["alive"] = alive.cpu().numpy()
    return out


def first_crossing(steps, values, threshold: float) -> float:
    """First step at which ``values`` ≥ ``threshold`` (NaN if never)."""
    v = np.asarray(values, dtype=np.float64)
    hit = np.nonzero(np.nan_to_num(v, nan=-np.inf) >= threshold)[0]
    return float(np.asarray(steps)[hit[0]]) if hit.size else math.nan


# --------------------------------------------------------------------------- running


def _cell_dir(root: Path, exp: Experiment, budget: str, cell: Cell, extra: dict) -> Path:
    return root / "cache" / exp.id / budget / f"{cell.key}-{cell.digest(extra)}"


def _load_cell(d: Path, seeds) -> tuple[dict | None, list[str]]:
    """The cached results ``{seed: result}`` of the cell in ``d`` (``None``: compute it) and the damage found.

    A seed file counts when it is UTF-8 JSON holding an object and, where the cell's
    ``spec.json`` lists the SHA-256 of its seed files, matches it. A missing file means an
    unfinished cell (recomputed silently); any other fault is returned as ``"PATH: what"`` so the
    caller names it (the cell is then recomputed and the file rewritten).
    """
    recorded: dict = {}
    try:
        if not (d / "spec.json").is_file():  # absent, or a FIFO a read would block on
            raise FileNotFoundError(d / "spec.json")
        spec = json.loads((d / "spec.json").read_text(encoding="utf-8"))
        if isinstance(spec, dict) and isinstance(spec.get("files"), dict):
            recorded = spec["files"]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        pass  # no spec.json (a cell from before checksums, or unfinished): the seed files decide
    out, damaged = {}, []
    for s in seeds:
        f = d / f"seed-{s}.json"
        if f.exists() and not f.is_file():  # a folder, a FIFO (a read would block) or a device
            damaged.append(f"{f}: not a regular file")
            continue
        try:
            raw = f.read_bytes()
        except FileNotFoundError:
            return None, damaged
        except OSError as exc:
            damaged.append(f"{f}: unreadable ({exc.strerror or exc})")
            continue
        want = recorded.get(f.name)
        if isinstance(want, str) and hashlib.sha256(raw).hexdigest() != want:
            damaged.append(f"{f}: its content differs from the SHA-256 recorded in spec.json")
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            damaged.append(f"{f}: not JSON ({type(exc).__name__})")
            continue
        if not isinstance(value, dict):
            damaged.append(f"{f}: holds {type(value).__name__}, not a result object")
            continue
        out[int(s)] = value
    return (None if damaged else out), damaged


def _store_cell(d: Path, cell: Cell, got: dict, seconds: float, extra: dict) -> None:
    """Write the results of ``cell`` to ``d``: one file per seed, then ``spec.json`` with their SHA-256."""
    from grokcheck.checks._io import atomic_write_text

    files = {}
    for s, v in got.items():
        text = json.dumps({**v, "_cell_seconds": round(seconds, 3)}, indent=2, allow_nan=False) + "\n"
        atomic_write_text(d / f"seed-{s}.json", text)
        files[f"seed-{s}.json"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the spec file last: a cell directory is complete when all seed files exist
    atomic_write_json(d / "spec.json", json_safe({"spec": cell.spec, "seeds": list(cell.seeds), **extra,
                                                  "files": files}))


def judge(exp: Experiment, settings: dict, results: Mapping, ctx: StudyContext, outcome: Outcome, *,
          power: bool = True) -> Outcome:
    """The verdict after the rules every experiment shares, applied to ``exp.analyze``'s ``outcome``.

    In order: a ``shortfall`` (the run did not reach the claim's regime) is INCONCLUSIVE, never
    FAIL; with a declared ``design``, the power analysis of ``_rivals.separation`` at this grid
    and the run's measured noise (``power``), whose result enters ``details["separation"]`` and
    can turn a PASS whose rivals are not excluded, or a FAIL the claim's own data would give,
    into INCONCLUSIVE (``_rivals.apply_separation``); in a proxy setting a FAIL reads "does not
    transfer to <setting>". The outcome's other fields are kept.
    """
    import dataclasses

    verdict, reason, decide = Verdict(outcome.verdict), outcome.reason, outcome.decide
    details = dict(outcome.details)
    if outcome.shortfall is not None:
        if verdict in (Verdict.PASS, Verdict.FAIL):
            details["verdict_before_shortfall"] = verdict.value
        verdict = Verdict.INCONCLUSIVE
        reason = outcome.shortfall.reason + (f" ({reason})" if reason and reason != outcome.shortfall.reason else "")
        decide = outcome.shortfall.decide or decide
    if exp.design is not None and power and not ctx.simulating:
        from grokcheck.checks.experiments._rivals import apply_separation, separation

        # the small budget is a smoke test: fewer simulations (its power is reported, ±0.13 at 40) and no
        # search for a larger grid
        small = ctx.budget == "small"
        sep = separation(exp.design, exp.analyze, settings, results, ctx, n_sims=40 if small else None,
                         factors=() if small else None)
        details["separation"] = sep.to_json()
        verdict, reason, decide = apply_separation(verdict, reason, decide, sep)
    setting = exp.setting_of(ctx.budget)
    if setting is not None:
        details["setting"] = setting.to_json()
        if verdict == Verdict.FAIL and setting.is_proxy and not exp.published_false:
            reason = f"does not transfer to {setting.name or 'this proxy setting'}: {reason}"
    return dataclasses.replace(outcome, verdict=verdict, reason=reason, decide=decide, details=details)


def run_experiment(exp: Experiment, *, budget: str = "small", seed: int = 0, device: str = "cpu",
                   out_dir: str | Path | None = None, group=None, max_steps: int | None = None,
                   max_cells: int | None = None, max_seeds: int | None = None,
                   progress: bool = False) -> CheckResult:
    """Run ``exp`` at ``budget`` and return its :class:`CheckResult` (never raises).

    ``out_dir``: the cell cache and the figures go there (figures only when given);
    ``group``: the group of a ``group_parameter`` experiment (``verify G``; without it the
    experiment uses the group its budget names); ``max_steps``: caps
    every training run; ``max_cells`` / ``max_seeds`` keep only the first cells / seeds of the grid
    (a smoke run of a large budget on a CPU: its analysis sees a partial grid, and when the partial
    grid cannot be analysed the verdict is INCONCLUSIVE).
    ``details`` of the result hold the budget, the grid (cells and seeds), the statistic with its
    interval, the decision rule, cached/computed cell counts, the compute seconds and the figures.
    """
    t0 = time.perf_counter()
    base = dict(id=exp.id, claim=exp.claim, source=exp.source, published_false=exp.published_false)
    ctx = StudyContext(budget=budget, seed=int(seed), device=device, group=group, max_steps=max_steps, progress=progress)
    try:
        for h in exp.hypotheses:
            if not h.holds(ctx):
                return CheckResult(**base, verdict=Verdict.NOT_APPLICABLE,
                                   reason=f"hypothesis '{h.name}' fails: {h.why_not(ctx)}",
                                   seconds=time.perf_counter() - t0)
        settings = exp.settings(budget)
        cells = exp.cells(settings, ctx)
        partial = (max_cells is not None and len(cells) > max_cells) or (
            max_seeds is not None and any(len(c.seeds) > max_seeds for c in cells))
        if max_cells is not None:
            cells = cells[: max(1, int(max_cells))]
        if max_seeds is not None:
            cells = [Cell(c.key, c.spec, c.seeds[: max(1, int(max_seeds))]) for c in cells]
        keys = [c.key for c in cells]
        if len(set(keys)) != len(keys):
            raise GrokcheckError(f"experiment {exp.id}: duplicate cell keys")
        root = Path(out_dir) if out_dir is not None else None
        extra = {"device": device, "max_steps": max_steps, "seed": int(seed),
                 "group": None if group is None else str(group)}
        results: dict[str, dict] = {}
        cache_damaged: list[str] = []
        n_cached = 0
        compute_s = 0.0
        from tqdm.auto import tqdm

        bar = tqdm(cells, desc=exp.id, unit="cell", disable=not progress, leave=False)
        for cell in bar:
            d = _cell_dir(root, exp, budget, cell, extra) if root is not None else None
            got, damaged = _load_cell(d, cell.seeds) if d is not None else (None, [])
            for problem in damaged:  # named once here and in the result; the cell is recomputed
                print(f"experiments: warning: damaged cache file {problem}; recomputing cell {cell.key}",
                      file=sys.stderr, flush=True)
                cache_damaged.append(problem)
            if got is not None:
                n_cached += 1
            else:
                tc = time.perf_counter()
                got = {int(k): json_safe(v) for k, v in exp.run_cell(cell, ctx).items()}
                dt = time.perf_counter() - tc
                compute_s += dt
                if set(got) != set(cell.seeds):
                    raise GrokcheckError(f"experiment {exp.id}: cell {cell.key} returned seeds {sorted(got)}, "
                                         f"expected {list(cell.seeds)}")
                if d is not None:
                    _store_cell(d, cell, got, dt, extra)
            results[cell.key] = got
        try:
            outcome = exp.analyze(settings, results, ctx)
        except Exception as exc:  # noqa: BLE001 - only a partial (smoke) grid may fail to analyse
            if not partial:
                raise
            outcome = Outcome(verdict=inconclusive(), statistic=None,
                              reason=f"partial grid (smoke run of {len(cells)} cell(s)); analysis needs the whole grid "
                                     f"({type(exc).__name__}: {exc})")
        outcome = judge(exp, settings, results, ctx, outcome, power=not partial)
        figures = []
        if root is not None:
            for name, draw in sorted(outcome.figures.items()):
                try:
                    draw(root / name)
                    figures.append(name)
                except Exception as exc:  # noqa: BLE001 - a figure must not lose the verdict
                    outcome.details.setdefault("figure_errors", []).append(f"{name}: {exc!r}")
        details = {
            "budget": budget,
            "statistic": outcome.statistic,
            "interval": list(outcome.interval) if outcome.interval is not None else None,
            "decision_rule": exp.decision_rule,
            "grid": {"cells": keys, "seeds": sorted({s for c in cells for s in c.seeds})},
            "cells_cached": n_cached,
            "cells_computed": len(cells) - n_cached,
            "cache_damaged": cache_damaged,
            "compute_seconds": round(compute_s, 2),
            "figures": figures,
            **outcome.details,
        }
        statistic = {"test": outcome.test or "see details", "rule": exp.decision_rule}
        if "separation" in outcome.details:
            sep = outcome.details["separation"]
            statistic["separation"] = {r["name"]: r["power"] for r in sep["rivals"]}
            statistic["claim_pass_rate"] = sep["claim"]["pass_rate"]
        if outcome.interval is not None:
            statistic["ci"] = [float(v) for v in outcome.interval]
        if outcome.n_seeds is not None:
            statistic["n_seeds"] = int(outcome.n_seeds)
        decide = outcome.decide
        if outcome.verdict == Verdict("INCONCLUSIVE") and not decide:
            decide = "a larger budget (--budget full, or --budget paper on a GPU)" if budget != "paper" else "more seeds"
        return CheckResult(**base, verdict=outcome.verdict, prediction=outcome.predicted, measurement=outcome.statistic,
                           details=details, reason=outcome.reason, seconds=time.perf_counter() - t0,
                           statistic=statistic, baseline=outcome.baseline, decide=decide,
                           group_independent=not exp.group_parameter,
                           setting=None if exp.setting_of(budget) is None else exp.setting_of(budget).to_json())
    except Exception as exc:  # noqa: BLE001 - an experiment reports, it does not crash the run
        return CheckResult(**base, verdict=Verdict.ERROR, reason=f"{type(exc).__name__}: {exc}",
                           details={"traceback": traceback.format_exc(limit=8)}, seconds=time.perf_counter() - t0)


def group_of(settings, ctx) -> str:
    """The group an experiment runs on: the one ``verify`` passes (``ctx.group``), else its budget's."""
    return str(ctx.group) if ctx.group is not None else settings["group"]


def group_cell_key(name: str) -> str:
    """A path-safe cell key for a group's name (``SmallGroup(8,3)`` → ``SmallGroup8-3``)."""
    key = name.replace("(", "").replace(")", "").replace(",", "-")
    return "".join("_" if c in "/\\ " else c for c in key) or "G"


#: the hypothesis of the experiments that train on a group's whole table: below the paper budget the
#: group must be small enough for a CPU
CPU_TABLE_TRAINING = Hypothesis("|G| ≤ 64 below the paper budget (full-table training on a CPU)",
                                lambda ctx: ctx.budget == "paper" or ctx.group is None or ctx.group.order <= 64,
                                lambda ctx: f"|G| = {ctx.group.order} > 64; use --budget paper on a GPU")


def single_group_cells(settings, ctx) -> list[Cell]:
    """One cell holding every seed, on :func:`group_of` (the budget's settings but ``seeds`` as its spec)."""
    spec = {k: v for k, v in settings.items() if k != "seeds"}
    spec["group"] = group_of(settings, ctx)
    return [Cell(key=group_cell_key(spec["group"]), spec=spec, seeds=tuple(range(int(settings["seeds"]))))]


def all_experiments() -> tuple[Experiment, ...]:
    """Every registered experiment (``EXPERIMENTS`` of the paper modules in ``grokcheck.checks.claims``), by id."""
    from grokcheck.checks._registry import registered

    return registered("EXPERIMENTS")


def get_experiment(exp_id: str) -> Experiment:
    from grokcheck.checks._registry import registered_by_id

    return registered_by_id("EXPERIMENTS", exp_id, "experiment", "grokcheck experiments --list")


def experiments_on_group(G, *, seed: int = 0, out_dir=None, device: str = "cpu", progress: bool = False,
                         budget: str = "full") -> tuple[list[CheckResult], list[str]]:
    """Run every registered experiment that takes a group as a parameter on ``G`` (``verify G --budget full``).

    Returns the results and the figure file names written under ``out_dir``.
    """
    import sys

    results, figures = [], []
    for exp in all_experiments():
        if not exp.group_parameter:
            continue
        if progress:
            print(f"verify: experiment {exp.id} on {G} (budget {budget})", file=sys.stderr, flush=True)
        r = run_experiment(exp, budget=budget, seed=seed, device=device, out_dir=out_dir, group=G)
        results.append(r)
        figures.extend(r.details.get("figures", []))
    return results, figures
