"""Rendering `kb infer` and `kb audit` results."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from calcinosis_kb.presentation.render import Format, emit_json, emit_rows, stdout_console
from calcinosis_kb.reasoning.classify import CaseResult, Inference

AUDIT_COLUMNS = ["case", "source_label", "inferred_subtypes", "authors_subtypes", "status", "inferred_patterns"]


def render_inference(inference: Inference, fmt: Format) -> None:
    if fmt is Format.json:
        emit_json([r.as_dict() for r in inference.results])
        return
    if fmt is Format.ttl:
        print(inference.inferred.serialize(format="turtle"))
        return
    console = stdout_console()
    for result in inference.results:
        _case_text(console, result)


def _case_text(console: Console, result: CaseResult) -> None:
    subtypes = ", ".join(result.inferred_subtypes) or "undetermined"
    patterns = ", ".join(result.inferred_patterns) or "none"
    console.rule(f"[bold]{escape(result.case)}[/bold]  {escape(result.label)}")
    if result.source:
        console.print(f"source: {escape(result.source)}")
    console.print(f"inferred subtype: [bold]{subtypes}[/bold]    pattern: {patterns}")
    authors = ", ".join(result.authors_subtypes) or "none stated"
    verdict = {True: "[green]agrees[/green]", False: "[red]disagrees[/red]", None: ""}[result.agrees]
    console.print(f"authors' subtype: {authors} {verdict}".rstrip())
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
    console.print()


def render_audit(inference: Inference, fmt: Format) -> None:
    rows = [r.as_dict() for r in inference.results]
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
            if result.status == "disagrees":
                _case_text(console, result)
