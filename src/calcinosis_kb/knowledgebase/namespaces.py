"""The namespaces of the knowledge base, the one place they are spelled out, and the one
IRI <-> CURIE converter of the package (`shorten`, `expand`), built on `curies`: the KB's own
prefixes first, then the OBO Foundry's standard prefix map (from `prefixmaps`) and the
Bioregistry names of the other terminologies the mappings cite. The same term therefore reads
the same in every output: `NCIT:C131851` in `kb sparql`, in OBO and in Phenopackets alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

CCKB = Namespace("https://w3id.org/calcinosis-kb/ontology/")
SRC = Namespace("https://w3id.org/calcinosis-kb/source/")
CASE = Namespace("https://w3id.org/calcinosis-kb/case/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")

ONTOLOGY_IRI = "https://w3id.org/calcinosis-kb/ontology"
DEFINITION = OBO.IAO_0000115

PREFIXES: dict[str, Namespace] = {
    "cckb": CCKB,
    "src": SRC,
    "case": CASE,
    "obo": OBO,
    "oboInOwl": OBOINOWL,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)),
}

SUBTYPE_WORDS: dict[str, str] = {
    "DystrophicCalcinosisCutis": "dystrophic",
    "MetastaticCalcinosisCutis": "metastatic",
    "IdiopathicCalcinosisCutis": "idiopathic",
    "IatrogenicCalcinosisCutis": "iatrogenic",
    "Calciphylaxis": "calciphylaxis",
}
"""Local names of the etiologic subtype classes and the lower-case words the JSON output uses.
Only names: which case belongs to which subtype is decided by the reasoner."""

PATTERN_WORDS: dict[str, str] = {
    "TumoralCalcinosis": "tumoral",
    "CalcinosisUniversalis": "universalis",
    "CalcinosisCircumscripta": "circumscripta",
}


if TYPE_CHECKING:
    from curies import Converter

OBO_IDSPACE = "CCKB"
"""The OBO idspace of the ontology's own terms in the OBO formats (`CCKB:Calciphylaxis`)."""

EXTERNAL_PREFIXES: dict[str, str] = {
    "LOINC": "https://loinc.org/",
}
"""Terminologies outside the OBO Foundry that the mappings cite as IRIs, under their Bioregistry
names (prefix -> URI prefix)."""

MAPPING_PREFIXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "SCTID": ("http://snomed.info/id/", ()),
    "ICD10WHO": ("https://icd.who.int/browse10/2019/en#/", ("ICD10",)),
    "icd10cm": ("https://www.icd10data.com/search?s=", ("ICD10CM",)),
    "UMLS": ("https://uts.nlm.nih.gov/uts/umls/concept/", ()),
    "Orphanet": ("http://www.orpha.net/ORDO/Orphanet_", ()),
    "loinc": ("http://loinc.org/rdf/", ("LOINC",)),
}
"""The terminologies outside the OBO Foundry that mappings.ttl cites, for the published SSSOM
mapping set: prefix -> (URI prefix, the prefixes mappings.ttl writes for it). Prefixes and URI
prefixes are those of the Bioregistry's OBO context as sssom-py ships it (sssom/obo.epm.json,
sssom 0.4.21), checked against that file by tests/test_sssom.py."""


def mapping_curie(curie_text: str) -> str:
    """A cross-reference as the published formats (OBO, OBO Graphs, SSSOM) write it: with the
    standard prefix of MAPPING_PREFIXES (ICD10:L94.2 -> ICD10WHO:L94.2, LOINC:2777-1 ->
    loinc:2777-1); any other CURIE unchanged."""
    prefix, _, local = curie_text.partition(":")
    for standard, (_, synonyms) in MAPPING_PREFIXES.items():
        if prefix in synonyms:
            return f"{standard}:{local}"
    return curie_text


def mapping_iri(curie_text: str) -> str | None:
    """The IRI of a CURIE with a standard prefix of MAPPING_PREFIXES, or None."""
    prefix, _, local = curie_text.partition(":")
    return MAPPING_PREFIXES[prefix][0] + local if prefix in MAPPING_PREFIXES and local else None


