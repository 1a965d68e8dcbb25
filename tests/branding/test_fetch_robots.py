"""robots.txt rules and cache (RFC 9309), through the cache's fetch seam."""

from __future__ import annotations

import asyncio

import pytest

from enricher.branding.robots import MAX_ROBOTS_BYTES, RobotsCache, product_token
from enricher.errors import BlockedTargetError, StateError

UA = "enricher/0.1 (+https://flowtly.eu; counterparty branding bot)"


class Site:
    """Answers robots.txt fetches with a fixed status and body, counting them."""

    def __init__(
        self, status: int = 200, body: bytes = b"", *, delay: float = 0.0, error: Exception | None = None
    ):
        self.status, self.body, self.delay, self.error = status, body, delay, error
        self.calls = 0

    async def __call__(self, url: str) -> tuple[int, bytes]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error:
            raise self.error
        return self.status, self.body


def allowed(cache: RobotsCache, *urls: str) -> list[bool]:
    async def main() -> list[bool]:
        return [await cache.allowed(u) for u in urls]

    return asyncio.run(main())


def test_product_token() -> None:
    assert product_token(UA) == "enricher"
    assert product_token("  ") == "*"


@pytest.mark.parametrize(
    ("status", "expected"), [(404, True), (410, True), (401, True), (500, False), (503, False)]
)
def test_status_rules(status: int, expected: bool) -> None:
    cache = RobotsCache(Site(status), user_agent=UA)
    assert allowed(cache, "https://a.example/page") == [expected]


def test_unreachable_means_disallow_but_a_blocked_origin_is_an_error() -> None:
    assert allowed(RobotsCache(Site(error=OSError("reset")), user_agent=UA), "https://a.example/") == [False]
    with pytest.raises(BlockedTargetError):
        allowed(RobotsCache(Site(error=BlockedTargetError("refused")), user_agent=UA), "https://a.example/")


def test_rfc9309_matching() -> None:
    body = (
        b"User-agent: enricher\nAllow: /private/logo.png\nDisallow: /private/\nDisallow: /*.pdf$\n\n"
        b"User-agent: *\nDisallow: /\n"
    )
    cache = RobotsCache(Site(200, body), user_agent=UA)
    assert allowed(
        cache,
        "https://a.example/",
        "https://a.example/private/x",
        "https://a.example/private/logo.png",
        "https://a.example/doc.pdf",
        "https://a.example/doc.pdf?x=1",
        "https://a.example/robots.txt",
    ) == [True, False, True, False, True, True]


def test_cached_per_origin_and_fetched_once_under_concurrency() -> None:
    site = Site(200, b"User-agent: *\nDisallow: /x\n", delay=0.05)
    cache = RobotsCache(site, user_agent=UA)

    async def main() -> list[bool]:
        urls = [f"https://a.example/{p}" for p in ("a", "x", "b", "x/y")] * 5
        return list(await asyncio.gather(*(cache.allowed(u) for u in urls)))

    assert asyncio.run(main()) == [True, False, True, False] * 5
    assert site.calls == 1
    allowed(cache, "http://a.example/", "https://a.example:8443/")  # other origins: own files
    assert site.calls == 3


def test_ttl_expiry_refetches_and_ttl_is_capped_at_a_day() -> None:
    site = Site(404)
    cache = RobotsCache(site, user_agent=UA, ttl=0.0)
    allowed(cache, "https://a.example/", "https://a.example/")
    assert site.calls == 2
    assert RobotsCache(site, user_agent=UA, ttl=10 * 86400).ttl == 86400


def test_the_cache_is_bounded() -> None:
    cache = RobotsCache(Site(404), user_agent=UA, max_entries=3)
    allowed(cache, *(f"https://h{i}.example/" for i in range(10)))
    assert len(cache._cache) == 3


def test_a_cancelled_fetch_lets_the_waiters_fetch_again() -> None:
    site = Site(200, b"User-agent: *\nAllow: /\n", delay=0.2)
    cache = RobotsCache(site, user_agent=UA)

    async def main() -> bool:
        first = asyncio.create_task(cache.allowed("https://a.example/1"))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(cache.allowed("https://a.example/2"))
        await asyncio.sleep(0.01)
        first.cancel()
        return await second

    assert asyncio.run(main()) is True
    assert site.calls == 2


def test_long_files_are_read_up_to_the_limit() -> None:
    body = b"User-agent: *\nDisallow: /secret\n" + b"# padding\n" * (MAX_ROBOTS_BYTES // 10)
    assert allowed(RobotsCache(Site(200, body), user_agent=UA), "https://a.example/secret") == [False]


def test_our_own_redis_failing_is_an_error_not_a_disallow() -> None:
    """The shared rate limit's Redis down is no verdict on the site: the job must retry, not end
    without a logo because "robots.txt unreachable" means disallow."""
    cache = RobotsCache(Site(error=StateError("rate limit 'host:a.example' unavailable")), user_agent=UA)
    with pytest.raises(StateError):
        allowed(cache, "https://a.example/")
    assert allowed(RobotsCache(Site(200, b""), user_agent=UA), "https://a.example/") == [True]
