"""Full match fanned out over chunks and gathered by a Redis latch (no chord), and the schedule's guards."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from worker_harness import Stack, wait_for

from enricher import jobs
from enricher.config import Settings
from enricher.flowtly.testing import SMALL_REGISTER
from enricher.jobs.context import decisions
from enricher.sample import generate

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _larger_register() -> list[dict[str, Any]]:
    """The small register and 60 generated records (ids 101..160, planted duplicates among them)."""
    generated = [{**record, "id": record["id"] + 100} for record, _ in generate(60, seed=5)]
    return [*SMALL_REGISTER, *generated]


def _as_the_worker(stack: Stack, monkeypatch: pytest.MonkeyPatch, job: Any) -> Any:
    """Run ``job(ctx)`` here with the worker's settings (what its tasks would see)."""
    for name, value in stack.env.items():
        if name.startswith("ENRICHER_"):
            monkeypatch.setenv(name, value)
    ctx = jobs.JobContext.open(Settings())
    try:
        return job(ctx)
    finally:
        ctx.close()


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_match_all_fans_out_gathers_and_writes_the_report(stack: Stack) -> None:
    stack.start_worker()
    stack.send_task("enricher.match_all", report=True)
    out = Path(stack.env["ENRICHER_OUT_DIR"])
    wait_for(lambda: (out / "review.html").is_file(), timeout=90, what="the report")
    log = stack.procs.log("w1")
    # 5 records, parts of one pair each: a part task per compared pair, one gather, one report.
    parts = int(re.search(r"full match \S+: (\d+) parts", log).group(1))  # type: ignore[union-attr]
    assert parts >= 10
    assert log.count("Task enricher.match_chunk[") == 2 * parts  # received + succeeded lines
    assert log.count("enricher.match_gather[") >= 2
    # The gather says what it found and where the run's time went, stage by stage.
    said = re.search(
        r"full match \S+: \d+ records, \d+ pairs compared, \d+ merge \+ \d+ review candidates, \d+ clusters; "
        r"stages: normalise [\d.]+s, block [\d.]+s, fit [\d.]+s, .*cluster [\d.]+s.*; "
        r"the gather took [\d.]+s to finish the match and [\d.]+s to record it",
        log,
    )
    assert said, log[-3000:]
    pair = stack.candidates(1)["2"]
    assert pair["band"] == "merge" and {pair["a"], pair["b"]} == {1, 2}
    report = json.loads((out / "candidates.json").read_text())
    assert report["candidates"] and report["clusters"][0]["ids"] in ([1, 2], [2, 1])
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert not list(stack.r.scan_iter("enricher:run:*"))  # the latch cleaned up after itself
    assert stack.r.get("enricher:once:match-all:running") is None


def test_one_full_match_at_a_time_and_nightly_once_per_window(stack: Stack) -> None:
    stack.start_worker()
    # Two beats by mistake: the nightly entry arrives twice; a manual full match races it.
    stack.send_task("enricher.nightly")
    stack.send_task("enricher.nightly")
    stack.send_task("enricher.match_all", report=False)
    out = Path(stack.env["ENRICHER_OUT_DIR"])
    wait_for(lambda: (out / "review.html").is_file(), timeout=90, what="the report")
    wait_for(stack.idle, timeout=60, what="queues drained")
    log = stack.procs.log("w1")
    assert len(re.findall(r"full match 20\S+: \d+ parts", log)) == 1, log  # one run planned and gathered
    assert len(re.findall(r"full match 20\S+: \d+ records", log)) == 1, log
    assert "a full match is already running" in log
    assert stack.r.get("enricher:once:schedule:nightly") is not None


@pytest.mark.parametrize(
    "stack", [[{"id": 1, "name": "Initech B.V."}, {"id": 2, "name": "Hooli Inc."}]], indirect=True
)
def test_weekly_reenrichment_fills_empty_branding_once(stack: Stack) -> None:
    stack.start_worker("cli", cli=True)  # the ``enricher worker`` command
    rid = stack.create(stack.site.url, name="Acme Widgets Ltd", tin="")
    stack.send_task("enricher.weekly_reenrich")
    stack.send_task("enricher.weekly_reenrich")  # a second beat by mistake
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=90, what="the weekly enrichment")
    wait_for(stack.idle, timeout=60, what="queues drained")
    assert stack.procs.log("cli").count("Task enricher.enrich_all[") == 2  # received + succeeded: once
    assert stack.stats()["patches_applied"] == 1
    assert stack.record(1)["logoUrl"] is None  # no website: nothing to do
    ledger = stack.r.hget("enricher:branding:filled", str(rid))
    assert ledger is not None and json.loads(ledger)["fields"]["logoUrl"] == f"{stack.site.url}logo.png"


