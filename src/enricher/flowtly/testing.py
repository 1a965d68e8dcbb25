"""Helpers for tests that talk to the sandbox: small registers, record factories, a fast retry policy.

Shipped in the package (not under ``tests/``) so every test area and the benchmarks import the same ones.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from enricher.flowtly.retry import Backoff

__all__ = ["SMALL_CLIENTS", "SMALL_REGISTER", "bundled_sample", "fast_backoff", "make_records"]

SMALL_REGISTER: list[dict[str, Any]] = [
    {
        "id": 1,
        "type": "company",
        "name": "Acme Sp. z o.o.",
        "tin": "5260250274",
        "tinCountry": "PL",
        "corporateWebsiteUrl": "https://acme.example",
        "addressCity": "Warszawa",
    },
    {
        "id": 2,
        "type": "company",
        "name": "ACME sp. z o. o.",
        "tin": "526-025-02-74",
        "tinCountry": "PL",
        "addressCity": "Warsaw",
        "addressPhoneNumber": "+48 22 123 45 67",
    },
    {
        "id": 3,
        "type": "company",
        "name": "Globex GmbH",
        "vatNumber": "DE811569869",
        "country": "/countries/DE",
        "corporateWebsiteUrl": "https://globex.example",
        "logoUrl": None,
    },
    {"id": 4, "type": "person", "name": "Jan Kowalski", "addressCity": "Kraków"},
    {"id": 5, "type": "company", "name": "Initech B.V.", "vatNumber": "NL004495445B01", "cyclic": True},
]
"""A tiny register with one obvious duplicate pair (1, 2), for tests that need known contents.
Copy it before changing it (``copy.deepcopy``); the sandbox copies what it loads."""


SMALL_CLIENTS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "Northwind Traders Sp. z o.o.",
        "tin": "7740001454",
        "tinCountry": "PL",
        "addressCity": "Poznań",
        "currency": "PLN",
        "status": "active",
        "clientContacts": [
            {
                "type": "billing",
                "email": "invoices@northwind.pl",
                "name": "Anna Nowak",
                "phone": "+48 61 555 01 01",
            }
        ],
    },
    {
        "id": 2,
        "name": "Nortwind Trading",
        "addressCity": "Poznan",
        "status": "active",
        "clientContacts": [
            {"type": "billing", "email": "a.nowak@northwind.pl", "name": "Anna Nowak", "position": "CFO"}
        ],
    },
    {
        "id": 3,
        "name": "Blue Harbor Ltd",
        "country": "GB",
        "clientContacts": [{"email": "ops@gmail.com", "name": "Tom Reed"}],
    },
    {
        "id": 4,
        "name": "Harbour Blue Consulting",
        "country": "GB",
        "clientContacts": [{"email": "tom.reed.1970@gmail.com", "name": "Sarah Lee"}],
    },
    {
        "id": 5,
        "name": "ACME Spółka z o.o.",
        "tin": "PL 526-025-02-74",
        "tinCountry": "PL",
        "addressCity": "Warszawa",
        "clientContacts": [{"email": "finance@acme.example", "phone": "+48 22 123 45 67"}],
    },
]
"""Clients with embedded contacts: 1 and 2 are one company (shared contact domain and person, a typo'd
name); 3 and 4 only share a free-mail provider (not evidence); 5 is counterparty 1 of SMALL_REGISTER
(the same tax id). Copy before changing."""


def make_records(count: int, *, start: int = 1) -> list[dict[str, Any]]:
    """``count`` simple counterparties with ids ``start..``; enough for paging tests."""
    return [
        {"id": i, "type": "company", "name": f"Company {i}", "tin": f"{i:010d}", "addressCity": "Gdańsk"}
        for i in range(start, start + count)
    ]


def fast_backoff(retries: int = 3) -> Backoff:
    """A retry policy that waits at most 10 ms, so retry tests stay fast."""
    return Backoff(retries=retries, base=0.001, cap=0.01, retry_after_cap=0.01)


def bundled_sample() -> Path | None:
    """The bundled sample register if it exists (another part ships it; tests run without it)."""
    try:
        path = Path(importlib.import_module("enricher.sample").bundled_sample_path())
    except (ImportError, AttributeError):
        return None
    return path if path.is_file() else None
