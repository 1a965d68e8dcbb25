"""Branding's jobs: enrich one record under its lock (re-read first), and which records are worth it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx

from enricher.errors import NotFoundError, TransientError
from enricher.flowtly import FlowtlyClient
from enricher.jobs.context import JobContext
from enricher.records import Counterparty, RecordId

__all__ = ["ENRICH_LOCK", "enrich_all_targets", "enrich_one"]

log = logging.getLogger("enricher.jobs")

ENRICH_LOCK = "enrich:{id}"


class _TransientWatch:
    """Passes API calls through, remembering a TransientError that the enrichment swallowed.

    The write-back reports a failed PATCH as a per-record outcome; in a task, a 429/5xx that outlived
    the client's retries must instead fail the task so that Celery retries it later.
    """

    def __init__(self, client: FlowtlyClient) -> None:
        self._client = client
        self.transient: TransientError | None = None

    def _watch(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TransientError as exc:
            self.transient = exc
            raise

    def iter_counterparties(self, **params: Any) -> Iterator[Counterparty]:
        return self._client.iter_counterparties(**params)

    def get_counterparty(self, record_id: RecordId) -> Counterparty:
        return self._watch(self._client.get_counterparty, record_id)  # type: ignore[no-any-return]

    def patch_counterparty(self, record_id: RecordId, patch: dict[str, Any]) -> Counterparty:
        return self._watch(self._client.patch_counterparty, record_id, patch)  # type: ignore[no-any-return]

    def enrich_branding_ai(self, record_id: RecordId) -> Counterparty:
        return self._watch(self._client.enrich_branding_ai, record_id)  # type: ignore[no-any-return]

    def enrich_branding_ai_bulk(self, record_ids: list[RecordId]) -> None:
        self._watch(self._client.enrich_branding_ai_bulk, record_ids)


async def _enrich_async(
    ctx: JobContext, client: _TransientWatch, record: Counterparty, overwrite: bool
) -> Any:
    from enricher.branding import (
        AddressGuard,
        GuardedTransport,
        SafeFetcher,
        enrich_counterparty,
        system_resolver,
    )

    transport: httpx.AsyncBaseTransport | None = None
    aclient = None
    if ctx.settings.redis_url is not None:
        # Page and image fetches share ENRICHER_FETCH_HOST_RPS per host with every other worker.
        from enricher.state import AsyncRateLimitedTransport, RedisRateLimiter, async_redis

        aclient = async_redis(ctx.settings, max_connections=4, fail_fast=True)
        limiter = RedisRateLimiter(
            None, ctx.state.keys, rate=ctx.settings.fetch_host_rps, async_client=aclient
        )
        guard = AddressGuard(allow=tuple(ctx.settings.allow_hosts), resolver=system_resolver)
        transport = AsyncRateLimitedTransport(
            limiter, name="host", per_host=True, inner=GuardedTransport(guard)
        )
    try:
        async with SafeFetcher.from_settings(ctx.settings, transport=transport) as fetcher:
            return await enrich_counterparty(
                client, record, ctx.settings, overwrite=overwrite, fetcher=fetcher
            )
    finally:
        if aclient is not None:
            await aclient.aclose()


def enrich_one(
    ctx: JobContext, record_id: RecordId, *, overwrite: bool = False, refresh: bool = False
) -> Any:
    """Fill one counterparty's logoUrl/displayName from its website, under a per-record lock.

    Returns the write-back's outcome (None when the record is gone). ``refresh``: overwrite the
    branding only where it still holds what we wrote ourselves (the weekly refresh never replaces a
    value a person set). Raises LockBusy when another worker enriches the same record right now, and
    TransientError when Flowtly kept failing (the task retries later).
    """
    # The lock outlives the task's hard time limit (120 s) and stays below the visibility timeout.
    ttl = min(300.0, ctx.settings.visibility_timeout * 0.9)
    with ctx.state.locks.hold(ENRICH_LOCK.format(id=record_id), ttl=ttl), ctx.flowtly() as client:
        watch = _TransientWatch(client)
        try:
            record = client.get_counterparty(record_id)
        except NotFoundError:
            log.info("enrich %s: the record is gone", record_id)
            return None
        if refresh and not overwrite:
            overwrite = _still_ours(ctx, record)
        outcome = asyncio.run(_enrich_async(ctx, watch, record, overwrite))
        if watch.transient is not None:
            raise watch.transient
    if ctx.state.branding is not None and getattr(outcome, "applied", False) and outcome.patch:
        ctx.state.branding.wrote(record_id, dict(outcome.patch))
    log.info("enrich %s: %s (%s)", record_id, outcome.status, outcome.reason or ", ".join(outcome.patch))
    from enricher.metrics import ENRICH_OUTCOMES

    ENRICH_OUTCOMES.labels(outcome.status, ctx.settings.enrich_provider).inc()
    return outcome


def _still_ours(ctx: JobContext, record: Counterparty) -> bool:
    entry = (
        ctx.state.branding.get(record.id)
        if ctx.state.branding is not None and record.id is not None
        else None
    )
    if not entry or not entry.get("fields"):
        return False
    current = record.api_dict()
    return all(current.get(k) == v for k, v in entry["fields"].items())


def enrich_all_targets(ctx: JobContext, *, stale_days: int | None = None) -> list[RecordId]:
    """Ids worth (re-)enriching: a website and no logo or display name; plus, with ``stale_days``,
    records whose branding we wrote more than that many days ago."""
    records = ctx.state.snapshot.records()
    targets = [
        r.id
        for r in records
        if r.id is not None and r.corporateWebsiteUrl and (not r.logoUrl or not r.displayName)
    ]
    if stale_days is not None and ctx.state.branding is not None:
        stale = ctx.state.branding.older_than(stale_days * 86400)
        known = {str(r.id): r.id for r in records if r.id is not None}
        targets += [known[k] for k in stale if k in known and known[k] not in targets]
    return targets