def _planned(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> jobs.MatchPlan:
    """A worker started, the larger register synced, and a full match planned as match_all plans it
    (its parts not sent: the test sends them)."""
    stack.start_worker()
    stack.send_task("enricher.sync")
    wait_for(lambda: stack.r.hlen("enricher:snapshot") == 65, timeout=60, what="the snapshot")
    plan: jobs.MatchPlan = _as_the_worker(
        stack, monkeypatch, lambda ctx: jobs.plan_match_all(ctx, do_sync=False)
    )
    return plan


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_part_that_fails_for_good_is_compared_by_the_gather(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _planned(stack, monkeypatch)
    assert len(plan.parts) >= 2
    (lo, hi), *rest = plan.parts
    stack.send_task("enricher.match_chunk", plan.run_id, 0, lo, hi, False)
    for part, _ in enumerate(rest, start=1):  # a slice that cannot be read: fails for good
        stack.send_task("enricher.match_chunk", plan.run_id, part, "x", "y", False)
    wait_for(lambda: "part(s) failed" in stack.procs.log("w1"), timeout=60, what="the gather")
    wait_for(stack.idle, timeout=30, what="queues drained")
    log = stack.procs.log("w1")
    assert f"the gather compared {len(rest)} part(s) itself" in log
    gave_up = [line for line in log.splitlines() if "ERROR/" in line and "enricher.match_chunk[" in line]
    assert len(gave_up) == len(rest) and all("gave up" in line for line in gave_up), gave_up
    pair = stack.candidates(1)["2"]  # compared by a part or by the gather: the whole register's result
    assert pair["band"] == "merge"
    assert not list(stack.r.scan_iter(f"enricher:run:{plan.run_id}:*"))


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_webhook_during_a_full_match_keeps_its_candidates_after_the_gather(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _planned(stack, monkeypatch)  # the run has read its snapshot
    rid = stack.create("https://acme.example")  # a new copy of record 1, after the snapshot was read
    found = _as_the_worker(stack, monkeypatch, lambda ctx: jobs.match_one(ctx, rid))  # its webhook
    assert 1 in {c["a"] if c["b"] == rid else c["b"] for c in found}
    for part, (lo, hi) in enumerate(plan.parts):
        stack.send_task("enricher.match_chunk", plan.run_id, part, lo, hi, False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=120,
             what="the gather")  # fmt: skip
    assert "1" in stack.candidates(rid)  # the run never saw the new record: its pairs stay
    assert str(rid) in stack.candidates(1)
    assert stack.candidates(1)["2"]["band"] == "merge"  # and the run's own pairs are recorded
    log = stack.procs.log("w1")
    assert "1 record(s) recorded during the full match keep what match-one recorded" in log, log[-3000:]


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_the_gather_job_records_with_the_collector_paused_and_hands_back_counts(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gather's millions of objects (at 1M records) must not be walked by the cyclic collector
    between the gather, the recording and their freeing: no collection runs while the result is
    alive, and the task gets counts back, not the result. The plan, the parts and the gather hand the
    heap pages they freed back to the system (a pool process waits hours for the next run), once the
    register or the result is freed, not while it is alive."""
    import gc

    import enricher.jobs.matching as job_module
    from enricher.heap import release_freed
    from enricher.matching import MatchResult

    released: list[tuple[str, bool]] = []  # (job, a match result alive at that moment?)

    def release() -> bool:
        alive = any(isinstance(o, MatchResult) for o in gc.get_objects())
        released.append((sys._getframe(1).f_code.co_name, alive))
        return release_freed()

    monkeypatch.setattr(job_module, "release_freed", release)
    plan = _planned(stack, monkeypatch)
    assert released == [("plan_match_all", False)]
    for part, (lo, hi) in enumerate(plan.parts):  # compared here: the worker must not gather first
        _as_the_worker(
            stack,
            monkeypatch,
            lambda ctx, p=part, lo=lo, hi=hi: jobs.match_chunk(ctx, plan.run_id, p, lo, hi),
        )
    walked: list[int] = []  # generations collected while a match result was alive

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and any(isinstance(o, MatchResult) for o in gc.get_objects()):
            walked.append(info["generation"])

    def gather(ctx: jobs.JobContext) -> Any:
        import enricher.matching.fanout  # noqa: F401 - imported already in a worker that compared

        thresholds = gc.get_threshold()
        gc.set_threshold(50, 2, 2)  # a small register collects as often as a large one would
        gc.callbacks.append(seen)
        try:
            return jobs.match_gather(ctx, plan.run_id)
        finally:
            gc.callbacks.remove(seen)
            gc.set_threshold(*thresholds)

    gathered = _as_the_worker(stack, monkeypatch, gather)
    assert isinstance(gathered, jobs.Gathered) and gathered.candidates >= 1
    assert gathered.stats["parts"] == len(plan.parts) and gathered.stats["failed_parts"] == {}
    assert stack.candidates(1)["2"]["band"] == "merge"
    assert walked == []
    compared = [("match_chunk", False)] * len(plan.parts)
    assert released == [("plan_match_all", False), *compared, ("match_gather", False)]


def _model_version(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> int:
    def version(ctx: jobs.JobContext) -> int:
        with decisions(ctx) as store:
            return int(store.load_model()["version"])

    return int(_as_the_worker(stack, monkeypatch, version))


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_late_gather_of_an_older_run_leaves_the_newer_runs_pairs_and_model(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = _planned(stack, monkeypatch)  # run A has read its snapshot
    rid = stack.create("https://acme.example")  # a new copy of record 1: only run B sees it
    newer: jobs.MatchPlan = _as_the_worker(stack, monkeypatch, lambda ctx: jobs.plan_match_all(ctx))
    for part, (lo, hi) in enumerate(newer.parts):
        stack.send_task("enricher.match_chunk", newer.run_id, part, lo, hi, False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=120,
             what="run B's gather")  # fmt: skip
    assert "1" in stack.candidates(rid)
    version = _model_version(stack, monkeypatch)
    running = "enricher:once:match-all:running"
    stack.r.set(running, "a third run, in progress")
    # Run A's gather arrives late (a redelivery after its worker died, or a slow queue): its parts
    # were never compared, so it compares them all itself, then must not record the older register.
    stack.send_task("enricher.match_gather", older.run_id, False)
    gathered = re.compile(r"enricher\.match_gather\[\S+\] succeeded")
    wait_for(lambda: len(gathered.findall(stack.procs.log("w1"))) == 2, timeout=120, what="run A's gather")
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert "1" in stack.candidates(rid) and str(rid) in stack.candidates(1)
    assert "(mark 1) is not recorded" in stack.procs.log("w1")
    assert _model_version(stack, monkeypatch) == version
    assert stack.r.get(running) == b"a third run, in progress"  # the marker is the third run's


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_late_gather_releases_only_its_own_runs_marker(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = _planned(stack, monkeypatch)  # run A: planned, its marker expired or released since
    running = "enricher:once:match-all:running"
    stack.r.set(running, "20261201T000000-newerrun")  # run B holds it and is still comparing
    for part, (lo, hi) in enumerate(older.parts):
        stack.send_task("enricher.match_chunk", older.run_id, part, lo, hi, False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=120,
             what="run A's gather")  # fmt: skip
    assert stack.candidates(1)["2"]["band"] == "merge"  # not superseded: run A's pairs are recorded
    assert stack.r.get(running) == b"20261201T000000-newerrun"  # and run B's marker stays
    # A plan step that gives up releases its own run's marker only, too. Two of them, one after the
    # other on this one-process worker: when the second has failed, the first one's hook has run.
    for gone in ("20261201T000001-gone", "20261201T000001-gone2"):
        stack.send_task("enricher.match_plan", gone, False)
    failed = re.compile(r"ERROR.*enricher\.match_plan\[")
    wait_for(lambda: len(failed.findall(stack.procs.log("w1"))) >= 2 and stack.idle(), timeout=60,
             what="the failed plans")  # fmt: skip
    assert stack.r.get(running) == b"20261201T000000-newerrun"
    stack.r.set(running, "20261201T000002-planfails")
    stack.send_task("enricher.match_plan", "20261201T000002-planfails", False)
    wait_for(lambda: stack.r.get(running) is None, timeout=60, what="the failed plan's marker released")


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_full_match_whose_planning_fails_is_not_blocked_by_its_own_marker(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _planned(stack, monkeypatch)  # the snapshot synced (that run is never sent: it holds no marker)
    stack.r.rename("enricher:snapshot", "enricher:snapshot:aside")
    stack.r.set("enricher:snapshot", "not a hash")  # reading the snapshot fails: the task is retried
    stack.send_task("enricher.match_all", report=False, sync=False)
    wait_for(lambda: "cannot read the register snapshot" in stack.procs.log("w1"), timeout=60,
             what="the failed planning")  # fmt: skip
    stack.r.delete("enricher:snapshot")
    stack.r.rename("enricher:snapshot:aside", "enricher:snapshot")
    gathered = re.compile(r"enricher\.match_gather\[\S+\] succeeded")
    wait_for(lambda: gathered.search(stack.procs.log("w1")) is not None, timeout=120,
             what="the retried full match")  # fmt: skip
    assert "already running" not in stack.procs.log("w1")
    assert stack.candidates(1)["2"]["band"] == "merge"


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_gather_being_retried_keeps_its_runs_marker_until_it_ends(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gather that meets a passing error (Redis, its run's files) is retried, and its run is still
    going: it keeps the marker meanwhile, so a second full match does not start beside the retry. The
    marker goes when the gather succeeds, or gives up."""
    plan = _planned(stack, monkeypatch)
    running = "enricher:once:match-all:running"
    stack.r.set(running, plan.run_id)  # as match_all takes it
    runs = Path(stack.env["ENRICHER_STATE_DIR"]) / "match-runs"
    mark = runs / plan.run_id / "recorded.json"
    good = mark.read_text()
    mark.write_text("not json")  # the gather cannot read its mark: a StateError, retried
    for part, (lo, hi) in enumerate(plan.parts):
        stack.send_task("enricher.match_chunk", plan.run_id, part, lo, hi, False)
    retried = re.compile(r"enricher\.match_gather\[\S+\] retry")
    wait_for(lambda: len(retried.findall(stack.procs.log("w1"))) >= 2, timeout=60, what="the gather retried")
    assert stack.r.get(running) == plan.run_id.encode()
    stack.send_task("enricher.match_all", report=False, sync=False)
    wait_for(lambda: "a full match is already running" in stack.procs.log("w1"), timeout=60,
             what="the second request turned away")  # fmt: skip
    mark.write_text(good)
    gathered = re.compile(r"enricher\.match_gather\[\S+\] succeeded")
    wait_for(
        lambda: gathered.search(stack.procs.log("w1")) is not None, timeout=60, what="the retried gather"
    )
    assert stack.r.get(running) is None
    assert stack.candidates(1)["2"]["band"] == "merge"
    # A gather that gives up (its plan is gone: not worth retrying) releases its run's marker.
    other: jobs.MatchPlan = _as_the_worker(
        stack, monkeypatch, lambda ctx: jobs.plan_match_all(ctx, do_sync=False)
    )
    stack.r.set(running, other.run_id)
    (runs / other.run_id / "compare.pickle").unlink()
    stack.send_task("enricher.match_gather", other.run_id, False)
    wait_for(lambda: stack.r.get(running) is None, timeout=60, what="the failed gather's marker released")
    assert re.search(r"ERROR.*enricher\.match_gather\[\S+\] gave up", stack.procs.log("w1"))


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_gather_whose_retries_run_out_releases_its_runs_marker(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retried while its error lasts, the gather holds the marker; when its retries are spent it gives
    up, and its failure hook releases the marker, so the next request starts a run at once."""
    stack.env["ENRICHER_TASK_MAX_RETRIES"] = "1"
    plan = _planned(stack, monkeypatch)
    running = "enricher:once:match-all:running"
    stack.r.set(running, plan.run_id)
    (Path(stack.env["ENRICHER_STATE_DIR"]) / "match-runs" / plan.run_id / "recorded.json").write_text("{")
    stack.send_task("enricher.match_gather", plan.run_id, False)
    gave_up = re.compile(r"ERROR.*enricher\.match_gather\[\S+\] gave up.*StateError")
    wait_for(lambda: gave_up.search(stack.procs.log("w1")) is not None, timeout=60, what="gave up")
    assert re.search(r"enricher\.match_gather\[\S+\] retry", stack.procs.log("w1"))  # once, holding it
    wait_for(lambda: stack.r.get(running) is None, timeout=30, what="the marker released")


@pytest.mark.parametrize("stack", [_larger_register()], indirect=True)
def test_a_poisoned_part_and_gather_are_given_up_not_left_hanging(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part that killed its workers ENRICHER_MAX_DELIVERIES times is dropped as poison: it still
    arrives (failed), so the gather runs and compares its slice; a poisoned gather releases its run's
    marker. Before, the run waited for the part, and the marker held, until it expired (an hour)."""
    plan = _planned(stack, monkeypatch)
    assert len(plan.parts) > 1
    running = "enricher:once:match-all:running"
    stack.r.set(running, plan.run_id)
    # Its starts so far, as the workers it killed counted them: the next start is one too many.
    stack.r.set("enricher:task:deliveries:poisoned-part:0", 5)
    for part, (lo, hi) in enumerate(plan.parts):
        task_id = "poisoned-part" if part == 1 else None
        stack.send_task("enricher.match_chunk", plan.run_id, part, lo, hi, False, task_id=task_id)
    gathered = re.compile(r"enricher\.match_gather\[\S+\] succeeded")
    wait_for(lambda: gathered.search(stack.procs.log("w1")) is not None, timeout=120, what="the gather")
    log = stack.procs.log("w1")
    poisoned = re.compile(r"ERROR.*enricher\.match_chunk\[poisoned-part\] gave up.*poison message")
    assert poisoned.search(log), log[-3000:]
    assert "the gather compared 1 part(s) itself" in log
    assert stack.candidates(1)["2"]["band"] == "merge"
    assert stack.r.get(running) is None
    stack.r.set(running, plan.run_id)
    stack.r.set("enricher:task:deliveries:poisoned-gather:0", 5)
    stack.send_task("enricher.match_gather", plan.run_id, False, task_id="poisoned-gather")
    wait_for(lambda: stack.r.get(running) is None, timeout=60, what="the poisoned gather's marker")


def _generated_register(stack: Stack, count: int) -> list[bytes]:
    """``count`` generated records put straight into the worker's snapshot (no sync: the run matches
    the snapshot as it stands); their JSON as the snapshot holds it."""
    from enricher.records import Counterparty
    from enricher.state import Keys, RedisSnapshot

    snapshot = RedisSnapshot(stack.r, Keys("enricher"))
    snapshot.replace(Counterparty.model_validate(r) for r, _ in generate(count, seed=13, near_names=0.2))
    return snapshot.raw()


def _pairs(candidates: list[dict[str, Any]]) -> set[tuple[int, int, str, float]]:
    return {(min(c["a"], c["b"]), max(c["a"], c["b"]), c["band"], round(c["score"], 9)) for c in candidates}


def test_a_large_register_is_normalised_in_parts_by_a_prefork_pool(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enricher.matching import match

    stack.env["ENRICHER_MATCH_CHUNK_RECORDS"] = "5000"
    stack.env["ENRICHER_MATCH_CHUNK_PAIRS"] = "20000"
    raw = _generated_register(stack, 12_000)
    stack.start_worker(pool="prefork", concurrency=2)
    stack.send_task("enricher.match_all", report=False, sync=False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=240,
             what="the gather")  # fmt: skip
    log = stack.procs.log("w1")
    assert re.search(r"full match \S+: 3 parts \(normalise\)", log), log[-3000:]
    assert re.search(r"full match \S+: \d+ parts \(compare\)", log)
    assert log.count("Task enricher.match_normalise[") == 6  # 3 parts: received + succeeded lines
    assert log.count("Task enricher.match_plan[") == 2
    assert "ERROR" not in log
    recorded = _as_the_worker(stack, monkeypatch, lambda ctx: ctx.state.candidates.all())
    single = match(raw)
    assert _pairs(recorded) == _pairs([c.to_contract() for c in single.candidates])
    assert len(recorded) > 1000
    assert not list(stack.r.scan_iter("enricher:run:*"))  # both latches cleaned up

    # A night later, one record renamed: the next run normalises it and takes the rest from this run.
    from enricher.records import Counterparty
    from enricher.state import Keys, RedisSnapshot

    snapshot = RedisSnapshot(stack.r, Keys("enricher"))
    renamed = dict(json.loads(raw[500]), name="Completely Renamed Holding GmbH")
    snapshot.put(Counterparty.model_validate(renamed))
    stack.send_task("enricher.match_all", report=False, sync=False)
    wait_for(lambda: stack.procs.log("w1").count("enricher.match_gather[") >= 4 and stack.idle(), timeout=240,
             what="the second gather")  # fmt: skip
    log = stack.procs.log("w1")
    assert re.search(r"records to normalise in 3 parts, reusing what run \S+ normalised", log), log[-3000:]
    assert f"{len(raw) - 1} of {len(raw)} records' normalised values reused" in log, log[-3000:]
    assert "ERROR" not in log
    recorded = _as_the_worker(stack, monkeypatch, lambda ctx: ctx.state.candidates.all())
    assert _pairs(recorded) == _pairs([c.to_contract() for c in match(snapshot.raw()).candidates])


def test_a_record_deleted_while_a_large_register_is_normalised_is_skipped_and_reported(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan lists the ids and each part reads its own records later: one deleted in between (a
    webhook's match-one removes it from the snapshot) is skipped where it stood and named in the log,
    and the rest is matched as if it had never been there."""
    import json

    from enricher.matching import match

    stack.env["ENRICHER_MATCH_CHUNK_RECORDS"] = "5000"
    stack.env["ENRICHER_MATCH_CHUNK_PAIRS"] = "20000"
    raw = _generated_register(stack, 11_000)
    stack.start_worker(pool="prefork", concurrency=2)
    plan = _as_the_worker(stack, monkeypatch, lambda ctx: jobs.plan_match_all(ctx, do_sync=False))
    assert plan.step == "normalise" and len(plan.parts) == 3
    gone = json.loads(raw[7000])["id"]
    _as_the_worker(stack, monkeypatch, lambda ctx: ctx.state.snapshot.remove(gone))
    for part, (lo, hi) in enumerate(plan.parts):
        stack.send_task("enricher.match_normalise", plan.run_id, part, lo, hi, False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=240,
             what="the gather")  # fmt: skip
    log = stack.procs.log("w1")
    assert f"1 record(s) not matched: record 7001: record {gone} left the register during the run" in log, (
        log[-3000:]
    )
    recorded = _as_the_worker(stack, monkeypatch, lambda ctx: ctx.state.candidates.all())
    without = match(raw[:7000] + raw[7001:])
    assert _pairs(recorded) == _pairs([c.to_contract() for c in without.candidates])
    assert not any(gone in (c["a"], c["b"]) for c in recorded)


def test_a_normalising_part_that_fails_for_good_is_done_by_the_plan_step(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.env["ENRICHER_MATCH_CHUNK_RECORDS"] = "5000"
    stack.env["ENRICHER_MATCH_CHUNK_PAIRS"] = "20000"
    raw = _generated_register(stack, 11_000)
    stack.start_worker()
    plan = _as_the_worker(
        stack, monkeypatch, lambda ctx: jobs.plan_match_all(ctx, do_sync=False)
    )  # match_all's plan
    assert plan.step == "normalise" and len(plan.parts) == 3 and plan.parts[-1][1] == len(raw)
    (lo, hi), *rest = plan.parts
    stack.send_task("enricher.match_normalise", plan.run_id, 0, lo, hi, False)
    for part, _ in enumerate(rest, start=1):  # a slice that cannot be read: fails for good
        stack.send_task("enricher.match_normalise", plan.run_id, part, "x", "y", False)
    wait_for(lambda: "enricher.match_gather[" in stack.procs.log("w1") and stack.idle(), timeout=240,
             what="the gather")  # fmt: skip
    log = stack.procs.log("w1")
    assert "2 normalising part(s) failed" in log and "the plan normalised 2 slice(s) itself" in log, log[
        -3000:
    ]
    gave_up = [line for line in log.splitlines() if "ERROR/" in line and "enricher.match_normalise[" in line]
    assert len(gave_up) == len(rest) and all("gave up" in line for line in gave_up), gave_up
    assert not list(stack.r.scan_iter(f"enricher:run:{plan.run_id}*"))
