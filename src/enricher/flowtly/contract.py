"""What we assume about the Flowtly API where its documentation is silent, in one place.

Each assumption is a named constant or a tiny function, so when the real answer is known it is a
one-line change here; the client and the sandbox both read them from this module.
"""

from __future__ import annotations

from typing import Any

from enricher.records import IdError, RecordId, canonical_id

__all__ = [
    "AI_FIELDS",
    "BULK_ENRICH_KEY",
    "BULK_ENRICH_MAX",
    "CLIENTS",
    "CLIENT_CONTACTS",
    "CLIENT_NOTES",
    "CLIENT_NOTES_FILTER",
    "CLIENT_SEARCH_PARAM",
    "COUNTERPARTIES",
    "DEFAULT_PAGE_SIZE",
    "LD_JSON",
    "LEGACY_COUNTERPARTY",
    "LEGACY_PATCH_JSON",
    "LOGIN_PATH",
    "LOGIN_TOKEN_KEY",
    "MAX_PAGE_SIZE",
    "MERGE_PATCH_JSON",
    "MERGE_SOURCE_KEY",
    "bulk_enrich_body",
    "bulk_enrich_ids",
    "bulk_enrich_path",
    "client_note_body",
    "enrich_branding_path",
    "legacy_path",
    "login_body",
    "merge_body",
    "merge_path",
    "merge_source",
    "note_text",
]

LD_JSON = "application/ld+json"
"""What we ask for (``Accept``) and send (``Content-Type``) for reads and POSTs: JSON-LD with Hydra."""

MERGE_PATCH_JSON = "application/merge-patch+json"
"""The only ``Content-Type`` API Platform takes for PATCH (RFC 7396 semantics)."""

COUNTERPARTIES = "counterparties"
CLIENTS = "clients"
CLIENT_CONTACTS = "client-contacts"
"""Documented: ``client``, ``type``, ``email``, ``name``, ``phone``, ``title``, ``position``."""
CLIENT_NOTES = "client-notes"
"""Documented: ``POST /client-notes`` with ``client`` (IRI), ``employee`` (IRI) and ``note`` (text)."""

DEFAULT_PAGE_SIZE = 30
"""API Platform's default ``itemsPerPage``."""

MAX_PAGE_SIZE = 1000
"""The largest ``itemsPerPage`` the sandbox grants (API Platform's ``maximum_items_per_page``)."""

# ASSUMPTION (undocumented): login as the public integration does it; POST JSON, read ``token``.
LOGIN_PATH = "/api/login"
LOGIN_TOKEN_KEY = "token"  # noqa: S105 - a JSON key, not a secret


def login_body(username: str, password: str) -> dict[str, str]:
    """The JSON body of the login request (ASSUMPTION: ``username``/``password`` keys)."""
    return {"username": username, "password": password}


# ASSUMPTION (undocumented): ``POST /counterparties/{survivor}/merge`` with the source's IRI under
# ``counterparty`` merges the source into the survivor; the source disappears, the survivor is returned.
MERGE_SOURCE_KEY = "counterparty"


def merge_path(survivor_id: RecordId) -> str:
    """Path (below the base URL) of the merge operation on ``survivor_id``."""
    return f"/{COUNTERPARTIES}/{survivor_id}/merge"


def merge_body(source_id: RecordId, *, prefix: str = "") -> dict[str, str]:
    """Body of the merge request: the source as an IRI (``prefix`` is the base URL's path, e.g. ``/api``)."""
    return {MERGE_SOURCE_KEY: f"{prefix}/{COUNTERPARTIES}/{source_id}"}


def merge_source(body: Any) -> RecordId | None:
    """The source id named by a merge body (the sandbox's reading of :func:`merge_body`), or None."""
    if not isinstance(body, dict):
        return None
    value = body.get(MERGE_SOURCE_KEY)
    if isinstance(value, dict):  # an embedded object with its own @id
        value = value.get("@id", value.get("id"))
    try:
        return canonical_id(value)  # the one reading of an id: "/counterparties/7", " 7 " and 7 alike
    except IdError:
        return None


# ASSUMPTION (documented path, undocumented parameter): ``GET /clients/search?query=TEXT`` is a Hydra
# collection of the clients whose name, tin or VAT number contains TEXT. The sandbox matches the text
# case-insensitively as a substring of ``name``, ``tin`` and ``vatNumber``; a blank query is a 400.
CLIENT_SEARCH_PARAM = "query"


