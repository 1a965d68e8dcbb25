"""Where duplicate candidates are recorded between runs, for the report and the reviewers.

Redis layout (prefix ``enricher`` by default):

* ``enricher:candidates:pairs`` — hash, one field per recorded pair (its key: the two ids, sorted,
  as a JSON array); the value is the candidate's JSON (``a``, ``b``, ``score``, ``band``, ``evidence``).
* ``enricher:candidates:partners`` — hash, one field per record that has candidates: a JSON object
  from each other record's id to the key of their pair, so either id finds the pair.

Each pair is stored once (a pair's JSON is ~1 KB: writing it under both records doubled Redis memory).
``match-one`` (a webhook) rewrites one record's pairs with one script; ``match-all`` (nightly) replaces
them all: written beside the live hashes, then swapped in by one script. Pairs recorded by earlier
versions (a hash per record) are moved on first use.
Embedded mode keeps the same data in one JSON file, ``{state_dir}/candidates.json``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, cast

import orjson
import redis

from enricher.errors import StateError, SupersededError
from enricher.records import RecordId
from enricher.state._redis import Keys

__all__ = ["CandidateStore", "FileCandidateStore", "RedisCandidateStore", "candidate_dict"]

log = logging.getLogger("enricher.state")


def candidate_dict(candidate: Any, *, plain: bool = True) -> dict[str, Any]:
    """A matching ``Candidate`` (or its contract dict) as its contract, the dedupe output's shape;
    ``plain=False`` keeps its evidence as objects that orjson writes as the same JSON (recording a 1M
    run's 357k pairs builds no 3M evidence dicts)."""
    if isinstance(candidate, Mapping):
        return dict(candidate)
    return cast(dict[str, Any], candidate.to_contract(plain=plain))


def _blob(value: Any) -> bytes:
    """JSON by orjson (~17x faster than json.dumps: 8 pieces of evidence 0.9 vs 16 µs), copied to its
    own size: orjson's bytes keep the buffer they were written in (~4 KB for a pair's 1-2 KB, for a
    record's 60-byte partner list alike), and a 1M gather holds 800k of them at once (+3 GB)."""
    return memoryview(orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)).tobytes()


def _other(pair: Mapping[str, Any], record_id: RecordId) -> RecordId:
    return pair["b"] if str(pair["a"]) == str(record_id) else pair["a"]  # type: ignore[no-any-return]


