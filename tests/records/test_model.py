"""Record models: nulls, unknown fields, ids as ints or IRIs, JSON-LD keys."""

from __future__ import annotations

import pytest

from enricher.records import Client, Counterparty, iri_to_id, record_iri


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        ("/counterparties/12", 12),
        ("/api/counterparties/12", 12),
        ("ab-1", "ab-1"),
        ("", None),
        (None, None),
    ],
)
def test_iri_to_id(value: object, expected: object) -> None:
    assert iri_to_id(value) == expected


def test_record_iri() -> None:
    assert record_iri("counterparties", 12) == "/counterparties/12"


def test_json_ld_member() -> None:
    record = Counterparty.model_validate(
        {
            "@id": "/counterparties/7",
            "@type": "Counterparty",
            "@context": "/contexts/Counterparty",
            "name": None,
        }
    )
    assert record.id == 7
    assert record.iri == "/counterparties/7"
    assert record.name is None
    dumped = record.model_dump(by_alias=True)
    assert "@type" not in dumped and "@context" not in dumped


def test_unknown_fields_are_kept_and_written_back() -> None:
    record = Counterparty.model_validate(
        {"id": "/counterparties/3", "futureField": [1, 2], "country": "/countries/PL"}
    )
    assert record.api_dict()["futureField"] == [1, 2]
    assert record.country_code == "PL"
    assert record.api_dict()["id"] == 3


def test_client_model() -> None:
    client = Client.model_validate({"id": 4, "name": "Client", "tin": 5260250274})
    assert client.tin == "5260250274"  # numbers in text fields become text
