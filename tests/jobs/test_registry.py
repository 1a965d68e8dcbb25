"""The one job registry: the Celery app, its tasks and ``enricher jobs run`` all read it (issue 13)."""

from __future__ import annotations

import pytest
from tasks.definitions import BODIES, register
from tasks.factory import make_app

from enricher.cli import build_parser
from enricher.config import load_settings
from enricher.jobs import COMMANDS, JOBS, QUEUES, JobRequest


def test_every_job_is_a_task_with_its_queue_and_limits_from_the_registry() -> None:
    app = make_app(load_settings(redis_url="redis://127.0.0.1:6399/0", visibility_timeout=3600))
    found = register(app)
    assert set(found) == set(JOBS) == set(BODIES)
    router = app.amqp.router
    for name, spec in JOBS.items():
        assert found[name].name == spec.task and spec.task in app.tasks
        assert router.route({}, spec.task)["queue"].name == spec.queue in QUEUES
        limits = app.conf.task_annotations[spec.task]
        # The hard limit as registered; the soft one at most as registered (kept 10% below the hard one).
        assert limits["time_limit"] == spec.hard_limit and 0 < limits["soft_time_limit"] <= spec.soft_limit
    assert {q.name for q in app.conf.task_queues} == set(QUEUES)


def test_a_job_without_a_task_body_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(BODIES, "sync")
    with pytest.raises(RuntimeError, match="sync"):
        register(make_app(load_settings(redis_url="redis://127.0.0.1:6399/0")))


def test_jobs_run_offers_exactly_the_registry_commands_each_runnable_here_and_queued() -> None:
    parser = build_parser("worker")
    run = next(
        action
        for sub in parser._subparsers._group_actions  # type: ignore[union-attr]
        for action in sub.choices["jobs"]._subparsers._group_actions[0].choices["run"]._actions
        if action.dest == "job"
    )
    assert list(run.choices) == list(COMMANDS)
    request = JobRequest(ids=[7, "x"], decisions=None)
    for command, spec in COMMANDS.items():
        assert spec.inline is not None, command
        messages = spec.messages(request)
        assert len(messages) == (2 if spec.per_id else 1), command
