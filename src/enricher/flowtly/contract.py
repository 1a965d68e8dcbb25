"""What we assume about the Flowtly API where its documentation is silent, in one place.

Each assumption is a named constant or a tiny function, so when the real answer is known it is a
one-line change here; the client and the sandbox both read them from this module.
"""

from __future__ import annotations

from typing import Any

from enricher.records import IdError, RecordId, canonical_id

__all__ = [
    "CLIENTS",
    "COUNTERPARTIES",
    "DEFAULT_PAGE_SIZE",
    "LD_JSON",
    "LOGIN_PATH",
    "LOGIN_TOKEN_KEY",
    "MAX_PAGE_SIZE",
    "MERGE_PATCH_JSON",
    "MERGE_SOURCE_KEY",
    "login_body",
    "merge_body",
    "merge_path",
    "merge_source",
]

LD_JSON = "application/ld+json"
"""What we ask for (``Accept``) and send (``Content-Type``) for reads and POSTs: JSON-LD with Hydra."""

MERGE_PATCH_JSON = "application/merge-patch+json"
"""The only ``Content-Type`` API Platform takes for PATCH (RFC 7396 semantics)."""

COUNTERPARTIES = "counterparties"
CLIENTS = "clients"

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
