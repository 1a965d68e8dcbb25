"""Online branding end to end against the loopback fixture sites (real fetcher, guard ON)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "sites"))
from sites_server import SitesServer, running_sites, site_config, site_names, sites_resolver

from enricher.branding.fetch import SafeFetcher
from enricher.branding.online import BrandResult, brand_page, brand_url
from enricher.config import load_settings


@pytest.fixture(scope="module")
def sites() -> Iterator[SitesServer]:
    with running_sites() as server:
        yield server


def brand(sites: SitesServer, site: str, **options: Any) -> BrandResult:
    async def main() -> BrandResult:
        async with SafeFetcher(
            allow_hosts=[".sites.test"], resolver=sites_resolver, timeout=1.5, **options
        ) as f:
            return await brand_page(sites.url(site), f, known_name=None)

    return asyncio.run(main())


@pytest.mark.parametrize("site", site_names())
def test_each_fixture_site_gives_the_expected_logo_or_error(sites: SitesServer, site: str) -> None:
    expect = site_config(site)["expect"]
    result = brand(sites, site)
    contract = result.to_contract()
    if "error" in expect:
        assert contract["logoUrl"] is None
        assert expect["error"] in (contract.get("error") or "")
        return
    assert "error" not in contract
    want = expect["logo"]
    if want is None:
        assert contract["logoUrl"] is None
    elif want == "data:":
        assert contract["logoUrl"].startswith("data:image/")
    else:
        assert contract["logoUrl"] == sites.url(site, want)
    if "width" in expect:
        assert (contract["candidates"][0]["width"], contract["candidates"][0]["height"]) == (
            expect["width"],
            expect["height"],
        )


def test_contract_lists_checked_candidates_best_first_with_real_sizes(sites: SitesServer) -> None:
    contract = brand(sites, "bomb").to_contract()
    assert set(contract) >= {"url", "displayName", "logoUrl", "candidates", "colors"}
    assert contract["displayName"] == "Bombex"
    scores = [c["score"] for c in contract["candidates"]]
    assert scores == sorted(scores, reverse=True)
    first = contract["candidates"][0]
    assert (first["width"], first["height"], first["format"]) == (180, 180, "png")
    reasons = {r["url"].rsplit("/", 1)[-1]: r["reason"] for r in contract["rejected"]}
    assert "decompression bomb" in reasons["bomb-5000x5000.png"]
    assert contract["colors"] and all(c.startswith("#") for c in contract["colors"])


def test_names_come_with_their_signal(sites: SitesServer) -> None:
    result = brand(sites, "cp1250")
    assert result.display_name == "Łódzka Spółdzielnia Mleczarska"
    assert result.name_source == "og:site_name"
    assert brand(sites, "jsonld-graph").name_source is not None
    # Shown without its legal form, the name still says where it came from (not "domain").
    result = brand(sites, "legal-form-name")
    assert (result.display_name, result.name_source) == ("Mazur Logistyka", "og:site_name")


def test_manifest_icons_are_fetched_and_the_largest_wins(sites: SitesServer) -> None:
    result = brand(sites, "manifest-only")
    assert [c.source for c in result.candidates][:2] == ["manifest", "manifest"]
    assert result.logo is not None and result.logo.info.width == 512


def test_rejected_candidates_say_why(sites: SitesServer) -> None:
    reasons = dict(brand(sites, "html-favicon").rejected)
    assert reasons[sites.url("html-favicon", "/favicon.ico")] == "HTML served as an image"
    reasons = dict(brand(sites, "xxe-svg").rejected)
    assert reasons[sites.url("xxe-svg", "/logo.svg")].startswith("unsafe SVG")
    reasons = dict(brand(sites, "ssrf-logo").rejected)
    assert (
        "link-local" in reasons["http://169.254.169.254/latest/meta-data/iam/security-credentials/logo.png"]
    )
    assert "loopback" in reasons["http://127.0.0.1/admin/logo.png"]
    assert "private" in reasons["http://intranet.corp.test/logo.png"]
    reasons = dict(brand(sites, "slow-logo").rejected)
    assert "deadline" in reasons[sites.url("slow-logo", "/img/slow-logo.png")]


def test_brand_url_builds_its_own_guarded_fetcher_from_settings(sites: SitesServer) -> None:
    # No allow list: the loopback fixture server is out of reach, as it should be.
    settings = load_settings(fetch_allow_hosts="", fetch_timeout=2.0)
    out = asyncio.run(brand_url(f"http://127.0.0.1:{sites.port}/", settings))
    assert out["logoUrl"] is None and "loopback" in out["error"]


def test_brand_url_with_a_shared_fetcher(sites: SitesServer) -> None:
    settings = load_settings()

    async def main() -> dict[str, Any]:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver) as f:
            return await brand_url(sites.url("svg-only"), settings, known_name="Vectora S.A.", fetcher=f)

    out = asyncio.run(main())
    assert out["logoUrl"] == sites.url("svg-only", "/logo.svg")
    assert out["candidates"][0]["format"] == "svg"


def test_hostile_content_costs_only_its_own_candidate_or_block(sites: SitesServer) -> None:
    """Issue 11 defect 6: a 1e400 SVG, a 5,000-digit colour and a manifest nested 3,000 deep are each
    dropped with a reason; the page's good logo and name are still used."""
    result = brand(sites, "hostile")
    assert result.error is None
    assert result.display_name == "Hostile Widgets"
    assert result.logo is not None and result.logo.url == sites.url("hostile", "/img/logo-240x80.png")
    reasons = dict(result.rejected)
    assert reasons[sites.url("hostile", "/img/wide.svg")] == "SVG size out of range"
    assert reasons[sites.url("hostile", "/img/colour.svg")] == "SVG colour out of range"
    assert reasons[sites.url("hostile", "/site.webmanifest")] == "web app manifest nested too deep to read"
    assert all("reasons" in c for c in result.to_contract()["candidates"])


