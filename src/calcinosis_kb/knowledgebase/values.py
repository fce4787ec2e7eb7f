"""Literal values that keep the text they were written with for people, and know their type for
programs: `--format json` writes them as JSON numbers and booleans, tables and CSV as written."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = frozenset(XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"))
REAL_TYPES = frozenset(XSD + name for name in ("decimal", "double", "float"))
BOOLEAN_TYPE = XSD + "boolean"


class TypedText(str):
    """A literal's text ("7", "10.50", "true") with the JSON value it stands for (7, 10.5, true)."""

    json_value: int | float | bool

    def __new__(cls, text: str, json_value: int | float | bool) -> TypedText:
        made = super().__new__(cls, text)
        made.json_value = json_value
        return made


def typed_text(lexical: str, datatype: str | None) -> str:
    """The text of a literal, typed when its datatype is numeric or boolean and its text valid for
    it; anything else (a string, an ill-typed or non-finite number) stays plain text."""
    if datatype is None:
        return lexical
    try:
        if datatype in INTEGER_TYPES:
            return TypedText(lexical, int(lexical))
        if datatype in REAL_TYPES:
            number = Decimal(lexical.strip())
            if not number.is_finite():
                return lexical
            whole = number == number.to_integral_value() and not any(c in lexical for c in ".eE")
            return TypedText(lexical, int(number) if whole else float(number))
        if datatype == BOOLEAN_TYPE and lexical.strip() in ("true", "false", "1", "0"):
            return TypedText(lexical, lexical.strip() in ("true", "1"))
    except (ValueError, InvalidOperation):
        return lexical
    return lexical


def json_value(value: object) -> object:
    """What JSON output writes for a value: a typed text as its number or boolean, lists walked."""
    if isinstance(value, TypedText):
        return value.json_value
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value
