"""The webhook receiver wired to Celery: its relay sends each batch of accepted events as one task.

One ``enricher.dispatch`` message per relay batch (up to 200 events), not one per event or job: a
Celery publish costs about a millisecond of CPU, which would otherwise cap the receiver. The dispatch
task, on the API queue, queues match-one and enrich-one per record. ``create`` is the uvicorn factory:
``uvicorn --factory tasks.webhooks:create`` (what ``enricher webhooks serve`` runs).
"""

from __future__ import annotations

from starlette.applications import Starlette

from enricher.config import Settings
from enricher.webhooks import CounterpartyEvent, create_app

__all__ = ["broker_check", "create", "publish_events"]


def publish_events(events: list[CounterpartyEvent]) -> None:
    """Publish the events as one dispatch task; raises if the broker refuses (the relay retries)."""
    import tasks

    batch = [{"ids": list(e.record_ids), "kind": e.kind, "webhook_id": e.webhook_id} for e in events]
    tasks.app.send_task("enricher.dispatch", args=[batch])


def broker_check() -> None:
    """Raise unless the broker answers (used by ``GET /healthz``)."""
    import tasks

    with tasks.app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def create(settings: Settings | None = None) -> Starlette:
    """The ASGI app for ``enricher webhooks serve``."""
    import tasks

    settings = settings or tasks.app.conf.enricher_settings
    return create_app(settings, publish=publish_events, broker_check=broker_check)
