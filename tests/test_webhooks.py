"""The webhook receiver in-process (ASGI) against the real Redis on 6379, with its own key prefix.

Signatures come from the ``standardwebhooks`` reference package, not from the code under test.
Accepted events land in the Redis inbox (read here directly); the relay's ``publish`` seam to
Celery records what it is given (the Celery path is covered end to end in tests/tasks/).
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

from enricher.config import Settings, load_settings
from enricher.errors import ConfigError
from enricher.state import Keys, WebhookInbox
from enricher.webhooks import (
    CounterpartyEvent,
    InboxRelay,
    PayloadError,
    create_app,
    parse_event,
    parse_secrets,
)

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
    """The relay's publish seam: remembers the events; can be told to fail like a broker that is down."""

    def __init__(self) -> None:
        self.events: list[CounterpartyEvent] = []
        self.fail = False
        self._lock = threading.Lock()

    def __call__(self, events: list[CounterpartyEvent]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        with self._lock:
            self.events.extend(events)


class Inbox:
    """Reads what the receiver queued: the events in the inbox list, oldest first."""

    def __init__(self, prefix: str) -> None:
        self.key = f"{prefix}:webhook:inbox"
        self.r = redis.Redis(port=6379)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(v) for v in reversed(self.r.lrange(self.key, 0, -1))]


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
def inbox(prefix: str) -> Inbox:
    return Inbox(prefix)


def settings_for(prefix: str) -> Settings:
    return load_settings(
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=prefix,
        webhook_secret=f"{SECRET} {OLD_SECRET}",
        webhook_max_body=10_000,
    )


@pytest.fixture
async def client(prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    rclient = aioredis.Redis(port=6379)
    app = create_app(settings_for(prefix), publish=None, redis_client=rclient)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as c:
        yield c
    await rclient.aclose()


def event(record: Any = 12, kind: str = "counterparty.created") -> dict[str, Any]:
    return {"type": kind, "timestamp": datetime.now(tz=UTC).isoformat(), "data": record}


async def test_valid_delivery_is_accepted_and_queued_once(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event({"id": 12, "@id": "/counterparties/12"}))
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted", "ids": [12], "kind": "created"}
    assert inbox.events == [{"ids": [12], "kind": "created", "webhook_id": headers["webhook-id"]}]


async def test_redelivery_does_nothing(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event(7))
    first = await client.post(URL, content=raw, headers=headers)
    second = await client.post(URL, content=raw, headers=headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["status"] == "duplicate"
    assert len(inbox.events) == 1


async def test_hundred_concurrent_copies_queue_one_job(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event("/counterparties/33", "counterparty.updated"))
    responses = await asyncio.gather(*(client.post(URL, content=raw, headers=headers) for _ in range(100)))
    assert {r.status_code for r in responses} == {202}
    # Accepting is one atomic step: exactly one copy is queued, the 99 others are duplicates.
    assert sorted(r.json()["status"] for r in responses) == ["accepted"] + ["duplicate"] * 99
    assert len(inbox.events) == 1


async def test_rotated_secret_still_verifies(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event(5), secret=OLD_SECRET)
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    assert len(inbox.events) == 1


async def test_several_signatures_one_valid(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event(6))
    headers["webhook-signature"] = (
        "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,zzz " + headers["webhook-signature"]
    )
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    assert len(inbox.events) == 1


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
    client: httpx.AsyncClient, inbox: Inbox, tamper: str
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
    assert inbox.events == []


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_stale_or_future_timestamp_is_401(
    client: httpx.AsyncClient, inbox: Inbox, offset: timedelta
) -> None:
    raw, headers = sign(event(9), at=datetime.now(tz=UTC) + offset)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == 401
    assert "timestamp" in response.json()["error"]
    assert inbox.events == []


async def test_timestamp_within_tolerance_is_accepted(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event(9), at=datetime.now(tz=UTC) - timedelta(minutes=4))
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 400),
        (b'"just a string"', 422),
        (b"[" * 9000, 400),
        (b'{"type": "counterparty.created", "data": ' + b'{"id": ' * 500 + b"1" + b"}" * 501, 422),
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
    client: httpx.AsyncClient, inbox: Inbox, body: bytes, status: int
) -> None:
    raw, headers = sign(body)
    response = await client.post(URL, content=raw, headers=headers)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert inbox.events == []


