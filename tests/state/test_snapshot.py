"""The register snapshot: replaced whole, updated per record, read as models or as the JSON matching reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.matching import match
from enricher.records import Counterparty
from enricher.state import FileSnapshot, RedisSnapshot, Snapshot

RECORDS = [
    Counterparty.model_validate(
        {"id": 1, "name": "Acme Sp. z o.o.", "tin": "1234563218", "tinCountry": "PL"}
    ),
    Counterparty.model_validate({"id": 2, "name": "ACME sp.z.o.o", "vatNumber": "PL 123-456-32-18"}),
    Counterparty.model_validate({"id": "crm-3", "name": "Żabka Polska", "addressCity": "Poznań"}),
]


@pytest.fixture(params=["redis", "file"])
def snapshot(request: pytest.FixtureRequest, tmp_path: Path) -> Snapshot:
    if request.param == "file":
        return FileSnapshot(tmp_path)
    request.applymarker(pytest.mark.integration)
    client, keys = request.getfixturevalue("rkeys")
    return RedisSnapshot(client, keys)


def test_raw_records_are_the_stored_records_as_json(snapshot: Snapshot) -> None:
    assert snapshot.raw() == []
    assert snapshot.replace(RECORDS) == 3
    raw = snapshot.raw()
    assert all(isinstance(line, bytes) for line in raw)
    assert sorted(str(json.loads(line)["id"]) for line in raw) == ["1", "2", "crm-3"]
    assert [json.loads(line)["id"] for line in raw] == [r.id for r in snapshot.records()]
    snapshot.remove(2)
    assert sorted(str(json.loads(line)["id"]) for line in snapshot.raw()) == ["1", "crm-3"]


def test_matching_the_raw_snapshot_equals_matching_its_models(snapshot: Snapshot) -> None:
    snapshot.replace(RECORDS)
    from_raw, from_models = match(snapshot.raw()), match(snapshot.records())
    assert [(c.a, c.b, c.band, c.score) for c in from_raw.candidates] == [
        (c.a, c.b, c.band, c.score) for c in from_models.candidates
    ]
    assert [c.to_contract() for c in from_raw.clusters] == [c.to_contract() for c in from_models.clusters]
    assert from_raw.candidates and from_raw.candidates[0].band == "merge"


def test_redis_snapshot_reads_in_id_order_whatever_order_it_was_written(rkeys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Hash order follows the server's hash seed (a restarted Redis reads a register in another order);
    matching depends on the order, so the snapshot is read in id order: ints numerically, then text."""
    client, keys = rkeys
    snapshot = RedisSnapshot(client, keys)
    ids = [10, "crm-3", 2, 1, "a", 300]
    snapshot.replace(Counterparty.model_validate({"id": i, "name": f"Firma {i}"}) for i in ids)
    expected = [1, 2, 10, 300, "a", "crm-3"]
    assert [json.loads(line)["id"] for line in snapshot.raw()] == expected
    assert [r.id for r in snapshot.records()] == expected
    assert snapshot.ids() == [str(i).encode() for i in expected]  # what a large full match's parts read
    snapshot.replace(Counterparty.model_validate({"id": i, "name": f"Firma {i}"}) for i in (10, 2, 300, 1))
    assert [json.loads(line)["id"] for line in snapshot.raw()] == [1, 2, 10, 300]  # numbers only
    huge = 10**20  # past int64: sorted as Python ints
    snapshot.replace(Counterparty.model_validate({"id": i, "name": f"Firma {i}"}) for i in (huge, 7))
    assert [json.loads(line)["id"] for line in snapshot.raw()] == [7, huge]
    assert snapshot.ids() == [b"7", str(huge).encode()]


def test_ids_list_the_register_in_raw_order_and_raw_of_reads_them_back(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large full match lists the ids once and each of its parts reads its own slice of records: the
    slices, read in turn, are the register :meth:`raw` reads at once; a record gone since is None."""
    from enricher.state import snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "_READ_BATCH", 2)  # several HMGETs for one slice
    ids = [10, "crm-3", 2, 1, "a", 300, 7]
    assert snapshot.size() == 0 and snapshot.ids() == []
    snapshot.replace(Counterparty.model_validate({"id": i, "name": f"Firma {i}"}) for i in ids)
    listed = snapshot.ids()
    assert snapshot.size() == len(ids)
    assert sorted(listed) == sorted(str(i).encode() for i in ids)
    assert snapshot.raw_of(listed[:3]) + snapshot.raw_of(listed[3:]) == snapshot.raw()
    snapshot.remove(2)
    assert snapshot.raw_of([b"2", b"1", b"no-such-id"]) == [None, snapshot.raw_of([b"1"])[0], None]
    assert json.loads(snapshot.raw_of([b"1"])[0] or b"")["name"] == "Firma 1"
