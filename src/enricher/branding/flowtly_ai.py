"""Flowtly's own AI branding as a provider: ask the API to brand records, re-read them, record what changed.

The request and response bodies are undocumented (see :mod:`enricher.flowtly.contract`), so nothing
is read from the answers: each record is read before and after, and the difference in ``logoUrl`` and
``displayName`` is the outcome, with provenance ``flowtly-ai``. The AI writes by itself, so a dry run
never asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from enricher.errors import AuthError, FlowtlyError, NotFoundError, TransientError
from enricher.flowtly.contract import AI_FIELDS, enrich_branding_path
from enricher.records import Counterparty, RecordId

__all__ = ["AI_SIGNAL", "PROVIDERS", "AiBrandingApi", "Provider", "ai_outcome", "brand_with_flowtly_ai"]

Provider = Literal["ours", "flowtly-ai", "auto"]
PROVIDERS: tuple[Provider, ...] = ("ours", "flowtly-ai", "auto")
"""``ours``: the safe fetcher and extraction; ``flowtly-ai``: Flowtly's endpoint; ``auto``: ours first,
Flowtly's where ours found nothing."""

AI_SIGNAL = "flowtly-ai"
"""The provenance signal (and provider) of values Flowtly's AI filled."""


class AiBrandingApi(Protocol):
    """What this provider needs from the Flowtly client."""

    def get_counterparty(self, record_id: RecordId) -> Counterparty: ...

    def enrich_branding_ai(self, record_id: RecordId) -> Counterparty: ...

    def enrich_branding_ai_bulk(self, record_ids: list[RecordId]) -> None: ...


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def wanted(record: Counterparty) -> list[str]:
    """The branding fields Flowtly's AI could fill on ``record`` (it fills only empty ones)."""
    return [f for f in AI_FIELDS if _empty(getattr(record, f, None))]


def ai_outcome(before: Counterparty, after: Counterparty) -> Any:
    """The outcome of one record from its states before and after the AI ran."""
    from enricher.branding.enrich import EnrichOutcome, Provenance, _now, website_url

    outcome = EnrichOutcome(id=before.id, status="unchanged", name=before.name)
    outcome.website = website_url(before.corporateWebsiteUrl)
    changes = {
        f: str(getattr(after, f))
        for f in AI_FIELDS
        if getattr(after, f, None) != getattr(before, f, None) and not _empty(getattr(after, f, None))
    }
    if not changes:
        outcome.reason = "Flowtly's AI found nothing"
        return outcome
    at = _now()
    source = enrich_branding_path(before.id if before.id is not None else "?")
    outcome.status, outcome.patch, outcome.applied = "filled", changes, True
    outcome.provenance = [
        Provenance(
            f, v, getattr(before, f, None), outcome.website or "", source, AI_SIGNAL, at, (), AI_SIGNAL
        )
        for f, v in changes.items()
    ]
    return outcome


def _skip(record: Counterparty, *, dry_run: bool) -> Any:
    """An outcome without asking the AI, or None when it should be asked."""
    from enricher.branding.enrich import EnrichOutcome

    if record.id is None:
        return EnrichOutcome(id=None, status="failed", name=record.name, reason="record has no id")
    if not wanted(record):
        return EnrichOutcome(
            id=record.id, status="unchanged", name=record.name, reason="logoUrl and displayName already set"
        )
    if dry_run:
        return EnrichOutcome(
            id=record.id,
            status="unchanged",
            name=record.name,
            reason="dry run: Flowtly's AI writes by itself, so it is not asked",
        )
    return None


def _failed(record: Counterparty, exc: FlowtlyError) -> Any:
    from enricher.branding.enrich import EnrichOutcome

    reason = "record no longer exists" if isinstance(exc, NotFoundError) else f"Flowtly's AI failed: {exc}"
    return EnrichOutcome(id=record.id, status="failed", name=record.name, reason=reason)


def brand_with_flowtly_ai(
    client: AiBrandingApi, records: Sequence[Counterparty], *, dry_run: bool = False, bulk: bool = True
) -> list[Any]:
    """Ask Flowtly's AI to brand ``records`` (one bulk call per batch, or one call each), then re-read
    each and return its outcome. Auth and transient errors propagate (stop or retry the run); other
    API refusals become per-record failures."""
    outcomes: dict[int, Any] = {}
    ask: list[tuple[int, Counterparty]] = []
    for index, record in enumerate(records):
        skipped = _skip(record, dry_run=dry_run)
        if skipped is not None:
            outcomes[index] = skipped
        else:
            ask.append((index, record))
    if bulk and len(ask) > 1:
        try:
            client.enrich_branding_ai_bulk([r.id for _, r in ask if r.id is not None])
        except (AuthError, TransientError):
            raise
        except FlowtlyError:
            pass  # e.g. one record gone since the listing (422): ask one by one below
        else:
            return _each(ask, outcomes, len(records), client.get_counterparty)
    return _each(ask, outcomes, len(records), client.enrich_branding_ai)


def _each(
    ask: Sequence[tuple[int, Counterparty]],
    outcomes: dict[int, Any],
    count: int,
    call: Callable[[RecordId], Counterparty],
) -> list[Any]:
    """``call`` each asked record (re-read it, or ask the AI for it) and record what it holds now."""
    for index, record in ask:
        assert record.id is not None
        try:
            outcomes[index] = ai_outcome(record, call(record.id))
        except (AuthError, TransientError):
            raise
        except FlowtlyError as exc:
            outcomes[index] = _failed(record, exc)
    return [outcomes[i] for i in range(count)]