async def test_body_over_the_cap_is_413(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign({"type": "counterparty.created", "data": {"id": 1, "pad": "x" * 20_000}})
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 413
    assert inbox.events == []


async def test_other_events_are_ignored_with_202(client: httpx.AsyncClient, inbox: Inbox) -> None:
    raw, headers = sign(event(3, "invoice.created"))
    response = await client.post(URL, content=raw, headers=headers)
    assert (response.status_code, response.json()) == (202, {"status": "ignored"})
    assert inbox.events == []


async def test_relay_publishes_in_order_and_empties_the_inbox(
    client: httpx.AsyncClient, inbox: Inbox, prefix: str, recorder: Recorder
) -> None:
    for n in range(5):
        raw, headers = sign(event(n + 1), msg_id=f"msg_order_{n}")
        assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    rclient = aioredis.Redis(port=6379)
    relay = InboxRelay(WebhookInbox(rclient, Keys(prefix), ttl=60), recorder, batch=3)
    assert await relay.step(wait=0.1) == 3
    assert await relay.step(wait=0.1) == 2
    assert await relay.step(wait=0.1) == 0
    await rclient.aclose()
    assert [e.record_ids for e in recorder.events] == [(1,), (2,), (3,), (4,), (5,)]
    assert inbox.events == []
    assert not list(inbox.r.scan_iter(f"{prefix}:webhook:processing:*"))


async def test_relay_keeps_events_while_the_broker_is_down(
    client: httpx.AsyncClient, inbox: Inbox, prefix: str, recorder: Recorder
) -> None:
    raw, headers = sign(event(44))
    assert (await client.post(URL, content=raw, headers=headers)).status_code == 202
    rclient = aioredis.Redis(port=6379)
    relay = InboxRelay(WebhookInbox(rclient, Keys(prefix), ttl=60), recorder)
    recorder.fail = True
    with pytest.raises(ConnectionError):
        await relay.step(wait=0.1)
    await relay.inbox.retire(relay.consumer)  # what run() does after a failed publish
    assert [e["ids"] for e in inbox.events] == [[44]]
    recorder.fail = False
    assert await relay.step(wait=0.1) == 1
    await rclient.aclose()
    assert [e.record_ids for e in recorder.events] == [(44,)]


async def test_events_of_a_dead_relay_are_recovered(
    client: httpx.AsyncClient, inbox: Inbox, prefix: str, recorder: Recorder
) -> None:
    for n in range(3):
        raw, headers = sign(event(n + 1))
        await client.post(URL, content=raw, headers=headers)
    rclient = aioredis.Redis(port=6379)
    box = WebhookInbox(rclient, Keys(prefix), ttl=60)
    assert len(await box.take("deadbeef", limit=10, wait=0.1)) == 3  # a relay that then died
    assert inbox.events == []
    assert await box.recover() == 3  # no heartbeat for "deadbeef"
    relay = InboxRelay(box, recorder)
    assert await relay.step(wait=0.1) == 3
    await rclient.aclose()
    assert [e.record_ids for e in recorder.events] == [(1,), (2,), (3,)]


async def test_relay_runs_with_the_app(prefix: str, recorder: Recorder, inbox: Inbox) -> None:
    rclient = aioredis.Redis(port=6379)
    app = create_app(settings_for(prefix), publish=recorder, redis_client=rclient)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as c:
            raw, headers = sign(event(77))
            assert (await c.post(URL, content=raw, headers=headers)).status_code == 202
            for _ in range(100):
                if recorder.events:
                    break
                await asyncio.sleep(0.02)
    await rclient.aclose()
    assert [e.record_ids for e in recorder.events] == [(77,)]
    assert inbox.events == []


async def test_redis_down_is_503_never_500() -> None:
    settings = load_settings(redis_url="redis://127.0.0.1:1/0", webhook_secret=SECRET)
    app = create_app(settings, publish=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as c:
        raw, headers = sign(event(1))
        assert (await c.post(URL, content=raw, headers=headers)).status_code == 503
        health = await c.get("/healthz")
    assert health.status_code == 503
    assert health.json()["redis"].startswith("unreachable")


async def test_healthz_reports_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "redis": "ok", "inbox": 0})


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


def test_receiver_refuses_to_start_without_secret() -> None:
    with pytest.raises(ConfigError, match="ENRICHER_WEBHOOK_SECRET"):
        create_app(load_settings(redis_url="redis://127.0.0.1:6379/0"), publish=None)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("whsec_AA", "holds 1 bytes"),
        ("password", "no whsec_ prefix"),
        ("whsec_" + base64.b64encode(b"x" * 23).decode(), "holds 23 bytes"),
        ("whsec_not*base64*at*all*not*base64*at*all", "not base64"),
        (f"{SECRET} whsec_AA", "secret 2 of 2"),
    ],
)
def test_weak_or_malformed_secrets_are_a_config_error(secret: str, why: str) -> None:
    """Issue 11: a config error unless every secret is whsec_ + base64 of at least 24 bytes."""
    with pytest.raises(ConfigError, match="ENRICHER_WEBHOOK_SECRET") as info:
        parse_secrets(secret)
    message = str(info.value)
    assert why in message and "at least 24 bytes" in message
    assert "password" not in message and "eHh4" not in message and "not*base64" not in message


def test_a_24_byte_secret_with_or_without_padding_is_enough() -> None:
    key = b"twenty-four-bytes-secret"
    padded = "whsec_" + base64.b64encode(key).decode()
    assert parse_secrets(padded) == parse_secrets(padded.rstrip("=")) == [key]
