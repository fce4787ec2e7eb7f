"""The parts of the knowledge base an export or a release can hold."""

from enum import StrEnum


class What(StrEnum):
    """Which part of the knowledge base to export."""

    ontology = "ontology"
    cases = "cases"
    all = "all"
