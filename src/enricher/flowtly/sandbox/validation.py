"""The sandbox's checks on written values, answered as API Platform does: 422 with ``violations``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from enricher.errors import Violation

__all__ = ["DEFAULT_TYPES", "validate_record"]

DEFAULT_TYPES = frozenset({"company", "person", "individual", "institution", "government", "other"})
"""Counterparty types the sandbox accepts besides those found in its data (the real list is unknown)."""

_URL_FIELDS = ("logoUrl", "corporateWebsiteUrl")
_BOOL_FIELDS = ("requireAttachment", "cyclic", "budgetNeutral")
_STRING_FIELDS = (
    "name",
    "displayName",
    "costGroupIcon",
    "tin",
    "tinType",
    "tinCountry",
    "vatNumber",
    "country",
    "addressStreetLine",
    "addressBuildingNumber",
    "addressLocaleNumber",
    "addressPostCode",
    "addressCity",
    "addressCountry",
    "addressPhoneNumber",
    "email",
    "type",
    *_URL_FIELDS,
)


def _valid_url(value: str) -> bool:
    if value == "":  # blank is no URL, and the Url constraint lets it pass
        return True
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def validate_record(body: Mapping[str, Any], *, types: Collection[str]) -> list[Violation]:
    """Violations of the fields present in ``body`` (absent fields are not checked: PATCH sends few)."""
    found: list[Violation] = []
    for name in _STRING_FIELDS:
        value = body.get(name)
        if name in body and value is not None and not isinstance(value, str):
            found.append(Violation(name, "This value should be of type string."))
    for name in _BOOL_FIELDS:
        value = body.get(name)
        if name in body and value is not None and not isinstance(value, bool):
            found.append(Violation(name, "This value should be of type bool."))
    for name in _URL_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and not _valid_url(value):
            found.append(Violation(name, "This value is not a valid URL."))
    kind = body.get("type")
    if isinstance(kind, str) and kind not in types:
        found.append(Violation("type", "The value you selected is not a valid choice."))
    return found
