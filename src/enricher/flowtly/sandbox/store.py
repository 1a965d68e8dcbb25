"""The sandbox's in-memory records: one insertion-ordered dict per collection.

Pages are slices of a cached key list (rebuilt only after a delete), so reading page 3,000 of a
100k register costs the same as reading page 1. A lock guards mutations because tests read and
seed the store from their own thread while the server thread serves requests.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from enricher.flowtly.contract import CLIENT_CONTACTS, CLIENT_NOTES, CLIENTS, COUNTERPARTIES
from enricher.records import IdError, RecordId, canonical_id

__all__ = ["JSONLD_KEYS", "Collection", "SandboxStore", "normalize_id"]

JSONLD_KEYS = ("@id", "@type", "@context")
"""Keys the sandbox computes on output and therefore never stores."""


def normalize_id(value: Any) -> RecordId | None:
    """An id as the store keys it: the API's reading (:func:`enricher.records.canonical_id`), None
    for a value that names no record."""
    try:
        return canonical_id(value)
    except IdError:
        return None


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396 applied in place, except that a null sets the field to null (as API Platform does)."""
    for key, value in patch.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            merge_patch(current, value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
    return target


_EXISTS = re.compile(r"^exists\[([^\]]+)\]$")


def _filter(key: str, value: str) -> Callable[[Mapping[str, Any]], bool]:
    match = _EXISTS.match(key)
    if match:
        name, wanted = match.group(1), value.strip().lower() in ("1", "true")
        return lambda r: (r.get(name) is not None) == wanted
    return lambda r: r.get(key) is not None and str(r[key]) == value


class Collection:
    """The records of one resource (``counterparties`` or ``clients``), keyed by id in insertion order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._records: dict[RecordId, dict[str, Any]] = {}
        self._order: list[RecordId] | None = []
        self._next_id = 1
        self._lock = threading.RLock()
        self.generation = 0
        """Bumped by every write, so views built over the records (indexes) know when to rebuild."""

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return normalize_id(record_id) in self._records

    def _keys(self) -> list[RecordId]:
        if self._order is None:
            self._order = list(self._records)
        return self._order

    def _bump(self, rid: RecordId) -> None:
        if isinstance(rid, int) and rid >= self._next_id:
            self._next_id = rid + 1

    def load(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Add records as given (ids kept; missing ids assigned); returns how many were added."""
        added = 0
        with self._lock:
            for raw in records:
                self.put(raw)
                added += 1
        return added

    def put(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Insert or replace one record, keeping its id (``id`` or ``@id``) or assigning the next one."""
        # Interned keys: 100k records share one copy of each field name instead of 100k copies.
        record = {sys.intern(k): v for k, v in raw.items() if k not in JSONLD_KEYS}
        rid = normalize_id(record.get("id", raw.get("@id")))
        with self._lock:
            if rid is None:
                rid = self._next_id
            record["id"] = rid
            self.generation += 1
            if rid in self._records:
                self._records[rid] = record  # replace in place: the order is unchanged
            else:
                self._records[rid] = record
                if self._order is not None:
                    self._order.append(rid)
            self._bump(rid)
        return record

    def create(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A new record with the next free integer id (any id in ``data`` is ignored, as the API does)."""
        with self._lock:
            body = {k: v for k, v in data.items() if k != "id"}
            body["id"] = self._next_id
            return self.put(body)

    def get(self, record_id: Any) -> dict[str, Any] | None:
        """A shallow copy of the record, or None."""
        record = self._records.get(normalize_id(record_id))  # type: ignore[arg-type]
        return dict(record) if record is not None else None

    def page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Records ``offset`` .. ``offset + limit`` in insertion order, by slicing the key list."""
        with self._lock:
            keys = self._keys()[offset : offset + limit]
            return [dict(self._records[k]) for k in keys]

    def filtered(
        self, filters: Mapping[str, str], offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """API Platform-style filters: ``?tin=123`` (exact, compared as text) and ``?exists[logoUrl]=false``.
        A scan, used only when filters are set."""
        tests = [_filter(key, value) for key, value in filters.items()]
        with self._lock:
            hits = [r for r in self._records.values() if all(test(r) for test in tests)]
        return len(hits), [dict(r) for r in hits[offset : offset + limit]]

    def patch(self, record_id: Any, patch: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply a merge-patch (``id`` cannot change); None when the record does not exist."""
        with self._lock:
            record = self._records.get(normalize_id(record_id))  # type: ignore[arg-type]
            if record is None:
                return None
            merge_patch(record, {k: v for k, v in patch.items() if k not in ("id", *JSONLD_KEYS)})
            self.generation += 1
            return dict(record)

    def delete(self, record_id: Any) -> bool:
        """Remove a record; False when it was not there."""
        with self._lock:
            rid = normalize_id(record_id)
            if rid not in self._records:
                return False
            del self._records[rid]
            self.generation += 1
            self._order = None  # rebuilt lazily on the next page read
            return True

    def merge(self, survivor_id: Any, source_id: Any) -> dict[str, Any]:
        """Merge the source into the survivor: the survivor keeps its values and gains the source's
        missing ones; the source disappears. Raises KeyError (unknown id) or ValueError (same record)."""
        with self._lock:
            sid, oid = normalize_id(survivor_id), normalize_id(source_id)
            if sid == oid:
                raise ValueError("a record cannot be merged into itself")
            survivor = self._records.get(sid)  # type: ignore[arg-type]
            source = self._records.get(oid)  # type: ignore[arg-type]
            if survivor is None or source is None:
                raise KeyError(sid if survivor is None else oid)
            for key, value in source.items():
                if key != "id" and _missing(survivor.get(key)) and not _missing(value):
                    survivor[key] = value
            self.delete(oid)
            return dict(survivor)

    def distinct(self, field: str) -> set[Any]:
        """The distinct non-null hashable values of one field (e.g. the types found in the data)."""
        with self._lock:
            found = {r.get(field) for r in self._records.values() if isinstance(r.get(field), str | int)}
        return found

    def ids(self) -> list[RecordId]:
        """All ids in order (a copy)."""
        with self._lock:
            return list(self._keys())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Copies of all records in order (a snapshot of the ids; records deleted meanwhile are skipped)."""
        for rid in self.ids():
            record = self._records.get(rid)
            if record is not None:
                yield dict(record)


class SandboxStore:
    """All sandbox state: the collections plus counters the admin endpoint reports."""

    def __init__(self) -> None:
        self.collections = {
            name: Collection(name) for name in (COUNTERPARTIES, CLIENTS, CLIENT_CONTACTS, CLIENT_NOTES)
        }
        self.requests: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.merges_applied = 0
        self.patches_applied = 0
        self.patches_by_record: Counter[str] = Counter()
        """PATCHes applied per record id: a record patched twice is a job done twice."""
        self.creates_applied = 0
        self.deletes_applied = 0
        self.merge_log: list[tuple[RecordId, RecordId]] = []
        """(survivor, source) of every merge applied, in order: for test asserts."""
        self.ai_enriched: Counter[RecordId] = Counter()
        """Counterparty id -> times Flowtly's (simulated) AI branding ran on it."""

    @property
    def counterparties(self) -> Collection:
        return self.collections[COUNTERPARTIES]

    @property
    def clients(self) -> Collection:
        return self.collections[CLIENTS]

    @property
    def contacts(self) -> Collection:
        return self.collections[CLIENT_CONTACTS]

    @property
    def notes(self) -> Collection:
        return self.collections[CLIENT_NOTES]

    def stats(self) -> dict[str, Any]:
        """Counters for ``GET /_sandbox/stats``."""
        return {
            "requests": dict(sorted(self.requests.items())),
            "requests_total": sum(self.requests.values()),
            "faults_injected": dict(self.faults_injected),
            "merges_applied": self.merges_applied,
            "patches_applied": self.patches_applied,
            "patches_by_record": dict(self.patches_by_record),
            "creates_applied": self.creates_applied,
            "deletes_applied": self.deletes_applied,
            "records": {name: len(c) for name, c in self.collections.items()},
            "merge_log": [list(pair) for pair in self.merge_log[-1000:]],
            "ai_enriched": sum(self.ai_enriched.values()),
        }
