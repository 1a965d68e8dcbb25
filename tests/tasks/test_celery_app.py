"""Celery app settings (in-process), the poison guard and the beat leader lease (real processes)."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest
from tasks.factory import API_QUEUE, SCRAPE_QUEUE, TIME_LIMITS, make_app
from worker_harness import VENV_BIN, Processes, RedisServer, Stack, wait_for, worker_env

from enricher.config import load_settings
from enricher.errors import ConfigError


def test_reliability_settings() -> None:
    app = make_app(load_settings(redis_url="redis://127.0.0.1:6399/0", visibility_timeout=3600))
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_url == conf.result_backend == "redis://127.0.0.1:6399/0"
    vt = conf.broker_transport_options["visibility_timeout"]
    assert vt == 3600
    assert all(limits["soft_time_limit"] < limits["time_limit"] for limits in conf.task_annotations.values())
    # Cancelling on connection loss loses the running jobs on Redis (tasks.factory); a retry or a
    # fan-out waits for a restarting Redis well beyond Celery's default ~1 s.
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is False
    policy = conf.task_publish_retry_policy
    waits = [min(policy["interval_start"] + i * policy["interval_step"], policy["interval_max"]) for i in
             range(policy["max_retries"])]  # fmt: skip
    assert conf.task_publish_retry and sum(waits) >= 20


def test_routes_split_api_and_scraping() -> None:
    app = make_app(load_settings(redis_url="redis://127.0.0.1:6399/0"))
    router = app.amqp.router
    assert router.route({}, "enricher.enrich_one")["queue"].name == SCRAPE_QUEUE
    assert router.route({}, "enricher.enrich_all")["queue"].name == SCRAPE_QUEUE
    for name in ("enricher.match_one", "enricher.dispatch", "enricher.apply_merges", "enricher.sync"):
        assert router.route({}, name)["queue"].name == API_QUEUE


def test_a_dead_workers_jobs_come_back_within_five_minutes_by_default() -> None:
    """Held messages are renewed (tasks.worker), so the timeout no longer has to outlast the longest
    task or countdown: it only says how long a dead worker's jobs wait."""
    settings = load_settings(redis_url="redis://x:1/0")
    conf = make_app(settings).conf
    options = conf.broker_transport_options
    assert options["visibility_timeout"] == settings.visibility_timeout == 240
    assert options["visibility_timeout"] + options["unacked_restore_interval"] < 300
    assert max(hard for _, hard in TIME_LIMITS.values()) > options["visibility_timeout"]
    assert settings.retry_backoff_max > options["visibility_timeout"]  # no longer refused


def test_needs_redis() -> None:
    with pytest.raises(ConfigError, match="ENRICHER_REDIS_URL"):
        make_app(load_settings(redis_url=None))


def test_bad_crontab_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="ENRICHER_SCHEDULE_MATCH"):
        make_app(load_settings(redis_url="redis://x:1/0", schedule_match="every night"))


@pytest.mark.integration
@pytest.mark.slow
def test_poison_message_is_dropped_after_max_deliveries(stack: Stack) -> None:
    """A message that kills its worker every time is dropped after ENRICHER_MAX_DELIVERIES starts."""
    stack.env["ENRICHER_MAX_DELIVERIES"] = "2"
    rid = stack.create(stack.site.slow_url)
    for attempt in range(2):
        worker = stack.start_worker(f"victim{attempt}")
        if attempt == 0:
            assert stack.post({"type": "counterparty.created", "data": rid}, "msg_poison").status_code == 202
        stack.site.slow_started.clear()
        assert stack.site.slow_started.wait(60), "enrichment never started"
        Processes.kill(worker, signal.SIGKILL)
    stack.start_worker("survivor")
    wait_for(lambda: "poison message" in stack.procs.log("survivor"), timeout=60, what="the poison drop")
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert stack.record(rid)["logoUrl"] is None  # dropped, not run a third time
    assert stack.site.hits["/slow/"] == 2


@pytest.mark.integration
@pytest.mark.slow
def test_second_beat_stands_by(redis_server: RedisServer, procs: Processes, tmp_path: Path) -> None:
    env = worker_env(redis_server.url, ENRICHER_STATE_DIR=str(tmp_path))
    beat = [VENV_BIN / "enricher", "beat", "--loglevel", "INFO"]
    first = procs.start("beat1", [str(beat[0]), *beat[1:], "--schedule", f"{tmp_path}/s1"], env)
    wait_for(lambda: redis_server.client().get("enricher:lock:beat-leader"), timeout=60, what="a leader")
    procs.start("beat2", [str(beat[0]), *beat[1:], "--schedule", f"{tmp_path}/s2"], env)
    wait_for(lambda: "standing by" in procs.log("beat2"), timeout=60, what="the second beat standing by")
    leader = redis_server.client().get("enricher:lock:beat-leader")
    assert leader is not None and leader.decode() == f"{socket.gethostname()}:{first.pid}"
    assert "leading" in procs.log("beat1")
    # The leader dies: the other takes over within the lease.
    Processes.kill(first, signal.SIGKILL)
    wait_for(lambda: "leading" in procs.log("beat2"), timeout=60, what="the take-over")
    assert redis_server.client().get("enricher:lock:beat-leader") != leader
