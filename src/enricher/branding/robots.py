"""robots.txt, obeyed and cached per origin as RFC 9309 says.

Parsing is protego's (an RFC 9309 parser: longest match wins, ``Allow`` beats ``Disallow`` on a tie,
``*`` and ``$`` patterns, group merging), not :mod:`urllib.robotparser` which predates the RFC.
What the RFC asks of a crawler, and where it lives here:

* 2xx: parse the file (the first 500 KiB at least; we read ``MAX_ROBOTS_BYTES``).
* 4xx ("unavailable"): everything is allowed.
* 5xx or a network failure ("unreachable"): everything is disallowed; the refusal names the reason.
  A host that does not resolve, or that the guard refuses, is reported as such, not as robots.txt.
* up to five redirects are followed (the fetcher does that, checking every hop).
* cache for no more than 24 hours (``ttl``); concurrent asks for one origin fetch it once.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from enricher.branding.guard import ResolveError
from enricher.errors import BlockedTargetError, StateError, TransientError

__all__ = ["MAX_ROBOTS_BYTES", "RobotsCache", "RobotsRules", "product_token"]

MAX_ROBOTS_BYTES = 512 * 1024

RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]
"""Fetch a robots.txt URL: (status, body); raises on network failure."""


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched on: ``enricher/0.1 (+...)`` -> ``enricher``."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token or "*"


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one origin: a parsed file, or allow/disallow everything."""

    parser: Protego | None
    allow_all: bool
    reason: str

    def allowed(self, url: str, agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        path = urlsplit(url)
        # /robots.txt itself is always allowed (RFC 9309 section 2.2.2).
        if path.path == "/robots.txt":
            return True
        return bool(self.parser.can_fetch(url, agent))


class RobotsCache:
    """Per-origin robots rules with a TTL and a size bound (flat memory over many hosts)."""

    def __init__(self, fetch: RobotsFetch, *, user_agent: str, ttl: float = 86400.0, max_entries: int = 4096):
        self._fetch = fetch
        self.agent = product_token(user_agent)
        self.ttl = min(ttl, 86400.0)
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, RobotsRules]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[RobotsRules]] = {}
        self.fetches = 0

    async def allowed(self, url: str) -> bool:
        """True when the rules of ``url``'s origin let this agent fetch it."""
        return (await self.rules(url)).allowed(url, self.agent)

    async def rules(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        now = time.monotonic()
        cached = self._cache.get(origin)
        if cached and cached[0] > now:
            self._cache.move_to_end(origin)
            return cached[1]
        while (pending := self._pending.get(origin)) is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if pending.cancelled() and task is not None and not task.cancelling():
                    continue  # the task fetching it was cancelled, not us: fetch it ourselves
                raise
        future: asyncio.Future[RobotsRules] = asyncio.get_running_loop().create_future()
        self._pending[origin] = future
        try:
            rules = await self._load(origin + "/robots.txt")
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._pending[origin]
        future.set_result(rules)
        self._cache[origin] = (now + self.ttl, rules)
        self._cache.move_to_end(origin)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return rules

    async def _load(self, robots_url: str) -> RobotsRules:
        self.fetches += 1
        try:
            status, body = await self._fetch(robots_url)
        except (asyncio.CancelledError, BlockedTargetError, ResolveError):
            raise  # a refused origin or a name with no address is that, not "robots.txt unreachable"
        except (StateError, TransientError):
            # Our own infrastructure failed (the shared rate limit's Redis is down), not the site:
            # "disallow all" would end the job without a logo for good; raising lets it retry.
            raise
        except Exception as exc:  # unreachable: RFC 9309 says assume complete disallow
            return RobotsRules(None, False, f"robots.txt unreachable ({exc})")
        if 200 <= status < 300:
            text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            return RobotsRules(Protego.parse(text), True, "robots.txt")
        if 400 <= status < 500:
            return RobotsRules(None, True, f"robots.txt unavailable (HTTP {status}): allow all")
        return RobotsRules(None, False, f"robots.txt unreachable (HTTP {status}): disallow all")
