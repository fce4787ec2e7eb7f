"""`kb site`: the knowledge base as a static site, rendered with Jinja2 templates and written as one
folder, atomically (knowledgebase/output.py), like `kb release`.

URLs are stable: a case's page is cases/<local name of its IRI>.html, a term's is
terms/<local name>.html. The case finder runs in the browser over finder-index.js, a file of
data the build writes (a script rather than JSON so that the site also works opened from disk,
where browsers refuse to fetch files)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rdflib import URIRef

from calcinosis_kb import __version__
from calcinosis_kb.knowledgebase.location import KnowledgeBase
from calcinosis_kb.knowledgebase.namespaces import curie, expand
from calcinosis_kb.presentation.site.charts import bar_chart
from calcinosis_kb.presentation.site.content import (
    FACETS,
    CaseView,
    Content,
    claims_about,
    gather,
    local_name,
    subtype_classes,
)
from calcinosis_kb.presentation.site.highlight import highlight

STATIC = ("site.css", "finder.js")
FACET_TITLES = {"condition": "Conditions", "site": "Lesion sites", "lab": "Laboratory tests",
                "treatment": "Treatments", "outcome": "Outcomes"}
FACET_LABELS = {"condition": "Condition", "site": "Site", "lab": "Laboratory test", "treatment": "Treatment",
                "outcome": "Outcome"}


@dataclass
class Built:
    folder: Path
    files: int
    bytes: int
    cases: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("calcinosis_kb.presentation.site", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def _static(name: str) -> bytes:
    return resources.files("calcinosis_kb.presentation.site").joinpath("static", name).read_bytes()


def _counts(values: Iterable[str]) -> list[tuple[str, int]]:
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))


def _chart(identifier: str, title: str, counts: list[tuple[str, int]], unit: str = "cases") -> dict[str, Any]:
    return {"id": identifier, "title": title, "svg": bar_chart(identifier, title, counts, unit), "rows": counts,
            "unit": unit}


class _Pages:
    """Renders each page from the gathered content."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.env = _environment()
        self.words = subtype_classes(content)
        self.env.globals.update(version=__version__, curie=curie, term_link=self.term_link,
                                word_link=self.word_link, case_link=self.case_link,
                                value_link=self.value_link)
        self.case_names = {view.result.case: view.name for view in content.cases}
        self.agreement = {c.case: c for c in content.quality.fidelity.cases}
        answers = {query.name: query.rows for query in content.queries}
        # the literature's claims as the named queries give them, shown on the pages of their terms
        self.frequencies = answers.get("association-frequencies", [])
        self.conflicts = answers.get("conflicting-claims", [])

    def term_link(self, iri: object, root: str) -> str | None:
        name = self.content.term_name(URIRef(str(iri))) if iri is not None else None
        return f"{root}terms/{name}.html" if name else None

    def word_link(self, word: str, root: str) -> str | None:
        cls = self.words.get(word)
        return self.term_link(cls, root) if cls is not None else None

    def case_link(self, case: str, root: str) -> str | None:
        name = self.case_names.get(case)
        return f"{root}cases/{name}.html" if name else None

    def value_link(self, value: str, root: str) -> str | None:
        """A query result's cell, when it names a case or term of the site: its page."""
        if value.startswith("case:"):
            return self.case_link(value, root)
        iri = expand(value) if value.startswith("cckb:") else None
        return self.term_link(iri, root) if iri else None

    def render(self, template: str, root: str, **values: Any) -> str:
        return str(self.env.get_template(template).render(root=root, **values))

    def home(self) -> str:
        content = self.content
        by_subtype = _counts(s for view in content.cases for s in view.result.inferred_subtypes or ["undetermined"])
        by_pattern = _counts(p for view in content.cases for p in view.result.inferred_patterns or ["none"])
        groups = [(word, [content.groups[g][word] for g in ("established", "possible", "excluded")])
                  for word in (self._word(c) for c in content.subtypes)]
        return self.render("home.html", "", content=content, groups=groups,
                           charts=[_chart("by-subtype", "Cases by inferred subtype", by_subtype),
                                   _chart("by-pattern", "Cases by inferred pattern", by_pattern)],
                           facets=FACETS, facet_labels=FACET_LABELS)

    def _word(self, cls: URIRef) -> str:
        return next(word for word, c in self.words.items() if c == cls)

    def case_list(self) -> str:
        return self.render("cases.html", "../", content=self.content)

    def case(self, view: CaseView) -> str:
        text_html: str | None = None
        missing: list[str] = []
        if view.source_file is not None:
            quotes = [str(row["quote"]) for row in view.evidence if row["quote"]]
            text_html, missing = highlight(view.source_file.read_text(encoding="utf-8"), quotes)
        agreement = self.agreement.get(view.result.case)
        return self.render("case.html", "../", view=view, result=view.result, text_html=text_html,
                           missing_quotes=missing, agreement=agreement, facet_titles=FACET_TITLES,
                           differential=view.result.differential)

    def term(self, iri: URIRef) -> str:
        content = self.content
        term = content.terms[iri]
        kind = "subtype" if iri in content.subtypes else "pattern" if iri in content.patterns else None
        extra: dict[str, Any] = {}
        if kind is not None:
            word = self._word(iri)
            members = [view for view in content.cases
                       if word in view.result.inferred_subtypes or word in view.result.inferred_patterns]
            extra["members"] = members
            extra["charts"] = [
                _chart(f"{facet}-chart", f"{FACET_TITLES[facet]} among the {word} cases",
                       _counts(v for view in members for v in view.facets[facet]))
                for facet in FACETS]
            extra["groups"] = [(g, content.groups[g][word]) for g in ("established", "possible", "excluded")]
        claims = {curie(str(c)) for c in claims_about(content, iri)}
        extra["claims"] = [row for row in self.frequencies if row.get("claim") in claims]
        extra["conflicts"] = [row for row in self.conflicts
                              if row.get("claim") in claims or row.get("other_claim") in claims]
        return self.render("term.html", "../", term=term, kind=kind, terms=content.terms, **extra)

    def term_list(self) -> str:
        return self.render("terms.html", "../", content=self.content,
                           terms=sorted(self.content.terms.values(), key=lambda t: t.label.lower()))

    def query_list(self) -> str:
        return self.render("queries.html", "../", queries=self.content.queries)

    def query(self, index: int) -> str:
        return self.render("query.html", "../", query=self.content.queries[index])

    def quality(self) -> str:
        quality = self.content.quality
        report_counts = quality.report.counts()
        disagreements = [c for c in quality.fidelity.cases if c.differences]
        return self.render("qc.html", "", content=self.content, quality=quality, report_counts=report_counts,
                           disagreements=disagreements)


