"""The two renderings of an `OboModel` (model.py): the OBO 1.4 flat file (`obo_text`) and
OBO Graphs JSON (`obo_graph`). They only lay out what the model holds; what OBO can carry, and the
notes on what it cannot, are decided in model.py.

The flat file is written for both kinds of reader. OBO tools (fastobo, pronto, OAK) honour the
`idspace` header, so CCKB:X is https://w3id.org/calcinosis-kb/ontology/X. The OWL API's OBO parser
(ROBOT, Protégé) does not (owlapi#753) and makes every CCKB:X http://purl.obolibrary.org/obo/CCKB_X,
and it stops at the first [Instance] frame; the header's `remark` sends OWL tools to the OWL
artefact. Everything else is written so that the OWL API reads it as meant: header metadata and
mapping predicates as full IRIs in property_value, mapping targets outside the OBO PURL space as
IRIs, and the instances last."""

from __future__ import annotations

from rdflib.namespace import DCTERMS, OWL, SKOS

from calcinosis_kb.interchange.obo.model import Entity, OboModel
from calcinosis_kb.knowledgebase.namespaces import (
    CCKB,
    OBO,
    OBO_IDSPACE,
    ONTOLOGY_IRI,
    PREFIXES,
    SRC,
    expand,
    mapping_iri,
)

DEFAULT_NAMESPACE = "calcinosis_kb"
OWL_TOOLS_REMARK = ("OWL API tools (ROBOT, Protege) ignore idspace declarations (owlapi issue 753): they read "
                    f"{OBO_IDSPACE}:X as {OBO}{OBO_IDSPACE}_X instead of {CCKB}X, and stop at [Instance] frames. "
                    "Load calcinosis-kb.owl or calcinosis-kb-base.owl in OWL tools instead of this file.")
SOURCE_IDSPACE = next(prefix for prefix, namespace in PREFIXES.items() if namespace == SRC)
"""The KB's prefix of source documents, which model.source_xref writes in dbxrefs (src:lio2000)."""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _single_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("{", "\\{").replace("!", "\\!")


def _xref_list(xrefs: list[str]) -> str:
    """A bracketed dbxref list (model.source_xref keeps commas and brackets out of its entries)."""
    return "[" + ", ".join(xrefs) + "]"


def _target(ident: str) -> str:
    """A mapping target as the OWL API reads it right: the CURIE when it stands for an OBO PURL
    (HP:0025520), else the IRI it expands to (http://loinc.org/rdf/10839-9), never a wrong PURL."""
    iri = _iri(ident)
    return ident if iri.startswith(str(OBO)) or iri == ident else iri


def _stanza(kind: str, entity: Entity, names: dict[str, str]) -> list[str]:

    def ref(ident: str) -> str:
        return f"{ident} ! {names[ident]}" if ident in names else ident

    lines = [f"[{kind}]", f"id: {entity.id}"]
    if entity.name:
        lines.append(f"name: {_single_line(entity.name)}")
    if entity.definition:
        lines.append(f"def: {_quoted(entity.definition)} {_xref_list(entity.definition_xrefs)}")
    if entity.comment:
        lines.append(f"comment: {_single_line(entity.comment)}")
    lines += [f"synonym: {_quoted(text)} {scope} []" for scope, text in entity.synonyms]
    lines += [f"xref: {xref}" for xref in entity.xrefs]
    lines += [f"property_value: {_iri(pred)} {_target(target)}" for pred, target in entity.mappings]
    lines += [f"instance_of: {ref(cls)}" for cls in entity.instance_of]
    if entity.domain:
        lines.append(f"domain: {entity.domain}")
    if entity.range:
        lines.append(f"range: {entity.range}")
    lines += [f"{tag}: true" for tag in entity.characteristics]
    lines += [f"is_a: {ref(parent)}" for parent in entity.is_a]
    lines += [f"intersection_of: {ref(filler)}" if relation is None else f"intersection_of: {relation} {ref(filler)}"
              for relation, filler in entity.intersection]
    lines += [f"union_of: {ref(member)}" for member in entity.union]
    lines += [f"equivalent_to: {ref(other)}" for other in entity.equivalent]
    lines += [f"disjoint_from: {ref(other)}" for other in entity.disjoint]
    if entity.inverse_of:
        lines.append(f"inverse_of: {entity.inverse_of}")
    # An instance's relations are property_values: fastobo 0.14 panics on `relationship` in an [Instance].
    tag = "property_value" if kind == "Instance" else "relationship"
    lines += [f"{tag}: {relation} {ref(filler)}" for relation, filler in entity.relationships]
    if entity.obsolete:
        lines.append("is_obsolete: true")
    return lines


