"""Record ids: the one reading of an id shared by the API client, the decisions file, the report and matching.

The Flowtly API names a counterparty by an int, and it reads ``1``, ``"1"``, ``" 1 "``, ``"001"`` and
the IRI ``"/counterparties/1"`` as that same record. Code that compared ids as given (``1 != "1"``)
could therefore take one record for two, and merge a record into itself. :func:`canonical_id` is the
API's reading, used wherever two ids are compared or an id goes to the API:

* an int stays that int;
* a string is stripped; an IRI (``/counterparties/12``, ``/api/counterparties/12``) becomes its last
  segment; a string of ASCII digits (with an optional ``-``) becomes the int it spells;
* any other string stays the (stripped) string: offline files may use ids like ``"f12"``.

Refused with :class:`IdError`: ``None``, booleans (JSON ``true`` is not id 1), floats, lists and
objects, ``""`` and whitespace, strings longer than :data:`MAX_ID_LENGTH` or holding control characters.

Outputs still echo ids *as given* where a contract says so (DESIGN.md's dedupe output): this module is
for comparing and for addressing the API, not for rewriting what a person wrote (:func:`iri_to_id`
is the reading that keeps a string as written and only takes an IRI apart). :func:`pair_key` is the
one order of a pair of ids. It imports nothing of the package, so matching can use it without pulling
in the API client.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "MAX_ID_LENGTH",
    "IdError",
    "RecordId",
    "canonical_id",
    "id_order",
    "iri_to_id",
    "pair_key",
    "record_iri",
    "same_id",
]

RecordId = int | str
"""A record id as given: an int from the API, or a string in offline files (echoed back as given)."""

MAX_ID_LENGTH = 256
"""Longest id string accepted: real ids are short; a megabyte "id" is an attack or an accident."""

_IRI = re.compile(r"/(?:api/)?[a-z_-]+/([^/?#]+)")
_INTEGER = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() would also take "١٢" or "²"
_DIGITS = re.compile(r"[0-9]+")


class IdError(ValueError):
    """A value that cannot name a record; the message says why, without repeating a long value."""


def canonical_id(value: object) -> RecordId:
    """The id as the API reads it (see the module docstring); IdError when ``value`` names no record."""
    if value is None:
        raise IdError("an id is required")
    if isinstance(value, bool):  # before int: bool is a subclass of int
        raise IdError("true/false is not an id")
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise IdError(f"an id must be an int or a string, not {_kind(value)}")
    text = value.strip()
    if not text:
        raise IdError("an id must not be empty or blank")
    if len(text) > MAX_ID_LENGTH:
        raise IdError(f"an id must be at most {MAX_ID_LENGTH} characters, got {len(text)}")
    iri = _IRI.fullmatch(text)
    if iri:
        text = iri.group(1)
    if _INTEGER.fullmatch(text):
        return int(text)
    if not text.isprintable():
        raise IdError("an id must not contain control characters")
    return text


def same_id(a: object, b: object) -> bool:
    """True when ``a`` and ``b`` name the same record (both must be valid ids)."""
    return canonical_id(a) == canonical_id(b)


def iri_to_id(value: Any) -> RecordId | None:
    """The id an IRI names (``/counterparties/12`` -> 12), else the value as written (stripped); None
    for null, booleans and blank strings. Echoing reading: ``"007"`` stays ``"007"``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        iri = _IRI.fullmatch(text)
        if iri:
            last = iri.group(1)
            return int(last) if _DIGITS.fullmatch(last) else last
        return text or None
    raise TypeError(f"an id must be an int, a string or an IRI, not {type(value).__name__}")


def record_iri(collection: str, record_id: RecordId) -> str:
    """The IRI of a record: ``record_iri("counterparties", 12) == "/counterparties/12"``."""
    return f"/{collection}/{record_id}"


def id_order(value: RecordId) -> tuple[int, int, str]:
    """Sort key of ids: ints numerically before strings, so (2, 10) stays (2, 10); mixed ids never raise."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, str(value))


def pair_key(a: RecordId, b: RecordId) -> tuple[RecordId, RecordId]:
    """The one order of a pair, so (a, b) and (b, a) are stored and looked up once."""
    return (a, b) if id_order(a) <= id_order(b) else (b, a)


def _kind(value: object) -> str:
    return {float: "a float", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
