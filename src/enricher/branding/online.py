"""Online branding: fetch a live page safely, extract it, check the best images, choose.

The pure extraction (:func:`enricher.branding.extract`) ranks candidates from the HTML alone; here
the best few are downloaded through the :class:`~enricher.branding.fetch.SafeFetcher`, checked by
:mod:`enricher.branding.images` (real format and size, bombs, HTML-as-image, 1×1, blank) and
re-ranked with what was really found. ``data:`` candidates (inline SVG, embedded PNG) are checked
from their bytes without a fetch. The answer is DESIGN.md's ``brand`` JSON plus ``colors`` and,
when the page could not be used, ``error``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from enricher.branding.candidates import LogoCandidate, decode_data_uri, reasons
from enricher.branding.extract import Extraction, extract
from enricher.branding.fetch import SafeFetcher
from enricher.branding.images import (
    CheckedCandidate,
    ImageInfo,
    ImageRejectedError,
    check_image,
    rank_checked,
)
from enricher.errors import EnricherError, FetchError, StateError, TransientError

if TYPE_CHECKING:
    from enricher.config import Settings

__all__ = ["BrandResult", "brand_page", "brand_url", "website_url"]

log = logging.getLogger(__name__)

MAX_IMAGES = 4
"""Candidates downloaded per round; a second round runs only when every one of the first failed."""


@dataclass
class BrandResult:
    """What one website says about its brand, with the evidence (provenance) for each answer."""

    url: str
    final_url: str | None = None
    display_name: str | None = None
    name_source: str | None = None  # the signal the name came from: og:site_name, json-ld:name, title...
    candidates: list[CheckedCandidate] = field(default_factory=list)  # checked, best first
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (candidate URL, why)
    error: str | None = None
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def logo(self) -> CheckedCandidate | None:
        """The best checked candidate, or None."""
        return self.candidates[0] if self.candidates else None

    @property
    def colors(self) -> list[str]:
        """Dominant colours of the chosen logo."""
        return list(self.logo.info.colors) if self.logo else []

    def fetchable_logo(self) -> CheckedCandidate | None:
        """The best candidate with an http(s) URL: what a record's ``logoUrl`` can point at."""
        return next((c for c in self.candidates if c.url.startswith(("http://", "https://"))), None)

    def to_contract(self) -> dict[str, Any]:
        """DESIGN.md's ``brand`` JSON (url, displayName, logoUrl, candidates) plus colors and error."""
        out: dict[str, Any] = {
            "url": self.url,
            "displayName": self.display_name,
            "logoUrl": self.logo.url if self.logo else None,
            "candidates": [c.to_contract() for c in self.candidates],
            "colors": self.colors,
        }
        if self.final_url and self.final_url != self.url:
            out["finalUrl"] = self.final_url
        if self.rejected:
            out["rejected"] = [{"url": _short(u), "reason": r} for u, r in self.rejected]
        if self.error:
            out["error"] = self.error
        return out


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:100] + "...(" + str(len(url)) + " chars)"


def website_url(raw: str | None) -> str | None:
    """The record's website as an absolute http(s) URL (``www.acme.pl`` -> ``https://www.acme.pl/``)."""
    text = (raw or "").strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    scheme = text.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        return text  # refused later by the fetcher, with a reason
    if text.count("/") == 2:
        text += "/"
    return text


async def brand_url(
    url: str, settings: Settings, *, known_name: str | None = None, fetcher: SafeFetcher | None = None
) -> dict[str, Any]:
    """The ``brand`` JSON for the live page at ``url`` (a shared ``fetcher`` is reused, not closed)."""
    if fetcher is not None:
        return (await brand_page(url, fetcher, known_name=known_name)).to_contract()
    async with SafeFetcher.from_settings(settings) as own:
        return (await brand_page(url, own, known_name=known_name)).to_contract()


