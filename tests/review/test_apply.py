"""Applying decisions against the sandbox: once only, never a rejected pair, stale and vanished records
skipped, an API failure mid-batch finished by a re-run, and every merge in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from enricher.flowtly import Counterparty, FlowtlyClient, Sandbox
from enricher.flowtly.testing import fast_backoff
from enricher.matching import Judgement, match
from enricher.records import RecordId
from enricher.review import AuditLog, apply_merges, fingerprint, identity
from enricher.state.decisions import SqliteDecisionStore
from review._data import REGISTER

pytestmark = pytest.mark.integration

CLUSTER = {"kind": "cluster", "ids": [7, 1, 9], "decision": "approve", "survivor": 7}
GLOBEX = {"kind": "pair", "ids": [3, 4], "decision": "approve", "survivor": 3}
REJECT_INITECH = {"kind": "pair", "ids": [5, 6], "decision": "reject"}


def write_decisions(
    path: Path, *decisions: dict[str, Any], register: list[dict[str, Any]] = REGISTER
) -> Path:
    """A decisions file as the report exports it, with the records as they are in ``register``."""
    used = {i for d in decisions for i in d["ids"]}
    records = [
        {"id": r["id"], "fingerprint": fingerprint(r), "identity": identity(r)}
        for r in register
        if r["id"] in used
    ]
    doc = {
        "format": "enricher.merge-decisions",
        "version": 1,
        "reportId": "test",
        "records": records,
        "decisions": list(decisions),
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Sandbox:
    return sandbox_factory([dict(r) for r in REGISTER])


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[FlowtlyClient]:
    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff(0)) as c:
        yield c


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDecisionStore]:
    s = SqliteDecisionStore(tmp_path / "state" / "decisions.sqlite3")
    yield s
    s.close()


def statuses(summary: Any) -> list[tuple[RecordId, RecordId, str]]:
    return [(o.survivor, o.source, o.status) for o in summary.outcomes]


def test_dry_run_describes_and_changes_nothing(tmp_path, sandbox, client, store) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX, REJECT_INITECH)
    audit = tmp_path / "audit.jsonl"
    summary = apply_merges(client, path, execute=False, store=store, audit_path=audit)
    assert statuses(summary) == [(7, 1, "would-apply"), (7, 9, "would-apply"), (3, 4, "would-apply")]
    assert summary.rejected == [(5, 6)]
    assert sandbox.store.merges_applied == 0 and len(sandbox.store.counterparties) == len(REGISTER)
    assert store.decisions() == [] and store.applied_merges() == []
    assert not audit.exists()
    text = "\n".join(summary.lines())
    assert "dry run" in text and "would merge: 1 into 7" in text and "would be recorded" in text


def test_an_approved_merge_is_applied_once_even_when_apply_runs_twice(
    tmp_path, sandbox, client, store
) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX)
    audit = tmp_path / "audit.jsonl"
    first = apply_merges(client, path, execute=True, store=store, audit_path=audit)
    # 9 merges into 7 after 1 did: the first merge changed 7, and that is not taken for a stale record.
    assert statuses(first) == [(7, 1, "applied"), (7, 9, "applied"), (3, 4, "applied")]
    assert first.ok
    assert sandbox.store.merge_log == [(7, 1), (7, 9), (3, 4)]
    assert {r["id"] for r in sandbox.store.counterparties} == {3, 5, 6, 7, 8, 10}

    second = apply_merges(client, path, execute=True, store=store, audit_path=audit)
    assert [o.status for o in second.outcomes] == ["already-applied"] * 3
    assert sandbox.store.merges_applied == 3

    # A fresh store (another machine without the state) still never merges twice: the source is gone.
    with SqliteDecisionStore(tmp_path / "other.sqlite3") as fresh:
        third = apply_merges(client, path, execute=True, store=fresh, audit_path=audit)
    assert [o.status for o in third.outcomes] == ["vanished"] * 3
    assert "no longer exists" in third.outcomes[0].reason
    assert sandbox.store.merges_applied == 3


def test_the_audit_log_holds_every_applied_merge_with_the_pre_merge_state(
    tmp_path, sandbox, client, store
) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX)
    audit = tmp_path / "audit.jsonl"
    before = {r["id"]: dict(r) for r in sandbox.store.counterparties}
    apply_merges(client, path, execute=True, store=store, audit_path=audit)
    applied = AuditLog(audit).events("merge.applied")
    assert [(e["survivor"], e["source"]) for e in applied] == [(7, 1), (7, 9), (3, 4)]
    for event in applied:
        source_state = Counterparty.model_validate(before[event["source"]]).api_dict()
        assert event["sourcePreMerge"] == source_state
        assert event["decisionsFile"] == str(path.resolve())
        assert event["reportId"] == "test" and event["at"].endswith("Z")
        assert event["response"]["id"] == event["survivor"]
    assert applied[0]["survivorPreMerge"] == Counterparty.model_validate(before[7]).api_dict()
    # The survivor gained the source's missing fields (street from 1): the answer shows it.
    assert applied[0]["response"]["addressStreetLine"] == "ul. Prosta"
    # Each merge was announced before the call.
    events = [e["event"] for e in AuditLog(audit)]
    assert events == ["merge.attempt", "merge.applied"] * 3


def test_a_rejected_pair_is_stored_never_applied_and_never_proposed_again(
    tmp_path, sandbox, client, store
) -> None:
    path = write_decisions(tmp_path / "d.json", REJECT_INITECH, GLOBEX)
    records = [Counterparty.model_validate(r) for r in sandbox.store.counterparties]
    assert (5, 6) in {(c.a, c.b) for c in match(records).candidates}

    apply_merges(client, path, execute=False, store=store, audit_path=tmp_path / "a.jsonl")
    assert store.judgement(5, 6) is None  # a dry run records nothing

    summary = apply_merges(client, path, execute=True, store=store, audit_path=tmp_path / "a.jsonl")
    assert summary.rejected == [(5, 6)]
    assert store.judgement(6, 5) is Judgement.REJECTED
    assert {5, 6} <= {r["id"] for r in sandbox.store.counterparties}
    assert all(5 not in pair and 6 not in pair for pair in sandbox.store.merge_log)

    again = [Counterparty.model_validate(r) for r in sandbox.store.counterparties]
    pairs = {(c.a, c.b) for c in match(again, decisions=store).candidates}
    assert (5, 6) not in pairs
    # The applied pair is gone from the register, and the store would hide it anyway.
    assert store.judgement(3, 4) is Judgement.APPROVED


def test_a_record_changed_since_the_report_is_skipped_with_the_reason(
    tmp_path, sandbox, client, store
) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX)
    client.patch_counterparty(9, {"name": "ACME Polska Holding"})  # someone edited it after the report
    client.patch_counterparty(4, {"logoUrl": "https://globex.example/logo.png"})  # enrichment: not identity
    summary = apply_merges(client, path, execute=True, store=store, audit_path=tmp_path / "a.jsonl")
    assert statuses(summary) == [(7, 1, "applied"), (7, 9, "stale"), (3, 4, "applied")]
    reason = summary.outcomes[1].reason
    assert "source 9" in reason and "name 'ACME Polska' -> 'ACME Polska Holding'" in reason
    assert sandbox.store.counterparties.get(9) is not None
    assert summary.ok  # a stale record is reported, not a failure


def test_a_vanished_record_is_reported_and_nothing_is_merged(tmp_path, sandbox, client, store) -> None:
    path = write_decisions(tmp_path / "d.json", GLOBEX, {**CLUSTER, "ids": [7, 1], "kind": "pair"})
    client.delete_counterparty(4)
    client.delete_counterparty(7)
    summary = apply_merges(client, path, execute=True, store=store, audit_path=tmp_path / "a.jsonl")
    assert statuses(summary) == [(3, 4, "vanished"), (7, 1, "vanished")]
    assert "source 4 no longer exists" in summary.outcomes[0].reason
    assert "survivor 7 no longer exists" in summary.outcomes[1].reason
    assert sandbox.store.merges_applied == 0
    assert sandbox.store.counterparties.get(1) is not None


class FailingOnce(FlowtlyClient):
    """A real client whose n-th merge meets a real HTTP 500 from the sandbox (its fault switch)."""

    def __init__(self, sandbox: Sandbox, fail_at: int) -> None:
        super().__init__(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff(0))
        self.sandbox, self.fail_at, self.merges = sandbox, fail_at, 0

    def merge_counterparties(self, survivor_id: RecordId, source_id: RecordId) -> Counterparty:
        self.merges += 1
        if self.merges == self.fail_at:
            self.sandbox.faults.burst_500 = 1  # the very next request, this merge, gets a 500
        return super().merge_counterparties(survivor_id, source_id)


def test_an_api_error_mid_batch_leaves_the_rest_applied_and_a_rerun_completes(
    tmp_path, sandbox, store
) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX)
    audit = tmp_path / "a.jsonl"
    with FailingOnce(sandbox, fail_at=2) as flaky:
        first = apply_merges(flaky, path, execute=True, store=store, audit_path=audit)
    assert statuses(first) == [(7, 1, "applied"), (7, 9, "failed"), (3, 4, "applied")]
    assert "500" in first.outcomes[1].reason
    assert not first.ok and any("run the same command again" in line for line in first.lines())
    assert sandbox.store.merge_log == [(7, 1), (3, 4)]
    assert [e["source"] for e in AuditLog(audit).events("merge.failed")] == [9]

    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff(0)) as client:
        second = apply_merges(client, path, execute=True, store=store, audit_path=audit)
    assert statuses(second) == [(7, 1, "already-applied"), (7, 9, "applied"), (3, 4, "already-applied")]
    assert second.ok
    assert sandbox.store.merge_log == [(7, 1), (3, 4), (7, 9)]
    assert [(e["survivor"], e["source"]) for e in AuditLog(audit).events("merge.applied")] == [
        (7, 1),
        (3, 4),
        (7, 9),
    ]


def test_an_authentication_failure_stops_the_batch(tmp_path, sandbox, store) -> None:
    path = write_decisions(tmp_path / "d.json", CLUSTER, GLOBEX)
    with FlowtlyClient(sandbox.api_url, token="wrong", timeout=10.0, backoff=fast_backoff(0)) as client:
        summary = apply_merges(client, path, execute=True, store=store, audit_path=tmp_path / "a.jsonl")
    assert len(summary.outcomes) == 1 and summary.outcomes[0].status == "failed"
    assert summary.aborted and "authentication" in summary.aborted
    assert "wrong" not in "\n".join(summary.lines())  # the token never reaches the output
    assert sandbox.store.merges_applied == 0
