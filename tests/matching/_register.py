"""A small counterparty register with known duplicates, shared by the matching tests."""

from __future__ import annotations

from typing import Any

REGISTER: list[dict[str, Any]] = [
    # Orlen: three spellings, one with the VAT prefix, one without a tax id.
    {
        "id": 1,
        "name": "ORLEN Spółka Akcyjna",
        "tin": "7740001454",
        "tinCountry": "PL",
        "addressStreetLine": "ul. Chemików 7",
        "addressPostCode": "09-411",
        "addressCity": "Płock",
        "addressCountry": "PL",
        "corporateWebsiteUrl": "https://www.orlen.pl",
    },
    {
        "id": 2,
        "name": "Orlen S.A.",
        "vatNumber": "PL 774-000-14-54",
        "addressStreetLine": "Chemików 7",
        "addressPostCode": "09411",
        "addressCity": "Plock",
        "addressCountry": "PL",
    },
    {
        "id": "crm-77",
        "name": "orlen sa",
        "addressStreetLine": "ul. Chemikow 7",
        "addressCity": "Płock",
        "addressCountry": "PL",
        "corporateWebsiteUrl": "orlen.pl/kontakt",
        "addressPhoneNumber": "24 256 00 00",
    },
    # Budimex: two records, same valid NIP.
    {
        "id": 4,
        "name": "Budimex SA",
        "tin": "PL5260250995",
        "addressCity": "Warszawa",
        "addressCountry": "PL",
        "addressStreetLine": "ul. Siedmiogrodzka 9",
        "addressPostCode": "01-204",
    },
    {
        "id": 5,
        "name": "BUDIMEX S.A.",
        "tin": "526-025-09-95",
        "tinCountry": "PL",
        "addressCity": "Warszawa",
        "addressCountry": "PL",
        "addressStreetLine": "Siedmiogrodzka 9",
        "addressPostCode": "01-204",
    },
    # Same name, different valid tax ids: two legal entities, never one cluster.
    {
        "id": 6,
        "name": "Kowalski Transport Sp. z o.o.",
        "tin": "PL1132853869",
        "addressCity": "Warszawa",
        "addressCountry": "PL",
        "addressStreetLine": "ul. Prosta 1",
        "addressPostCode": "00-838",
    },
    {
        "id": 7,
        "name": "Kowalski Transport sp. z o.o.",
        "tin": "PL9512373938",
        "addressCity": "Warszawa",
        "addressCountry": "PL",
        "addressStreetLine": "ul. Prosta 1",
        "addressPostCode": "00-838",
    },
    # Siemens, German, spelled-out legal form.
    {
        "id": 8,
        "name": "Siemens Aktiengesellschaft",
        "vatNumber": "DE129274202",
        "addressCity": "München",
        "addressCountry": "DE",
        "corporateWebsiteUrl": "https://www.siemens.com",
    },
    {
        "id": 9,
        "name": "Siemens AG",
        "tin": "DE 129 274 202",
        "addressCity": "Muenchen",
        "addressCountry": "DE",
        "corporateWebsiteUrl": "siemens.com",
    },
    # Unrelated records sharing generic words, a shared host and a phone.
    {
        "id": 10,
        "name": "Transport Logistyka Nowak",
        "addressCity": "Gdańsk",
        "addressCountry": "PL",
        "corporateWebsiteUrl": "https://facebook.com/nowaktransport",
    },
    {
        "id": 11,
        "name": "Nowak Budownictwo",
        "addressCity": "Gdańsk",
        "addressCountry": "PL",
        "corporateWebsiteUrl": "https://facebook.com/nowakbud",
    },
    {
        "id": 12,
        "name": "Palace Court",
        "addressStreetLine": "3570 las vegas blvd. s",
        "addressCity": "las vegas",
        "addressPhoneNumber": "702/731-7547",
        "addressCountry": "US",
    },
    {
        "id": 13,
        "name": "Cafe Roma",
        "addressStreetLine": "3570 las vegas blvd. s",
        "addressCity": "las vegas",
        "addressPhoneNumber": "702/731-7547",
        "addressCountry": "US",
    },
    {
        "id": 14,
        "name": "Arnie Morton's of Chicago",
        "addressStreetLine": "435 S. La Cienega Blvd.",
        "addressCity": "Los Angeles",
        "addressPhoneNumber": "310/246-1501",
        "addressCountry": "US",
    },
    {
        "id": 15,
        "name": "arnie mortons of chicago",
        "addressStreetLine": "435 s. la cienega blv.",
        "addressCity": "los angeles",
        "addressPhoneNumber": "310-246-1501",
        "addressCountry": "US",
    },
    {"id": 16, "name": None, "addressCity": "Kraków", "addressCountry": "PL"},
    {
        "id": 17,
        "name": "Apple Pan, The",
        "addressStreetLine": "10801 W. Pico Blvd.",
        "addressCity": "West LA",
        "addressPhoneNumber": "310-475-3585",
        "addressCountry": "US",
    },
    {
        "id": 18,
        "name": "The Apple Pan",
        "addressStreetLine": "10801 w. pico blvd.",
        "addressCity": "los angeles",
        "addressPhoneNumber": "310/475-3585",
        "addressCountry": "US",
    },
]

TRUE_PAIRS = {
    frozenset({1, 2}),
    frozenset({1, "crm-77"}),
    frozenset({2, "crm-77"}),
    frozenset({4, 5}),
    frozenset({8, 9}),
    frozenset({14, 15}),
    frozenset({17, 18}),
}
