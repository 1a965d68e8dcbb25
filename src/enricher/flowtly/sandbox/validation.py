"""The sandbox's checks on written values, answered as API Platform does: 422 with ``violations``."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from enricher.errors import Violation

__all__ = ["DEFAULT_TYPES", "validate_contact", "validate_note", "validate_record"]

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


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTACT_STRINGS = ("type", "email", "name", "phone", "title", "position")
BLANK = "This value should not be blank."


def _client_ref(body: Mapping[str, Any], exists: Callable[[Any], bool], *, creating: bool) -> list[Violation]:
    if "client" not in body and not creating:
        return []
    value = body.get("client")
    if value is None or value == "":
        return [Violation("client", BLANK)]
    if not isinstance(value, str | int) or isinstance(value, bool) or not exists(value):
        return [Violation("client", f'Item not found for "{value}".')]
    return []


def validate_contact(
    body: Mapping[str, Any], *, client_exists: Callable[[Any], bool], creating: bool
) -> list[Violation]:
    """Violations of a client contact: an existing client, text fields, a well-formed e-mail."""
    found = _client_ref(body, client_exists, creating=creating)
    for name in _CONTACT_STRINGS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            found.append(Violation(name, "This value should be of type string."))
    email = body.get("email")
    if isinstance(email, str) and email and not _EMAIL.match(email):
        found.append(Violation("email", "This value is not a valid email address."))
    if creating and not any(isinstance(body.get(n), str) and body.get(n) for n in ("email", "name", "phone")):
        found.append(Violation("name", "A contact needs a name, an email or a phone."))
    return found


def validate_note(body: Mapping[str, Any], *, client_exists: Callable[[Any], bool]) -> list[Violation]:
    """Violations of a client note: an existing client, an employee IRI, a non-blank note."""
    found = _client_ref(body, client_exists, creating=True)
    employee = body.get("employee")
    if employee is None or employee == "":
        found.append(Violation("employee", BLANK))
    elif not isinstance(employee, str) or not employee.startswith("/"):
        found.append(Violation("employee", "Invalid IRI: expected an IRI such as /employees/1."))
    note = body.get("note")
    if not isinstance(note, str) or not note.strip():
        found.append(Violation("note", BLANK))
    elif len(note) > 10_000:
        found.append(Violation("note", "This value is too long. It should have 10000 characters or less."))
    return found
