"""The webhook receiver: verify, de-duplicate and queue in one Redis step, answer 202 in milliseconds.

``POST /webhooks/flowtly`` follows Standard Webhooks (https://www.standardwebhooks.com/):

* ``webhook-id``, ``webhook-timestamp`` (Unix seconds, within ``ENRICHER_WEBHOOK_TOLERANCE`` = ±300 s)
  and ``webhook-signature`` (space-separated ``v1,<base64 HMAC-SHA256>`` entries) over
  ``"{id}.{timestamp}.{raw body}"``, keyed with the base64 secret after ``whsec_``.
  ``ENRICHER_WEBHOOK_SECRET`` may hold several secrets separated by spaces or commas (rotation):
  a signature made with any of them is accepted. Comparison is constant-time.
* The body is capped at ``ENRICHER_WEBHOOK_MAX_BODY`` bytes (413 beyond). At most
  ``ENRICHER_WEBHOOK_CONCURRENCY`` deliveries are processed at once (503 beyond); a delivery takes its
  slot once its body is in, so clients still sending hold none. Deadlines for sending a request and the
  connection cap are in :mod:`enricher.serving` (uvicorn has none). A client that leaves mid-body is one
  log line.

Accepted payloads (Flowtly's own form is undocumented; these are the plausible shapes)::

    {"type": "counterparty.created", "timestamp": "...", "data": {"id": 12}}
    {"type": "counterparty.updated", "data": {"@id": "/counterparties/12"}}     # an IRI
    {"type": "counterparty.updated", "data": "/api/counterparties/12"}          # a bare IRI or id
    {"type": "counterparty.created", "data": {"id": 12, "name": "...", ...}}   # the whole record
    {"type": "counterparty.updated", "data": [{"id": 12}, "/counterparties/13"]}  # several
    {"event": "Counterparty.Updated", "payload": {...}}                         # other key names

The type is read from ``type``/``event``/``action``; ``counterparty``/``counterparties`` with
``created``/``updated`` (also ``create``, ``update``, ``changed``, separated by ``.``, ``_`` or ``:``)
trigger work; other verified events get 202 ``ignored`` so the sender does not retry them.

Statuses: 202 accepted (or duplicate/ignored); 401 bad or missing signature, stale timestamp;
400 unreadable body or headers; 413 body too large; 422 JSON of the wrong shape; 503 Redis
unreachable (the sender retries). Client input never causes a 500.

Accepting is one atomic Redis script (remember the ``webhook-id`` *and* push the event onto the
inbox, or neither; see ``enricher.state.inbox``), so the request never waits for Celery. A relay
running in the same process (:class:`InboxRelay`) moves inbox events to the task queue in batches.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from enricher.config import Settings
from enricher.errors import ConfigError, EnricherError, StateError
from enricher.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from enricher.metrics import WEBHOOK_DELIVERIES
from enricher.metrics import registry as metrics_registry
from enricher.metrics import render as render_metrics
from enricher.records import IdError, RecordId, canonical_id
from enricher.state import Keys, WebhookInbox, async_redis
from enricher.status import QueueCollector

__all__ = [
    "MIN_SECRET_BYTES",
    "CounterpartyEvent",
    "InboxRelay",
    "PayloadError",
    "SignatureError",
    "WebhookVerifier",
    "create_app",
    "parse_event",
    "parse_secrets",
]

log = logging.getLogger(__name__)


class SignatureError(EnricherError):
    """The delivery is not proven to come from Flowtly (401); ``reason`` is a short metric label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayloadError(EnricherError):
    """The verified body cannot be used: ``status`` 400 (not JSON) or 422 (wrong shape)."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# --- signatures -------------------------------------------------------------------------------

_SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret


MIN_SECRET_BYTES = 24
"""Shortest HMAC key accepted: Standard Webhooks secrets are 24 to 64 random bytes."""


def parse_secrets(value: str) -> list[bytes]:
    """The HMAC keys of ``ENRICHER_WEBHOOK_SECRET``: ``whsec_<base64>`` entries split on spaces/commas.

    Each entry must carry the ``whsec_`` prefix and strict base64 of at least :data:`MIN_SECRET_BYTES`
    bytes: ``whsec_AA`` (one byte) or ``password`` (no prefix, which lenient decoding used to turn into
    a few bytes) would make signatures guessable. The error never repeats a secret.
    """
    items = [i for i in re.split(r"[\s,]+", value.strip()) if i]
    keys: list[bytes] = []
    for number, item in enumerate(items, start=1):
        where = "the secret" if len(items) == 1 else f"secret {number} of {len(items)}"
        wanted = f"{where} must be whsec_ followed by base64 of at least {MIN_SECRET_BYTES} bytes"
        if not item.startswith(_SECRET_PREFIX):
            raise ConfigError("ENRICHER_WEBHOOK_SECRET", f"{wanted} (it has no whsec_ prefix)")
        text = item.removeprefix(_SECRET_PREFIX)
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError("ENRICHER_WEBHOOK_SECRET", f"{wanted} (it is not base64)") from None
        if len(key) < MIN_SECRET_BYTES:
            raise ConfigError("ENRICHER_WEBHOOK_SECRET", f"{wanted} (it holds {len(key)} bytes)")
        keys.append(key)
    if not keys:
        raise ConfigError("ENRICHER_WEBHOOK_SECRET", "no secret given")
    return keys


class WebhookVerifier:
    """Checks Standard Webhooks headers against the raw body with any of the current secrets."""

    def __init__(self, secrets: Sequence[bytes], *, tolerance: int = 300) -> None:
        self._secrets = list(secrets)
        self.tolerance = tolerance

    def verify(self, msg_id: str | None, timestamp: str | None, signature: str | None, body: bytes) -> None:
        """Return quietly for a valid delivery; raise SignatureError otherwise."""
        if not (msg_id and timestamp and signature):
            raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            sent = int(timestamp)
        except ValueError:
            raise SignatureError("webhook-timestamp is not an integer") from None
        if abs(time.time() - sent) > self.tolerance:
            raise SignatureError("webhook-timestamp outside the tolerance")
        offered: list[bytes] = []
        for entry in signature.split():
            version, _, value = entry.partition(",")
            if version != "v1" or not value:
                continue
            try:
                offered.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
        if not offered:
            raise SignatureError("no v1 signature")
        signed = f"{msg_id}.{timestamp}.".encode() + body
        ok = False
        for key in self._secrets:
            expected = hmac.new(key, signed, hashlib.sha256).digest()
            for candidate in offered:
                # No early exit: the time taken does not tell which secret or entry matched.
                ok |= hmac.compare_digest(expected, candidate)
        if not ok:
            raise SignatureError("no matching signature")


# --- payloads ---------------------------------------------------------------------------------

_TYPE = re.compile(r"^(?P<res>[a-z]+)[._:/-](?P<act>[a-z]+)$")
_RESOURCES = {"counterparty", "counterparties"}
_ACTIONS = {"created": "created", "create": "created", "updated": "updated", "update": "updated",
            "changed": "updated"}  # fmt: skip
_ID_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COLLECTION_IRI = re.compile(r"^/(?:api/)?(?P<col>[a-z_-]+)/[^/?#]+$")


@dataclass(frozen=True)
class CounterpartyEvent:
    """A verified counterparty change: what happened to which records."""

    kind: str  # "created" | "updated"
    record_ids: tuple[RecordId, ...]
    webhook_id: str


def _event_type(payload: dict[str, Any]) -> str:
    for key in ("type", "event", "action", "eventType"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise PayloadError("no event type (expected 'type')")


def _record_id(item: Any, depth: int = 0) -> RecordId:
    """The counterparty id of one ``data`` item: an int, an id string, an IRI or a record."""
    if isinstance(item, dict):
        if depth >= 2:  # {"counterparty": {"id": 1}} is plausible; deeper is not an event
            raise PayloadError("counterparty id nested too deeply")
        for key in ("id", "@id", "iri", "counterparty"):
            if key in item and item[key] is not None:
                return _record_id(item[key], depth + 1)
        raise PayloadError("data carries neither 'id' nor '@id'")
    if isinstance(item, bool) or item is None:
        raise PayloadError("a counterparty id must be an int, an id string or an IRI")
    if isinstance(item, int):
        if item <= 0:
            raise PayloadError("a counterparty id must be positive")
        return item
    if isinstance(item, str):
        text = item.strip()
        match = _COLLECTION_IRI.match(text)
        if match and match.group("col") not in _RESOURCES:
            raise PayloadError(f"IRI of a {match.group('col')!r}, not a counterparty")
        try:
            value = canonical_id(text)  # read as the client reads it: "001" is 1, "-5" is -5
        except IdError:
            raise PayloadError("unreadable counterparty id") from None
        if isinstance(value, int):
            if value <= 0:
                raise PayloadError("a counterparty id must be positive")
            return value
        if _ID_TEXT.match(value):
            return value
    raise PayloadError("unreadable counterparty id")


def parse_event(body: bytes, webhook_id: str) -> CounterpartyEvent | None:
    """The counterparty change in ``body``; None for a valid event we do not act on.

    Raises PayloadError(400) when the body is not JSON, PayloadError(422) when it has the wrong shape.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("body is not JSON", status=400) from None
    except RecursionError:  # e.g. a megabyte of "[": valid-looking, too deep to be an event
        raise PayloadError("JSON nested too deeply", status=400) from None
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object")
    kind = _event_type(payload).lower()
    match = _TYPE.match(kind)
    if not match or match.group("res") not in _RESOURCES or match.group("act") not in _ACTIONS:
        return None
    data = next((payload[k] for k in ("data", "payload", "object", "resource") if k in payload), None)
    if data is None:
        raise PayloadError("no 'data' in the event")
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > 1000:
        raise PayloadError("'data' must name 1 to 1000 counterparties")
    ids = tuple(dict.fromkeys(_record_id(item) for item in items))
    return CounterpartyEvent(kind=_ACTIONS[match.group("act")], record_ids=ids, webhook_id=webhook_id)


