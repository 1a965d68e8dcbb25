"""Records and matching contracts for the review tests, in one place.

The contracts have DESIGN.md's dedupe shape (plus ``explanation``): what ``MatchResult.to_contract()``
returns. Tests that need the real matcher call ``enricher.matching.match`` instead.
"""

from __future__ import annotations

from typing import Any

from enricher.records import Counterparty
from enricher.review.testing import synthetic_contract

PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
    "WjR9awAAAABJRU5ErkJggg=="
)
"""A 1x1 PNG as a data: URL: a logo the report shows without any network."""

REGISTER: list[dict[str, Any]] = [
    {
        "id": 1,
        "type": "company",
        "name": "Acme Sp. z o.o.",
        "tin": "5260250274",
        "tinCountry": "PL",
        "addressCity": "Warszawa",
        "addressStreetLine": "ul. Prosta",
        "addressBuildingNumber": "12",
        "corporateWebsiteUrl": "https://acme.example",
        "logoUrl": None,
    },
    {
        "id": 7,
        "type": "company",
        "name": "ACME sp. z o. o.",
        "tin": "526-025-02-74",
        "tinCountry": "PL",
        "addressCity": "Warsaw",
        "addressPhoneNumber": "+48 22 123 45 67",
        "displayName": "Acme",
        "logoUrl": PIXEL,
    },
    {
        "id": 9,
        "type": "company",
        "name": "ACME Polska",
        "tin": "5260250274",
        "tinCountry": "PL",
        "addressCity": "Warszawa",
    },
    {
        "id": 3,
        "type": "company",
        "name": "Globex GmbH",
        "vatNumber": "DE811569869",
        "country": "/countries/DE",
        "corporateWebsiteUrl": "https://globex.example",
        "addressCity": "Berlin",
    },
    {
        "id": 4,
        "type": "company",
        "name": "Globex Deutschland GmbH",
        "vatNumber": "DE811569869",
        "country": "DE",
        "addressCity": "Berlin",
    },
    {
        "id": 5,
        "type": "company",
        "name": "Initech B.V.",
        "vatNumber": "NL004495445B01",
        "country": "NL",
        "addressCity": "Amsterdam",
    },
    {"id": 6, "type": "company", "name": "Initech Holding B.V.", "country": "NL", "addressCity": "Rotterdam"},
    {
        "id": 8,
        "type": "company",
        "name": '=HYPERLINK("http://evil.example")</script><b>x</b>',
        "country": "FR",
        "addressCity": "Paris",
    },
    {"id": 10, "type": "company", "name": "Umbrella SARL", "country": "FR", "addressCity": "Paris"},
]


def ev(feature: str, result: str, weight: float, explanation: str) -> dict[str, Any]:
    return {"feature": feature, "result": result, "weight": weight, "explanation": explanation}


CONTRACT: dict[str, Any] = {
    "candidates": [
        {
            "a": 1,
            "b": 9,
            "score": 0.99,
            "band": "merge",
            "evidence": [
                ev("tin", "equal", 9.5, "Both records carry the same tax id."),
                ev("name", "similar", 2.1, "The names are alike once legal forms are removed."),
            ],
        },
        {
            "a": 1,
            "b": 7,
            "score": 0.97,
            "band": "merge",
            "evidence": [
                ev("tin", "equal", 9.5, "Both records carry the same tax id."),
                ev("city", "different", -0.4, "The cities differ (Warszawa, Warsaw)."),
            ],
        },
        {
            "a": 3,
            "b": 4,
            "score": 0.91,
            "band": "merge",
            "evidence": [
                ev("vat", "equal", 8.0, "Both records carry the same VAT number."),
            ],
        },
        {
            "a": 5,
            "b": 6,
            "score": 0.62,
            "band": "review",
            "evidence": [
                ev("name", "similar", 3.0, "The names are alike once legal forms are removed."),
                ev("city", "different", -1.5, "The cities differ (Amsterdam, Rotterdam)."),
            ],
        },
        {
            "a": 8,
            "b": 10,
            "score": 0.55,
            "band": "review",
            "evidence": [
                ev("city", "equal", 1.0, "Same city."),
            ],
        },
    ],
    "clusters": [
        {"ids": [1, 7, 9], "survivor": 7, "explanation": "Same tax id 5260250274."},
        {"ids": [3, 4], "survivor": 3, "explanation": "Same VAT number."},
        {"ids": [5, 6], "survivor": 5, "explanation": "Alike names in the Netherlands."},
    ],
}
"""Three clusters (one of three records) and one pair that no cluster holds (8, 10)."""


def records() -> dict[Any, Counterparty]:
    return {r["id"]: Counterparty.model_validate(r) for r in REGISTER}


def big(count: int, *, seed: int = 11) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A contract with ``count`` candidate pairs (some in clusters of three) and its records."""
    return synthetic_contract(count, seed=seed)
