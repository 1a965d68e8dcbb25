"""The safe fetcher against real fixture sites on loopback (guard ON; only ``.sites.test`` allowed)."""

from __future__ import annotations

import asyncio
import re
import ssl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "sites"))
from sites_server import SitesServer, running_sites, sites_resolver

from enricher.branding.fetch import (
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    RobotsDisallowedError,
    SafeFetcher,
    TooManyRedirectsError,
)
from enricher.errors import BlockedTargetError, FetchError

UA = "enricher-test/1.0 (+https://example.invalid/bot)"


@pytest.fixture(scope="module")
def sites() -> Iterator[SitesServer]:
    with running_sites() as server:
        yield server


def fetcher(**options: Any) -> SafeFetcher:
    options.setdefault("allow_hosts", [".sites.test"])
    options.setdefault("resolver", sites_resolver)
    options.setdefault("timeout", 5.0)
    options.setdefault("user_agent", UA)
    return SafeFetcher(**options)


def run(make: Any, **options: Any) -> Any:
    """Run ``make(fetcher)`` (a coroutine factory) with a fresh fetcher, closing it afterwards."""

    async def main() -> Any:
        async with fetcher(**options) as f:
            return await make(f)

    return asyncio.run(main())


def test_fetches_a_page_with_an_honest_user_agent_and_html_accept(sites: SitesServer) -> None:
    result = run(lambda f: f.fetch_page(sites.url("basic")))
    assert result.status == 200
    assert b"Kowalski Trans" in result.body
    assert result.encoding == "utf-8"
    assert UA in sites.stats.user_agents
    assert sites.stats.accepts["basic.sites.test /"].startswith("text/html")


def test_connects_to_the_checked_address_not_a_fresh_lookup(sites: SitesServer) -> None:
    # ``*.sites.test`` exists only in the test resolver: the system resolver cannot answer it, so a
    # successful fetch proves the connection went to the address the guard resolved and checked.
    calls: list[str] = []

    async def counting(host: str) -> list[str]:
        calls.append(host)
        return await sites_resolver(host)

    result = run(lambda f: f.fetch_page(sites.url("redirects")), resolver=counting, obey_robots=False)
    assert result.final_url.endswith("/pl/home.html")
    # One connection (kept alive across the hops) means one lookup, made at connect time.
    assert calls == ["redirects.sites.test"]


def test_follows_a_redirect_chain_by_hand(sites: SitesServer) -> None:
    result = run(lambda f: f.fetch_page(sites.url("redirects")))
    assert result.final_url == sites.url("redirects", "/pl/home.html")
    assert len(result.redirects) == 3


def test_redirect_hops_are_bounded(sites: SitesServer) -> None:
    with pytest.raises(TooManyRedirectsError):
        run(lambda f: f.fetch_page(sites.url("redirect-loop")))


@pytest.mark.parametrize(
    ("site", "reason"),
    [
        ("redirect-loopback", "loopback"),
        ("redirect-metadata", "link-local"),
        ("redirect-ipv6", "loopback"),
        ("redirect-private-name", "private"),
        ("redirect-scheme", "scheme"),
    ],
)
def test_redirects_to_refused_targets_are_blocked(sites: SitesServer, site: str, reason: str) -> None:
    with pytest.raises(BlockedTargetError, match=reason):
        run(lambda f: f.fetch_page(sites.url(site)))
    # The loopback server was never asked for anything under a raw-IP host.
    assert not [k for k in sites.stats.requests if k.startswith(("127.0.0.1", "[::1]", "169.254"))]


def test_raw_loopback_url_is_refused_although_the_fixture_name_is_allowed(sites: SitesServer) -> None:
    with pytest.raises(BlockedTargetError, match="loopback"):
        run(lambda f: f.fetch_page(f"http://127.0.0.1:{sites.port}/"))


