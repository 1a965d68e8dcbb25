"""Fingerprints of a record's identity, so ``merges apply`` can tell that a record changed since the report.

A person decides on what the report showed. If the name, tax id, address... of either record changed
before the merge is applied, that decision was about other data: the merge is skipped with the fields
that changed. Branding fields (``logoUrl``, ``displayName``) are left out on purpose: enrichment fills
them between report and merge, and they do not change whether two records are the same company.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from enricher.records import Counterparty

__all__ = ["FINGERPRINT_VERSION", "IDENTITY_FIELDS", "changed_fields", "fingerprint", "identity"]

FINGERPRINT_VERSION = "v1"
"""Bumped whenever IDENTITY_FIELDS or the hashing change: fingerprints of another version never match."""

IDENTITY_FIELDS: tuple[str, ...] = (
    "type",
    "name",
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
    "corporateWebsiteUrl",
    "email",
)


def identity(record: Counterparty | Mapping[str, Any]) -> dict[str, Any]:
    """The identity fields of a record, missing ones as None (so absent and null compare equal)."""
    data = record.api_dict() if isinstance(record, Counterparty) else dict(record)
    if not isinstance(record, Counterparty):
        # Plain dicts go through the model so IRIs ("/countries/PL") read the same as from the API.
        data = Counterparty.model_validate(data).api_dict()
    return {name: data.get(name) for name in IDENTITY_FIELDS}


def fingerprint(record: Counterparty | Mapping[str, Any]) -> str:
    """``v1:<sha256 hex>`` of the canonical JSON of the record's identity fields."""
    canonical = json.dumps(identity(record), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{FINGERPRINT_VERSION}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def changed_fields(
    before: Mapping[str, Any], now: Counterparty | Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Identity fields whose value differs between a snapshot and the record now: name -> (before, now)."""
    current = identity(now)
    return {
        name: (before.get(name), current[name])
        for name in IDENTITY_FIELDS
        if before.get(name) != current[name]
    }
