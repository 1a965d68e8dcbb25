"""End to end through real processes: signed webhook -> receiver -> Redis -> Celery worker -> sandbox.

Each test runs its own redis-server (AOF on), a sandbox in this process, a loopback website with a
logo, the receiver (``enricher webhooks serve``) and Celery workers (solo pool unless a test runs the
product's prefork, or threads), all killed at the end.
"""

from __future__ import annotations

import concurrent.futures
import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from worker_harness import (
    VISIBILITY,
    Processes,
    Stack,
    signed,
    wait_for,
)

from enricher.review.fingerprint import fingerprint, identity

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def created(rid: int, kind: str = "counterparty.created") -> dict[str, Any]:
    return {
        "type": kind,
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "data": {"@id": f"/counterparties/{rid}"},
    }


def test_new_counterparty_gets_branding_and_candidates(stack: Stack) -> None:
    stack.start_worker()
    rid = stack.create(stack.site.url)
    response = stack.post(created(rid), "msg_e2e_1")
    assert response.status_code == 202, response.text
    filled = wait_for(lambda: stack.record(rid)["logoUrl"], timeout=60, what="logoUrl filled")
    assert filled == f"{stack.site.url}logo.png"
    assert stack.record(rid)["displayName"] == "Acme Widgets"
    cands = wait_for(lambda: stack.candidates(rid), timeout=30, what="candidates recorded")
    assert "1" in cands and cands["1"]["band"] == "merge"  # same tax id as record 1
    assert stack.candidates(1)[str(rid)]["score"] == cands["1"]["score"]  # recorded under both ids


def test_duplicate_and_concurrent_deliveries_do_the_work_once(stack: Stack) -> None:
    stack.start_worker()
    rid = stack.create(stack.site.url)
    raw, headers = signed(created(rid), msg_id="msg_dup")

    def send(_: int) -> int:
        return httpx.post(
            f"{stack.receiver}/webhooks/flowtly", content=raw, headers=headers, timeout=10
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(send, range(100)))
    assert set(statuses) == {202}
    assert stack.post(created(rid), "msg_dup").json()["status"] == "duplicate"
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=60, what="logoUrl filled")
    wait_for(stack.idle, timeout=30, what="queues drained")
    time.sleep(1.0)
    assert int(stack.r.get("enricher:stats:events_dispatched") or 0) == 1
    assert stack.stats()["patches_applied"] == 1
    assert stack.site.hits["/"] == 1  # the website was read once


def test_bad_deliveries_get_their_status_and_queue_nothing(stack: Stack) -> None:
    rid = stack.create(stack.site.url)
    bad_sig = signed(created(rid), msg_id="msg_bad_sig")
    bad_sig[1]["webhook-signature"] = "v1," + "A" * 43 + "="
    stale = signed(created(rid), msg_id="msg_stale", at=datetime.now(tz=UTC) - timedelta(minutes=10))
    malformed = signed(b'{"type": "counterparty.created", "data": {"id": "../../x"}}', msg_id="msg_malformed")
    not_json = signed(b"{oops", msg_id="msg_not_json")
    results = []
    for raw, headers in (bad_sig, stale, malformed, not_json):
        results.append(
            httpx.post(f"{stack.receiver}/webhooks/flowtly", content=raw, headers=headers).status_code
        )
    assert results == [401, 401, 422, 400]
    assert stack.r.llen("enricher.api") == 0 and stack.r.llen("enricher.scrape") == 0
    assert not list(stack.r.scan_iter("enricher:webhook:seen:*"))


def test_worker_killed_mid_task_loses_nothing_and_applies_once(stack: Stack) -> None:
    worker = stack.start_worker("victim")
    rid = stack.create(stack.site.slow_url)
    assert stack.post(created(rid), "msg_kill").status_code == 202
    assert stack.site.slow_started.wait(60), "enrichment never reached the website"
    Processes.kill(worker, signal.SIGKILL)
    assert stack.r.hlen("unacked") == 1  # the message is held, not lost
    assert stack.record(rid)["logoUrl"] is None
    stack.start_worker("rescuer")
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=VISIBILITY + 60, what="logo after redelivery")
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert stack.site.hits["/slow/"] >= 2  # the enrichment really ran again
    assert stack.stats()["patches_applied"] == 1
    assert stack.candidates(rid)