def test_allowed_cidr_reaches_a_raw_ip(sites: SitesServer) -> None:
    result = run(
        lambda f: f.fetch(f"http://127.0.0.1:{sites.port}/", raise_for_status=False),
        allow_hosts=["127.0.0.1/32"],
        obey_robots=False,
    )
    assert result.status == 421  # the fixture server answers unknown hosts so


def test_a_name_resolving_to_a_private_address_is_refused(sites: SitesServer) -> None:
    with pytest.raises(BlockedTargetError, match=re.escape("10.20.30.40")):
        run(lambda f: f.fetch_page(f"http://intranet.corp.test:{sites.port}/"))
    with pytest.raises(BlockedTargetError, match=re.escape("192.168.1.10")):
        run(lambda f: f.fetch_page(f"http://www.mixed.test:{sites.port}/"))


@pytest.mark.parametrize(
    "url", ["ftp://basic.sites.test/", "file:///etc/passwd", "http://user:pw@basic.sites.test/", "http:///x"]
)
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(BlockedTargetError):
        run(lambda f: f.fetch_page(url))


def test_bot_wall_is_a_status_error(sites: SitesServer) -> None:
    with pytest.raises(FetchStatusError) as info:
        run(lambda f: f.fetch_page(sites.url("bot-wall")))
    assert info.value.status == 403


def test_a_dripping_body_hits_the_overall_deadline(sites: SitesServer) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="deadline"):
        run(lambda f: f.fetch_page(sites.url("drip")), timeout=1.0)
    # Each read is quick (0.1 s apart), so only an overall deadline can stop it this soon.
    assert time.monotonic() - started < 3.0


def test_a_huge_body_hits_the_cap(sites: SitesServer) -> None:
    with pytest.raises(FetchTooLargeError, match="cap"):
        run(lambda f: f.fetch_page(sites.url("huge")))
    with pytest.raises(FetchTooLargeError):
        run(lambda f: f.fetch_page(sites.url("basic")), max_html_bytes=100)


def test_image_cap_is_separate_from_the_html_cap(sites: SitesServer) -> None:
    with pytest.raises(FetchTooLargeError):
        run(lambda f: f.fetch_image(sites.url("basic", "/img/logo-400x400.png")), max_image_bytes=500)
    body = run(lambda f: f.fetch_image(sites.url("basic", "/img/logo-400x400.png")), max_html_bytes=500).body
    assert body.startswith(b"\x89PNG")


def test_charset_comes_from_the_page_when_the_header_has_none(sites: SitesServer) -> None:
    result = run(lambda f: f.fetch_page(sites.url("cp1250")))
    assert result.header_charset is None
    assert result.encoding == "cp1250"
    assert "Łódzka Spółdzielnia Mleczarska" in result.text()


def test_a_page_that_is_not_html_is_refused(sites: SitesServer) -> None:
    with pytest.raises(FetchError, match="not an HTML page"):
        run(lambda f: f.fetch_page(sites.url("basic", "/img/logo-64x64.png")))


def test_robots_disallow_is_obeyed(sites: SitesServer) -> None:
    with pytest.raises(RobotsDisallowedError):
        run(lambda f: f.fetch_page(sites.url("robots-disallow")))
    assert sites.stats.hits("robots-disallow.sites.test", "/") == 0


def test_robots_5xx_means_disallow_all_and_4xx_allow_all(sites: SitesServer) -> None:
    with pytest.raises(RobotsDisallowedError):
        run(lambda f: f.fetch_page(sites.url("robots-5xx")))
    assert run(lambda f: f.fetch_page(sites.url("no-logo"))).status == 200  # robots.txt is a 404 there