def obo_text(model: OboModel) -> str:
    """OBO 1.4 flat file: header, [Term]s, [Typedef]s, then [Instance]s (where the OWL API stops)."""
    header = ["format-version: 1.4", f"data-version: releases/{model.version}",
              f"idspace: {OBO_IDSPACE} {CCKB} \"calcinosis-kb ontology\"", f"idspace: skos {SKOS}",
              f"idspace: {SOURCE_IDSPACE} {SRC} \"calcinosis-kb source documents\"",
              f"default-namespace: {DEFAULT_NAMESPACE}", "ontology: calcinosis-kb",
              f"remark: {_single_line(OWL_TOOLS_REMARK)}",
              f"property_value: {OWL.versionIRI} {model.version_iri}",
              f"property_value: {OWL.versionInfo} {_quoted(model.version)} xsd:string"]
    for predicate, value in ((DCTERMS.title, model.title), (DCTERMS.description, model.description)):
        if value:
            header.append(f"property_value: {predicate} {_quoted(value)} xsd:string")
    if model.license:
        header.append(f"property_value: {DCTERMS.license} {model.license}")
    entities = model.terms + model.typedefs + model.instances
    names = {e.id: e.name for e in entities if e.name}
    stanzas = [_stanza("Term", t, names) for t in model.terms] + [_stanza("Typedef", t, names) for t in model.typedefs]
    stanzas += [_stanza("Instance", i, names) for i in model.instances]
    return "\n\n".join("\n".join(lines) for lines in [header, *stanzas]) + "\n"


def _iri(ident: str) -> str:
    """The IRI of an id used in the model: ours (CCKB:), SKOS, a mapping prefix (loinc:), a prefix
    the KB's converter knows (an OBO PURL), or already an IRI; an OBO PURL for any other PREFIX:ID,
    as OBO reads it."""
    if "://" in ident:
        return ident
    return mapping_iri(ident) or expand(ident, "obo") or expand(ident) or str(OBO) + ident.replace(":", "_", 1)


def _node(entity: Entity, kind: str) -> dict[str, object]:
    meta: dict[str, object] = {}
    if entity.definition:
        meta["definition"] = {"val": entity.definition, "xrefs": entity.definition_xrefs}
    if entity.comment:
        meta["comments"] = [entity.comment]
    if entity.synonyms:
        meta["synonyms"] = [{"pred": f"has{scope.title()}Synonym", "val": text, "xrefs": []}
                            for scope, text in entity.synonyms]
    if entity.xrefs:
        meta["xrefs"] = [{"val": xref} for xref in entity.xrefs]
    if entity.mappings:
        meta["basicPropertyValues"] = [{"pred": _iri(pred), "val": _iri(target)} for pred, target in entity.mappings]
    if entity.obsolete:
        meta["deprecated"] = True
    node: dict[str, object] = {"id": entity.iri, "type": kind}
    if entity.name:
        node["lbl"] = entity.name
    if meta:
        node["meta"] = meta
    return node


def obo_graph(model: OboModel) -> dict[str, object]:
    """OBO Graphs JSON (https://github.com/geneontology/obographs): one graph."""
    edges = [{"sub": t.iri, "pred": "is_a", "obj": _iri(p)} for t in model.terms for p in t.is_a]
    edges += [{"sub": t.iri, "pred": _iri(r), "obj": _iri(f)} for t in model.terms for r, f in t.relationships]
    edges += [{"sub": p.iri, "pred": "is_a", "obj": _iri(s)} for p in model.typedefs for s in p.is_a]
    definitions = [{"definedClassId": t.iri,
                    "genusIds": [_iri(f) for r, f in t.intersection if r is None],
                    "restrictions": [{"propertyId": _iri(r), "fillerId": _iri(f)} for r, f in t.intersection if r]}
                   for t in model.terms if t.intersection]
    equivalents = [{"nodeIds": sorted([t.iri, _iri(other)])} for t in model.terms for other in t.equivalent]
    domain_range = [{"predicateId": p.iri, **({"domainClassIds": [_iri(p.domain)]} if p.domain else {}),
                     **({"rangeClassIds": [_iri(p.range)]} if p.range else {})}
                    for p in model.typedefs if p.domain or p.range]
    values = [{"pred": str(OWL.versionInfo), "val": model.version}]
    values += [{"pred": str(predicate), "val": value} for predicate, value in (
        (DCTERMS.title, model.title), (DCTERMS.description, model.description), (DCTERMS.license, model.license))
        if value]
    meta: dict[str, object] = {"version": model.version_iri, "basicPropertyValues": values}
    edges += [{"sub": i.iri, "pred": "type", "obj": _iri(c)} for i in model.instances for c in i.instance_of]
    edges += [{"sub": i.iri, "pred": _iri(r), "obj": _iri(t)} for i in model.instances for r, t in i.relationships]
    graph: dict[str, object] = {"id": ONTOLOGY_IRI, "meta": meta,
                                "nodes": [_node(t, "CLASS") for t in model.terms]
                                + [_node(p, "PROPERTY") for p in model.typedefs]
                                + [_node(i, "INDIVIDUAL") for i in model.instances],
                                "edges": edges, "equivalentNodesSets": equivalents,
                                "logicalDefinitionAxioms": definitions, "domainRangeAxioms": domain_range}
    if model.title:
        graph["lbl"] = model.title
    return {"graphs": [graph]}