def finder_index(content: Content) -> str:
    """The case finder's data: one compact record a case, read by static/finder.js."""
    records = [{"id": view.name, "case": view.result.case, "label": view.result.label,
                "source": view.result.source_label, "subtypes": view.result.inferred_subtypes,
                "patterns": view.result.inferred_patterns, "authors": view.result.authors_subtypes,
                "diagnosis": view.result.authors_diagnosis or "",
                **{facet: view.facets[facet] for facet in FACETS}}
               for view in content.cases]
    data = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
    # JSON inside a script: "</" must not close the element early
    return "window.KB_CASES = " + data.replace("</", "<\\/") + ";\n"


def site_files(content: Content) -> dict[str, str | bytes]:
    pages = _Pages(content)
    files: dict[str, str | bytes] = {f"static/{name}": _static(name) for name in STATIC}
    files["finder-index.js"] = finder_index(content)
    files["index.html"] = pages.home()
    files["qc.html"] = pages.quality()
    files["cases/index.html"] = pages.case_list()
    for view in content.cases:
        files[f"cases/{view.name}.html"] = pages.case(view)
    files["terms/index.html"] = pages.term_list()
    for iri, term in content.terms.items():
        files[f"terms/{term.name}.html"] = pages.term(iri)
    files["queries/index.html"] = pages.query_list()
    for index, query in enumerate(content.queries):
        files[f"queries/{query.name}.html"] = pages.query(index)
    return files


def build_site(kb: KnowledgeBase, output: Path, force: bool = False, validate: bool = True,
               progress: Callable[[str], None] | None = None) -> Built:
    """Gather everything the site shows, render it, and write the folder as a whole."""
    from calcinosis_kb.knowledgebase.output import refuse_existing, write_folder

    start = time.perf_counter()
    refuse_existing(output, force)  # before the work, as `kb release` does
    content = gather(kb, validate=validate, progress=progress)
    if progress is not None:
        progress("writing the pages")
    files = site_files(content)
    write_folder(output, files, force)
    size = sum(len(data.encode("utf-8") if isinstance(data, str) else data) for data in files.values())
    return Built(output, len(files), size, len(content.cases), time.perf_counter() - start, content.notes)


__all__ = ["Built", "build_site", "finder_index", "local_name", "site_files"]
