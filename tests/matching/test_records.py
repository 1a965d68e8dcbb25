"""Prepared records: what normalising one record yields, and how it travels between processes."""

from __future__ import annotations

import pickle
from dataclasses import fields

import orjson
import pytest

from enricher.errors import RecordError
from enricher.matching.records import Prepared, prepare, prepare_many, record_id
from enricher.records import Counterparty
from enricher.sample import generate

from ._register import REGISTER


def test_prepared_records_survive_pickling_field_for_field() -> None:
    """Workers send Prepared back pickled through a hand-written ``__reduce__``: every field must
    come back in its own place (a field added to the class but not to ``__reduce__`` fails here)."""
    record = prepare(
        {
            "id": "cp-7",
            "name": "Kowalski i Syn sp.j.",
            "tin": "PL5260250995",
            "corporateWebsiteUrl": "https://www.kowalski.pl/o-nas",
            "addressPhoneNumber": "22 123 45 67",
            "addressStreetLine": "ul. Marszałkowska",
            "addressBuildingNumber": "10",
            "addressPostCode": "00-950",
            "addressCity": "Warszawa",
            "addressCountry": "PL",
        }
    )
    values = {f.name: getattr(record, f.name) for f in fields(Prepared)}
    assert all(value not in (None, "") for value in values.values())  # every field is exercised
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record
    assert {f.name: getattr(copy, f.name) for f in fields(Prepared)} == values
    assert len(record.__reduce__()[1]) == len(fields(Prepared))


def test_batch_normalising_equals_one_by_one_and_keeps_bad_records_in_place() -> None:
    """``prepare_many`` (field by field over a batch, for speed) must give exactly what ``prepare``
    gives record by record, in input order, with unusable records as their error message."""
    generated = [record for record, _ in generate(300, seed=11)]
    records: list[Counterparty | dict[str, object]] = [*REGISTER, *generated]
    records.insert(3, {"name": "No Id Sp. z o.o."})
    records.insert(10, {"id": "  ", "name": "Blank Id GmbH"})
    records.append(Counterparty.model_validate({"id": 99_999, "name": "Model Input Ltd"}))
    batch = prepare_many(records)
    assert len(batch) == len(records)
    for record, got in zip(records, batch, strict=True):
        if isinstance(got, str):
            assert "no usable id" in got
            continue
        assert got == prepare(record)
    assert [i for i, got in enumerate(batch) if isinstance(got, str)] == [3, 10]
    assert prepare_many([]) == []


def test_batch_normalising_parses_json_lines() -> None:
    """Raw JSON objects (the CLI's checked lines) normalise like their dicts; lines that are not JSON
    objects become messages in place."""
    lines = [orjson.dumps(record) for record in REGISTER[:4]]
    batch = prepare_many([lines[0], b"{broken", lines[1], b"[1, 2]", lines[2], lines[3]])
    assert batch[1] == batch[3] == "not a JSON object"
    assert [batch[0], batch[2], batch[4], batch[5]] == [prepare(r) for r in REGISTER[:4]]


@pytest.mark.parametrize("bad", [True, "", "  ", 1.5, [1], "x" * 300, "a\x00b"])
def test_an_id_the_api_could_not_read_is_no_usable_id(bad: object) -> None:
    """Issue 11: matching takes ids by the same rule as the client and the decisions file."""
    with pytest.raises(RecordError, match="no usable id"):
        record_id({"id": bad, "name": "Acme"})


def test_a_usable_id_is_kept_as_given() -> None:
    # DESIGN.md's dedupe contract echoes ids as given: the shared reading is for checks, not output.
    assert record_id({"id": " 7 "}) == " 7 "
    assert record_id({"id": "/counterparties/7"}) == "/counterparties/7"
    assert record_id({"@id": "/counterparties/7"}) == 7
