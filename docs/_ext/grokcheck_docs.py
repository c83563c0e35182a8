"""Sphinx extension of the grokcheck docs: the claims tables and the API reference, generated at build time.

Directives
----------
``grokcheck-claims``
    A table of the registered checks, read from :func:`grokcheck.checks.all_checks` when the
    docs are built: paper → claim → check id → hypotheses → tolerance and its reason. With an
    argument (a module of ``grokcheck.checks.claims``, e.g. ``he_et_al``) only that paper's
    checks; without one, every registered check grouped by paper, so a check added later
    appears without editing the docs.
``grokcheck-published-false``
    A list of the registered published statements shown false, with the reason of each.
``grokcheck-reproductions``
    The reproduction table: for every registered experiment, the published number with its
    source, ours at ``paper`` (the stored results file, or "not run here" with the measured
    cost) and at ``full``, the verdict, the CPU hours and the full budget's differences from the
    paper, read from the repository's ``results/`` when the docs are built
    (:func:`grokcheck.checks.experiments._reproductions.reproduction_rows`).
``grokcheck-model-formats``
    The state-dict layouts of ``grokcheck analyze/verify --format``, from the loaders' docstring.
``grokcheck-api``
    ``autoclass`` / ``autofunction`` entries for the public names of grokcheck's namespaces, and
    ``py:data`` entries with each constant's own ``#:`` comment, each object documented once,
    under the first namespace that exports it.

The text generators (:func:`claims_rst`, :func:`api_rst`) are plain functions, so tests can check
their coverage without running Sphinx.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

#: Public claims modules in the order the docs present them, with the paper's heading.
PAPERS = {
    "he_et_al": "He et al., spectral representations for group composition (arXiv 2606.02993)",
    "li2": "Tian, the Li₂ framework (arXiv 2509.21519)",
    "tan_huang": "Tan & Huang, the robustness viewpoint (arXiv 2311.06597)",
    "lyu": "Lyu et al., early and late implicit biases (arXiv 2311.18817)",
    "egd": "Egalitarian gradient descent (arXiv 2510.04930)",
    "universality": "Trained ReLU MLPs: Power et al., Nanda et al., Chughtai et al.",
    "library": "The library's own identities",
}

#: Namespaces of the API reference, in order; an object is documented under the first that exports it.
NAMESPACES = (
    "grokcheck",
    "grokcheck.theory",
    "grokcheck.theory.strategies",
    "grokcheck.theory.compact",
    "grokcheck.numerics",
    "grokcheck.checks.training",
    "grokcheck.checks.experiments",
    "grokcheck.checks.claims",
    "grokcheck.checks.properties",
    "grokcheck.checks",
)


def claims_modules() -> dict[str, tuple]:
    """``{module name: CHECKS}`` for every public module of ``grokcheck.checks.claims``."""
    import grokcheck.checks.claims as claims

    out = {}
    for info in pkgutil.iter_modules(claims.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"grokcheck.checks.claims.{info.name}")
        out[info.name] = tuple(getattr(mod, "CHECKS", ()))
    return out


def _cell(text: str) -> str:
    """One line of RST table text: inline markup neutralised, never empty."""
    text = " ".join(str(text).split())
    for ch in ("\\", "*", "`", "|", "_"):
        text = text.replace(ch, "\\" + ch)
    return text or "—"


def _tolerance(check) -> str:
    tol = check.tolerance
    rule = tol.rule() if hasattr(tol, "rule") else f"{tol.kind} {tol.value:g}"
    return f"{rule}, because {tol.reason}" if tol.reason else rule


def _check_rows(checks) -> list[str]:
    lines = []
    for c in checks:
        hyps = "; ".join(h.name for h in c.hypotheses) or "none"
        claim_cell = _cell(c.claim) + (f" **Published statement shown false:** {_cell(c.why_false)}" if c.published_false else "")
        lines += [
            f"   * - ``{c.id}``",
            f"     - {claim_cell}",
            f"     - {_cell(c.source)}",
            f"     - {_cell(hyps)}",
            f"     - {_cell(_tolerance(c))}",
        ]
    return lines


def _table(checks, caption: str) -> list[str]:
    return [
        f".. list-table:: {caption}",
        "   :header-rows: 1",
        "   :widths: 14 30 20 16 20",
        "   :class: grokcheck-claims",
        "",
        "   * - check id",
        "     - claim",
        "     - source",
        "     - hypotheses",
        "     - tolerance and why",
        *_check_rows(checks),
        "",
    ]


def claims_rst(paper: str | None = None) -> str:
    """RST for the claims table of one paper's module, or of every registered check.

    Every check of :func:`grokcheck.checks.all_checks` appears exactly once in the full table;
    a check that is not in a claims module's ``CHECKS`` is listed under "Other checks".
    """
    from grokcheck.checks import all_checks

    by_module = claims_modules()
    if paper is not None:
        if paper not in by_module:
            raise ValueError(f"no claims module grokcheck.checks.claims.{paper}; have {sorted(by_module)}")
        checks = by_module[paper]
        if not checks:
            return "*No check of this paper is registered in* ``grokcheck verify`` *yet.*\n"
        return "\n".join(_table(checks, f"{len(checks)} registered checks")) + "\n"
    registered = {c.id: c for c in all_checks()}
    lines: list[str] = []
    placed: set[str] = set()
    order = [m for m in PAPERS if m in by_module] + sorted(set(by_module) - set(PAPERS))
    for mod in order:
        checks = [c for c in by_module[mod] if c.id in registered]
        if not checks:
            continue
        title = PAPERS.get(mod, mod)
        lines += [title, "-" * (2 * len(title)), "", f"Module ``grokcheck.checks.claims.{mod}``.", ""]
        lines += _table(checks, f"{len(checks)} checks")
        placed |= {c.id for c in checks}
    rest = [c for cid, c in sorted(registered.items()) if cid not in placed]
    if rest:
        lines += ["Other checks", "-" * 24, ""] + _table(rest, f"{len(rest)} checks")
    return "\n".join(lines) + "\n"


def published_false_rst() -> str:
    """RST bullet list of every registered check with ``published_false=True``: id, source, why."""
    from grokcheck.checks import all_checks

    items = [c for c in all_checks() if c.published_false]
    if not items:
        return "*No registered check is marked as a published statement shown false.*\n"
    lines = []
    for c in sorted(items, key=lambda c: c.id):
        lines += [f"- ``{c.id}`` — {_cell(c.source)}. {_cell(c.claim)} *Why it is false:* {_cell(c.why_false)}", ""]
    return "\n".join(lines) + "\n"


def reproductions_rst(folder=None) -> str:
    """RST of the reproduction table (see the module docstring); ``folder``: the results folder."""
    from grokcheck.checks.experiments._reproductions import reproduction_rows

    rows = reproduction_rows(folder)
    lines = [
        f".. list-table:: {sum(r['has_paper_run'] for r in rows)} of {len(rows)} experiments run at the paper budget",
        "   :header-rows: 1",
        "   :widths: 22 18 18 10 12 8 12",
        "   :class: grokcheck-reproductions",
        "",
        "   * - claim",
        "     - published (source)",
        "     - ours at paper",
        "     - verdict",
        "     - ours at full",
        "     - CPU hours",
        "     - full budget differs from the paper",
    ]
    for r in rows:
        hours = r["cpu_words"]
        full = (f"{r['ours_full']} ({r['verdict_full']})" if r["verdict_full"] else "no stored run")
        lines += [
            f"   * - ``{r['id']}``: {_cell(r['claim'])}",
            f"     - {_cell(r['published'] or 'the claim as stated')} ({_cell(r['source'])})",
            f"     - {_cell(r['ours_paper'])}" + (f" on {_cell(r['ran_on'])}" if r["ran_on"] else ""),
            f"     - {_cell(r['verdict_paper'] or '—')}",
            f"     - {_cell(full)}",
            f"     - {_cell(hours)}",
            f"     - {_cell('; '.join(r['full_differences']) or 'none (the paper setting)')}",
        ]
    return "\n".join(lines) + "\n"


def model_formats_rst() -> str:
    """The ``--format`` layouts (:data:`grokcheck.checks.MODEL_FORMATS`), read from the "Formats"
    part of the module docstring of the external-model loaders, their one source."""
    from grokcheck.checks.training import _external

    doc = inspect.getdoc(_external) or ""
    start, end = doc.find("Formats ("), doc.find("\nLabels.")
    if start < 0 or end < 0:
        raise RuntimeError("the external-model loaders' docstring lost its 'Formats (' or 'Labels.' part")
    text = doc[start:end].strip()
    head, _, body = text.partition("\n")
    missing = [f for f in _external.MODEL_FORMATS if f"``{f}``" not in body]
    if missing:
        raise RuntimeError(f"formats without a description: {missing}")
    # plain docutils parses this (see _GeneratedRST): Sphinx roles become literals
    body = re.sub(r":\w+:`~?([^`]*)`", r"``\1``", body)
    return head.strip() + ":\n\n" + body.strip() + "\n"


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "autoclass"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or callable(obj) and hasattr(obj, "__wrapped__"):
        return "autofunction"
    return "data"


def data_doc(ns: str, name: str) -> list[str]:
    """The documentation of the public value ``ns.name``: the ``#:`` comment above its
    definition (found in whichever grokcheck module defines it), else the value's own
    ``__doc__`` when it is not its type's (an object given a docstring), else ``[]``.

    Autodoc would look for the comment only in ``ns`` itself, which re-exports the value, and
    then fall back to the type's docstring (``int()``'s, ``tuple()``'s).
    """
    import sys

    from sphinx.pycode import ModuleAnalyzer

    obj = getattr(importlib.import_module(ns), name)
    for modname in sorted(m for m in list(sys.modules) if m == "grokcheck" or m.startswith("grokcheck.")):
        mod = sys.modules[modname]
        if getattr(mod, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module without source (compiled): try the next one
            continue
        lines = docs.get(("", name))
        if lines and any(x.strip() for x in lines):
            return [x for x in lines]
    own = getattr(obj, "__doc__", None)
    if own and own != getattr(type(obj), "__doc__", None):
        return inspect.cleandoc(own).splitlines()
    return []


def _short_value(obj) -> str | None:
    """``repr`` of a small constant, shown beside its name; ``None`` for anything longer."""
    if isinstance(obj, (int, float, str, tuple, frozenset)) and len(r := repr(obj)) <= 120:
        return r
    return None


def module_summary(mod) -> str:
    """The first paragraph of a module's docstring, joined into one line (never cut mid-sentence)."""
    doc = (inspect.getdoc(mod) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def api_entries() -> list[tuple[str, str, str]]:
    """``(namespace, name, directive)`` for every public name, each object once."""
    seen: set[int] = set()
    out = []
    for ns in NAMESPACES:
        mod = importlib.import_module(ns)
        for name in sorted(getattr(mod, "__all__", ()), key=str.lower):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            kind = _kind(obj)
            # a value (an int, a tuple) is one object under every name that exports it
            key = id(obj) if kind != "data" else (name, id(obj))
            if key in seen:
                continue
            seen.add(key)
            out.append((ns, name, kind))
    return out


def api_rst() -> str:
    """RST of the API reference: one section per namespace (see :data:`NAMESPACES`)."""
    lines: list[str] = []
    entries = api_entries()
    for ns in NAMESPACES:
        mine = [(n, k) for s, n, k in entries if s == ns]
        if not mine:
            continue
        mod = importlib.import_module(ns)
        lines += [f"``{ns}``", "-" * (len(ns) + 4), ""]
        summary = module_summary(mod)
        if summary:
            lines += [summary, ""]
        for name, kind in mine:
            if kind == "data":
                lines.append(f".. py:data:: {ns}.{name}")
                value = _short_value(getattr(mod, name))
                if value is not None:
                    lines.append(f"   :value: {value}")
                lines.append("")
                lines += ["   " + x if x.strip() else "" for x in data_doc(ns, name)]
            else:
                lines.append(f".. {kind}:: {ns}.{name}")
            lines.append("")
    return "\n".join(lines) + "\n"


class _Generated(Directive):
    def _parse(self, text: str):
        node = nodes.container()
        nested_parse_with_titles(self.state, StringList(text.splitlines(), source="<grokcheck-docs>"), node)
        return node.children


class _GeneratedRST(Directive):
    """Parse generated reStructuredText even inside a Markdown (MyST) page, whose nested parser
    would read Markdown. The generated text uses plain docutils constructs only."""

    def _parse(self, text: str):
        from docutils.parsers.rst import Parser
        from docutils.utils import new_document

        doc = new_document("<grokcheck-docs>", self.state.document.settings)
        Parser().parse(text, doc)
        return list(doc.children)


class ClaimsDirective(_GeneratedRST):
    optional_arguments = 1
    has_content = False

    def run(self):
        return self._parse(claims_rst(self.arguments[0] if self.arguments else None))


class PublishedFalseDirective(_GeneratedRST):
    has_content = False

    def run(self):
        return self._parse(published_false_rst())


class ReproductionsDirective(_GeneratedRST):
    has_content = False

    def run(self):
        return self._parse(reproductions_rst())


class ModelFormatsDirective(_GeneratedRST):
    has_content = False

    def run(self):
        return self._parse(model_formats_rst())


class ApiDirective(_Generated):
    has_content = False

    def run(self):
        return self._parse(api_rst())


_LITERAL = re.compile(r"(``.*?``|:math:`[^`]*`|`[^`]*`_?)")


def escape_bars(lines: list[str]) -> None:
    """Escape ``|`` outside literals in docstring lines, in place.

    The docstrings write group orders as ``|G|`` in plain text; reStructuredText would read
    ``|G|`` as a substitution reference. Literals (double backquotes), roles and lines that
    start a line block (``| ``) or a grid table (``+-``) are left alone.
    """
    for i, line in enumerate(lines):
        if "|" not in line or line.lstrip().startswith(("| ", "+-", "+=")) or line.strip() == "|":
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(p if k % 2 else p.replace("\\|", "|").replace("|", "\\|") for k, p in enumerate(parts))


_SECTION = re.compile(r"^(Parameters|Other Parameters|Attributes|Returns|Yields|Raises|Warns)$")
_ENTRY = re.compile(r"^(\s*)(\*{0,2}[\w, .*]+?) : (.+)$")
_TYPE = re.compile(r"^[\w.\[\](), |]+$")


def split_descriptions(lines: list[str]) -> None:
    """Move a description written on a parameter's own line to the line below, in place.

    grokcheck's docstrings often write ``name : what it is`` in their numpydoc sections; numpydoc
    reads the text after the colon as the *type* and prints it raw (roles such as
    ``:meth:`…``` unparsed, in italics). A text that is not a short type expression (``int``,
    ``dict, optional``) becomes the entry's first description line instead.
    """
    section = None
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _SECTION.match(line.strip()) and set(nxt.strip()) == {"-"}:
            section, indent = line.strip(), len(line) - len(line.lstrip())
            i += 2
            continue
        if section and line.strip() and len(line) - len(line.lstrip()) < indent:
            section = None
        m = _ENTRY.match(line) if section else None
        if m and len(m.group(1)) == indent:
            text = m.group(3).strip()
            if not (len(text) <= 30 and _TYPE.match(text)):
                lines[i: i + 1] = [m.group(1) + m.group(2), m.group(1) + "    " + text]
                i += 1
        i += 1


_NAMES = re.compile(r"^\*{0,2}\w+(, ?\*{0,2}\w+)*( : .*)?$")


def lift_stray_paragraphs(lines: list[str]) -> None:
    """Move prose that follows a parameter list, at its indentation, above the first section, in place.

    numpydoc has no end for a ``Parameters`` section but the next heading, so a closing
    paragraph ("Draws direct products of …") would be read as more parameters: bold fake
    names with raw roles. Such a paragraph (after a blank line, its first line not a name list)
    joins the extended summary instead.
    """
    first_section = None
    section, indent, blank = None, 0, False
    stray: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        line, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        if _SECTION.match(line.strip()) and set(nxt.strip()) == {"-"}:
            first_section = i if first_section is None else first_section
            section = line.strip() if line.strip() in ("Parameters", "Other Parameters", "Attributes") else None
            indent, blank = len(line) - len(line.lstrip()), False
            i += 2
            continue
        if not line.strip():
            blank = True
        elif set(line.strip()) <= {"-", "="} and line.strip():
            section = None
        elif section and blank and len(line) - len(line.lstrip()) == indent and not _NAMES.match(line.strip()):
            j = i
            while j < len(lines) and not (_SECTION.match(lines[j].strip()) and j + 1 < len(lines)
                                          and set(lines[j + 1].strip()) == {"-"}):
                j += 1
            while j > i and not lines[j - 1].strip():
                j -= 1
            stray.append((i, j + 1 if j < len(lines) else j))  # with the blank line after it
            section = None
            i = j
            continue
        else:
            blank = False
        i += 1
    for start, end in reversed(stray):
        block = [x for x in lines[start:end]]
        del lines[start:end]
        while block and not block[-1].strip():
            block.pop()
        lines[first_section:first_section] = [*block, ""]


def _process_docstring(app, what, name, obj, options, lines):
    escape_bars(lines)
    lift_stray_paragraphs(lines)
    split_descriptions(lines)


def setup(app):
    # before numpydoc (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)
    app.add_directive("grokcheck-claims", ClaimsDirective)
    app.add_directive("grokcheck-api", ApiDirective)
    app.add_directive("grokcheck-model-formats", ModelFormatsDirective)
    app.add_directive("grokcheck-published-false", PublishedFalseDirective)
    app.add_directive("grokcheck-reproductions", ReproductionsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
