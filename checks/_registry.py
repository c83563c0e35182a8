"""The registry of checks: each claim of the seeds as prediction, measurement and verdict.

A :class:`Check` is a small declarative value: an id, the claim in one sentence,
its source, its hypotheses (predicates on the group and the setting), a
prediction, a measurement and a comparison with a tolerance whose reason is
written down. :func:`run_check` turns it into a :class:`CheckResult` with a
:class:`Verdict`: PASS, FAIL, INCONCLUSIVE (the run did not reach the claim's regime: it did
not converge, memorise or grok within the budget, or there are too few seeds
for the stated test; the result says what would decide it), NOT APPLICABLE
(naming the failed hypothesis) or ERROR (with the exception). FAIL is kept for
a measurement that contradicts the claim inside the claim's own regime. A
check never raises.

Trained-network checks also measure a *baseline*: the same quantity on
random-init weights of the same architecture and group. Such a check PASSes
only when the trained network meets the bar and the baseline does not.

Checks are registered by paper: each public module ``grokcheck.checks.claims.<paper>``
defines ``CHECKS = (Check(...), ...)``; :func:`all_checks` discovers them.
Published statements that grokcheck has shown to be false are registered *as
printed* with ``published_false=True``: they must FAIL, and the report shows the
counterexample and ``why_false``, one line saying why the statement is false.
"""

from __future__ import annotations

import enum
import functools
import importlib
import pkgutil
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = [
    "Verdict",
    "Tolerance",
    "Hypothesis",
    "Measured",
    "Check",
    "CheckResult",
    "VerifyContext",
    "all_checks",
    "get_check",
    "run_check",
    "result_from_comparison",
    "compare",
    "assert_check_passes",
    "Shortfall",
    "regime_shortfall",
    "still_improving",
    "SELF_TEST_MODULE",
    "is_self_test",
]