def test_redis_restart_mid_run_loses_nothing(stack: Stack) -> None:
    stack.start_worker()
    ids = [stack.create(f"{stack.site.url}co/{n}/", name=f"Firma Numer {n} S.A.", tin="") for n in range(4)]
    ids.append(stack.create(stack.site.slow_url))
    for n, rid in enumerate(ids):
        assert stack.post(created(rid), f"msg_restart_{n}").status_code == 202
    assert stack.site.slow_started.wait(60)
    stack.redis.restart(down_for=1.0)
    for rid in ids:
        wait_for(lambda rid=rid: stack.record(rid)["logoUrl"], timeout=VISIBILITY + 90, what=f"logo of {rid}")
    wait_for(stack.idle, timeout=60, what="queues drained")
    assert stack.stats()["patches_applied"] == len(ids)
    assert int(stack.r.get("enricher:stats:events_dispatched") or 0) >= len(ids)


def test_flowtly_429_and_500_for_a_while_tasks_back_off_and_finish(stack: Stack) -> None:
    stack.start_worker()
    rid = stack.create(stack.site.url)
    stack.sandbox.faults.update({"rate_429": 0.5, "rate_500": 0.5, "retry_after": 1})
    assert stack.post(created(rid), "msg_faults").status_code == 202
    # Every API call now fails: the client's own retries give up, then Celery retries with backoff.
    wait_for(lambda: "Retry in" in stack.procs.log("w1"), timeout=60, what="a task retry")
    injected = stack.stats()["faults_injected"]
    assert injected.get("429") and injected.get("500"), injected
    stack.sandbox.faults.update({"rate_429": 0.0, "rate_500": 0.0})
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=90, what="logo after the outage")
    wait_for(lambda: stack.candidates(rid), timeout=30, what="candidates after the outage")
    assert stack.stats()["patches_applied"] == 1


def test_one_counterparty_is_never_enriched_twice_at_once(stack: Stack) -> None:
    stack.start_worker("a")
    stack.start_worker("b")
    rid = stack.create(stack.site.slow_url)
    stack.send_task("enricher.enrich_one", rid, queue="enricher.scrape")
    stack.send_task("enricher.enrich_one", rid, queue="enricher.scrape")
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=60, what="logoUrl filled")
    # The second run waited for the lock (retry), then found the fields filled: no fetch, no patch.
    wait_for(stack.idle, timeout=60, what="queues drained")
    logs = stack.procs.log("a") + stack.procs.log("b")
    assert "LockBusy" in logs
    assert stack.site.hits["/slow/"] == 1
    assert stack.stats()["patches_applied"] == 1


@pytest.mark.parametrize("pool", ["prefork", "threads", "solo"])
@pytest.mark.parametrize("how", ["shutdown", "sigkill"])
def test_redis_down_mid_task_loses_nothing(stack: Stack, pool: str, how: str) -> None:
    """Redis goes away (SHUTDOWN, or kill -9) for 3 s while a task runs, under every pool
    ``enricher worker`` offers: every job is still done, and done once.

    On Celery's cancel-on-connection-loss the prefork and threads pools lost the running job (its
    message acknowledged after the reconnect); solo lost the logo (the image check swallowed the
    rate limit's Redis error and the job succeeded without it).
    """
    stack.start_worker(pool=pool)
    ids = [stack.create(f"{stack.site.url}co/{n}/", name=f"Firma Numer {n} S.A.", tin="") for n in range(3)]
    slow = stack.create(stack.site.slow_url)
    for n, rid in enumerate([*ids, slow]):
        assert stack.post(created(rid), f"msg_down_{n}").status_code == 202
    assert stack.site.slow_started.wait(60)
    stack.redis.stop(signal.SIGTERM if how == "shutdown" else signal.SIGKILL)  # SIGTERM = SHUTDOWN
    time.sleep(3.0)
    stack.redis.start()
    for rid in [*ids, slow]:
        wait_for(lambda rid=rid: stack.record(rid)["logoUrl"], timeout=VISIBILITY + 60, what=f"logo of {rid}")
    wait_for(stack.idle, timeout=60, what="queues drained")
    assert stack.stats()["patches_applied"] == len(ids) + 1
    log = stack.procs.log("w1")
    if pool != "solo":  # solo finishes its task before it notices the loss: nothing held to restore
        assert "Restoring" not in log  # kombu's line, written before a restore that then fails
        assert "not restored now (Redis unreachable)" in log
    assert "HTTP Request:" not in log  # httpx's per-request lines only at --loglevel DEBUG


