"""Rendering `kb infer` and `kb audit` results."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph
from rich.console import Console
from rich.markup import escape

from calcinosis_kb.presentation.render import Format, emit_json, emit_rows, stdout_console
from calcinosis_kb.reasoning.classify import CaseResult, FileError, Inference

AUDIT_COLUMNS = ["case", "source_label", "inferred_subtypes", "authors_subtypes", "status", "possible", "excluded",
                 "next_test", "inferred_patterns"]
VERDICTS = {"agrees": "[green]agrees[/green]", "disagrees": "[red]disagrees[/red]",
            "undetermined": "[yellow]undetermined[/yellow]", "no authors' subtype": ""}


@dataclass
class Rendered:
    """What was printed of an inference given in parts, and what is left to say on stderr."""

    cases: int = 0
    errors: list[FileError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def render_inference_parts(parts: Iterable[Inference], fmt: Format) -> Rendered:
    """Print each part as it comes and keep only its errors and notes, so that any number of cases
    is printed in bounded memory. The output is the same as for the whole inference at once: one
    JSON array, or one Turtle document whose prefixes are declared once, before their first use."""
    rendered = Rendered()
    console = stdout_console() if fmt not in (Format.json, Format.ttl) else None
    declared: dict[str, str] = {}
    for part in parts:
        rendered.errors += part.errors
        rendered.notes += part.notes
        if fmt is Format.json:
            for result in part.results:
                item = json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str)
                sys.stdout.write(("[\n" if rendered.cases == 0 else ",\n") + textwrap.indent(item, "  "))
                rendered.cases += 1
        elif fmt is Format.ttl:
            sys.stdout.write(_turtle_part(part.inferred, declared))
            rendered.cases += len(part.results)
        else:
            assert console is not None
            for result in part.results:
                _case_text(console, result)
                rendered.cases += 1
        sys.stdout.flush()
    if fmt is Format.json:
        sys.stdout.write("\n]\n" if rendered.cases else "[]\n")
    return rendered


def _turtle_part(graph: Graph, declared: dict[str, str]) -> str:
    """A part's Turtle without the prefix declarations an earlier part already made alike."""
    lines = []
    for line in graph.serialize(format="turtle").splitlines(keepends=True):
        match = _PREFIX_LINE.match(line)
        if match:
            if declared.get(match["prefix"]) == match["iri"]:
                continue
            declared[match["prefix"]] = match["iri"]
        lines.append(line)
    return "".join(lines)


_PREFIX_LINE = re.compile(r"@prefix (?P<prefix>[^:\s]*): <(?P<iri>[^>]*)> \.\s*$")


def _case_text(console: Console, result: CaseResult) -> None:
    subtypes = ", ".join(result.inferred_subtypes) or "undetermined"
    patterns = ", ".join(result.inferred_patterns) or "none"
    console.rule(f"[bold]{escape(result.case)}[/bold]  {escape(result.label)}")
    if result.source:
        console.print(f"source: {escape(result.source)}")
    console.print(f"inferred subtype: [bold]{subtypes}[/bold]    pattern: {patterns}")
    authors = ", ".join(result.authors_subtypes) or "none stated"
    console.print(f"authors' subtype: {authors} {VERDICTS[result.status]}".rstrip())
    if result.authors_diagnosis:
        console.print(f"authors' diagnosis: {escape(result.authors_diagnosis)}")
    for name, evidence in result.why.items():
        console.print(f"[bold]why {name}[/bold]:")
        for item in evidence:
            quote_list = [str(q) for q in item["quotes"]] if isinstance(item["quotes"], list) else []
            quotes = "; ".join(f"\"{q}\"" for q in quote_list) if quote_list else "(no quote)"
            console.print(f"  - {escape(str(item['requirement']))}: {escape(str(item['label']))} — {escape(quotes)}")
    for name, shortfalls in result.why_not.items():
        console.print(f"[bold]why not {name}[/bold]:")
        for shortfall in shortfalls:
            requirement, detail = escape(shortfall["requirement"]), escape(shortfall["detail"])
            console.print(f"  - {shortfall['status']}: {requirement} ({detail})")
    if result.missing:
        console.print("[bold]missing[/bold]:")
        for item in result.missing:
            console.print(f"  - {escape(str(item['message']))}")
    _differential_text(console, result.differential)
    console.print()


def _differential_text(console: Console, differential: dict[str, object]) -> None:
    if not differential:
        return
    console.print("[bold]differential[/bold]:")
    placements = differential.get("subtypes")
    for placement in placements if isinstance(placements, list) else []:
        name, group = placement["subtype"], placement["group"]
        primary = " (primary)" if placement["primary"] else ""
        if group == "established":
            console.print(f"  - established: {escape(name)}{primary}")
        elif group == "possible":
            support = "; ".join(str(item["label"]) for item in placement["supported_by"]) or "nothing recorded yet"
            missing = " and ".join(placement["missing"]) or "nothing named"
            console.print(f"  - possible: {escape(name)}: supported by {escape(support)}; missing: {escape(missing)}")
        else:
            facts = "; ".join(f"{item['label']}" + (f" (\"{item['quotes'][0]}\")" if item["quotes"] else "")
                              for item in placement["excluded_by"]) or "the recorded facts"
            console.print(f"  - excluded: {escape(name)}: by {escape(facts)}")
        if placement.get("reading") and group == "established":
            console.print(f"      reading applied: {escape(str(placement['reading']))}")
    next_test = differential.get("next_test")
    if isinstance(next_test, dict):
        console.print(f"  next test: {escape(str(next_test['message']))}")


def render_audit(inference: Inference, fmt: Format) -> None:
    rows = [_audit_row(r) for r in inference.results]
    counts = {s: sum(1 for r in inference.results if r.status == s)
              for s in ("agrees", "disagrees", "undetermined", "no authors' subtype")}
    unstated = counts["no authors' subtype"]
    summary = (f"{counts['agrees']} agree, {counts['disagrees']} disagree, {counts['undetermined']} undetermined, "
               f"{unstated} without an authors' subtype ({len(rows)} cases)")
    if fmt is Format.json:
        emit_json({"summary": counts, "cases": rows})
        return
    emit_rows(rows, AUDIT_COLUMNS, fmt, title="inferred vs authors' subtype")
    if fmt in (Format.table, Format.text):
        console = stdout_console()
        console.print(summary)
        for result in inference.results:
            if result.status in ("disagrees", "undetermined"):
                _case_text(console, result)


def _audit_row(result: CaseResult) -> dict[str, object]:
    row = result.as_dict()
    differential = result.differential
    next_test = differential.get("next_test") if differential else None
    row.update(possible=differential.get("possible", []) if differential else [],
               excluded=differential.get("excluded", []) if differential else [],
               next_test=next_test.get("message") if isinstance(next_test, dict) else None)
    return row
