"""Prepared records: what normalising one record yields, and how it travels between processes."""

from __future__ import annotations

import pickle
from dataclasses import fields

from enricher.matching.records import Prepared, prepare


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
