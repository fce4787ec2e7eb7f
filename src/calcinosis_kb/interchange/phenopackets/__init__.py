"""GA4GH Phenopacket v2 in and out: `kb export --format phenopacket`, `kb import`, and Phenopacket
JSON files given to `kb infer`. The mapping is in phenopacket_map.py (read from ontology/mappings.ttl);
the export in phenopacket_out.py (entry point, packet assembly) and phenopacket_out_elements.py (one
builder per element); the import in phenopacket_in.py (reading, validation), phenopacket_in_elements.py
(one reader per element) and phenopacket_in_graph.py (the case graph, text from externalReferences).
docs/phenopackets.md explains it."""

from calcinosis_kb.interchange.phenopackets.reading import (
    ImportedCase,
    import_phenopacket,
    phenopacket_to_case,
    read_phenopacket,
)
from calcinosis_kb.interchange.phenopackets.writing import PhenopacketExport, phenopacket_export

__all__ = [
    "ImportedCase",
    "PhenopacketExport",
    "import_phenopacket",
    "phenopacket_export",
    "phenopacket_to_case",
    "read_phenopacket",
]