# --- the app ----------------------------------------------------------------------------------

Publish = Callable[[list[CounterpartyEvent]], None]
"""Puts events on the task queue (blocking; the relay runs it in a thread). Raise to retry later."""

_WEBHOOK_ID = re.compile(r"^[\x21-\x7e]{1,256}$")


class _BodyTooLarge(Exception):
    pass


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def _event_json(event: CounterpartyEvent) -> dict[str, Any]:
    return {"ids": list(event.record_ids), "kind": event.kind, "webhook_id": event.webhook_id}


def _event_from(blob: bytes) -> CounterpartyEvent | None:
    try:
        data = json.loads(blob)
        return CounterpartyEvent(
            kind=data["kind"], record_ids=tuple(data["ids"]), webhook_id=data["webhook_id"]
        )
    except (ValueError, KeyError, TypeError):
        log.error("dropping an unreadable inbox entry: %r", blob[:200])
        return None


class InboxRelay:
    """Moves accepted events from the Redis inbox to the task queue, in batches, at least once."""

    HEARTBEAT = 15

    def __init__(self, inbox: WebhookInbox, publish: Publish, *, batch: int = 200) -> None:
        self.inbox = inbox
        self.publish = publish
        self.batch = batch
        self.consumer = uuid.uuid4().hex
        self.relayed = 0

    async def step(self, wait: float = 1.0) -> int:
        """Relay one batch (waiting up to ``wait`` s for the first event); the number relayed."""
        taken = await self.inbox.take(self.consumer, limit=self.batch, wait=wait)
        if not taken:
            return 0
        events = [e for e in (_event_from(blob) for blob in taken) if e is not None]  # oldest first
        if events:
            await anyio.to_thread.run_sync(self.publish, events)
        await self.inbox.done(self.consumer, len(taken))
        self.relayed += len(events)
        return len(events)

    async def run(self) -> None:
        """Relay until cancelled; Redis or broker trouble pauses and retries, nothing is dropped."""
        last_beat = 0.0
        pause = 0.5
        try:
            while True:
                try:
                    if time.monotonic() - last_beat > self.HEARTBEAT / 3:
                        await self.inbox.beat(self.consumer, self.HEARTBEAT)
                        await self.inbox.recover()
                        last_beat = time.monotonic()
                    await self.step()
                    pause = 0.5
                except (aioredis.RedisError, StateError, OSError) as exc:
                    log.warning("webhook relay: Redis unavailable (%s); retrying", type(exc).__name__)
                    await anyio.sleep(pause)
                    pause = min(pause * 2, 10.0)
                except Exception:  # the broker refused: events stay in our processing list
                    log.exception("webhook relay: publishing failed; retrying")
                    await anyio.sleep(pause)
                    pause = min(pause * 2, 10.0)
                    await self.inbox.retire(self.consumer)
        finally:
            with anyio.CancelScope(shield=True):
                await self.inbox.retire(self.consumer)


