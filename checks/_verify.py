"""``verify``: run every applicable registered check on a group and write the report.

Outputs (in ``out_dir``): ``report.json`` (``{"group", "order", "budget",
"seed", "summary", "counts", "checks": [{id, claim, source, verdict, prediction,
measurement, tolerance, details, reason, published_false, group_independent,
[decide, baseline, statistic, why_false, on_model]}]}``), ``report.md`` (tables a
person reads first: the group's checks, then the group-independent ones, then
why each published statement is false, what would decide each INCONCLUSIVE, the
statistics, the full NOT APPLICABLE reasons and the figures), ``timing.json``
(seconds per check, kept apart so that two runs with the same seed give
identical reports) and the PNG figures the checks contributed. All files are
written atomically. Irreps are numbered 1..k (``X.1 … X.k``) as in ``grokcheck
table``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grokcheck.checks._io import atomic_write_json, atomic_write_text
from grokcheck.checks._registry import CheckResult, Verdict, VerifyContext, all_checks, run_check

__all__ = ["VerifyReport", "verify"]


def _short(x, width: int = 38) -> str:
    import numpy as np

    if x is None:
        return ""
    if isinstance(x, float):
        s = f"{x:.6g}"
    elif isinstance(x, (list, tuple, np.ndarray)):
        arr = np.asarray(x, dtype=object).ravel()
        s = "[" + ", ".join(_short(v, 12) for v in arr[:4]) + (", …]" if arr.size > 4 else "]")
    elif isinstance(x, dict):
        items = list(x.items())
        s = "{" + ", ".join(f"{k}: {_short(v, 12)}" for k, v in items[:3]) + (", …}" if len(items) > 3 else "}")
    else:
        s = str(x)
    return s if len(s) <= width else s[: width - 1] + "…"


def md_cell(text) -> str:
    """A GitHub-Markdown-safe table cell: ``|`` escaped, newlines and runs of space collapsed."""
    return " ".join(str(text).split()).replace("\\|", "|").replace("|", "\\|")


def _row(cells) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def _rule_words(r: CheckResult) -> str:
    """The decision rule of a result: a check's tolerance with its reason, an experiment's stated rule."""
    if r.tolerance is not None:
        return r.tolerance.words()
    if r.statistic and r.statistic.get("rule"):
        return str(r.statistic["rule"])
    return str((r.details or {}).get("decision_rule", ""))


_ORDER = {Verdict.FAIL: 0, Verdict.ERROR: 1, Verdict.INCONCLUSIVE: 2, Verdict.PASS: 3, Verdict.NOT_APPLICABLE: 4}


@dataclass(frozen=True)
class VerifyReport:
    """The results of one ``verify`` run and their report.

    ``group`` is the name a reader sees (see :func:`~grokcheck.checks._names.group_display_name`).
    Results of group-independent checks (``result.group_independent``) are counted apart.
    """

    group: str
    order: int
    budget: str
    seed: int
    results: tuple[CheckResult, ...]
    figures: tuple[str, ...] = field(default_factory=tuple)
    on_model: str | None = None  # the model file, for ``verify --model``
    title: str | None = None  # replaces "grokcheck verify GROUP" (``grokcheck experiments`` reuses this report)

    def _part(self, independent: bool) -> list[CheckResult]:
        """The papers' claims on the group (or group-independent ones); the self-tests are apart."""
        return [r for r in self.results if bool(r.group_independent) == independent and not r.self_test]

    def _self_tests(self) -> list[CheckResult]:
        """The infrastructure self-tests (the library's own identities), counted apart from the papers' claims."""
        return [r for r in self.results if r.self_test]

    @staticmethod
    def _counts(results) -> dict:
        c = {"PASS": 0, "expected FAIL": 0, "unexpected FAIL": 0, "does not transfer": 0, "INCONCLUSIVE": 0,
             "NOT APPLICABLE": 0, "ERROR": 0}
        for r in results:
            if r.verdict == Verdict.FAIL:
                c["expected FAIL" if r.published_false else
                  "does not transfer" if r.does_not_transfer else "unexpected FAIL"] += 1
            else:
                c[r.verdict.value] += 1
        return c

    def summary(self) -> dict:
        """Counts by verdict over every result (``FAIL`` = expected + unexpected)."""
        counts = {v.value: 0 for v in Verdict}
        for r in self.results:
            counts[r.verdict.value] += 1
        return counts

    def counts(self) -> dict:
        """``{"group": {...}, "group_independent": {...}}`` with FAILs split into expected
        (a published statement registered as printed and shown false) and unexpected."""
        return {"group": self._counts(self._part(False)), "group_independent": self._counts(self._part(True)),
                "self_tests": self._counts(self._self_tests())}

    @property
    def unexpected(self) -> list[CheckResult]:
        """Unexpected FAILs and ERRORs (what ``--strict`` exits 1 on): not a published statement shown
        false, and not a FAIL in a proxy setting (a claim that does not transfer there)."""
        return [r for r in self.results if r.verdict == Verdict.ERROR or r.unexpected_fail]

    def to_json(self) -> dict:
        out = {
            "group": self.group,
            "order": self.order,
            "budget": self.budget,
            "seed": self.seed,
            "summary": self.summary(),
            "counts": self.counts(),
            "irrep_numbering": "irreps are numbered 1..k (X.1 … X.k) in the order of `grokcheck table`",
            "checks": [],
            "figures": list(self.figures),
        }
        if self.on_model:
            out["model"] = self.on_model
        for r in self.results:
            d = r.to_json()
            d.pop("seconds")
            out["checks"].append(d)
        return out

    def _table(self, results) -> list[str]:
        lines = [_row(["verdict", "check", "claim", "predicted", "measured", "random-init baseline", "decision rule"]),
                 "|---|---|---|---|---|---|---|"]
        for r in sorted(results, key=lambda r: (_ORDER[r.verdict], r.id)):
            verdict = f"**{r.verdict.value}**" + (" (expected: published statement shown false)" if r.expected_fail else "")
            if r.does_not_transfer:
                verdict += f" (does not transfer to {r.setting.get('name') or 'a proxy setting'})"
            elif r.in_proxy and r.verdict in (Verdict.PASS, Verdict.INCONCLUSIVE):
                verdict += " (in a proxy setting)"
            decided = r.verdict in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)
            pred = _short(r.prediction) if decided else ""
            if r.verdict in (Verdict.PASS, Verdict.FAIL) or (r.verdict == Verdict.INCONCLUSIVE and r.measurement is not None):
                meas = _short(r.measurement, 60)
            else:
                meas = "see below"
            base = _short(r.baseline) if r.baseline is not None else ""
            rule = _rule_words(r) if decided else ""
            check = f"`{r.id}`" + (" (on the given model)" if r.on_model else "")
            lines.append(_row([verdict, check, r.claim, pred, meas, base, rule]))
        return lines

    def _separation_lines(self) -> list[str]:
        """For every result with a power analysis: each rival with the rate at which the rule excludes it."""
        rows = [r for r in self.results if isinstance(r.details, dict) and "separation" in r.details]
        if not rows:
            return []
        lines = ["", "## Rivals and power", "",
                 "Each experiment's decision rule run on synthetic datasets from the claim's generative model and "
                 "from each declared rival, at the experiment's own grid and the noise measured from the run. "
                 "*power*: the fraction of a rival's datasets the rule does not PASS; a PASS needs every rival's "
                 "power at the bar, else the verdict is INCONCLUSIVE.", "",
                 _row(["experiment", "model", "description", "PASS rate", "power (exclusion)", "grid that separates"]),
                 "|---|---|---|---|---|---|"]
        for r in rows:
            sep = r.details["separation"]
            c = sep["claim"]
            cbig = c.get("enlarged")
            tried = sep.get("tried_enlargements") or []
            none = f"none of the tried grids ({', '.join(f'{f}×' for f in tried)})" if tried else "no larger grid tried"
            cgrid = "" if c["pass_rate"] >= sep["power_bar"] else (
                f"confirmed by {cbig['grid']} ({cbig['power']:.0%})" if cbig else none)
            lines.append(_row([f"`{r.id}`", f"claim: {c['name']}", c["description"], f"{c['pass_rate']:.0%}",
                               f"(FAIL rate {c['counts'].get('FAIL', 0) / max(1, c['n_sims']):.0%})", cgrid]))
            for rv in sep["rivals"]:
                ok = rv["power"] >= sep["power_bar"]
                big = rv.get("enlarged")
                grid = "" if ok else (f"{big['grid']} ({big['power']:.0%})" if big else none)
                lines.append(_row(["", f"rival: {rv['name']}", rv["description"], f"{rv['pass_rate']:.0%}",
                                   f"{rv['power']:.0%}" + ("" if ok else f" < {sep['power_bar']:.0%}"), grid]))
            lines.append(_row(["", "noise", f"{sep['noise_source']}: {_short(sep['noise'], 80)}", "", "", ""]))
        return lines

    def to_markdown(self) -> str:
        c = self.counts()

        def say(d):
            return ", ".join(f"{v} {k}" for k, v in d.items() if v) or "none"

        lines = [
            f"# {self.title}" if self.title else f"# grokcheck verify {self.group}",
            "",
            ("" if self.title else f"|G| = {self.order}, ") + f"budget `{self.budget}`, seed {self.seed}."
            + (f" Trained-network checks measured on the model `{self.on_model}`." if self.on_model else ""),
            "",
            f"- **Checks on {self.group}**: {say(c['group'])}.",
            f"- **Group-independent checks** (the same on every group, counted once): {say(c['group_independent'])}.",
            f"- **Infrastructure self-tests** (the library's own identities, not claims of the papers): "
            f"{say(c['self_tests'])}.",
            "- *expected FAIL*: a published statement registered as printed and shown false (why: below); "
            "*unexpected FAIL*: a measurement that contradicts the claim inside its own regime, in the paper's "
            "setting; *does not transfer*: a FAIL in a proxy setting (not a refutation of the paper); "
            "*INCONCLUSIVE*: the run did not reach the claim's regime, or the design cannot separate the claim "
            "from a declared rival (what would decide it: below).",
            "- Irreps are numbered 1..k (X.1 … X.k) as in `grokcheck table` and GAP's `Display`.",
            "",
            f"## Checks on {self.group}",
            "",
            *self._table(self._part(False)),
        ]
        indep = self._part(True)
        if indep:
            lines += ["", "## Group-independent checks", "",
                      "These statements do not involve the group; they are run once per report and not counted in "
                      "the group's tally.", "", *self._table(indep)]
        selft = self._self_tests()
        if selft:
            lines += ["", "## Infrastructure self-tests", "",
                      "The library's own identities (character-table orthogonality, certified irreps, …): they test "
                      "grokcheck, not the papers, and are counted apart.", "", *self._table(selft)]
        lines += self._separation_lines()
        false = [r for r in self.results if r.expected_fail]
        if false:
            lines += ["", "## Published statements shown false", ""]
            for r in false:
                lines.append(f"- `{r.id}` ({r.source}): {r.why_false}")
                if "counterexample" in r.details:
                    lines.append(f"  - counterexample here: {r.details['counterexample']}")
        held = [r for r in self.results if r.published_false and r.verdict == Verdict.PASS]
        if held:
            lines += ["", "Published statements known false elsewhere that hold on this group: "
                      + ", ".join(f"`{r.id}`" for r in held) + "."]
        unexpected = [r for r in self.results if r.unexpected_fail]
        if unexpected:
            lines += ["", "## Unexpected FAILs", ""]
            for r in unexpected:
                lines.append(f"- `{r.id}`: predicted {_short(r.prediction, 80)}, measured {_short(r.measurement, 80)}; "
                             f"rule: {_rule_words(r)}")
                if r.reason:
                    lines.append(f"  - {r.reason}")
        moved = [r for r in self.results if r.does_not_transfer]
        if moved:
            lines += ["", "## FAILs in a proxy setting (the claim does not transfer there)", ""]
            for r in moved:
                st = r.setting or {}
                lines.append(f"- `{r.id}`: {r.reason}")
                if st.get("differences"):
                    lines.append("  - differs from the paper's setting: " + "; ".join(st["differences"]))
        inconc = [r for r in self.results if r.verdict == Verdict.INCONCLUSIVE]
        if inconc:
            lines += ["", "## INCONCLUSIVE", ""]
            for r in inconc:
                reason = r.reason.rstrip() + ("" if r.reason.rstrip().endswith(".") else ".")
                lines.append(f"- `{r.id}`: {reason}" + (f" To decide it: {r.decide}." if r.decide else ""))
        errors = [r for r in self.results if r.verdict == Verdict.ERROR]
        if errors:
            lines += ["", "## ERRORs", ""] + [f"- `{r.id}`: {r.reason}" for r in errors]
        stats = [r for r in self.results if r.statistic and r.verdict != Verdict.NOT_APPLICABLE]
        if stats:
            lines += ["", "## Statistics", ""]
            for r in stats:
                st = r.statistic
                parts = [str(st.get("test", ""))]
                if "p_value" in st:
                    parts.append(f"p = {_short(st['p_value'])}")
                if "ci" in st:
                    parts.append(f"interval {_short(st['ci'])}")
                for k in ("n_seeds", "n_neurons", "n_baseline_neurons", "n_memorised"):
                    if k in st:
                        parts.append(f"{k.replace('n_', '').replace('_', ' ')}: {st[k]}")
                if "rule" in st:
                    parts.append(f"rule: {st['rule']}")
                lines.append(f"- `{r.id}`: " + "; ".join(parts))
        na = [r for r in self.results if r.verdict == Verdict.NOT_APPLICABLE]
        if na:
            lines += ["", "## NOT APPLICABLE", ""] + [f"- `{r.id}`: {r.reason}" for r in na]
        notes = [r for r in self.results if r.reason and r.verdict == Verdict.PASS and r.published_false]
        if notes:
            lines += ["", "## Notes", ""] + [f"- `{r.id}`: {r.reason}" for r in notes]
        if self.figures:
            lines += ["", "## Figures", ""]
            for f in self.figures:
                lines += [f"- [{f}]({f})", "", f"  ![{f} ({self.group})]({f})", ""]
        lines += ["", "Sources, tolerances with their reasons, baselines and statistics are in `report.json`."]
        return "\n".join(lines) + "\n"


