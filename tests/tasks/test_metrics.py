"""The operator's view while jobs run: /metrics on the receiver and on a prefork worker (the pool the
product ships) move as webhooks come in and tasks finish; ``enricher status`` tells the same story."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from worker_harness import VENV_BIN, Stack, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def total(values: dict[Any, float], name: str, **labels: str) -> float:
    return sum(
        v
        for (n, got), v in values.items()
        if n == name and all(dict(got).get(k) == w for k, w in labels.items())
    )


def created(rid: int) -> dict[str, Any]:
    return {
        "type": "counterparty.created",
        "timestamp": datetime.now(tz=UTC).isoformat(),
        "data": {"id": rid},
    }


def test_both_endpoints_move_while_jobs_run(stack: Stack) -> None:
    port = free_port()
    worker_metrics = f"http://127.0.0.1:{port}/metrics"
    receiver_metrics = f"{stack.receiver}/metrics"
    stack.procs.start(
        "prefork",
        [str(VENV_BIN / "enricher"), "worker", "--pool", "prefork", "-c", "2", "--metrics-port", str(port)],
        stack.env,
    )
    wait_for(lambda: "ready." in stack.procs.log("prefork"), timeout=60, what="prefork worker ready")
    before_worker = scrape(worker_metrics)
    before_receiver = scrape(receiver_metrics)
    assert total(before_worker, "enricher_tasks_total") == 0
    assert total(before_worker, "enricher_queue_depth", queue="enricher.api") == 0
    assert total(before_worker, "enricher_redis_up") == 1

    rids = [stack.create(stack.site.url) for _ in range(3)]  # the same company as records 1 and 2
    for n, rid in enumerate(rids):
        assert stack.post(created(rid), f"msg_metrics_{n}").status_code == 202
    assert stack.post(b"{not json", "msg_metrics_bad").status_code == 400

    def finished() -> float:
        done = total(
            scrape(worker_metrics), "enricher_tasks_total", task="enricher.enrich_one", outcome="success"
        )
        return done if done >= len(rids) else 0

    wait_for(finished, timeout=120, what="three enrichments counted on the worker")
    wait_for(stack.idle, timeout=60, what="queues drained")
    worker = scrape(worker_metrics)
    receiver = scrape(receiver_metrics)
    # Tasks by name and outcome, with latencies, from the prefork children.
    assert total(worker, "enricher_tasks_total", task="enricher.match_one", outcome="success") >= len(rids)
    assert total(worker, "enricher_task_seconds_count", task="enricher.enrich_one") >= len(rids)
    assert total(worker, "enricher_task_seconds_sum", task="enricher.enrich_one") > 0
    # Flowtly calls by status, match and enrichment outcomes.
    assert total(worker, "enricher_flowtly_requests_total", method="GET", status="200") > 0
    assert total(worker, "enricher_flowtly_requests_total", method="PATCH", status="200") >= len(rids)
    assert total(worker, "enricher_enrich_outcomes_total", status="filled", provider="ours") >= len(rids)
    assert total(worker, "enricher_match_candidates_total", job="match-one") > 0
    # The receiver counts deliveries by status.
    delivered = total(receiver, "enricher_webhook_deliveries_total", status="202")
    assert delivered - total(before_receiver, "enricher_webhook_deliveries_total", status="202") == len(rids)
    assert total(receiver, "enricher_webhook_deliveries_total", status="400") >= 1
    assert total(receiver, "enricher_queue_depth", queue="webhook-inbox") == 0

    # enricher status: the same runs in a table (and as JSON).
    status = subprocess.run(
        [str(VENV_BIN / "enricher"), "status", "--json"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["lastRuns"]["enricher.enrich_one"]["outcome"] == "success"
    assert data["queues"]["enricher.api"] == 0 and data["retrying"] == {}
    table = subprocess.run(
        [str(VENV_BIN / "enricher"), "status"], env=stack.env, capture_output=True, text=True, timeout=60
    )
    assert "enricher.enrich_one" in table.stdout and "Failures waiting for retry (0)" in table.stdout


def test_a_failing_task_waits_for_retry_in_status_and_metrics(stack: Stack) -> None:
    port = free_port()
    stack.procs.start(
        "prefork",
        [str(VENV_BIN / "enricher"), "worker", "--pool", "prefork", "-c", "1", "--metrics-port", str(port)],
        {
            **stack.env,
            "ENRICHER_RETRY_BACKOFF_MAX": "8",
            "ENRICHER_FLOWTLY_RETRIES": "0",
            "ENRICHER_LOG_FORMAT": "json",
        },
    )
    wait_for(lambda: "ready." in stack.procs.log("prefork"), timeout=60, what="prefork worker ready")
    stack.sandbox.faults.update({"rate_500": 1.0})  # Flowtly down: the task fails and waits to retry
    stack.send_task("enricher.match_one", 1)

    def retrying() -> Any:
        out = subprocess.run(
            [str(VENV_BIN / "enricher"), "status", "--json"],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return json.loads(out.stdout)["retrying"] if out.returncode == 0 else None

    waiting = wait_for(retrying, timeout=60, what="a task waiting for retry")
    assert [entry["task"] for entry in waiting.values()] == ["enricher.match_one"]
    assert "500" in next(iter(waiting.values()))["reason"]
    metrics = scrape(f"http://127.0.0.1:{port}/metrics")
    assert total(metrics, "enricher_tasks_total", task="enricher.match_one", outcome="retry") >= 1
    assert total(metrics, "enricher_flowtly_requests_total", status="500") >= 1
    assert total(metrics, "enricher_tasks_waiting_retry") == 1
    stack.sandbox.faults.update({"rate_500": 0.0})
    wait_for(lambda: retrying() == {}, timeout=90, what="the retry to succeed")
    # ENRICHER_LOG_FORMAT=json: the worker's log lines (Celery's and ours) are JSON objects.
    lines = [json.loads(line) for line in stack.procs.log("prefork").splitlines() if line.startswith("{")]
    assert any("ready." in line["message"] for line in lines)
    assert any(line["logger"].startswith("celery") and line["level"] for line in lines)


def test_cli_log_lines_are_json_when_asked(tmp_path: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ENRICHER_LOG_FORMAT": "json"}
    env["ENRICHER_STATE_DIR"] = str(tmp_path / "state")
    out = subprocess.run(
        [str(VENV_BIN / "enricher"), "-v", "report", "--out-dir", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-1000:]
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert any("embedded sandbox" in line["message"] and line["level"] == "INFO" for line in lines)
    assert {"time", "level", "logger", "message"} <= set(lines[0])


def test_status_names_a_redis_it_cannot_reach(tmp_path: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ENRICHER_STATE_DIR": str(tmp_path / "state")}
    env["ENRICHER_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    out = subprocess.run(
        [str(VENV_BIN / "enricher"), "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == ["enricher: Redis is unreachable: ConnectionError"]
