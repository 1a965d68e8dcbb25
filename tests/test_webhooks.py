"""The webhook receiver in-process (ASGI) against the real Redis on 6379, with its own key prefix.

Signatures come from the ``standardwebhooks`` reference package, not from the code under test.
``enqueue`` is the receiver's seam to the queue: here it records the events it was given (the
Celery path is covered end to end in tests/tasks/).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from standardwebhooks import Webhook

from enricher.config import load_settings
from enricher.errors import ConfigError
from enricher.webhooks import CounterpartyEvent, PayloadError, create_app, parse_event, parse_secrets

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


SECRET = "whsec_" + base64.b64encode(b"a-thirty-two-byte-webhook-secret").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-secret-before-rotation").decode()
URL = "http://receiver/webhooks/flowtly"


def sign(
    body: Any, *, msg_id: str | None = None, secret: str = SECRET, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = at or datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, raw.decode()),
        "content-type": "application/json",
    }
    return raw, headers


class Recorder:
    """The queue seam: remembers each event; can be told to fail like a broker that is down."""

    def __init__(self) -> None:
        self.events: list[CounterpartyEvent] = []
        self.fail = False
        self._lock = threading.Lock()

    def __call__(self, event: CounterpartyEvent) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        with self._lock:
            self.events.append(event)


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"test-webhooks-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis(port=6379)
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(prefix: str, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=prefix,
        webhook_secret=f"{SECRET} {OLD_SECRET}",
        webhook_max_body=10_000,
    )
    rclient = aioredis.Redis(port=6379)
    app = create_app(settings, enqueue=recorder, redis_client=rclient)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as c:
        yield c
    await rclient.aclose()


def event(record: Any = 12, kind: str = "counterparty.created") -> dict[str, Any]:
    return {"type": kind, "timestamp": datetime.now(tz=UTC).isoformat(), "data": record}


async def test_valid_delivery_is_accepted_and_queued_once(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    raw, headers = sign(event({"id": 12, "@id": "/counterparties/12"}))
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted", "ids": [12], "kind": "created"}
    assert [(e.kind, e.record_ids, e.webhook_id) for e in recorder.events] == [
        ("created", (12,), headers["webhook-id"])
    ]


async def test_redelivery_does_nothing(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event(7))
    first = await client.post(URL, content=raw, headers=headers)
    second = await client.post(URL, content=raw, headers=headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["status"] == "duplicate"
    assert len(recorder.events) == 1


async def test_hundred_concurrent_copies_queue_one_job(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event("/counterparties/33", "counterparty.updated"))
    responses = await asyncio.gather(*(client.post(URL, content=raw, headers=headers) for _ in range(100)))
    statuses = [r.status_code for r in responses]
    # Exactly one copy enqueues; the others are duplicates (202) or, while it is being enqueued, 409.
    assert set(statuses) <= {202, 409}
    assert sum(1 for r in responses if r.status_code == 202 and r.json()["status"] == "accepted") == 1
    assert len(recorder.events) == 1
    # A sender retrying the 409s later is told "duplicate".
    again = await client.post(URL, content=raw, headers=headers)
    assert again.json()["status"] == "duplicate"


async def test_rotated_secret_still_verifies(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event(5), secret=OLD_SECRET)
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    assert len(recorder.events) == 1


async def test_several_signatures_one_valid(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event(6))
    headers["webhook-signature"] = (
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,zzz " + headers["webhook-signature"]
    )
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    assert len(recorder.events) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong-secret",
        "body-changed",
        "id-changed",
        "timestamp-changed",
        "no-signature",
        "garbage-signature",
        "no-id",
    ],
)
async def test_bad_signature_is_401_and_queues_nothing(
    client: httpx.AsyncClient, recorder: Recorder, tamper: str
) -> None:
    raw, headers = sign(
        event(9),
        secret=SECRET if tamper != "wrong-secret" else "whsec_" + base64.b64encode(b"x" * 32).decode(),
    )
    if tamper == "body-changed":
        raw = raw.replace(b"9", b"8")
    elif tamper == "id-changed":
        headers["webhook-id"] = "msg_other"
    elif tamper == "timestamp-changed":
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 1)
    elif tamper == "no-signature":
        del headers["webhook-signature"]
    elif tamper == "garbage-signature":
        headers["webhook-signature"] = "v1,not base64!!"
    elif tamper == "no-id":
        del headers["webhook-id"]
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 401, response.text
    assert recorder.events == []


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_stale_or_future_timestamp_is_401(
    client: httpx.AsyncClient, recorder: Recorder, offset: timedelta
) -> None:
    raw, headers = sign(event(9), at=datetime.now(tz=UTC) + offset)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]
    assert recorder.events == []


async def test_timestamp_within_tolerance_is_accepted(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event(9), at=datetime.now(tz=UTC) - timedelta(minutes=4))
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 400),
        (b'"just a string"', 422),
        (b"[1, 2]", 422),
        (b'{"data": {"id": 1}}', 422),
        (b'{"type": "counterparty.created"}', 422),
        (b'{"type": "counterparty.created", "data": {"name": "x"}}', 422),
        (b'{"type": "counterparty.created", "data": {"id": -4}}', 422),
        (b'{"type": "counterparty.created", "data": {"id": true}}', 422),
        (b'{"type": "counterparty.created", "data": "/invoices/3"}', 422),
        (b'{"type": "counterparty.created", "data": []}', 422),
        (b'{"type": "counterparty.created", "data": {"id": "a b/../c"}}', 422),
    ],
)
async def test_malformed_body_gets_4xx_and_queues_nothing(
    client: httpx.AsyncClient, recorder: Recorder, body: bytes, status: int
) -> None:
    raw, headers = sign(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert recorder.events == []


async def test_body_over_the_cap_is_413(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign({"type": "counterparty.created", "data": {"id": 1, "pad": "x" * 20_000}})
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 413
    assert recorder.events == []


async def test_other_events_are_ignored_with_202(client: httpx.AsyncClient, recorder: Recorder) -> None:
    raw, headers = sign(event(3, "invoice.created"))
    response = await client.post(URL, content=raw, headers=headers)
    assert (response.status_code, response.json()) == (202, {"status": "ignored"})
    assert recorder.events == []


async def test_broker_failure_is_503_and_the_retry_goes_through(
    client: httpx.AsyncClient, recorder: Recorder
) -> None:
    raw, headers = sign(event(44))
    recorder.fail = True
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 503
    recorder.fail = False
    response = await client.post(URL, content=raw, headers=headers)
    assert response.json()["status"] == "accepted"
    assert len(recorder.events) == 1


async def test_redis_down_is_503_never_500(recorder: Recorder) -> None:
    settings = load_settings(redis_url="redis://127.0.0.1:1/0", webhook_secret=SECRET)
    app = create_app(settings, enqueue=recorder)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as c:
        raw, headers = sign(event(1))
        assert (await c.post(URL, content=raw, headers=headers)).status_code == 503
        health = await c.get("/healthz")
    assert health.status_code == 503
    assert health.json()["redis"].startswith("unreachable")
    assert recorder.events == []


async def test_healthz_reports_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "redis": "ok"})


async def test_wrong_method_and_path(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 405
    assert (await client.post("/webhooks/other", content=b"{}")).status_code == 404


# --- payload shapes (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "kind", "ids"),
    [
        ({"type": "counterparty.created", "data": {"id": 12}}, "created", (12,)),
        ({"type": "counterparty.updated", "data": {"@id": "/counterparties/12"}}, "updated", (12,)),
        (
            {"type": "counterparty.updated", "data": {"@id": "/api/counterparties/12", "name": "X"}},
            "updated",
            (12,),
        ),
        ({"type": "Counterparty.Updated", "data": "/counterparties/7"}, "updated", (7,)),
        ({"type": "counterparty_created", "data": 7}, "created", (7,)),
        ({"event": "counterparties:update", "payload": {"id": "7"}}, "updated", (7,)),
        ({"type": "counterparty.changed", "data": {"id": "cp-7A"}}, "updated", ("cp-7A",)),
        ({"type": "counterparty.updated", "data": [{"id": 1}, "/counterparties/2", 1]}, "updated", (1, 2)),
        ({"type": "counterparty.created", "data": {"counterparty": "/counterparties/9"}}, "created", (9,)),
    ],
)
def test_payload_shapes(payload: dict[str, Any], kind: str, ids: tuple[Any, ...]) -> None:
    parsed = parse_event(json.dumps(payload).encode(), "m")
    assert parsed is not None
    assert (parsed.kind, parsed.record_ids) == (kind, ids)


@pytest.mark.parametrize("kind", ["counterparty.deleted", "invoice.created", "ping", "counterparty"])
def test_other_types_are_not_acted_on(kind: str) -> None:
    assert parse_event(json.dumps({"type": kind, "data": {"id": 1}}).encode(), "m") is None


def test_payload_error_carries_status() -> None:
    with pytest.raises(PayloadError) as info:
        parse_event(b"nope", "m")
    assert info.value.status == 400


def test_secrets_parse_and_refuse_garbage() -> None:
    assert parse_secrets(f"{SECRET}, {OLD_SECRET}") == [
        b"a-thirty-two-byte-webhook-secret",
        b"the-previous-secret-before-rotation",
    ]
    with pytest.raises(ConfigError):
        parse_secrets("  ")


def test_receiver_refuses_to_start_without_secret(recorder: Recorder) -> None:
    with pytest.raises(ConfigError, match="ENRICHER_WEBHOOK_SECRET"):
        create_app(load_settings(redis_url="redis://127.0.0.1:6379/0"), enqueue=recorder)