def create_app(
    settings: Settings,
    *,
    publish: Publish | None,
    broker_check: Callable[[], None] | None = None,
    redis_client: aioredis.Redis | None = None,
) -> Starlette:
    """The ASGI app. ``publish`` is the task queue (Celery, see ``tasks``): a relay task started with
    the app moves accepted events there; None runs no relay (the inbox just fills).
    ``broker_check`` raises when the broker is down (``GET /healthz``)."""
    if settings.webhook_secret is None:
        raise ConfigError("ENRICHER_WEBHOOK_SECRET", "the receiver needs the signing secret (whsec_...)")
    verifier = WebhookVerifier(
        parse_secrets(settings.webhook_secret.get_secret_value()), tolerance=settings.webhook_tolerance
    )
    client = redis_client if redis_client is not None else async_redis(settings)
    inbox = WebhookInbox(client, Keys(settings.redis_prefix), ttl=settings.webhook_dedupe_ttl)
    limit = settings.webhook_max_body
    slots = settings.webhook_concurrency
    busy = 0

    async def receive(request: Request) -> Response:
        response = await _receive(request)
        WEBHOOK_DELIVERIES.labels(str(response.status_code)).inc()
        return response

    async def _receive(request: Request) -> Response:
        nonlocal busy
        try:
            body = await _read_capped(request, limit)
        except _BodyTooLarge:
            return _error(413, f"body larger than {limit} bytes")
        except ClientDisconnect:
            # Normal on the internet (and what a body timeout looks like from here): one line, no traceback.
            peer = request.client
            log.info("webhook: the client %s went away before sending the whole body", peer and peer.host)
            return Response(status_code=400)  # nobody reads it
        # A slot is taken only now that the body is in: clients still sending hold none.
        if busy >= slots:
            return _error(503, "too many deliveries at once; retry")
        busy += 1
        try:
            return await _handle(request, body)
        finally:
            busy -= 1

    async def _handle(request: Request, body: bytes) -> Response:
        headers = request.headers
        msg_id = headers.get("webhook-id")
        try:
            verifier.verify(msg_id, headers.get("webhook-timestamp"), headers.get("webhook-signature"), body)
        except SignatureError as exc:
            return _error(401, exc.reason)
        assert msg_id is not None  # verify() refused a missing id
        if not _WEBHOOK_ID.match(msg_id):
            return _error(400, "webhook-id must be 1-256 printable characters")
        try:
            event = parse_event(body, msg_id)
        except PayloadError as exc:
            return _error(exc.status, exc.reason)
        if event is None:
            return JSONResponse({"status": "ignored"}, status_code=202)
        try:
            accepted = await inbox.accept(msg_id, _event_json(event))
        except StateError:
            log.warning("webhook %s: Redis unreachable, asking the sender to retry", msg_id)
            return _error(503, "queue unavailable")
        if not accepted:
            return JSONResponse({"status": "duplicate"}, status_code=202)
        return JSONResponse(
            {"status": "accepted", "ids": list(event.record_ids), "kind": event.kind}, status_code=202
        )

    async def healthz(request: Request) -> Response:
        report: dict[str, Any] = {}
        try:
            await client.ping()
            report["redis"] = "ok"
            report["inbox"] = await inbox.pending()
        except aioredis.RedisError as exc:
            report["redis"] = f"unreachable: {type(exc).__name__}"
        if broker_check is not None:
            try:
                await anyio.to_thread.run_sync(broker_check)
                report["broker"] = "ok"
            except Exception as exc:
                report["broker"] = f"unreachable: {type(exc).__name__}"
        healthy = report["redis"] == "ok" and report.get("broker", "ok") == "ok"
        return JSONResponse(
            {"status": "ok" if healthy else "degraded", **report}, status_code=200 if healthy else 503
        )

    scrape = metrics_registry(QueueCollector(settings))

    async def metrics(request: Request) -> Response:
        # Reading Redis for the queue depths blocks: off the event loop.
        body = await anyio.to_thread.run_sync(render_metrics, scrape)
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            if publish is not None:
                group.start_soon(InboxRelay(inbox, publish).run)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
        if redis_client is None:  # ours to close; a client passed in belongs to the caller
            await client.aclose()

    return Starlette(
        routes=[
            Route("/webhooks/flowtly", receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
