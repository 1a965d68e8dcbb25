"""What every job stands on: the settings, the state, a way to reach Flowtly, the decision store."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from enricher.config import Settings
from enricher.errors import ConfigError
from enricher.flowtly import FlowtlyClient
from enricher.state import JobState, RateLimitedTransport, open_state

__all__ = ["JOB_NAMES", "JobContext", "decisions", "event_jobs"]

log = logging.getLogger("enricher.jobs")

JOB_NAMES = ("match", "enrich")
"""Jobs a counterparty created/updated event may trigger (``ENRICHER_WEBHOOK_JOBS``)."""


def event_jobs(settings: Settings) -> tuple[str, ...]:
    """The jobs a counterparty change triggers, from ``ENRICHER_WEBHOOK_JOBS`` (empty: none)."""
    jobs = tuple(dict.fromkeys(j.strip().lower() for j in settings.webhook_jobs.split(",") if j.strip()))
    unknown = [j for j in jobs if j not in JOB_NAMES]
    if unknown:
        raise ConfigError("ENRICHER_WEBHOOK_JOBS", f"unknown job(s) {unknown}; known: {', '.join(JOB_NAMES)}")
    return jobs


@dataclass
class JobContext:
    """What a job needs: settings, state, and a way to reach Flowtly (shared when given)."""

    settings: Settings
    state: JobState
    client: FlowtlyClient | None = None
    _owned: list[Any] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, client: FlowtlyClient | None = None) -> JobContext:
        return cls(settings=settings, state=open_state(settings), client=client)

    @contextlib.contextmanager
    def flowtly(self) -> Iterator[FlowtlyClient]:
        """The API client; with Redis, all workers share the ``ENRICHER_FLOWTLY_RPS`` budget."""
        if self.client is not None:
            yield self.client
            return
        if self.settings.flowtly_url is None:
            from enricher.flowtly import connect

            with connect(self.settings) as client:
                yield client
            return
        http: httpx.Client | None = None
        if self.state.flowtly_limiter is not None:
            transport = RateLimitedTransport(self.state.flowtly_limiter, name="flowtly")
            http = httpx.Client(transport=transport, headers={"User-Agent": "enricher-worker/0.1"})
        try:
            with FlowtlyClient.from_settings(self.settings, http=http) as client:
                yield client
        finally:
            if http is not None:
                http.close()

    def close(self) -> None:
        self.state.close()


def decisions(ctx: JobContext) -> Any:
    """The decision store (people's answers, applied merges, the stored model), opened for a ``with``."""
    from enricher.state import open_decision_store

    return open_decision_store(ctx.settings)