class CandidateStore(Protocol):
    """Duplicate candidates per record."""

    def record(self, record_id: RecordId, candidates: Iterable[Any]) -> int:
        """Replace the pairs of ``record_id`` with ``candidates``; return how many were written."""
        ...

    def mark(self) -> int:
        """A new mark on the recording clock, larger than every earlier one: a full match takes it before
        reading the snapshot and hands it to :meth:`replace_all` as ``since``."""
        ...

    def replace_all(self, candidates: Iterable[Any], since: int | None = None) -> int:
        """Replace every recorded pair (after a full match); with ``since`` (a :meth:`mark`), records
        whose pairs were recorded after it keep them: the full match saw an older copy of them, or none
        (a webhook during the run), and must not take its candidates away until the next run.

        :class:`~enricher.errors.SupersededError` (nothing changed) when a full match marked later has
        replaced the pairs already: a redelivered or late gather of an older run."""
        ...

    def of(self, record_id: RecordId) -> list[dict[str, Any]]:
        """The pairs of one record, best first."""
        ...

    def all(self) -> list[dict[str, Any]]:
        """Every recorded pair once, best first."""
        ...


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _best_first(pairs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(pairs, key=lambda p: (-float(p.get("score", 0)), str(p["a"]), str(p["b"])))


_BATCH = 10_000
"""Fields per HSET, and keys per UNLINK, in :meth:`RedisCandidateStore.replace_all`."""
_READS = 5
"""Scans of all pairs before giving up when every one saw a full replacement swapped in."""
_STAGED_TTL = 3600
"""Seconds a replacement's staged hashes live unless swapped in (a 10M register writes in minutes)."""

_HELPERS = """
local function file(hash, owner, other, key)
  local mine = redis.call('HGET', hash, owner)
  local t = {}
  if mine then t = cjson.decode(mine) end
  t[other] = key
  redis.call('HSET', hash, owner, cjson.encode(t))
end
local function drop(partners, pairs_, me)
  local old = redis.call('HGET', partners, me)
  if not old then return end
  for other, key in pairs(cjson.decode(old)) do
    redis.call('HDEL', pairs_, key)
    local theirs = redis.call('HGET', partners, other)
    if theirs then
      local t = cjson.decode(theirs)
      t[me] = nil
      if next(t) == nil then redis.call('HDEL', partners, other)
      else redis.call('HSET', partners, other, cjson.encode(t)) end
    end
  end
  redis.call('HDEL', partners, me)
end
"""
"""Lua shared by the scripts below: ``file`` files pair ``key`` with ``other`` in ``owner``'s partner
entry; ``drop`` removes a record's pairs and its place in its partners' entries."""

# KEYS[1] = partners, KEYS[2] = pairs, KEYS[3] = recorded, KEYS[4] = clock. ARGV[1] = the record's id,
# ARGV[2] = JSON object of its new partners (other id -> pair key), then pair key, pair JSON, ... Drops
# the record's old pairs, notes when it was recorded, then files the new ones under both sides.
_RECORD = (
    _HELPERS
    + """
local me = ARGV[1]
drop(KEYS[1], KEYS[2], me)
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), me)
local mine = cjson.decode(ARGV[2])
if next(mine) == nil then return 0 end
for other, key in pairs(mine) do file(KEYS[1], other, me, key) end
redis.call('HSET', KEYS[1], me, ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return (#ARGV - 2) / 2
"""
)

# KEYS[1] = partners, KEYS[2] = pairs, ARGV[1] = a record's id: the JSON of its pairs, read at once.
_OF = """
local mine = redis.call('HGET', KEYS[1], ARGV[1])
if not mine then return {} end
local out = {}
for _, key in pairs(cjson.decode(mine)) do
  local blob = redis.call('HGET', KEYS[2], key)
  if blob then out[#out + 1] = blob end
end
return out
"""


# KEYS[1..2] = live pairs, partners; KEYS[3..4] = staged pairs, partners; KEYS[5] = recorded; KEYS[6] =
# the mark of the last replacement; KEYS[7] = the generation counter; KEYS[8..] = keys of pairs recorded
# by earlier versions. ARGV[1] = "1" when pairs were staged; ARGV[2] = the run's mark, taken before it
# read its snapshot ("": replace everything). A run marked before the last replacement's mark changes
# nothing and returns -(that mark) (see _refuse_older). A record recorded after the run's mark (a
# webhook's match-one during the run) keeps its live pairs: the run matched an older copy of it, or none.
# Checked before anything is unlinked: MULTI would unlink the live pairs even when a staged hash had
# expired.
_SWAP = (
    _HELPERS
    + """
if ARGV[2] ~= '' then
  local last = tonumber(redis.call('GET', KEYS[6]) or '-1')
  if last > tonumber(ARGV[2]) then
    redis.call('UNLINK', KEYS[3], KEYS[4])
    return -last
  end
end
if ARGV[1] == '1' and (redis.call('EXISTS', KEYS[3]) == 0 or redis.call('EXISTS', KEYS[4]) == 0) then
  return redis.error_reply('staged candidates are gone (expired before the swap)')
end
local kept = 0
if ARGV[2] ~= '' then
  for _, me in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. ARGV[2], '+inf')) do
    drop(KEYS[4], KEYS[3], me)
    local live = redis.call('HGET', KEYS[2], me)
    if live then
      for other, key in pairs(cjson.decode(live)) do
        local blob = redis.call('HGET', KEYS[1], key)
        if blob then
          redis.call('HSET', KEYS[3], key, blob)
          file(KEYS[4], me, other, key)
          file(KEYS[4], other, me, key)
        end
      end
    end
    kept = kept + 1
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[2])
else
  redis.call('UNLINK', KEYS[5])
end
for i = 1, #KEYS do
  if i < 3 or i > 7 then redis.call('UNLINK', KEYS[i]) end
end
redis.call('INCR', KEYS[7])
if ARGV[2] ~= '' then redis.call('SET', KEYS[6], ARGV[2]) end
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i + 2]) == 1 then
    redis.call('RENAME', KEYS[i + 2], KEYS[i])
    redis.call('PERSIST', KEYS[i])
  end
end
return kept
"""
)

# KEYS[1] = partners, KEYS[2] = pairs; ARGV = pair key, a, b, JSON, ... (pairs of earlier versions).
# Files a pair only when neither record has pairs in this layout yet, decided before filing any: a
# record recorded since (by a webhook) keeps what it has, and a second upgrader files nothing again.
_MERGE = (
    _HELPERS
    + """
local present = {}
for i = 1, #ARGV, 4 do
  for j = i + 1, i + 2 do
    local r = ARGV[j]
    if present[r] == nil then present[r] = redis.call('HEXISTS', KEYS[1], r) == 1 end
  end
end
local filed = 0
for i = 1, #ARGV, 4 do
  local key, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if not present[a] and not present[b] then
    redis.call('HSET', KEYS[2], key, ARGV[i + 3])
    file(KEYS[1], a, b, key)
    file(KEYS[1], b, a, key)
    filed = filed + 1
  end
end
return filed
"""
)


def _refuse_older(since: int | None, last: int | None) -> None:
    """SupersededError when a run marked ``since`` comes after a replacement marked ``last`` that is
    newer (the swap script applies the same rule atomically). The same mark again is the same run,
    redelivered: allowed."""
    if since is not None and last is not None and last > since:
        raise SupersededError(since, last)


def _pair_key(a: str, b: str) -> str:
    """A pair's field in the pairs hash: both ids as strings, sorted, as JSON (no separator to escape)."""
    return orjson.dumps([a, b] if a <= b else [b, a]).decode()


class RedisCandidateStore:
    """The Redis layout described in the module docstring."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._r = client
        self._keys = keys
        self._pairs = keys.candidate_pairs()
        self._partners = keys.candidate_partners()
        self._recorded = keys.candidate_recorded()
        self._clock = keys.candidate_clock()
        self._replaced = keys.candidate_replaced()
        self._generation = keys.candidate_generation()
        self._record = client.register_script(_RECORD)
        self._of = client.register_script(_OF)
        self._swap = client.register_script(_SWAP)
        self._merge = client.register_script(_MERGE)
        self._upgraded = False

    def record(self, record_id: RecordId, candidates: Iterable[Any]) -> int:
        rid = str(record_id)
        mine: dict[str, str] = {}
        args: list[str | bytes] = []
        for cand in candidates:
            pair = candidate_dict(cand, plain=False)
            other = str(_other(pair, record_id))
            key = _pair_key(rid, other)
            mine[other] = key
            args += [key, _blob(pair)]
        try:
            self._upgrade()
            self._record(
                keys=[self._partners, self._pairs, self._recorded, self._clock],
                args=[rid, _blob(mine), *args],
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot record candidates of {record_id}: {type(exc).__name__}") from exc
        return len(mine)

    def mark(self) -> int:
        # INCR, not GET: two runs with no webhook between them still get different marks, so the older
        # one's late gather is told apart (see replace_all).
        try:
            return int(self._r.incr(self._clock))
        except redis.RedisError as exc:
            raise StateError(f"cannot take a mark on the candidates' clock: {type(exc).__name__}") from exc

    def _superseded(self, since: int | None) -> None:
        """Raise before staging hundreds of MB when a later run has replaced the pairs already (the swap
        checks again, atomically)."""
        if since is None:
            return
        try:
            last = self._r.get(self._replaced)
        except redis.RedisError as exc:
            raise StateError(f"cannot read the last full match's mark: {type(exc).__name__}") from exc
        _refuse_older(since, None if last is None else int(last))

    def replace_all(self, candidates: Iterable[Any], since: int | None = None) -> int:
        self._superseded(since)
        # Written beside the live hashes (under names of this call's own), then swapped in by one short
        # script: readers see the old pairs or the new ones, two replacements at once do not mix, and
        # Redis never queues a transaction of hundreds of MB (1M register: 20 -> 6 s). Each staged
        # hash expires from its first write on, so a writer that dies half-way leaves nothing for long.
        staged = f"{self._keys.prefix}:candidates:staged:{uuid.uuid4().hex}"
        staged_pairs, staged_partners = f"{staged}:pairs", f"{staged}:partners"
        partners: dict[str, dict[str, str]] = {}

        def pair_blobs() -> Iterator[tuple[str, bytes]]:
            for cand in candidates:
                pair = candidate_dict(cand, plain=False)
                a, b = str(pair["a"]), str(pair["b"])
                key = _pair_key(a, b)
                partners.setdefault(a, {})[b] = key
                partners.setdefault(b, {})[a] = key
                yield key, _blob(pair)

        try:
            legacy = self._legacy_keys()
            with _Sender(self._r) as sender:
                for k, chunk in enumerate(_batches(pair_blobs())):
                    sender.send(staged_pairs, chunk, expire=k == 0)
                # Each record's partners are complete once every pair is made.
                entries = ((rid, _blob(others)) for rid, others in partners.items())
                for k, chunk in enumerate(_batches(entries)):
                    sender.send(staged_partners, chunk, expire=k == 0)
            kept = self._swap(
                keys=[
                    self._pairs,
                    self._partners,
                    staged_pairs,
                    staged_partners,
                    self._recorded,
                    self._replaced,
                    self._generation,
                    *legacy,
                ],
                args=["1" if partners else "0", "" if since is None else str(since)],
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot record candidates: {type(exc).__name__}: {exc}") from exc
        if kept < 0 and since is not None:  # only a marked replacement is refused
            raise SupersededError(since, -kept)
        self._upgraded = True
        if kept:
            log.info(
                "%d record(s) recorded during the full match keep what match-one recorded for them", kept
            )
        return len({key for others in partners.values() for key in others.values()})

    def of(self, record_id: RecordId) -> list[dict[str, Any]]:
        try:
            self._upgrade()
            blobs = self._of(keys=[self._partners, self._pairs], args=[str(record_id)])
        except redis.RedisError as exc:
            raise StateError(f"cannot read candidates of {record_id}: {type(exc).__name__}") from exc
        return _best_first(orjson.loads(b) for b in blobs)

    def all(self) -> list[dict[str, Any]]:
        try:
            self._upgrade()
            return _best_first(self._stored())
        except redis.RedisError as exc:
            raise StateError(f"cannot read candidates: {type(exc).__name__}") from exc

    def _stored(self) -> list[dict[str, Any]]:
        # In batches (HGETALL of a 1M run's ~500 MB would stall Redis), by field (HSCAN may return a
        # field twice while the hash changes). A full replacement swapped in during the scan would leave
        # a mix of two runs' pairs (the cursor goes on in the new hash): the generation says so, and
        # the scan starts again. A match-one during the scan changes one record's pairs, as it may.
        for _ in range(_READS):
            generation = self._r.get(self._generation)
            found = dict(self._r.hscan_iter(self._pairs, count=1000))
            if self._r.get(self._generation) == generation:
                return [orjson.loads(blob) for blob in found.values()]
        raise StateError(f"the candidates were replaced {_READS} times while being read; try again")

    def _legacy_keys(self) -> list[str]:
        """The keys of pairs recorded by earlier versions (a hash per record), their index last."""
        index = self._keys.legacy_candidates_index()
        ids = self._r.smembers(index)
        return [self._keys.legacy_candidates(_text(i)) for i in ids] + ([index] if ids else [])

    def _upgrade(self) -> None:
        """Move pairs recorded by earlier versions into this layout, once per store (one SMEMBERS of an
        absent key when there are none). A record that has pairs in this layout already keeps them
        (they are newer), and so do their partners; other processes upgrading at once file nothing
        twice (see ``_MERGE``). The old keys are removed after."""
        if self._upgraded:
            return
        legacy = self._legacy_keys()
        if legacy:
            pipe = self._r.pipeline(transaction=False)
            for key in legacy[:-1]:
                pipe.hvals(key)
            moved: dict[str, tuple[str, str, bytes]] = {}
            for blobs in pipe.execute():
                for blob in blobs:
                    try:
                        pair = orjson.loads(blob)
                        a, b = str(pair["a"]), str(pair["b"])
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        # Derived data: the next full match finds the pair again.
                        log.warning("an unreadable pair of an earlier version was dropped: %.80r", blob)
                        continue
                    moved[_pair_key(a, b)] = (a, b, _blob(pair))
            args = [x for key, (a, b, blob) in moved.items() for x in (key, a, b, blob)]
            if args:
                self._merge(keys=[self._partners, self._pairs], args=args)
            pipe = self._r.pipeline(transaction=False)
            pipe.unlink(legacy[-1])  # the index first: nobody starts moving them again
            for k in range(0, len(legacy) - 1, _BATCH):
                pipe.unlink(*legacy[k : min(k + _BATCH, len(legacy) - 1)])
            pipe.execute()
        self._upgraded = True


def _batches(items: Iterable[tuple[str, bytes]]) -> Iterator[dict[str, bytes]]:
    chunk: dict[str, bytes] = {}
    for key, value in items:
        chunk[key] = value
        if len(chunk) >= _BATCH:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk


class _Sender:
    """Writes batches of hash fields to Redis from a thread of its own while the caller makes the next
    ones: a socket write waits for Redis to read (a 1M register's 340 MB of pairs: ~2 s of 6.5), and
    the thread waits without the GIL. One thread, so batches arrive in the order sent; at most
    ``ahead`` wait, so the blobs in memory stay a few batches, not the whole register. The first error
    stops it and is raised by :meth:`send` or on exit."""

    def __init__(self, client: redis.Redis, ahead: int = 2) -> None:
        self._r = client
        self._queue: queue.Queue[tuple[str, dict[str, bytes], bool] | None] = queue.Queue(ahead)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="candidates-writer", daemon=True)

    def __enter__(self) -> _Sender:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            if kind is None:
                raise self._error
            error = self._error
            log.warning("writing staged candidates failed too: %s: %s", type(error).__name__, error)

    def send(self, name: str, fields: dict[str, bytes], *, expire: bool) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((name, fields, expire))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the caller raises it at its next send or on exit
            name, fields, expire = item
            try:
                pipe = self._r.pipeline(transaction=False)
                pipe.hset(name, mapping=cast(Any, fields))
                if expire:
                    pipe.expire(name, _STAGED_TTL)
                pipe.execute()
            except BaseException as exc:  # handed to the caller, which raises it
                self._error = exc


class FileCandidateStore:
    """Embedded mode: all pairs in one JSON file, rewritten atomically under an flock."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "candidates.json"
        self._log = directory / "candidates.recorded.json"
        """When each record was last recorded one by one: ``{"clock": n, "records": {id: n}}``, and the
        mark of the last full replacement (``"replaced"``)."""

    @contextlib.contextmanager
    def _locked(self, *, pairs: bool = True) -> Iterator[tuple[dict[str, dict[str, Any]], dict[str, Any]]]:
        """The pairs and the recorded log, under the lock; both written back on exit, the pairs first
        (a log that names a record as newer than its pairs would keep stale pairs at the next run).
        ``pairs=False``: the log alone (the pairs are neither read nor written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data: dict[str, dict[str, Any]] = {}
            if pairs and self.path.exists():
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise StateError(f"{self.path}: unreadable candidates file ({exc})") from exc
            log = self._recorded()
            yield data, log
            for path, value in ((self.path, data), (self._log, log))[0 if pairs else 1 :]:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(value, separators=(",", ":")), encoding="utf-8")
                tmp.replace(path)
        finally:
            os.close(fd)

    @staticmethod
    def _key(pair: Mapping[str, Any]) -> str:
        a, b = sorted((str(pair["a"]), str(pair["b"])))
        return f"{a}|{b}"

    def _recorded(self) -> dict[str, Any]:
        try:
            log = json.loads(self._log.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"clock": 0, "records": {}}
        except (OSError, ValueError) as exc:
            raise StateError(f"{self._log}: unreadable candidates file ({exc})") from exc
        return cast(dict[str, Any], log)

    def mark(self) -> int:
        with self._locked(pairs=False) as (_, log):
            log["clock"] += 1
            return int(log["clock"])

    @staticmethod
    def _of(data: Mapping[str, dict[str, Any]], rid: str) -> list[str]:
        return [k for k, p in data.items() if rid in (str(p["a"]), str(p["b"]))]

    def record(self, record_id: RecordId, candidates: Iterable[Any]) -> int:
        pairs = [candidate_dict(c) for c in candidates]
        with self._locked() as (data, log):
            rid = str(record_id)
            for key in self._of(data, rid):
                del data[key]
            for pair in pairs:
                data[self._key(pair)] = pair
            log["clock"] += 1
            log["records"][rid] = log["clock"]
        return len(pairs)

    def replace_all(self, candidates: Iterable[Any], since: int | None = None) -> int:
        pairs = [candidate_dict(c) for c in candidates]
        with self._locked() as (data, log):
            _refuse_older(since, log.get("replaced"))
            recent = {r for r, at in log["records"].items() if since is not None and at > since}
            live = {k: data[k] for rid in recent for k in self._of(data, rid)}
            data.clear()
            for pair in pairs:
                if str(pair["a"]) not in recent and str(pair["b"]) not in recent:
                    data[self._key(pair)] = pair
            data.update(live)
            log["records"] = {r: at for r, at in log["records"].items() if r in recent}
            if since is not None:
                log["replaced"] = since
        return len(pairs)

    def of(self, record_id: RecordId) -> list[dict[str, Any]]:
        rid = str(record_id)
        return [p for p in self.all() if rid in (str(p["a"]), str(p["b"]))]

    def all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"{self.path}: unreadable candidates file ({exc})") from exc
        return _best_first(data.values())