Style = Literal["kb", "obo"]


def own_prefixes(style: Style = "kb") -> dict[str, str]:
    """The prefixes a style gives priority over the standard map (prefix -> URI prefix)."""
    if style == "obo":
        return {OBO_IDSPACE: str(CCKB), "skos": str(SKOS)}
    # The generic obo: prefix comes last: an OBO PURL of an idspace the standard map lacks still shortens.
    return {p: str(ns) for p, ns in PREFIXES.items() if p != "obo"}


@lru_cache(maxsize=2)
def converter(style: Style = "kb") -> Converter:
    """The converter: "kb" (cckb:, case:, src:, rdf:... then the standard external prefixes), or
    "obo" for the OBO formats (the ontology's terms as CCKB:, skos:, and the OBO Foundry's prefixes).
    Built on first use: `curies` and the prefix map cost about 0.3 s to load."""
    import curies
    from prefixmaps import load_context

    standard = curies.load_prefix_map({**load_context("obo").as_dict(), **EXTERNAL_PREFIXES})
    own = curies.load_prefix_map(own_prefixes(style))
    if style == "obo":
        return curies.chain([own, standard])
    return curies.chain([own, standard, curies.load_prefix_map({"obo": str(OBO)})])


@lru_cache(maxsize=2)
def _own_by_length(style: Style) -> tuple[tuple[str, str], ...]:
    """The style's own (URI prefix, prefix) pairs, longest URI prefix first."""
    return tuple(sorted(((uri, prefix) for prefix, uri in own_prefixes(style).items()),
                        key=lambda pair: len(pair[0]), reverse=True))


@lru_cache(maxsize=2)
def _own_uri_prefixes(style: Style) -> Mapping[str, str]:
    return MappingProxyType(own_prefixes(style))


def _shorten_own(iri: str, style: Style) -> str | None:
    """The CURIE `converter(style)` gives an IRI under one of the style's own prefixes, without
    loading `curies` and the standard map (a third of a second, and what most commands print is
    in the KB's own namespaces). The same answer: the converter puts the own prefixes first and
    takes the longest matching URI prefix, and no standard URI prefix extends an own one
    (tests/test_startup.py checks both)."""
    for uri, prefix in _own_by_length(style):
        if iri.startswith(uri):
            return f"{prefix}:{iri[len(uri):]}"
    return None


def shorten(iri: str, style: Style = "kb") -> str | None:
    """The CURIE of an IRI, or None when no prefix covers it. The one function that shortens IRIs.
    A trailing slash (loinc.org's term pages end in one) is not part of the identifier."""
    iri = str(iri)
    compressed = _shorten_own(iri, style) or converter(style).compress(iri)
    if compressed is None:
        return None
    return compressed[:-1] if compressed.endswith("/") else compressed


def expand(curie_text: str, style: Style = "kb") -> str | None:
    """The IRI of a CURIE with a known prefix, or None. A CURIE with one of the style's own
    prefixes is expanded without loading the standard map, to the same IRI (see _shorten_own)."""
    prefix, colon, local = str(curie_text).partition(":")
    own = _own_uri_prefixes(style).get(prefix) if colon else None
    if own is not None:
        return own + local
    return converter(style).expand(curie_text)


def term_name(iri: str) -> str:
    """The local name of one of the ontology's own terms (cckb:Calciphylaxis -> Calciphylaxis)."""
    return str(iri).removeprefix(str(CCKB))


def curie(iri: str) -> str:
    """An IRI as people read it: its CURIE, or the IRI in angle brackets when no prefix covers it."""
    return shorten(iri) or f"<{iri}>"


_NOT_IN_AN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def is_iri(text: str) -> bool:
    """An absolute IRI as RFC 3987 and Turtle allow it: a scheme, and none of the characters that
    may not appear in one (spaces, controls, <>"{}|^` and backslash)."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text)) and not _NOT_IN_AN_IRI.search(text)