# ASSUMPTION (undocumented filter): ``GET /client-notes?client=/clients/3`` lists one client's notes
# (API Platform's SearchFilter on the relation). The sandbox filters so; the client also checks each
# note's ``client``, so an API that ignores the filter costs time, never a missing or doubled note.
CLIENT_NOTES_FILTER = "client"


def client_note_body(client_id: RecordId, employee: str, note: str, *, prefix: str = "") -> dict[str, str]:
    """The documented client-note body; ``employee`` is an IRI (``/employees/7``) from the settings."""
    return {"client": f"{prefix}/{CLIENTS}/{client_id}", "employee": employee, "note": note}


def note_text(other_id: RecordId, other_name: str | None, marker: str) -> str:
    """The note naming a client's approved duplicate; ``marker`` lets a rerun find it (idempotence)."""
    name = f" ({other_name})" if other_name else ""
    return f"Possible duplicate of client {other_id}{name}, approved in the duplicate review. [{marker}]"


# ASSUMPTION (undocumented bodies): ``POST /counterparties/{id}/enrich-branding-ai`` takes an empty JSON
# object and answers the counterparty after Flowtly's AI filled what it found (200); the bulk
# ``POST /counterparties/enrich-branding-ai`` takes ``{"counterparties": [IRI, ...]}`` and answers 202
# with ``{"counterparties": [IRI, ...]}`` (the records it took). Neither body is relied on: the client
# re-reads each record afterwards and records what changed. The sandbox fills only empty fields, and
# only for records with a website: ``logoUrl`` = ``https://logos.flowtly-ai.invalid/<domain>.png``,
# ``displayName`` = the name without its legal form, deterministically; the bulk call is done when it
# answers, and an unknown id refuses the whole batch with a 422 (the client then asks one by one).
# Should the real bulk call work after answering (202), its records would read "found nothing" at
# first: run again later, or use the per-record call (``enricher enrich --provider flowtly-ai --id``).
BULK_ENRICH_KEY = "counterparties"
BULK_ENRICH_MAX = 100
"""Records per bulk request (ASSUMPTION: the sandbox refuses more with a 422; the client splits)."""
AI_FIELDS = ("logoUrl", "displayName")
"""The fields Flowtly's AI branding is assumed to fill."""


def enrich_branding_path(record_id: RecordId) -> str:
    """Path of the per-record AI branding operation."""
    return f"/{COUNTERPARTIES}/{record_id}/enrich-branding-ai"


def bulk_enrich_path() -> str:
    """Path of the bulk AI branding operation."""
    return f"/{COUNTERPARTIES}/enrich-branding-ai"


def bulk_enrich_body(ids: list[RecordId], *, prefix: str = "") -> dict[str, list[str]]:
    """Body of the bulk AI branding request: the records as IRIs."""
    return {BULK_ENRICH_KEY: [f"{prefix}/{COUNTERPARTIES}/{i}" for i in ids]}


def bulk_enrich_ids(body: Any) -> list[RecordId] | None:
    """The ids named by a bulk body (the sandbox's reading of :func:`bulk_enrich_body`), or None."""
    if not isinstance(body, dict) or not isinstance(body.get(BULK_ENRICH_KEY), list):
        return None
    found: list[RecordId] = []
    for value in body[BULK_ENRICH_KEY]:
        try:
            found.append(canonical_id(value))  # the one reading of an id, as merge_source
        except IdError:
            return None
    return found


# ASSUMPTION (documented paths, undocumented behaviour): the legacy ``POST /counterparty`` and
# ``PATCH /counterparty/{id}`` act on the same records as ``/counterparties``, take plain
# ``application/json`` (the PATCH as a merge of the given fields) and answer the record. Used only when
# ``ENRICHER_FLOWTLY_LEGACY_WRITES`` is on (accounts whose API predates ``/counterparties`` writes).
LEGACY_COUNTERPARTY = "counterparty"
LEGACY_PATCH_JSON = "application/json"


def legacy_path(record_id: RecordId | None = None) -> str:
    """``/counterparty`` or ``/counterparty/{id}``."""
    return f"/{LEGACY_COUNTERPARTY}" if record_id is None else f"/{LEGACY_COUNTERPARTY}/{record_id}"