class Verdict(str, enum.Enum):
    """The five verdicts. A ``str`` enum: ``Verdict.PASS == "PASS"``."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    NOT_APPLICABLE = "NOT APPLICABLE"
    ERROR = "ERROR"


@dataclass(frozen=True)
class Tolerance:
    """A tolerance with the reason it has that size.

    ``kind``: ``"close"`` (|measured − predicted| ≤ value, elementwise max),
    ``"at_most"`` (measured ≤ predicted + value), ``"at_least"`` (measured ≥
    predicted − value), ``"equal"`` (exact equality; value ignored).
    """

    value: float
    reason: str
    kind: str = "close"

    def __post_init__(self):
        if self.kind not in ("close", "at_most", "at_least", "equal"):
            raise ValueError(f"unknown tolerance kind {self.kind!r}")

    def rule(self) -> str:
        """The comparison in words, without the reason."""
        if self.kind == "equal":
            return "measured = predicted exactly"
        if self.kind == "close":
            return f"|measured − predicted| ≤ {self.value:g}"
        if self.kind == "at_most":
            return "measured ≤ predicted" + (f" + {self.value:g}" if self.value else "")
        return "measured ≥ predicted" + (f" − {self.value:g}" if self.value else "")

    def words(self) -> str:
        """The comparison and its reason in one sentence, e.g. ``measured ≤ predicted + 1e-10, because …``."""
        return f"{self.rule()}, because {self.reason}" if self.reason else self.rule()

    def to_json(self) -> dict:
        return {"value": self.value, "kind": self.kind, "reason": self.reason, "rule": self.rule()}


def compare(predicted, measured, tol: Tolerance) -> bool:
    """Whether ``measured`` agrees with ``predicted`` under ``tol`` (NaN never agrees)."""
    if tol.kind == "equal":
        if isinstance(predicted, (list, tuple, np.ndarray)) or isinstance(measured, (list, tuple, np.ndarray)):
            return np.array_equal(np.asarray(predicted, dtype=object), np.asarray(measured, dtype=object))
        return bool(predicted == measured)
    p = np.asarray(predicted, dtype=float)
    m = np.asarray(measured, dtype=float)
    if m.size == 0 or np.isnan(m).any() or np.isnan(p).any():
        return False
    if tol.kind == "close":
        return bool(np.max(np.abs(m - p)) <= tol.value)
    if tol.kind == "at_most":
        return bool(np.all(m <= p + tol.value))
    return bool(np.all(m >= p - tol.value))


@dataclass(frozen=True)
class Hypothesis:
    """A named predicate on the context; ``why_not`` explains a failure in words.

    ``budget=True`` marks a limit of grokcheck's own training (group size, budget), not a
    hypothesis of the claim: it does not apply when the user supplies the model.
    """

    name: str
    holds: Callable[["VerifyContext"], bool]
    why_not: Callable[["VerifyContext"], str] = lambda ctx: "it does not hold here"
    budget: bool = False


@dataclass(frozen=True)
class Measured:
    """A measurement (or prediction) with the numbers behind it.

    ``inconclusive`` (a reason) says that the run did not reach the regime the claim is
    about, so the comparison cannot decide it; ``decide`` says what would (``--budget
    full``, more steps, more seeds). ``statistic`` carries the test of a statistical claim:
    ``{"test", "p_value" or "ci", "n_seeds", "rule"}``.
    """

    value: Any
    details: dict = field(default_factory=dict)
    inconclusive: str | None = None
    decide: str | None = None
    statistic: dict | None = None


@dataclass(frozen=True)
class Shortfall:
    """The run did not reach the regime the claim is about: ``reason`` (what was not reached) and
    ``decide`` (the budget, steps or seeds that would reach it).

    The one rule for checks and experiments alike: a shortfall is INCONCLUSIVE, never FAIL
    (:func:`run_check` on :attr:`Measured.inconclusive`, ``run_experiment`` on
    ``Outcome.shortfall``), whatever the comparison would have said.
    """

    reason: str
    decide: str = ""

    def measured(self, value, details: dict | None = None, statistic: dict | None = None) -> "Measured":
        """A :class:`Measured` that carries this shortfall (for a check's ``measure``)."""
        return Measured(value, dict(details or {}), inconclusive=self.reason, decide=self.decide or None,
                        statistic=statistic)


def regime_shortfall(reached: int, total: int, *, needed: int, event: str, decide: str,
                     still_improving: bool = False) -> Shortfall | None:
    """The shared test of "did not reach the regime": a :class:`Shortfall` or ``None``.

    ``reached`` of ``total`` units (seeds, runs, groups) reached ``event`` (grokked, memorised,
    converged); the claim's test needs ``needed`` of them. Fewer is a shortfall. So is a run in
    which none reached it while its curves were ``still_improving`` at the end of the budget
    (a test accuracy still climbing says the budget, not the claim, stopped it).
    """
    reached, total, needed = int(reached), int(total), int(needed)
    if reached < needed:
        tail = "; the curves were still improving at the end of the budget" if still_improving else ""
        return Shortfall(f"only {reached} of {total} reached {event} (the test needs {needed}){tail}", decide)
    return None


def still_improving(curves, *, window: float = 0.2, min_gain: float = 0.02) -> bool:
    """Whether any curve of ``curves`` (S, T) (e.g. test accuracy over evaluations) gained at least
    ``min_gain`` over the last ``window`` fraction of its evaluations.

    ``min_gain`` 0.02 is two points of accuracy: above the evaluation noise of one test set of a
    few hundred pairs at one evaluation, so a flat curve does not count as climbing.
    """
    a = np.asarray(curves, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    T = a.shape[1]
    if T < 2:
        return False
    k = max(1, int(round(window * (T - 1))))
    gain = a[:, -1] - a[:, -1 - k]
    return bool(np.any(np.nan_to_num(gain, nan=0.0) >= min_gain))


#: the registry module whose checks are the library's own identities (character-table
#: orthogonality, certified irreps, …): infrastructure self-tests, reported and counted apart from
#: the papers' claims
SELF_TEST_MODULE = "library"


@functools.lru_cache(maxsize=1)
def _self_test_ids() -> frozenset:
    import grokcheck.checks.claims as pkg

    mod = importlib.import_module(f"{pkg.__name__}.{SELF_TEST_MODULE}")
    return frozenset(c.id for c in getattr(mod, "CHECKS", ()))


def is_self_test(check_id: str) -> bool:
    """Whether ``check_id`` is registered by :data:`SELF_TEST_MODULE` (an infrastructure self-test)."""
    return check_id in _self_test_ids()


@dataclass(frozen=True)
class Check:
    """One claim, declaratively.

    ``predict(ctx)`` and ``measure(ctx)`` return a value or a :class:`Measured`;
    the verdict compares them with ``tolerance``.
    """

    id: str
    claim: str
    source: str
    predict: Callable[["VerifyContext"], Any]
    measure: Callable[["VerifyContext"], Any]
    tolerance: Tolerance
    hypotheses: tuple[Hypothesis, ...] = ()
    published_false: bool = False
    layer: str = "theory"  # theory | numerics | training: what it exercises
    figure: str | None = None  # name of a figure the check contributes, if any
    why_false: str = ""  # for a published statement shown false: one line saying why
    group_independent: bool = False  # the claim does not involve the group: reported once, apart
    baseline: Callable[["VerifyContext"], Any] | None = None  # the measurement on random-init weights
    uses_model: bool = False  # reads the trained group network (``verify --model`` replaces it)
    # needs only the group's character table or certified irreps, so it also runs on permutation
    # groups beyond the dense Cayley table; every other group check there is NOT APPLICABLE
    # (the hypothesis "G has a dense Cayley table")
    table_free: bool = False

    def __post_init__(self):
        # (a published statement shown false should say why in ``why_false``; the test suite asserts it)
        if self.layer == "training" and self.uses_model and self.baseline is None:
            raise ValueError(f"check {self.id}: a trained-network check needs a random-init baseline")

    def effective_hypotheses(self) -> tuple[Hypothesis, ...]:
        """:attr:`hypotheses`, preceded by "G has a dense Cayley table" unless the check is
        ``table_free`` or group-independent (what :func:`run_check` tests, in this order)."""
        if self.table_free or self.group_independent:
            return self.hypotheses
        from grokcheck.checks._hypotheses import DENSE_TABLE  # (that module imports this one)

        return (DENSE_TABLE, *self.hypotheses)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "claim": self.claim,
            "source": self.source,
            "hypotheses": [h.name for h in self.effective_hypotheses()],
            "published_false": self.published_false,
            "why_false": self.why_false,
            "group_independent": self.group_independent,
            "layer": self.layer,
            "tolerance": self.tolerance.to_json(),
        }


def _jsonable(x):
    """Convert numbers, arrays, sympy values to JSON-friendly objects."""
    import sympy

    if isinstance(x, Measured):
        return _jsonable(x.value)
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if np.isfinite(v) else str(v)
    if isinstance(x, (complex, np.complexfloating)):
        return [float(x.real), float(x.imag)]
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, sympy.Basic):
        return {"exact": str(x), "float": float(sympy.N(x)) if x.is_real else str(sympy.N(x))}
    if isinstance(x, (int, str, bool)) or x is None:
        return x
    return str(x)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one group (or of one run-level check function).

    Attributes
    ----------
    id, claim, source : what is checked and where it is stated (paper, theorem).
    verdict : a :class:`Verdict`.
    prediction, measurement : the compared values.
    tolerance : the :class:`Tolerance` of the comparison (its ``words()`` say why).
    details : the numbers behind the measurement (JSON-able).
    reason : why the verdict is what it is (NOT APPLICABLE: the failed hypothesis;
        INCONCLUSIVE: what the run did not reach; ERROR: the exception).
    decide : for INCONCLUSIVE, what would decide it.
    baseline : for trained-network checks, the same measurement on random-init weights.
    statistic : for statistical claims, ``{"test", "p_value" or "ci", "n_seeds", "rule"}``.
    why_false : for a published statement shown false, one line saying why.
    on_model : the measurement was taken on a user-supplied model (``verify --model``).
    setting : for experiments, the budget's setting (``{"kind": "paper"|"proxy", "name",
        "differences"}``); a FAIL in a proxy is reported as "does not transfer" and counted apart.
    self_test : an infrastructure self-test (the library's own identities), counted apart from the
        papers' claims.
    """

    id: str
    claim: str
    source: str
    verdict: Verdict
    prediction: Any = None
    measurement: Any = None
    tolerance: Tolerance | None = None
    details: dict = field(default_factory=dict)
    reason: str = ""
    published_false: bool = False
    seconds: float = 0.0
    decide: str = ""
    baseline: Any = None
    statistic: dict | None = None
    why_false: str = ""
    group_independent: bool = False
    on_model: bool = False
    setting: dict | None = None
    self_test: bool = False

    def __post_init__(self):
        if not isinstance(self.verdict, Verdict):
            object.__setattr__(self, "verdict", Verdict(self.verdict))

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASS

    @property
    def expected_fail(self) -> bool:
        """A published statement registered as printed and shown false."""
        return self.published_false and self.verdict == Verdict.FAIL

    @property
    def in_proxy(self) -> bool:
        """Measured in a proxy setting (not the paper's)."""
        return bool(self.setting) and self.setting.get("kind") == "proxy"

    @property
    def does_not_transfer(self) -> bool:
        """A FAIL in a proxy setting: the claim does not transfer there (not a refutation of the paper)."""
        return self.verdict == Verdict.FAIL and self.in_proxy and not self.published_false

    @property
    def unexpected_fail(self) -> bool:
        """A FAIL that is neither a published statement shown false nor a FAIL in a proxy setting."""
        return self.verdict == Verdict.FAIL and not self.published_false and not self.does_not_transfer

    def to_json(self) -> dict:
        out = {
            "id": self.id,
            "claim": self.claim,
            "source": self.source,
            "verdict": self.verdict.value,
            "prediction": _jsonable(self.prediction),
            "measurement": _jsonable(self.measurement),
            "tolerance": self.tolerance.to_json() if self.tolerance else None,
            "details": _jsonable(self.details),
            "reason": self.reason,
            "published_false": self.published_false,
            "group_independent": self.group_independent,
            "seconds": round(self.seconds, 3),
        }
        if self.decide:
            out["decide"] = self.decide
        if self.baseline is not None:
            out["baseline"] = _jsonable(self.baseline)
        if self.statistic is not None:
            out["statistic"] = _jsonable(self.statistic)
        if self.why_false:
            out["why_false"] = self.why_false
        if self.on_model:
            out["on_model"] = True
        if self.setting is not None:
            out["setting"] = _jsonable(self.setting)
            if self.does_not_transfer:
                out["does_not_transfer"] = True
        if self.self_test:
            out["self_test"] = True
        return out


def result_from_comparison(id: str, claim: str, source: str, prediction, measurement, tolerance: Tolerance, ok: bool, *,
                           details: dict | None = None, inconclusive: str | None = None, decide: str = "",
                           statistic: dict | None = None, reason: str = "") -> CheckResult:
    """A :class:`CheckResult` for a run-level check function (Lyu et al., Tan & Huang).

    ``ok`` is the outcome of the comparison; ``inconclusive`` (a reason) turns the verdict
    into INCONCLUSIVE whatever ``ok`` is.
    """
    verdict = Verdict.INCONCLUSIVE if inconclusive else (Verdict.PASS if ok else Verdict.FAIL)
    return CheckResult(id=id, claim=claim, source=source, verdict=verdict, prediction=prediction,
                       measurement=measurement, tolerance=tolerance, details=dict(details or {}),
                       reason=inconclusive or reason, decide=decide if inconclusive else "", statistic=statistic)


class VerifyContext:
    """What a check sees: the group, the budget, the seed, and shared artifacts.

    Expensive measurements shared by several checks (a flow run, a trained
    network) are computed once per context through :meth:`artifact`; everything
    random is seeded from ``seed`` so a rerun gives the same report.
    """

    def __init__(
        self,
        group,
        *,
        budget: str = "small",
        seed: int = 0,
        progress: bool = False,
        device: str = "cpu",
        artifacts: dict | None = None,
        on_model: bool = False,
    ):
        if budget not in ("small", "full"):
            raise ValueError(f"budget must be 'small' or 'full', got {budget!r}")
        self.group = group
        self.budget = budget
        self.seed = int(seed)
        self.progress = progress
        self.device = device
        # A user-supplied trained model (``verify --model``): the budget hypotheses of the
        # trained-network checks do not apply to it, and their results carry ``on_model``.
        self.on_model = bool(on_model)
        # Pre-seeded artifacts (e.g. a user's own trained weights under the key a check
        # reads, see that check's docstring) replace what the check would compute.
        self._artifacts: dict[str, Any] = {k: ("ok", v) for k, v in (artifacts or {}).items()}
        self.figures: dict[str, Any] = {}  # name -> callable(path) writing a PNG

    def artifact(self, name: str, build: Callable[[], Any]):
        """The artifact ``name``, built on first use (exceptions are cached too)."""
        if name not in self._artifacts:
            try:
                self._artifacts[name] = ("ok", build())
            except Exception as exc:  # noqa: BLE001 - re-raised for every user of the artifact
                self._artifacts[name] = ("error", exc)
        status, value = self._artifacts[name]
        if status == "error":
            raise value
        return value

    def rng(self, salt: str) -> np.random.Generator:
        """A generator determined by the seed and a per-use salt (order independent)."""
        h = int.from_bytes(salt.encode(), "little") % (2**32)
        return np.random.default_rng([self.seed, h])


def _unpack(x) -> Measured:
    return x if isinstance(x, Measured) else Measured(x)


def run_check(check: Check, ctx: VerifyContext) -> CheckResult:
    """Evaluate ``check`` on ``ctx``; never raises.

    Order: hypotheses (NOT APPLICABLE), prediction and measurement (ERROR on an exception),
    the measurement's own regime test (INCONCLUSIVE), the comparison, and for checks with a
    baseline the same comparison on random-init weights, which must not pass (else
    INCONCLUSIVE: the bar does not separate a trained network from an untrained one).
    """
    import time

    t0 = time.perf_counter()
    on_model = bool(ctx.on_model and check.uses_model)
    base = dict(id=check.id, claim=check.claim, source=check.source, published_false=check.published_false,
                why_false=check.why_false, group_independent=check.group_independent, on_model=on_model,
                tolerance=check.tolerance, self_test=is_self_test(check.id))
    for h in check.effective_hypotheses():
        if on_model and h.budget:
            continue  # a limit of grokcheck's own training; the user's model is already trained
        try:
            ok = bool(h.holds(ctx))
        except Exception as exc:  # noqa: BLE001
            return CheckResult(**base, verdict=Verdict.ERROR, reason=f"hypothesis {h.name!r} raised {exc!r}",
                               seconds=time.perf_counter() - t0)
        if not ok:
            why = h.why_not(ctx)
            if not getattr(ctx.group, "name", None) and str(ctx.group) in why:
                # "<group of order 12 from cayley:…>" read as the group it was recognised as (Dic3)
                from grokcheck.checks._names import group_display_name

                why = why.replace(str(ctx.group), group_display_name(ctx.group))
            return CheckResult(**base, verdict=Verdict.NOT_APPLICABLE, reason=f"hypothesis '{h.name}' fails: {why}",
                               seconds=time.perf_counter() - t0)
    try:
        p = _unpack(check.predict(ctx))
        m = _unpack(check.measure(ctx))
        b = _unpack(check.baseline(ctx)) if check.baseline is not None else None
    except Exception as exc:  # noqa: BLE001 - a check reports, it does not crash the run
        return CheckResult(**base, verdict=Verdict.ERROR, reason=f"{type(exc).__name__}: {exc}",
                           details={"traceback": traceback.format_exc(limit=6)}, seconds=time.perf_counter() - t0)
    details = {**p.details, **m.details}
    if b is not None:
        details["baseline_details"] = b.details
    common = dict(prediction=p.value, measurement=m.value, details=details, statistic=m.statistic,
                  baseline=None if b is None else b.value)
    if m.inconclusive:
        return CheckResult(**base, **common, verdict=Verdict.INCONCLUSIVE, reason=m.inconclusive,
                           decide=m.decide or "", seconds=time.perf_counter() - t0)
    ok = compare(p.value, m.value, check.tolerance)
    if ok and b is not None and compare(p.value, b.value, check.tolerance):
        return CheckResult(**base, **common, verdict=Verdict.INCONCLUSIVE,
                           reason=f"the random-init baseline ({b.value!r}) meets the same bar, so the measurement "
                                  "does not separate a trained network from an untrained one",
                           decide="a decision rule that the baseline fails", seconds=time.perf_counter() - t0)
    reason = ""
    if check.published_false:
        reason = (f"published statement, registered as printed; shown false here: {check.why_false}" if not ok
                  else "published statement, registered as printed; it holds on this group")
    return CheckResult(**base, **common, verdict=Verdict.PASS if ok else Verdict.FAIL, reason=reason,
                       seconds=time.perf_counter() - t0)


def registered_with_origin(attr: str) -> tuple:
    """``(entry, origin)`` for every entry of :func:`registered` ``(attr)``, sorted by id: ``origin`` is the
    :class:`~grokcheck.checks._entry_points.Origin` that registered it (a grokcheck paper module, or a
    package's ``grokcheck.claims`` entry point).

    Raises :class:`~grokcheck.errors.GrokcheckError` when two entries share an id, naming both registrations.
    """
    import grokcheck.checks.claims as pkg
    from grokcheck.checks._entry_points import Origin, user_entries_with_origin

    found: list = []
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not m.name.startswith("_"):
            mod = importlib.import_module(f"grokcheck.checks.claims.{m.name}")
            origin = Origin.builtin(mod.__name__)
            found.extend((e, origin) for e in getattr(mod, attr, ()))
    found.extend(user_entries_with_origin(attr))  # claims of other packages (entry points)
    by_id: dict[str, list] = {}
    for e, origin in found:
        by_id.setdefault(e.id, []).append(origin)
    clashes = {i: o for i, o in sorted(by_id.items()) if len(o) > 1}
    if clashes:
        from grokcheck.errors import GrokcheckError

        what = "check" if attr == "CHECKS" else "experiment" if attr == "EXPERIMENTS" else attr.lower()
        listed = "; ".join(f"{i!r} by " + " and by ".join(o.words() for o in origins)
                           for i, origins in clashes.items())
        users = sorted({o.distribution or o.module for origins in clashes.values() for o in origins if o.user})
        fix = (f"rename the id in {', '.join(users)} (ids are global: prefix them with "
               "the package's name, e.g. 'mylab.…')" if users else "give each entry its own id")
        raise GrokcheckError(f"{what} id registered twice: {listed}. Fix: {fix}")
    return tuple(sorted(found, key=lambda p: p[0].id))


def registered(attr: str) -> tuple:
    """The ``attr`` tuples (``CHECKS``, ``EXPERIMENTS``) of every paper module in ``grokcheck.checks.claims``
    and of every package's ``grokcheck.claims`` entry point, joined and sorted by id.

    Raises :class:`~grokcheck.errors.GrokcheckError` when two entries share an id (naming both
    registrations; see :func:`registered_with_origin`).
    """
    return tuple(e for e, _ in registered_with_origin(attr))


def registered_by_id(attr: str, entry_id: str, what: str, lister: str):
    """The entry of :func:`registered` ``(attr)`` with id ``entry_id``; a ``GrokcheckError`` naming ``lister`` if none."""
    for c in registered(attr):
        if c.id == entry_id:
            return c
    from grokcheck.errors import GrokcheckError

    raise GrokcheckError(f"no registered {what} {entry_id!r}; `{lister}` lists them")


def all_checks() -> tuple[Check, ...]:
    """Every registered check, from the paper modules ``grokcheck.checks.claims.<paper>``, sorted by id."""
    return registered("CHECKS")


def get_check(check_id: str) -> Check:
    """The registered :class:`Check` with id ``check_id``; a ``GrokcheckError`` naming ``grokcheck checks`` if none."""
    return registered_by_id("CHECKS", check_id, "check", "grokcheck checks")


def assert_check_passes(check_id: str, group, *, budget: str = "small", seed: int = 0, artifacts: dict | None = None,
                        expect: str = "PASS") -> CheckResult:
    """Run one registered check and raise ``AssertionError`` unless its verdict is ``expect``.

    For use in a user's own test suite (the pytest plugin exposes it as the
    ``grokcheck_check`` fixture). ``artifacts`` injects the user's own data, e.g.
    trained weights, under the keys the check documents.
    """
    ctx = VerifyContext(group, budget=budget, seed=seed, artifacts=artifacts)
    result = run_check(get_check(check_id), ctx)
    if result.verdict.value != expect:
        raise AssertionError(
            f"check {check_id} on {group}: expected {expect}, got {result.verdict.value}"
            f" (predicted {result.prediction!r}, measured {result.measurement!r}; {result.reason})"
        )
    return result
