"""GA4GH Phenopacket v2 in and out, in phenopacket-store style: `kb export --format phenopacket`,
`kb import`, and Phenopacket JSON files given to `kb infer`. The mapping is in mapping.py (read from
ontology/mappings.ttl); the export in writing.py (entry point, packet assembly) and
writing_elements.py (one builder per element); the case record, the one place for what Phenopacket
v2 has no field for, in record.py; the import in reading.py (reading, validation),
reading_elements.py (one reader per element) and reading_graph.py (the case graph).
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
