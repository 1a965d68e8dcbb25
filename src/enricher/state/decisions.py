"""The decision store: what people decided about pairs, and which merges were applied.

It satisfies matching's :class:`~enricher.matching.decisions.DecisionMemory`, so
``match(records, decisions=store)`` never proposes a rejected pair again, nor a pair whose merge was
applied. ``enricher merges apply --execute`` writes to it; ``enricher report`` reads it.

Two backends, one behaviour:

* :class:`SqliteDecisionStore` (embedded mode): ``<state_dir>/decisions.sqlite3``. SQLite in WAL mode
  with ``synchronous=FULL``: every write is one transaction, so a crash mid-write leaves the previous
  state intact, and several processes may share the file.
The store also keeps what matching learnt from those decisions (the weights and per-kind answers of
the last full match, :meth:`DecisionStore.save_model`), versioned, so that match-one bands a new
record as the last full match would: SQLite keeps every version in a ``models`` table; Redis keeps the
latest under ``<prefix>:decisions:model`` and counts versions in ``<prefix>:decisions:model_version``.

* :class:`RedisDecisionStore` (``ENRICHER_REDIS_URL`` set): two hashes,
  ``<prefix>:decisions:judgements`` (field ``[a, b]`` as JSON, in :func:`pair_key` order; value
  ``{"judgement", "at", "source"}``) and ``<prefix>:decisions:applied`` (field ``[survivor, source]``;
  value ``{"at", "source", "fingerprint"}``).

Judgements are read into memory when a store is opened (matching asks for every candidate pair, so a
round trip each would be slow) and written through; open one store per run or task, or call
:meth:`DecisionStore.refresh`. :meth:`DecisionStore.is_applied` always asks the backend, because it
guards a merge. Ids keep their type: ``1`` and ``"1"`` are different records.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from enricher.config import Settings
from enricher.errors import StateError
from enricher.records import Judgement, RecordId, pair_key
from enricher.state._redis import Keys, sync_redis

__all__ = [
    "AppliedMerge",
    "DecisionStore",
    "PairDecision",
    "RedisDecisionStore",
    "SqliteDecisionStore",
    "open_client_decision_store",
    "open_decision_store",
]


@dataclass(frozen=True)
class PairDecision:
    """A person's judgement on a pair (``a``, ``b`` in :func:`pair_key` order)."""

    a: RecordId
    b: RecordId
    judgement: Judgement
    at: str
    source: str | None = None


