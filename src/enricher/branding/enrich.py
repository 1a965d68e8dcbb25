"""Write-back: fill a counterparty's ``logoUrl`` and ``displayName`` from its website.

Rules: a field is filled only when it is empty, unless ``overwrite``; the change is a merge-patch of
just those fields, sent through :class:`~enricher.flowtly.FlowtlyClient`; the record is re-read
right before the PATCH so a value someone typed meanwhile is never overwritten; ``dry_run`` computes
and reports the patch but sends nothing. Every filled value keeps its provenance (the page, the
URL and signal it came from, when) in the run output.

``enrich_all`` streams the register (``iter_counterparties`` is lazy; its blocking calls run in a
worker thread) and keeps at most ``fetch_concurrency`` records in flight, so memory stays flat
however long the register is; ``fetch_per_host`` bounds requests per website host inside the fetcher.
A record-level problem (no website, site down, no logo, 422 from the API) is reported in the summary
and the run goes on; an authentication error stops the run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from enricher.branding.fetch import SafeFetcher
from enricher.branding.images import CheckedCandidate
from enricher.branding.online import BrandResult, brand_page, website_url
from enricher.errors import AuthError, FlowtlyError, NotFoundError, RecordError
from enricher.records import Counterparty, RecordId

if TYPE_CHECKING:
    from enricher.config import Settings

__all__ = [
    "EnrichOutcome",
    "EnrichSummary",
    "Provenance",
    "enrich_all",
    "enrich_counterparty",
    "website_url",
]

Status = Literal["filled", "unchanged", "failed"]


class CounterpartyApi(Protocol):
    """The part of FlowtlyClient the write-back uses (a protocol, so the dependency stays narrow)."""

    def iter_counterparties(
        self, *, on_error: Callable[[RecordError], None] | None = None, **params: Any
    ) -> Iterator[Counterparty]: ...

    def get_counterparty(self, record_id: RecordId) -> Counterparty: ...

    def patch_counterparty(self, record_id: RecordId, patch: dict[str, Any]) -> Counterparty: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    """Where one filled value came from."""

    field: str  # logoUrl or displayName
    value: str
    previous: str | None
    page: str  # the page that was read (after redirects)
    source_url: str  # the logo's URL, or the page for a name
    signal: str  # json-ld, og:logo, img, manifest, favicon.ico... / og:site_name, title...
    at: str
    reasons: tuple[dict[str, Any], ...] = ()  # why this logo won: {"hint", "points", "why"}, largest first
    provider: str = "ours"  # who found it: "ours" (the fetcher) or "flowtly-ai" (Flowtly's AI branding)


@dataclass
class EnrichOutcome:
    """What happened to one record."""

    id: RecordId | None
    status: Status
    reason: str | None = None
    name: str | None = None
    website: str | None = None
    patch: dict[str, str] = field(default_factory=dict)
    applied: bool = False
    provenance: list[Provenance] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the camelCase keys of the rest of the run output."""
        data = asdict(self)
        data["provenance"] = [{_camel(k): v for k, v in p.items()} for p in data["provenance"]]
        return data


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass
class EnrichSummary:
    """The run output: counts, reasons and per-record outcomes with provenance (JSON-serialisable).

    Counts and reasons are tallied as outcomes arrive; the outcomes themselves are kept only with
    ``keep_outcomes`` (the default). A very long run can stream them elsewhere instead (the
    ``progress`` callback of :func:`enrich_all` sees each one) and keep memory flat.
    """

    dry_run: bool = False
    overwrite: bool = False
    keep_outcomes: bool = True
    provider: str = "ours"
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    outcomes: list[EnrichOutcome] = field(default_factory=list)
    _tally: Counter[str] = field(default_factory=Counter, repr=False)
    _reasons: dict[str, Counter[str]] = field(default_factory=dict, repr=False)

    def add(self, outcome: EnrichOutcome) -> None:
        """Count one outcome (and keep it, with ``keep_outcomes``)."""
        self._tally[outcome.status] += 1
        if outcome.status != "filled":
            self._reasons.setdefault(outcome.status, Counter())[_reason_key(outcome.reason)] += 1
        if self.keep_outcomes:
            self.outcomes.append(outcome)

    def _with(self, status: Status) -> list[EnrichOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def filled(self) -> list[EnrichOutcome]:
        return self._with("filled")

    @property
    def unchanged(self) -> list[EnrichOutcome]:
        return self._with("unchanged")

    @property
    def failed(self) -> list[EnrichOutcome]:
        return self._with("failed")

    def reasons(self, status: Status) -> dict[str, int]:
        """How often each reason occurred among outcomes with ``status``, most common first."""
        return dict(self._reasons.get(status, Counter()).most_common())

    def counts(self) -> dict[str, int]:
        return {
            "total": sum(self._tally.values()),
            "filled": self._tally["filled"],
            "unchanged": self._tally["unchanged"],
            "failed": self._tally["failed"],
        }

    def header(self) -> dict[str, Any]:
        """Everything of :meth:`to_dict` but the per-record list."""
        return {
            "dryRun": self.dry_run,
            "overwrite": self.overwrite,
            "provider": self.provider,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "counts": self.counts(),
            "unchangedReasons": self.reasons("unchanged"),
            "failedReasons": self.reasons("failed"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), "records": [o.to_dict() for o in self.outcomes]}


def _reason_key(reason: str | None) -> str:
    """A reason without its URL tail, so equal causes group together in the summary."""
    text = reason or "unknown"
    return text.split(": http", 1)[0].split(" (http", 1)[0]


def _empty(value: str | None) -> bool:
    return value is None or not value.strip()


async def enrich_counterparty(
    client: CounterpartyApi,
    counterparty: Counterparty,
    settings: Settings,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    fetcher: SafeFetcher | None = None,
    provider: str | None = None,
) -> EnrichOutcome:
    """Enrich one record: fetch its website's brand, patch the empty fields (all with ``overwrite``).

    ``provider`` (default ``ENRICHER_ENRICH_PROVIDER``): ``ours``, ``flowtly-ai`` (Flowtly's AI branding
    endpoint) or ``auto`` (ours, then Flowtly's where ours found nothing).
    """
    chosen = provider or settings.enrich_provider
    if chosen == "flowtly-ai":
        return await _flowtly_ai(client, counterparty, dry_run)
    if fetcher is None:
        async with SafeFetcher.from_settings(settings) as own:
            outcome = await _enrich(client, counterparty, own, overwrite=overwrite, dry_run=dry_run)
    else:
        outcome = await _enrich(client, counterparty, fetcher, overwrite=overwrite, dry_run=dry_run)
    if chosen == "auto":
        return await _fallback(client, counterparty, outcome, dry_run)
    return outcome


async def _flowtly_ai(client: CounterpartyApi, record: Counterparty, dry_run: bool) -> EnrichOutcome:
    from enricher.branding.flowtly_ai import brand_with_flowtly_ai

    found = await asyncio.to_thread(
        brand_with_flowtly_ai, cast(Any, client), [record], dry_run=dry_run, bulk=False
    )
    return cast(EnrichOutcome, found[0])


async def _fallback(
    client: CounterpartyApi, record: Counterparty, ours: EnrichOutcome, dry_run: bool
) -> EnrichOutcome:
    """``auto``: where our fetcher filled nothing, ask Flowtly's AI (its outcome says what ours found)."""
    if ours.status == "filled" or dry_run or record.id is None or ours.reason == "record no longer exists":
        return ours
    try:
        current = await asyncio.to_thread(client.get_counterparty, record.id)
    except NotFoundError:
        return ours
    theirs = await _flowtly_ai(client, current, dry_run)
    if theirs.status == "filled":
        theirs.reason = f"our fetcher: {ours.reason}"
        return theirs
    ours.reason = f"{ours.reason}; Flowtly's AI: {theirs.reason}"
    return ours


async def _enrich(
    client: CounterpartyApi, record: Counterparty, fetcher: SafeFetcher, *, overwrite: bool, dry_run: bool
) -> EnrichOutcome:
    outcome = EnrichOutcome(id=record.id, status="unchanged", name=record.name)
    if record.id is None:
        outcome.status, outcome.reason = "failed", "record has no id"
        return outcome
    outcome.website = website_url(record.corporateWebsiteUrl)
    if outcome.website is None:
        outcome.reason = "no website"
        return outcome
    want = [f for f in ("logoUrl", "displayName") if overwrite or _empty(getattr(record, f))]
    if not want:
        outcome.reason = "logoUrl and displayName already set"
        return outcome
    brand = await brand_page(outcome.website, fetcher, known_name=record.name)
    proposed = _proposal(brand, want)
    changes = {f: v for f, (v, _src, _sig) in proposed.items() if v != getattr(record, f)}
    if not changes:
        outcome.status, outcome.reason = _nothing_found(brand, proposed, want)
        return outcome
    if not dry_run:
        try:
            # Re-read: a value typed in since the listing must not be overwritten.
            current = await asyncio.to_thread(client.get_counterparty, record.id)
            if not overwrite:
                changes = {f: v for f, v in changes.items() if _empty(getattr(current, f))}
            if not changes:
                outcome.reason = "filled by someone else meanwhile"
                return outcome
            await asyncio.to_thread(client.patch_counterparty, record.id, changes)
        except AuthError:
            raise
        except NotFoundError:
            outcome.status, outcome.reason = "failed", "record no longer exists"
            return outcome
        except FlowtlyError as exc:
            outcome.status, outcome.reason = "failed", f"update failed: {exc}"
            return outcome
        outcome.applied = True
    outcome.status, outcome.patch = "filled", changes
    page = brand.final_url or outcome.website
    outcome.provenance = [
        Provenance(
            f,
            v,
            getattr(record, f),
            page,
            proposed[f][1],
            proposed[f][2],
            brand.fetched_at,
            _reasons(brand, f, v),
        )
        for f, v in changes.items()
    ]
    return outcome


MIN_LOGO_SIDE = 32
"""Smallest raster logo written back (SVG scales): a 16 px favicon makes a poor record logo."""
_WEAK_NAME_SOURCES = (None, "domain", "known-name")
"""Name "signals" that are no evidence from the site: a guess from the domain, or our own name."""


def _usable_logo(brand: BrandResult) -> CheckedCandidate | None:
    for c in brand.candidates:
        if not c.url.startswith(("http://", "https://")):
            continue  # data: URIs are not URLs the record can hold (the API validates logoUrl)
        if c.info.format == "svg" or min(c.info.width or 0, c.info.height or 0) >= MIN_LOGO_SIDE:
            return c
    return None


def _proposal(brand: BrandResult, want: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """field -> (value, source URL, signal) for the wanted fields the site gave an answer for."""
    out: dict[str, tuple[str, str, str]] = {}
    page = brand.final_url or brand.url
    for name in want:
        if name == "logoUrl" and (logo := _usable_logo(brand)) is not None:
            out[name] = (logo.url, logo.url, logo.source)
        elif name == "displayName" and brand.display_name and brand.name_source not in _WEAK_NAME_SOURCES:
            out[name] = (brand.display_name, page, brand.name_source or "page")
    return out


def _reasons(brand: BrandResult, field_name: str, value: str) -> tuple[dict[str, Any], ...]:
    """The chosen logo's reasons (what the page said and what the download showed)."""
    if field_name != "logoUrl":
        return ()
    chosen = next((c for c in brand.candidates if c.url == value), None)
    return tuple(chosen.reasons()) if chosen is not None else ()


def _nothing_found(brand: BrandResult, proposed: dict[str, Any], want: list[str]) -> tuple[Status, str]:
    if brand.error:
        return "failed", brand.error
    if proposed:
        return "unchanged", "site gives the values already set"
    if "logoUrl" in want and brand.logo is not None:
        if brand.fetchable_logo() is None:
            return "unchanged", "only an inline (data:) logo found"
        return "unchanged", f"only icons smaller than {MIN_LOGO_SIDE} px found"
    return "unchanged", "no usable logo or name found"


async def enrich_all(
    client: CounterpartyApi,
    settings: Settings,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    ids: Iterable[RecordId] | None = None,
    progress: Callable[[EnrichOutcome], None] | None = None,
    fetcher: SafeFetcher | None = None,
    keep_outcomes: bool = True,
    provider: str | None = None,
) -> EnrichSummary:
    """Enrich every counterparty (or those in ``ids``) with bounded concurrency and flat memory.

    ``progress(outcome)`` is called as each record finishes; with ``keep_outcomes=False`` the
    summary only counts, and ``progress`` is where the outcomes go (the CLI streams them to disk).
    """
    summary = EnrichSummary(dry_run=dry_run, overwrite=overwrite, keep_outcomes=keep_outcomes)
    chosen = provider or settings.enrich_provider
    summary.provider = chosen
    if chosen == "flowtly-ai":
        await _run_all_ai(client, summary, dry_run, ids, progress)
    elif fetcher is None:
        async with SafeFetcher.from_settings(settings) as own:
            await _run_all(client, settings, own, summary, overwrite, dry_run, ids, progress, chosen)
    else:
        await _run_all(client, settings, fetcher, summary, overwrite, dry_run, ids, progress, chosen)
    summary.finished_at = _now()
    return summary


async def _run_all(
    client: CounterpartyApi,
    settings: Settings,
    fetcher: SafeFetcher,
    summary: EnrichSummary,
    overwrite: bool,
    dry_run: bool,
    ids: Iterable[RecordId] | None,
    progress: Callable[[EnrichOutcome], None] | None,
    provider: str = "ours",
) -> None:
    def record(outcome: EnrichOutcome) -> None:
        summary.add(outcome)
        if progress is not None:
            progress(outcome)

    async def one(item: Counterparty) -> None:
        try:
            outcome = await _enrich(client, item, fetcher, overwrite=overwrite, dry_run=dry_run)
            if provider == "auto":
                outcome = await _fallback(client, item, outcome, dry_run)
            record(outcome)
        except AuthError:
            raise
        except Exception as exc:  # one bad record must not end the run: report it and go on
            record(EnrichOutcome(id=item.id, status="failed", name=item.name, reason=f"unexpected: {exc!r}"))

    limit = max(1, settings.fetch_concurrency)
    running: set[asyncio.Task[None]] = set()
    try:
        async for item in _records(client, ids, record):
            if len(running) >= limit:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # re-raise a run-level error (auth) at once
            running.add(asyncio.create_task(one(item)))
        while running:
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


async def _run_all_ai(
    client: CounterpartyApi,
    summary: EnrichSummary,
    dry_run: bool,
    ids: Iterable[RecordId] | None,
    progress: Callable[[EnrichOutcome], None] | None,
) -> None:
    """``flowtly-ai`` for many records: one bulk request per batch of records the API takes at once."""
    from enricher.branding.flowtly_ai import brand_with_flowtly_ai
    from enricher.flowtly.contract import BULK_ENRICH_MAX

    def record(outcome: EnrichOutcome) -> None:
        summary.add(outcome)
        if progress is not None:
            progress(outcome)

    async def flush(batch: list[Counterparty]) -> None:
        found = await asyncio.to_thread(brand_with_flowtly_ai, cast(Any, client), batch, dry_run=dry_run)
        for outcome in found:
            record(outcome)

    batch: list[Counterparty] = []
    async for item in _records(client, ids, record):
        batch.append(item)
        if len(batch) >= BULK_ENRICH_MAX:
            await flush(batch)
            batch = []
    if batch:
        await flush(batch)


async def _records(
    client: CounterpartyApi, ids: Iterable[RecordId] | None, record: Callable[[EnrichOutcome], None]
) -> AsyncIterator[Counterparty]:
    """The records to enrich, pulled one at a time in a worker thread (the client is synchronous)."""
    if ids is not None:
        for record_id in ids:
            try:
                yield await asyncio.to_thread(client.get_counterparty, record_id)
            except NotFoundError:
                record(EnrichOutcome(id=record_id, status="failed", reason="record not found"))
            except AuthError:
                raise
            except FlowtlyError as exc:
                record(EnrichOutcome(id=record_id, status="failed", reason=f"cannot read the record: {exc}"))
        return
    malformed: list[RecordError] = []
    iterator = client.iter_counterparties(on_error=malformed.append)
    done = object()
    while True:
        item = await asyncio.to_thread(next, iterator, done)
        while malformed:
            error = malformed.pop(0)
            record(EnrichOutcome(id=error.record_id, status="failed", reason=f"malformed record: {error}"))
        if item is done:
            return
        assert isinstance(item, Counterparty)
        yield item
