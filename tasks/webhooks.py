"""The webhook receiver wired to Celery: one ``enricher.dispatch`` message per accepted event.

One message per event (not one per job) keeps the receiver's publish cost at a single LPUSH; the
dispatch task, on the API queue, then queues match-one and enrich-one. ``create`` is the uvicorn
factory: ``uvicorn --factory tasks.webhooks:create``.
"""

from __future__ import annotations

from starlette.applications import Starlette

from enricher.config import Settings, load_settings
from enricher.webhooks import CounterpartyEvent, create_app
from tasks import app as celery_app

__all__ = ["create", "enqueue_event"]


def enqueue_event(event: CounterpartyEvent) -> None:
    """Publish the event's dispatch task; raises when the broker refuses (the receiver answers 503)."""
    celery_app.send_task(
        "enricher.dispatch",
        args=[list(event.record_ids), event.kind, event.webhook_id],
        retry=True,
        retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
    )


def broker_check() -> None:
    """Raise unless the broker answers (used by ``GET /healthz``)."""
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def create(settings: Settings | None = None) -> Starlette:
    """The ASGI app for ``enricher webhooks serve``."""
    settings = settings or celery_app.conf.enricher_settings or load_settings()
    return create_app(settings, enqueue=enqueue_event, broker_check=broker_check)
