"""calcinosis-kb: a reasoned knowledge base of published calcinosis cutis case reports."""

__version__ = "0.1.0"