def _experiments_not_applicable(ctx) -> list[CheckResult]:
    """NOT APPLICABLE results for the group experiments on a group beyond the dense Cayley table."""
    from grokcheck.checks._hypotheses import DENSE_TABLE
    from grokcheck.checks.experiments._study import all_experiments

    why = f"hypothesis '{DENSE_TABLE.name}' fails: {DENSE_TABLE.why_not(ctx)}"
    return [CheckResult(id=e.id, claim=e.claim, source=e.source, verdict=Verdict.NOT_APPLICABLE, reason=why,
                        published_false=e.published_false) for e in all_experiments() if e.group_parameter]


def verify(
    G,
    *,
    budget: str = "small",
    seed: int = 0,
    only: list[str] | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
    device: str = "cpu",
    model: dict | None = None,
    model_name: str | None = None,
) -> VerifyReport:
    """Run every registered check (or those in ``only``) on ``G``.

    ``only``: check ids, experiment ids or prefixes of either; a named experiment runs at
    ``budget`` (a group experiment on ``G``, any other at its own grid). Without ``only`` the
    group experiments run at ``budget="full"``.

    Parameters
    ----------
    model : dict, optional
        Artifacts of a user-supplied trained network (e.g. ``{"trained.mlp": net,
        "trained.mlp.init": baseline}``: the network and the same architecture at random
        initialisation, as ``grokcheck verify G --model FILE --format F`` builds them). Then
        only the trained-network checks run, on that network: their budget hypotheses do not
        apply, the claims' own do, and each result carries ``on_model``.
    model_name : the model's file name, for the report.
    progress : a progress bar on a terminal; on anything else (a log file, a pipe) one plain
        line per check on stderr, with no cursor escapes.
    """
    import sys

    from grokcheck.checks._names import group_display_name
    from grokcheck.errors import GrokcheckError

    from grokcheck.checks.experiments._study import all_experiments

    checks = all_checks()
    if model is not None and not only:
        checks = tuple(c for c in checks if c.uses_model)
    chosen_experiments = None  # None: the default (the group experiments at --budget full)
    if only:
        def hit(entry_id):
            return any(entry_id == i or entry_id.startswith(i) for i in only)

        exps = all_experiments()
        known = {c.id for c in checks} | {e.id for e in exps}
        missing = [i for i in only if i not in known and not any(k.startswith(i) for k in known)]
        if missing:
            raise GrokcheckError(f"unknown check id(s) or experiment id(s) {missing}; `grokcheck checks` and "
                                 "`grokcheck experiments --list` list them")
        checks = tuple(c for c in checks if hit(c.id))
        chosen_experiments = tuple(e for e in exps if hit(e.id))
    tty = bool(progress and getattr(sys.stderr, "isatty", lambda: False)())
    ctx = VerifyContext(G, budget=budget, seed=seed, progress=tty, device=device, artifacts=model,
                        on_model=model is not None)
    results = []
    if tty:
        from tqdm.auto import tqdm

        bar = tqdm(checks, desc="verify", unit="check", leave=False)
        for c in bar:
            bar.set_postfix_str(c.id)
            results.append(run_check(c, ctx))
    else:
        for i, c in enumerate(checks):
            if progress:
                print(f"verify [{i + 1}/{len(checks)}] {c.id}", file=sys.stderr, flush=True)
            results.append(run_check(c, ctx))
    figures: list[str] = []
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, draw in sorted(ctx.figures.items()):
            try:
                written = draw(out / name)  # every plotting function writes atomically (temp file + rename)
                names = [Path(w).name for w in written] if isinstance(written, (list, tuple)) else []
                figures.extend(names or [name])
            except OSError:
                raise  # a full or read-only disk is the user's to fix, not a figure to skip
            except Exception as exc:  # noqa: BLE001 - a figure must not lose the report
                print(f"grokcheck: figure {name} failed: {exc}")
    if chosen_experiments:
        # experiments named by --only: a group experiment runs on G, any other at its own grid
        from grokcheck.checks.experiments._study import run_experiment

        for e in chosen_experiments:
            if e.group_parameter and not hasattr(G, "table"):
                results.extend(r for r in _experiments_not_applicable(ctx) if r.id == e.id)
                continue
            if progress:
                print(f"verify: experiment {e.id} (budget {budget})", file=sys.stderr, flush=True)
            r = run_experiment(e, budget=budget, seed=seed, device=device, out_dir=out_dir,
                               group=G if e.group_parameter else None)
            results.append(r)
            figures.extend(r.details.get("figures", []))
    elif budget == "full" and model is None and not only:
        # the registered experiments that take the group as a parameter (grokcheck experiments)
        if hasattr(G, "table"):
            from grokcheck.checks.experiments._study import experiments_on_group

            more, more_figures = experiments_on_group(G, seed=seed, out_dir=out_dir, device=device, progress=progress)
            results.extend(more)
            figures.extend(more_figures)
        else:  # every group experiment trains on the dense table
            results.extend(_experiments_not_applicable(ctx))
    report = VerifyReport(group_display_name(G), G.order, budget, seed, tuple(results), tuple(figures), model_name)
    if out_dir is not None:
        atomic_write_json(out / "report.json", report.to_json())
        atomic_write_text(out / "report.md", report.to_markdown())
        atomic_write_json(out / "timing.json", {r.id: round(r.seconds, 3) for r in results})
    return report
