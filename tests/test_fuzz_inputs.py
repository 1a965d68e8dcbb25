"""Property-based fuzzing of the inputs a stranger or a careless colleague controls (issue 11): JSONL
records (the dedupe input and matching's record reader), the decisions file, webhook bodies and
headers, and whole signed deliveries through the receiver. Property: no uncaught exception, a result
or a clear error, within a time bound.

Bounded here (no example database); ``benchmarks/fuzz_inputs.py`` runs the same properties for
longer. Seeds of failures found are kept below as ``@example`` cases.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
import redis
import redis.asyncio as aioredis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from enricher.config import load_settings
from enricher.webhooks import WebhookVerifier, create_app, parse_secrets
from input_fuzzing import (
    TIME_BOUND,
    check_decisions,
    check_jsonl,
    check_webhook_body,
    check_webhook_headers,
    decision_files,
    jsonl_files,
    webhook_bodies,
)

BOUNDED = settings(
    max_examples=80,
    deadline=None,  # the time bound is asserted per call (input_fuzzing.TIME_BOUND): a shared box is slow
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECRET = "whsec_" + base64.b64encode(b"a-thirty-two-byte-webhook-secret").decode()


@BOUNDED
@given(data=jsonl_files())
@example(data=b"\x00" * 5000)  # an endless line of NULs (/dev/zero): binary, one line
@example(data=b'{"id": "x", "name": "' + b"word " * 2000 + b'"}\n{"id": 2}')  # over both caps
@example(data=b'{"id": 1}\n{"id": " 1 "}\n{"id": "/counterparties/1"}\n{"id": true}\n{"id": ""}')
@example(data=b"[" * 5000 + b"]" * 5000)
def test_any_jsonl_input_reads_or_is_refused_in_one_line(data: bytes) -> None:
    check_jsonl(data)


@BOUNDED
@given(text=decision_files())
@example(
    text='{"format": "enricher.merge-decisions", "version": 1, "decisions": '
    + "[" * 100_000
    + "]" * 100_000
    + "}"
)
@example(
    text=json.dumps(
        {
            "format": "enricher.merge-decisions",
            "version": 1,
            "records": [{"id": i, "fingerprint": "v1:x"} for i in (1, 4, 5, 7, 9)],
            "decisions": [
                {"kind": "pair", "ids": [4, 5], "decision": "approve", "survivor": 5},
                {"kind": "pair", "ids": [4, 5], "decision": "approve", "survivor": 4},
                {"kind": "pair", "ids": [1, "/counterparties/1"], "decision": "approve", "survivor": 1},
                {"kind": "pair", "ids": [7, 9], "decision": "approve", "survivor": 7},
                {"kind": "pair", "ids": [9, 1], "decision": "approve", "survivor": 9},
            ],
        }
    )
)
@example(text='{"format": "enricher.merge-decisions", "version": true, "records": [], "decisions": []}')
def test_any_decisions_file_loads_keeping_its_promises_or_is_refused_in_one_line(text: str) -> None:
    check_decisions(text)


@BOUNDED
@given(body=webhook_bodies())
@example(body=b"[" * 200_000)
@example(body=b'{"type": "counterparty.updated", "data": "-5"}')
@example(body=b'{"type": "counterparty.updated", "data": {"id": {"id": {"id": 1}}}}')
@example(body=json.dumps({"type": "counterparty.created", "data": [1] * 1001}).encode())
def test_any_webhook_body_is_an_event_ignored_or_a_400_422(body: bytes) -> None:
    check_webhook_body(body)


LATIN1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=80)


@BOUNDED
@given(
    msg_id=st.one_of(st.none(), LATIN1),
    timestamp=st.one_of(st.none(), LATIN1, st.integers(-(10**12), 10**12).map(str)),
    signature=st.one_of(
        st.none(), LATIN1, st.lists(LATIN1, max_size=4).map(lambda v: " ".join(f"v1,{x}" for x in v))
    ),
    body=st.binary(max_size=100),
)
def test_any_webhook_headers_verify_or_raise_signature_error(
    msg_id: str | None, timestamp: str | None, signature: str | None, body: bytes
) -> None:
    check_webhook_headers(WebhookVerifier(parse_secrets(SECRET)), msg_id, timestamp, signature, body)


@pytest.mark.integration
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=webhook_bodies())
def test_any_signed_delivery_gets_a_client_status_never_500(body: bytes) -> None:
    """The whole receiver (real Redis on 6379, own key prefix): signed by the reference package."""
    prefix = f"test-fuzz-{uuid.uuid4().hex[:10]}"
    settings_ = load_settings(
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=prefix,
        webhook_secret=SECRET,
        webhook_max_body=100_000,
    )
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, now, body.decode("latin-1")),
    }
    # The reference signer reads the body as text; sign what it signed, bytes for bytes.
    raw = body.decode("latin-1").encode()

    async def post() -> httpx.Response:
        client = aioredis.Redis(port=6379)
        app = create_app(settings_, publish=None, redis_client=client)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
                return await http.post("/webhooks/flowtly", content=raw, headers=headers)
        finally:
            await client.aclose()

    started = time.monotonic()
    try:
        response = asyncio.run(post())
    finally:
        r = redis.Redis(port=6379)
        keys = list(r.scan_iter(f"{prefix}:*"))
        if keys:
            r.delete(*keys)
    assert time.monotonic() - started < TIME_BOUND
    assert response.status_code in (202, 400, 413, 422), (response.status_code, response.text)
    assert "error" in response.json() or response.json()["status"] in ("accepted", "ignored", "duplicate")
