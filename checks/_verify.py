"""``verify``: run every applicable registered check on a group and write the report.

Outputs (in ``out_dir``): ``report.json`` (``{"group", "order", "budget",
"seed", "summary", "checks": [{id, claim, source, verdict, prediction,
measurement, tolerance, details, reason, published_false}]}``), ``report.md``
(a table a person reads first), ``timing.json`` (seconds per check, kept apart
so that two runs with the same seed give identical reports) and the PNG figures
the checks contributed. All files are written atomically.
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
    else:
        s = str(x)
    return s if len(s) <= width else s[: width - 1] + "…"


@dataclass(frozen=True)
class VerifyReport:
    group: str
    order: int
    budget: str
    seed: int
    results: tuple[CheckResult, ...]
    figures: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict:
        counts = {v.value: 0 for v in Verdict}
        for r in self.results:
            counts[r.verdict.value] += 1
        return counts

    def to_json(self) -> dict:
        out = {
            "group": self.group,
            "order": self.order,
            "budget": self.budget,
            "seed": self.seed,
            "summary": self.summary(),
            "checks": [],
            "figures": list(self.figures),
        }
        for r in self.results:
            d = r.to_json()
            d.pop("seconds")
            out["checks"].append(d)
        return out

    def to_markdown(self) -> str:
        s = self.summary()
        lines = [
            f"# grokcheck verify {self.group}",
            "",
            f"|G| = {self.order}, budget `{self.budget}`, seed {self.seed}. "
            + ", ".join(f"{v} {k}" for k, v in s.items() if v),
            "",
            "| verdict | check | claim | predicted | measured | tolerance |",
            "|---|---|---|---|---|---|",
        ]
        rank = {Verdict.FAIL: 0, Verdict.ERROR: 1, Verdict.PASS: 2, Verdict.NOT_APPLICABLE: 3}
        for r in sorted(self.results, key=lambda r: (rank[r.verdict], r.id)):
            tol = ""
            if r.tolerance is not None and r.verdict in (Verdict.PASS, Verdict.FAIL):
                tol = "exact" if r.tolerance.kind == "equal" else f"{r.tolerance.kind} {r.tolerance.value:g}"
            claim = r.claim + (" *(published; shown false)*" if r.published_false and r.verdict == Verdict.FAIL else "")
            pred = _short(r.prediction) if r.verdict in (Verdict.PASS, Verdict.FAIL) else ""
            meas = _short(r.measurement) if r.verdict in (Verdict.PASS, Verdict.FAIL) else r.reason
            lines.append(f"| **{r.verdict.value}** | `{r.id}` | {claim} | {pred} | {_short(meas, 60)} | {tol} |")
        notes = [r for r in self.results if r.reason and r.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.PASS)]
        if notes:
            lines += ["", "## Notes", ""]
            for r in notes:
                lines.append(f"- `{r.id}` ({r.verdict.value}): {r.reason}")
                if r.verdict == Verdict.FAIL and "counterexample" in r.details:
                    lines.append(f"  - counterexample: {_short(r.details['counterexample'], 200)}")
        if self.figures:
            lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in self.figures]
        lines += ["", "Sources and tolerances with their reasons are in `report.json`."]
        return "\n".join(lines) + "\n"


def verify(
    G,
    *,
    budget: str = "small",
    seed: int = 0,
    only: list[str] | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
    device: str = "cpu",
) -> VerifyReport:
    """Run every registered check (or those in ``only``) on ``G``."""
    from grokcheck.errors import GrokcheckError

    checks = all_checks()
    if only:
        known = {c.id for c in checks}
        missing = [i for i in only if i not in known and not any(k.startswith(i) for k in known)]
        if missing:
            raise GrokcheckError(f"unknown check id(s) {missing}; `grokcheck checks` lists them")
        checks = tuple(c for c in checks if any(c.id == i or c.id.startswith(i) for i in only))
    ctx = VerifyContext(G, budget=budget, seed=seed, progress=progress, device=device)
    results = []
    from tqdm.auto import tqdm

    bar = tqdm(checks, desc="verify", unit="check", disable=not progress, leave=False)
    for c in bar:
        bar.set_postfix_str(c.id)
        results.append(run_check(c, ctx))
    figures: list[str] = []
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, draw in sorted(ctx.figures.items()):
            try:
                draw(out / name)
                figures.append(name)
            except Exception as exc:  # noqa: BLE001 - a figure must not lose the report
                print(f"grokcheck: figure {name} failed: {exc}")
    report = VerifyReport(str(G), G.order, budget, seed, tuple(results), tuple(figures))
    if out_dir is not None:
        atomic_write_json(out / "report.json", report.to_json())
        atomic_write_text(out / "report.md", report.to_markdown())
        atomic_write_json(out / "timing.json", {r.id: round(r.seconds, 3) for r in results})
    return report
