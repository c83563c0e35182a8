"""Every command and Python snippet of README.md and docs/ runs as written.

The fenced ``bash`` and ``python`` blocks (and the sweep specs in ``toml`` blocks) are read from the
pages; each bash command (a line, with its ``\\`` continuations) and each Python block is a unit.
A unit runs in the default tier unless it is listed in :data:`SKIP` (with the reason it cannot run
here) or :data:`SLOW` (it runs under ``pytest -m slow``). Commands run in a temporary folder, so the
folders they write (``--out verify-Q8``) land there. The files a snippet reads (``model.pt``, a
sweep's results) are prepared by :func:`_prepare` the way the text describes them.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "papers").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)

# (page, pattern in the unit's text) -> why it does not run in the tests
SKIP = {
    ("README.md", "ruff check . &&"): "the whole CI pipeline (lint, docs, every test): CI runs it",
    ("README.md", "pip install torch"): "installs packages into the environment (its grokcheck part is docs/index.md's)",
    ("index.md", 'pip install -e ".[dev]"'): "installs packages into the environment",
    ("mechanisms.md", "S5_seed*.pt"): "reads the released S5 checkpoints, which are not part of the project",
    ("properties.md", "grep -A3 mylab"): "needs the example package installed; tests/test_user_claims.py runs it",
    ("properties.md", "--only mylab.degrees"): "needs the example package installed; tests/test_user_claims.py runs it",
    ("properties.md", "--list | grep -A4 mylab"): "needs the example package installed; tests/test_user_claims.py runs it",
    ("properties.md", "--only mylab.quadratic"): "needs the example package installed; tests/test_user_claims.py runs it",
    ("properties.md", "DESIGN = Design("): "an outline: `_model`, `_cells`, `...` are elided (the fixture holds the whole)",
    ("reproductions.md", "--budget paper"): "a paper-budget experiment: CPU hours",
    ("reproductions.md", "scripts/paper_gpu.sh"): "needs a CUDA device and hours",
    ("sweeps.md", "grokcheck sweep cyclic-wd.toml  "): "the spec's 36 cells of 3000-step runs take CPU hours",
    ("sweeps.md", "--threads 2"): "the spec's 36 cells of 3000-step runs take CPU hours",
    ("sweeps.md", "--executor ray"): "needs Ray and a cluster (tests/test_sweep_ray.py runs the Ray executor)",
    ("sweeps.md", "pip install \"grokcheck[ray]\""): "installs packages into the environment",
    ("sweeps.md", "ray "): "starts or stops a Ray cluster",
    ("sweeps.md", "export RAY_AUTH_MODE"): "configures a Ray cluster",
    ("sweeps.md", "#SBATCH"): "a Slurm batch script",
    ("transformer_lens.md", "transformer-lens"): "needs a TransformerLens checkpoint and config; "
                                                 "tests/test_transformer_lens.py loads one",
}
# units that run under `pytest -m slow` (each > ~20 s on 2 shared cores)
SLOW = {
    ("index.md", "grokcheck verify Q8 --budget small"): "the small budget on Q8: ~20 s, more under load",
}


def _units():
    """``(page name, line, kind, text)`` of every bash command, python block and sweep spec."""
    out = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            lang, body = m.group(1), m.group(2)
            line = text[: m.start()].count("\n") + 1
            if lang == "python":
                out.append((page.name, line, "python", body))
            elif lang == "toml" and "[train]" in body or lang == "toml" and "[experiment]" in body:
                out.append((page.name, line, "spec", body))
            elif lang == "bash":
                if "#SBATCH" in body:
                    out.append((page.name, line, "bash", body))
                    continue
                for cmd in body.replace("\\\n", " ").splitlines():
                    if cmd.strip() and not cmd.lstrip().startswith("#"):
                        out.append((page.name, line, "bash", cmd.strip()))
    return out


UNITS = _units()


def _reason(table, page, text):
    return next((why for (p, pat), why in table.items() if p == page and pat in text), None)


def _params():
    params = []
    for page, line, kind, text in UNITS:
        marks = []
        skip = _reason(SKIP, page, text)
        if skip:
            marks.append(pytest.mark.skip(reason=skip))
        elif _reason(SLOW, page, text):
            marks.append(pytest.mark.slow)
        params.append(pytest.param(page, kind, text, id=f"{page}:{line}:{kind}:{text.splitlines()[0][:40]}",
                                   marks=marks))
    return params


def test_every_listed_exception_names_a_unit_of_the_docs():
    # a SKIP or SLOW entry whose text left the docs would hide nothing: it must go
    for table in (SKIP, SLOW):
        for page, pat in table:
            assert any(p == page and pat in t for p, _, _, t in UNITS), f"{page}: no unit contains {pat!r}"


def test_the_docs_have_snippets_to_run():
    kinds = {k for _, _, k, _ in UNITS}
    assert {"bash", "python", "spec"} <= kinds and len(UNITS) > 20


def _one_layer_model(path):
    """A OneLayerMLP state dict (``W_x, W_y, W, W_U``) that has learned S3's table, as README says."""
    torch = pytest.importorskip("torch")
    from grokcheck.theory import group

    G = group("S3")
    n, e, h = 6, 16, 32
    g = torch.Generator().manual_seed(0)
    W = {"W_x": torch.randn(n, e, generator=g, dtype=torch.float64) / math.sqrt(e),
         "W_y": torch.randn(n, e, generator=g, dtype=torch.float64) / math.sqrt(e),
         "W": torch.randn(2 * e, h, generator=g, dtype=torch.float64) / math.sqrt(2 * e),
         "W_U": torch.randn(h, n, generator=g, dtype=torch.float64) / math.sqrt(h)}
    params = [torch.nn.Parameter(v) for v in W.values()]
    a, b = torch.arange(n).repeat_interleave(n), torch.arange(n).repeat(n)
    y = torch.as_tensor(G.table.reshape(-1).copy())
    opt = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.0)
    for _ in range(300):  # 36 pairs, all trained on: a fit in well under a second
        opt.zero_grad()
        wx, wy, w, wu = params
        logits = torch.relu(torch.cat([wx[a], wy[b]], dim=-1) @ w) @ wu
        torch.nn.functional.cross_entropy(logits, y).backward()
        opt.step()
    torch.save(dict(zip(W, (p.detach() for p in params))), path)


