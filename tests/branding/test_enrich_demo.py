"""The DEMO-ONLY simulated web: plausible sites, stable shapes, and the guard still in force."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from enricher.branding.demo_web import DemoWeb, demo_fetcher
from enricher.branding.enrich import EnrichSummary, enrich_all
from enricher.branding.online import BrandResult, brand_page
from enricher.config import load_settings
from enricher.flowtly import FlowtlyClient, Sandbox
from enricher.flowtly.testing import fast_backoff


def brand_all(urls: list[str], records: list[dict[str, Any]] | None = None) -> list[BrandResult]:
    async def main() -> list[BrandResult]:
        fetcher, _web = demo_fetcher(load_settings(), records or [])
        async with fetcher:
            return list(await asyncio.gather(*(brand_page(u, fetcher) for u in urls)))

    return asyncio.run(main())


def test_shapes_are_stable_and_cover_the_realistic_cases() -> None:
    hosts = [f"firma-{i}.pl" for i in range(400)]
    shapes = Counter(DemoWeb.shape(h) for h in hosts)
    failures = {"404", "500", "robots-disallow", "no-logo"}
    assert set(shapes) == failures | {"json-ld", "header-png", "header-svg", "icons-only", "manifest"}
    assert shapes["header-png"] > shapes["500"]
    assert [DemoWeb.shape(h) for h in hosts] == [DemoWeb.shape(h) for h in hosts]
    assert DemoWeb.shape("www.firma-1.pl") == DemoWeb.shape("firma-1.pl")


def test_demo_sites_give_logos_names_and_realistic_failures() -> None:
    urls = [f"https://firma-{i}.pl/" for i in range(60)]
    records = [{"name": f"Firma {i} Sp. z o.o.", "corporateWebsiteUrl": u} for i, u in enumerate(urls)]
    results = brand_all(urls, records)
    for url, result in zip(urls, results, strict=True):
        shape = DemoWeb.shape(url.split("/")[2])
        if shape in ("404", "500", "robots-disallow"):
            assert result.error and result.logo is None
        elif shape == "no-logo":
            assert result.logo is None and result.display_name
        else:
            assert result.logo is not None and result.logo.url.startswith(url), shape
            assert result.display_name == f"Firma {urls.index(url)}"  # the brand, without the legal form
            assert result.logo.info.width and result.logo.info.height


def test_the_guard_still_applies_in_the_demo() -> None:
    [result] = brand_all(["http://127.0.0.1/"])
    assert result.error and "loopback" in result.error


def test_enrich_all_over_the_sandbox_with_the_demo_web(sandbox_factory: Callable[..., Sandbox]) -> None:
    records = [
        {"id": i, "name": f"Firma {i} S.A.", "corporateWebsiteUrl": f"firma-{i}.pl"} for i in range(1, 41)
    ]
    sandbox = sandbox_factory(records)
    settings = load_settings(fetch_concurrency=8)

    async def main(client: FlowtlyClient) -> EnrichSummary:
        fetcher, _ = demo_fetcher(settings, records)
        async with fetcher:
            return await enrich_all(client, settings, fetcher=fetcher)

    with FlowtlyClient(sandbox.api_url, token=sandbox.token, backoff=fast_backoff()) as client:
        summary = asyncio.run(main(client))
    counts = summary.counts()
    assert counts["total"] == 40 and counts["filled"] >= 25
    assert sandbox.store.patches_applied == counts["filled"]
    for outcome in summary.filled:
        stored = sandbox.store.counterparties.get(outcome.id)
        assert stored is not None and stored["displayName"] == f"Firma {outcome.id}"