def test_our_rate_limit_failing_on_an_image_fails_the_page_instead_of_dropping_its_logo(
    sites: SitesServer,
) -> None:
    """The shared limit's Redis going away mid-page is our outage, not a bad image: raised (the job
    retries), never a result filled without its logo."""
    import socket

    import httpx

    from enricher.config import Settings
    from enricher.errors import StateError
    from enricher.state._redis import Keys, async_redis
    from enricher.state.ratelimit import AsyncRateLimitedTransport, RedisRateLimiter

    with socket.socket() as s:  # a port nobody listens on: the limiter's Redis is down
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]

    async def main() -> BrandResult:
        # The limiter's client as the worker builds it (fail fast, no reconnect back-off).
        client = async_redis(Settings(redis_url=f"redis://127.0.0.1:{dead_port}/0"), fail_fast=True)
        limiter = RedisRateLimiter(None, Keys("test"), rate=100, async_client=client)

        class ImagesLimited(httpx.AsyncBaseTransport):
            """Pages pass; images go through the (unreachable) shared limit, as after a Redis crash."""

            def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
                self.inner = inner
                self.limited = AsyncRateLimitedTransport(limiter, name="host", inner=inner)

            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.url.path.startswith("/img/"):
                    return await self.limited.handle_async_request(request)
                return await self.inner.handle_async_request(request)

        try:
            async with SafeFetcher(
                allow_hosts=[".sites.test"],
                resolver=sites_resolver,
                timeout=1.5,
                wrap_transport=ImagesLimited,
            ) as f:
                return await brand_page(sites.url("basic"), f, known_name=None)
        finally:
            await client.aclose()

    with pytest.raises(StateError, match="unavailable"):
        asyncio.run(main())
    assert brand(sites, "basic").logo is not None  # the same page, limit reachable: a logo