@dataclass(frozen=True)
class AppliedMerge:
    """A merge that the API confirmed: ``source`` was merged into ``survivor``."""

    survivor: RecordId
    source: RecordId
    at: str
    decisions_file: str | None = None
    result_fingerprint: str | None = None
    """Identity fingerprint of the survivor as the merge left it: a later step or re-run expects it."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _id_json(value: RecordId) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"a record id is an int or a string, not {type(value).__name__}")
    return json.dumps(value)


def _pair_field(a: RecordId, b: RecordId) -> str:
    return json.dumps([a, b], ensure_ascii=False)


def _parse_pair(text: str | bytes) -> tuple[RecordId, RecordId]:
    a, b = json.loads(text)
    return a, b


class DecisionStore(ABC):
    """Judgements and applied merges, with an in-memory view for fast ``judgement`` look-ups."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._judgements: dict[tuple[RecordId, RecordId], PairDecision] = {}
        self._applied: dict[tuple[RecordId, RecordId], AppliedMerge] = {}
        self._applied_pairs: set[tuple[RecordId, RecordId]] = set()
        self.refresh()

    # --- DecisionMemory -------------------------------------------------------------------------
    def judgement(self, a: RecordId, b: RecordId) -> Judgement | None:
        """APPROVED when the pair was merged (or approved), REJECTED when rejected, else None."""
        key = pair_key(a, b)
        if key in self._applied_pairs:
            return Judgement.APPROVED
        entry = self._judgements.get(key)
        return entry.judgement if entry is not None else None

    def pairs(self) -> list[tuple[RecordId, RecordId, Judgement]]:
        """Every judged pair and every applied merge (an applied merge counts as approved)."""
        with self._lock:
            judged = [(j.a, j.b, j.judgement) for j in self._judgements.values()]
            applied = [(a, b, Judgement.APPROVED) for a, b in self._applied_pairs - set(self._judgements)]
        return judged + applied

    # --- writes ---------------------------------------------------------------------------------
    def record(
        self, a: RecordId, b: RecordId, judgement: Judgement, *, source: str | None = None
    ) -> PairDecision:
        """Store a person's judgement on a pair; a later judgement on the same pair replaces it."""
        if a == b and type(a) is type(b):
            raise ValueError(f"a pair needs two different records, got {a!r} twice")
        x, y = pair_key(a, b)
        entry = PairDecision(x, y, judgement, _now(), source)
        with self._lock:
            self._write_judgement(entry)
            self._judgements[(x, y)] = entry
        return entry

    def reject(self, a: RecordId, b: RecordId, *, source: str | None = None) -> PairDecision:
        return self.record(a, b, Judgement.REJECTED, source=source)

    def approve(self, a: RecordId, b: RecordId, *, source: str | None = None) -> PairDecision:
        return self.record(a, b, Judgement.APPROVED, source=source)

    def mark_applied(
        self,
        survivor: RecordId,
        source: RecordId,
        *,
        decisions_file: str | None = None,
        result_fingerprint: str | None = None,
    ) -> AppliedMerge:
        """Remember that the API merged ``source`` into ``survivor``; the pair is never proposed again."""
        merge = AppliedMerge(survivor, source, _now(), decisions_file, result_fingerprint)
        with self._lock:
            self._write_applied(merge)
            self._applied[(survivor, source)] = merge
            self._applied_pairs.add(pair_key(survivor, source))
        return merge

    # --- reads ----------------------------------------------------------------------------------
    def is_applied(self, survivor: RecordId, source: RecordId) -> bool:
        """Whether this merge was applied, asked of the backend (another process may have done it)."""
        return self._read_applied(survivor, source) is not None

    def save_model(self, document: dict[str, Any]) -> int:
        """Store what a match learnt (``LearnedModel.to_json()``) as the next version; that version."""
        with self._lock:
            return self._write_model(document)

    def load_model(self) -> dict[str, Any] | None:
        """The latest stored model (its ``version`` set), or None when no match has stored one."""
        return self._read_model()

    def decisions(self) -> list[PairDecision]:
        """Every judgement in the in-memory view."""
        return list(self._judgements.values())

    def applied_merges(self) -> list[AppliedMerge]:
        """Every applied merge in the in-memory view."""
        return list(self._applied.values())

    def refresh(self) -> None:
        """Re-read everything from the backend (other processes may have written)."""
        judgements, applied = self._load()
        with self._lock:
            self._judgements = {(j.a, j.b): j for j in judgements}
            self._applied = {(m.survivor, m.source): m for m in applied}
            self._applied_pairs = {pair_key(m.survivor, m.source) for m in applied}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the backend's connection."""

    def __enter__(self) -> DecisionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- backend --------------------------------------------------------------------------------
    @abstractmethod
    def _load(self) -> tuple[list[PairDecision], list[AppliedMerge]]: ...

    @abstractmethod
    def _write_judgement(self, entry: PairDecision) -> None: ...

    @abstractmethod
    def _write_applied(self, merge: AppliedMerge) -> None: ...

    @abstractmethod
    def _read_applied(self, survivor: RecordId, source: RecordId) -> AppliedMerge | None: ...

    @abstractmethod
    def _write_model(self, document: dict[str, Any]) -> int: ...

    @abstractmethod
    def _read_model(self) -> dict[str, Any] | None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    a TEXT NOT NULL, b TEXT NOT NULL, judgement TEXT NOT NULL, at TEXT NOT NULL, source TEXT,
    PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS models (
    version INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applied (
    survivor TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL,
    decisions_file TEXT, result_fingerprint TEXT,
    PRIMARY KEY (survivor, source)
);
"""


class SqliteDecisionStore(DecisionStore):
    """The store in one SQLite file (WAL, synchronous=FULL: a crash never leaves half a write)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the decision store {self.path}: {exc}") from exc
        super().__init__()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StateError(f"decision store {self.path}: {exc}") from exc

    def _load(self) -> tuple[list[PairDecision], list[AppliedMerge]]:
        judgements = [
            PairDecision(json.loads(a), json.loads(b), Judgement(j), at, source)
            for a, b, j, at, source in self._run("SELECT a, b, judgement, at, source FROM judgements")
        ]
        applied = [
            AppliedMerge(json.loads(s), json.loads(src), at, df, fp)
            for s, src, at, df, fp in self._run(
                "SELECT survivor, source, at, decisions_file, result_fingerprint FROM applied"
            )
        ]
        return judgements, applied

    def _write_judgement(self, entry: PairDecision) -> None:
        self._run(
            "INSERT INTO judgements (a, b, judgement, at, source) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (a, b) DO UPDATE SET "
            "judgement = excluded.judgement, at = excluded.at, source = excluded.source",
            (_id_json(entry.a), _id_json(entry.b), entry.judgement.value, entry.at, entry.source),
        )

    def _write_applied(self, merge: AppliedMerge) -> None:
        self._run(
            "INSERT OR IGNORE INTO applied (survivor, source, at, decisions_file, result_fingerprint) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                _id_json(merge.survivor),
                _id_json(merge.source),
                merge.at,
                merge.decisions_file,
                merge.result_fingerprint,
            ),
        )

    def _read_applied(self, survivor: RecordId, source: RecordId) -> AppliedMerge | None:
        rows = self._run(
            "SELECT at, decisions_file, result_fingerprint FROM applied WHERE survivor = ? AND source = ?",
            (_id_json(survivor), _id_json(source)),
        )
        return AppliedMerge(survivor, source, *rows[0]) if rows else None

    def _write_model(self, document: dict[str, Any]) -> int:
        # Older versions stay: a model can be compared with, or rolled back to, its predecessor.
        self._run("INSERT INTO models (at, body) VALUES (?, ?)", (_now(), json.dumps(document)))
        (version,) = self._run("SELECT max(version) FROM models")[0]
        return int(version)

    def _read_model(self) -> dict[str, Any] | None:
        rows = self._run("SELECT version, body FROM models ORDER BY version DESC LIMIT 1")
        if not rows:
            return None
        document = dict(json.loads(rows[0][1]))
        document["version"] = int(rows[0][0])
        return document

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisDecisionStore(DecisionStore):
    """The store in two Redis hashes shared by every worker (see the module docstring for the keys)."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None, *, owns_client: bool = False) -> None:
        keys = keys or Keys()
        self._redis = client
        self._owns = owns_client
        self.judgements_key = keys("decisions", "judgements")
        self.applied_key = keys("decisions", "applied")
        self.model_key = keys("decisions", "model")
        self.model_version_key = keys("decisions", "model_version")
        super().__init__()

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except redis.RedisError as exc:
            raise StateError(f"decision store (Redis) could not {what}: {exc}") from exc

    def _load(self) -> tuple[list[PairDecision], list[AppliedMerge]]:
        judgements = []
        for field, value in self._call(
            "read judgements", lambda: list(self._redis.hscan_iter(self.judgements_key))
        ):
            a, b = _parse_pair(field)
            data = json.loads(value)
            judgements.append(
                PairDecision(a, b, Judgement(data["judgement"]), data["at"], data.get("source"))
            )
        applied = []
        for field, value in self._call(
            "read applied merges", lambda: list(self._redis.hscan_iter(self.applied_key))
        ):
            survivor, source = _parse_pair(field)
            data = json.loads(value)
            applied.append(
                AppliedMerge(survivor, source, data["at"], data.get("source"), data.get("fingerprint"))
            )
        return judgements, applied

    def _write_judgement(self, entry: PairDecision) -> None:
        value = json.dumps({"judgement": entry.judgement.value, "at": entry.at, "source": entry.source})
        self._call(
            "write a judgement", self._redis.hset, self.judgements_key, _pair_field(entry.a, entry.b), value
        )

    def _write_applied(self, merge: AppliedMerge) -> None:
        value = json.dumps(
            {"at": merge.at, "source": merge.decisions_file, "fingerprint": merge.result_fingerprint}
        )
        # HSETNX: the first record of a merge stays (when it happened first).
        self._call(
            "write an applied merge",
            self._redis.hsetnx,
            self.applied_key,
            _pair_field(merge.survivor, merge.source),
            value,
        )

    def _read_applied(self, survivor: RecordId, source: RecordId) -> AppliedMerge | None:
        raw = self._call(
            "read an applied merge", self._redis.hget, self.applied_key, _pair_field(survivor, source)
        )
        if raw is None:
            return None
        data = json.loads(raw)
        return AppliedMerge(survivor, source, data["at"], data.get("source"), data.get("fingerprint"))

    def _write_model(self, document: dict[str, Any]) -> int:
        version = int(self._call("number a model", self._redis.incr, self.model_version_key))
        body = json.dumps({**document, "version": version, "at": _now()})
        self._call("write a model", self._redis.set, self.model_key, body)
        return version

    def _read_model(self) -> dict[str, Any] | None:
        raw = self._call("read the model", self._redis.get, self.model_key)
        return dict(json.loads(raw)) if raw is not None else None

    def close(self) -> None:
        if self._owns:
            self._redis.close()


def open_decision_store(settings: Settings) -> DecisionStore:
    """Redis-backed when ``ENRICHER_REDIS_URL`` is set, else ``<state_dir>/decisions.sqlite3``."""
    if settings.redis_url is None:
        return SqliteDecisionStore(Path(settings.state_dir) / "decisions.sqlite3")
    return RedisDecisionStore(sync_redis(settings), Keys(settings.redis_prefix), owns_client=True)


def open_client_decision_store(settings: Settings) -> DecisionStore:
    """People's decisions on client pairs, kept apart from the counterparties' (ids of the two registers
    overlap): ``<state_dir>/client-decisions.sqlite3``, or Redis keys under ``<prefix>:clients:``."""
    if settings.redis_url is None:
        return SqliteDecisionStore(Path(settings.state_dir) / "client-decisions.sqlite3")
    keys = Keys(f"{settings.redis_prefix}:clients")
    return RedisDecisionStore(sync_redis(settings), keys, owns_client=True)