def test_robots_groups_for_our_agent_with_longest_match(sites: SitesServer) -> None:
    async def both(f: SafeFetcher) -> tuple[bool, bool, bool]:
        return (
            await f.robots.allowed(sites.url("robots-agent", "/img/logo-200x200.png")),
            await f.robots.allowed(sites.url("robots-agent", "/img/other.png")),
            await f.robots.allowed(sites.url("robots-agent", "/")),
        )

    assert run(both, user_agent="enricher/0.1 (+https://flowtly.eu)") == (True, False, True)
    # Another agent falls into the "*" group, which disallows everything.
    assert run(both, user_agent="otherbot/2.0") == (False, False, False)


def test_robots_txt_is_fetched_once_per_origin(sites: SitesServer) -> None:
    async def many(f: SafeFetcher) -> None:
        await asyncio.gather(
            *(f.fetch(sites.url("svg-only", p)) for p in ["/", "/logo.svg", "/", "/logo.svg"])
        )

    before = sites.stats.hits("svg-only.sites.test", "/robots.txt")
    run(many)
    assert sites.stats.hits("svg-only.sites.test", "/robots.txt") == before + 1


def test_per_host_concurrency_is_limited(sites: SitesServer) -> None:
    async def burst(f: SafeFetcher) -> None:
        await asyncio.gather(*(f.fetch_page(sites.url("slow", f"/p{i}")) for i in range(6)))

    started = time.monotonic()
    run(burst, per_host=2, obey_robots=False)
    assert sites.stats.peak_in_flight["slow.sites.test"] == 2
    assert time.monotonic() - started >= 0.4  # three waves of 0.15 s


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@contextmanager
def tls_sites(ca: trustme.CA, tmp: Path, *names: str) -> Iterator[SitesServer]:
    cert = ca.issue_cert(*names)
    key, chain = tmp / "key.pem", tmp / "chain.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(chain), append=True)
    with running_sites(tls=(str(key), str(chain))) as server:
        yield server


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_https_verifies_the_certificate_against_the_host_name(tls_ca: trustme.CA, tmp_path: Path) -> None:
    # The connection goes to the checked address (127.0.0.1) but TLS speaks to the name: SNI and
    # verification use basic.sites.test, for which the certificate was issued (not for 127.0.0.1).
    with tls_sites(tls_ca, tmp_path, "basic.sites.test") as server:
        result = run(lambda f: f.fetch_page(server.url("basic")), verify=trusting(tls_ca))
        assert result.status == 200 and b"Kowalski Trans" in result.body


def test_https_with_a_certificate_for_another_name_fails(tls_ca: trustme.CA, tmp_path: Path) -> None:
    with tls_sites(tls_ca, tmp_path, "someone-else.example", "127.0.0.1") as server:
        with pytest.raises(FetchError, match="network error"):
            run(lambda f: f.fetch_page(server.url("basic")), verify=trusting(tls_ca), obey_robots=False)
        assert server.stats.hits("basic.sites.test") == 0


def test_https_with_an_untrusted_ca_fails(tls_ca: trustme.CA, tmp_path: Path) -> None:
    # The default trust store does not know the test CA.
    with (
        tls_sites(tls_ca, tmp_path, "basic.sites.test") as server,
        pytest.raises(FetchError, match="network"),
    ):
        run(lambda f: f.fetch_page(server.url("basic")), obey_robots=False)


class CountingTransport(httpx.AsyncBaseTransport):
    """A layer over the guarded transport, like the workers' shared per-host rate limit."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_wrapped_transport_keeps_the_connect_time_guard(sites: SitesServer) -> None:
    layers: list[CountingTransport] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        layers.append(CountingTransport(inner))
        return layers[-1]

    assert (
        run(lambda f: f.fetch_page(sites.url("basic")), wrap_transport=wrap, obey_robots=False).status == 200
    )
    with pytest.raises(BlockedTargetError, match="loopback"):
        run(lambda f: f.fetch_page(sites.url("redirect-loopback")), wrap_transport=wrap, obey_robots=False)
    assert layers[0].hosts == ["basic.sites.test"]
    assert layers[1].hosts == ["redirect-loopback.sites.test", "127.0.0.1"]  # refused at connect