def test_a_job_running_longer_than_the_visibility_timeout_is_not_redelivered(stack: Stack) -> None:
    """The worker renews the messages it holds, so only a dead worker's jobs come back."""
    stack.env["ENRICHER_FETCH_TIMEOUT"] = "60"
    stack.site.slow_seconds = 2.5 * VISIBILITY
    stack.start_worker(pool="prefork")
    rid = stack.create(stack.site.drip_url)
    stack.send_task("enricher.enrich_one", rid, queue="enricher.scrape")
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=VISIBILITY * 2.5 + 60, what="logoUrl filled")
    wait_for(stack.idle, timeout=30, what="queues drained")
    received = [line for line in stack.procs.log("w1").splitlines() if "enricher.enrich_one[" in line]
    assert sum("received" in line for line in received) == 1, received
    assert stack.site.hits["/drip/"] == 1


def test_a_job_given_up_is_one_error_line_naming_its_record(stack: Stack) -> None:
    stack.env["ENRICHER_TASK_MAX_RETRIES"] = "1"
    stack.start_worker(pool="prefork")
    rid = stack.create(stack.site.url)
    stack.sandbox.faults.update({"rate_500": 1.0})
    stack.send_task("enricher.enrich_one", rid, queue="enricher.scrape")
    wait_for(lambda: "gave up" in stack.procs.log("w1"), timeout=90, what="the job given up")
    wait_for(stack.idle, timeout=30, what="queues drained")
    errors = [line for line in stack.procs.log("w1").splitlines() if "ERROR/" in line]
    assert len(errors) == 1, errors
    assert "enricher.enrich_one[" in errors[0] and f"gave up on record {rid}: TransientError" in errors[0]


def test_merges_failed_in_a_storm_are_applied_by_the_retry_once(stack: Stack, tmp_path: Path) -> None:
    """apply-merges whose merges fail (a 500 storm outlasting the client's retries) retries the task:
    the rest are applied once the storm passes, none twice."""
    records = [stack.api.get_counterparty(i) for i in (1, 2, 3, 4)]
    decisions = tmp_path / "decisions.json"
    decisions.write_text(
        json.dumps(
            {
                "format": "enricher.merge-decisions",
                "version": 1,
                "reportId": "e2e",
                "records": [
                    {"id": r.id, "fingerprint": fingerprint(r), "identity": identity(r)} for r in records
                ],
                "decisions": [
                    {"kind": "pair", "ids": [1, 2], "decision": "approve", "survivor": 1},
                    {"kind": "pair", "ids": [3, 4], "decision": "approve", "survivor": 3},
                ],
            }
        )
    )
    stack.sandbox.faults.update({"write_rate_500": 1.0})
    stack.start_worker(pool="prefork")
    stack.send_task("enricher.apply_merges", str(decisions), execute=True)
    wait_for(lambda: "merges failed; retrying" in stack.procs.log("w1"), timeout=60, what="a failed round")
    stack.sandbox.faults.update({"write_rate_500": 0.0})
    wait_for(lambda: len(stack.sandbox.store.merge_log) == 2, timeout=60, what="both merges applied")
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert sorted(stack.sandbox.store.merge_log) == [(1, 2), (3, 4)]