def _prepare(page, text, cwd):
    """Write what the snippet reads, as the page describes it."""
    if "model.pt" in text:
        _one_layer_model(cwd / "model.pt")
    if "cyclic-wd.toml" in text:
        spec = next(t for p, _, k, t in UNITS if p == "sweeps.md" and k == "spec" and "[train]" in t)
        (cwd / "cyclic-wd.toml").write_text(spec, encoding="utf-8")
    if "sweeps/cyclic-wd/results.parquet" in text:
        # the table of a finished sweep with the page's columns; a tiny grid stands in for the page's
        spec = next(t for p, _, k, t in UNITS if p == "sweeps.md" and k == "spec" and "[train]" in t)
        tiny = (spec.replace("steps = 3000", "steps = 20").replace("eval_every = 100", "eval_every = 10")
                .replace("width = 128", "width = 8").replace("seeds = 8 ", "seeds = 2 ")
                .replace('group = ["C23", "C29", "C31"]', 'group = ["C5"]')
                .replace("train_fraction = [0.3, 0.4, 0.5]", "train_fraction = [0.5]")
                .replace("seed = [0, 1] ", "seed = [0] "))
        (cwd / "tiny.toml").write_text(tiny, encoding="utf-8")
        r = subprocess.run(["grokcheck", "sweep", "tiny.toml"], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]


@pytest.mark.parametrize(("page", "kind", "text"), _params())
def test_snippet_runs_as_written(page, kind, text, tmp_path, monkeypatch):
    if kind == "bash" and shutil.which("grokcheck") is None:
        pytest.skip("the grokcheck command is not installed")
    monkeypatch.chdir(tmp_path)
    _prepare(page, text, tmp_path)
    if kind == "python":
        ns = {"__name__": "snippet"}
        # a page's blocks build on each other (imports, helpers): the earlier runnable ones run first
        for p, _, k, t in UNITS:
            if t == text:
                break
            if p == page and k == "python" and not _reason(SKIP, p, t):
                exec(compile(t, f"{page} earlier snippet", "exec"), ns)  # noqa: S102 - the docs' own code
        exec(compile(text, f"{page} snippet", "exec"), ns)  # noqa: S102 - the docs' own code
    elif kind == "spec":
        from grokcheck.checks.experiments._sweep import load_spec

        body = text if "name" in text.split("[")[0] else 'name = "doc"\n' + text
        (tmp_path / "spec.toml").write_text(body, encoding="utf-8")
        load_spec(tmp_path / "spec.toml")  # parsed and checked exactly as `grokcheck sweep` does
    else:
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}
        r = subprocess.run(["bash", "-c", "set -o pipefail; " + text], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600, env=env)
        assert r.returncode == 0, f"{text}\nexit {r.returncode}\n{r.stdout[-1500:]}\n{r.stderr[-2000:]}"


if __name__ == "__main__":  # pragma: no cover - a listing for the docs' writers
    for u in UNITS:
        print(*u[:3], u[3].splitlines()[0][:80], sep=" | ", file=sys.stdout)