async def brand_page(url: str, fetcher: SafeFetcher, *, known_name: str | None = None) -> BrandResult:
    """Fetch, extract, check images and choose; a failure is reported in ``error``, never raised.

    ``url`` may lack its scheme (``www.acme.pl``: https is assumed). The whole site gets twice the
    fetcher's per-fetch deadline: images still loading when it runs out are left out, not waited for.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2 * fetcher.timeout
    url = website_url(url) or url
    result = BrandResult(url=url)
    try:
        page = await fetcher.fetch_page(url)
    except FetchError as exc:
        result.error = str(exc)
        return result
    result.final_url = page.final_url
    try:
        extraction = extract(page.body, page.final_url, known_name=known_name, encoding=page.header_charset)
    except EnricherError as exc:
        result.error = f"cannot extract: {exc}"
        return result
    except Exception as exc:  # a hostile page must not take the batch down: report it, log the trace
        log.warning("extraction failed on %s", page.final_url, exc_info=True)
        result.error = f"cannot extract: {type(exc).__name__}"
        return result
    if extraction.manifest_url:
        extraction = await _with_manifest(extraction, fetcher, result)
    result.display_name = extraction.display_name
    result.name_source = extraction.name_source
    accepted: list[CheckedCandidate] = []
    try:
        async with asyncio.timeout_at(deadline):
            await _check_candidates(extraction.candidates, fetcher, result, accepted)
    except TimeoutError:
        result.rejected.append((result.final_url or url, "site deadline passed while checking images"))
    result.candidates = rank_checked(accepted)
    return result


async def _with_manifest(extraction: Extraction, fetcher: SafeFetcher, result: BrandResult) -> Extraction:
    manifest_url = extraction.manifest_url or ""
    try:
        manifest = await fetcher.fetch_manifest(manifest_url)
    except FetchError as exc:
        result.rejected.append((manifest_url, f"manifest: {exc}"))
        return extraction
    before = len(extraction.dropped)
    try:
        extended = extraction.with_manifest(manifest.body, manifest.final_url)
    except Exception as exc:  # a hostile manifest costs its own signals, never the page's
        log.warning("manifest of %s not used", manifest.final_url, exc_info=True)
        result.rejected.append((manifest.final_url, f"manifest: cannot read ({type(exc).__name__})"))
        return extraction
    result.rejected.extend(extended.dropped[before:])
    return extended


async def _check_candidates(
    candidates: list[LogoCandidate],
    fetcher: SafeFetcher,
    result: BrandResult,
    accepted: list[CheckedCandidate],
) -> None:
    """Download and check the best few into ``accepted``; more only when none of those survived.

    The bare ``/favicon.ico`` guess waits for the second round: a site that declares its icons
    rarely needs it, and skipping it saves a request per site (often a 404).
    """
    first = [c for c in candidates if c.source != "favicon.ico"][:MAX_IMAGES]
    rest = [c for c in candidates if c not in first]
    for batch in (first, rest[:MAX_IMAGES]):
        if not batch:
            continue
        # A task group, not gather: when one check raises (our Redis is down) the others are
        # cancelled and awaited, so no download is left running with its connection open.
        try:
            async with asyncio.TaskGroup() as group:
                running = [group.create_task(_check_one(c, fetcher, result)) for c in batch]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        checked = [task.result() for task in running]
        accepted.extend(c for c in checked if c is not None)
        if accepted:
            break


async def _check_one(c: LogoCandidate, fetcher: SafeFetcher, result: BrandResult) -> CheckedCandidate | None:
    try:
        if c.url.startswith("data:"):
            decoded = decode_data_uri(c.url, max_bytes=fetcher.max_image_bytes)
            if decoded is None:
                result.rejected.append((c.url, "malformed or oversized data: URI"))
                return None
            mime, body = decoded
            info = await _check(body, mime, "data:")
            url = c.url
        else:
            fetched = await fetcher.fetch_image(c.url)
            info = await _check(fetched.body, fetched.content_type, fetched.final_url)
            url = fetched.final_url
    except ImageRejectedError as exc:
        result.rejected.append((c.url, exc.reason))
        return None
    except FetchError as exc:
        result.rejected.append((c.url, str(exc).removesuffix(f": {c.url}")))
        return None
    except (StateError, TransientError):
        # Our own infrastructure failed (the shared rate limit's Redis is down): not the image's
        # fault. Dropping the candidate would fill the record without its logo for good; raising
        # lets the job retry once Redis is back.
        raise
    except Exception as exc:  # a hostile image costs its own candidate, never the page's other logos
        log.warning("image check failed on %s", c.url[:200], exc_info=True)
        result.rejected.append((c.url, f"image check failed ({type(exc).__name__})"))
        return None
    return CheckedCandidate(
        url=url,
        source=c.source,
        kind=c.kind,
        signal_score=c.score,
        info=info,
        notes=tuple(c.notes),
        page_reasons=tuple(reasons(c)),
    )


async def _check(body: bytes, content_type: str | None, url: str) -> ImageInfo:
    # Large bodies decode off the event loop so one big JPEG does not stall every other site.
    if len(body) > 256 * 1024:
        return await asyncio.to_thread(check_image, body, content_type=content_type, url=url)
    return check_image(body, content_type=content_type, url=url)
