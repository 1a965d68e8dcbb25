"""The report's client section and ``enricher clients notes`` against the sandbox: duplicate clients
with contact evidence, clients that are also counterparties, notes left once and audited."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enricher.cli import main
from enricher.flowtly import Sandbox
from enricher.flowtly.testing import SMALL_CLIENTS, SMALL_REGISTER
from enricher.review import AuditLog, note_marker

pytestmark = pytest.mark.integration


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_factory: Callable[..., Sandbox]
) -> Sandbox:
    sandbox = sandbox_factory(copy.deepcopy(SMALL_REGISTER), clients=copy.deepcopy(SMALL_CLIENTS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICHER_REDIS_URL", raising=False)
    monkeypatch.setenv("ENRICHER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    return sandbox


def decisions(path: Path, items: list[dict[str, Any]]) -> Path:
    body = {"format": "enricher.merge-decisions", "version": 1, "reportId": "r", "generatedAt": "x"}
    path.write_text(json.dumps({**body, "records": [], "decisions": [], "clientDecisions": items}), "utf-8")
    return path


def test_report_has_a_client_section_and_a_clients_csv(world: Sandbox, tmp_path: Path, capsys: Any) -> None:
    assert main(["report"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == ["out/review.html", "out/candidates.csv", "out/candidates.json", "out/clients.csv"]
    section = json.loads((tmp_path / "out" / "candidates.json").read_text("utf-8"))["clients"]
    records = section["records"]
    pairs = {frozenset((records[p["a"]]["id"], records[p["b"]]["id"])): p for p in section["pairs"]}
    assert set(pairs) == {frozenset((1, 2))}
    assert any("contact person Anna Nowak" in e[3] for e in pairs[frozenset((1, 2))]["ev"])
    assert "a.nowak@northwind.pl" in " ".join(records[pairs[frozenset((1, 2))]["b"]]["contacts"])
    assert {(link["client"], link["counterparty"]) for link in section["links"]} == {(5, 1), (5, 2)}
    assert section["stats"] == {"clients": 5, "contacts": 5, "pairs": 1, "links": 2}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "clients.csv").read_text("utf-8-sig"))))
    assert [(r["kind"], r["a"], r["b"]) for r in rows] == [
        ("client-duplicate", "1", "2"),
        ("client-counterparty", "5", "1"),
        ("client-counterparty", "5", "2"),
    ]
    assert '"clients":' in (tmp_path / "out" / "review.html").read_text("utf-8")
    # Clients turned off: no section, and no stale clients.csv beside the new report.
    world.store.clients.delete(5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENRICHER_REPORT_CLIENTS", "false")
        assert main(["report"]) == 0
    assert not (tmp_path / "out" / "clients.csv").exists()
    assert json.loads((tmp_path / "out" / "candidates.json").read_text("utf-8"))["clients"] is None


def test_notes_for_approved_duplicates_are_written_once_and_audited(
    world: Sandbox, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = decisions(
        tmp_path / "d.json",
        [
            {"a": 2, "b": "1", "decision": "approve"},
            {"a": 1, "b": 2, "decision": "approve"},  # the same pair again: one note each
            {"a": 3, "b": 4, "decision": "reject"},
        ],
    )
    assert main(["clients", "notes", "--decisions", str(path)]) == 0  # dry run
    assert "2 would be written" in capsys.readouterr().out
    assert len(world.store.notes) == 0
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 2  # no employee set
    assert "ENRICHER_FLOWTLY_EMPLOYEE" in capsys.readouterr().err
    monkeypatch.setenv("ENRICHER_FLOWTLY_EMPLOYEE", "/employees/7")
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 0
    assert "2 written" in capsys.readouterr().out
    notes = {n["client"]: n for n in world.store.notes}
    assert set(notes) == {"/clients/1", "/clients/2"}
    assert notes["/clients/1"]["employee"] == "/employees/7"
    assert "client 2 (Nortwind Trading)" in notes["/clients/1"]["note"]
    assert note_marker(1, 2) in notes["/clients/2"]["note"] and note_marker(2, 1) == note_marker(1, 2)
    # Again: found, not written twice.
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 0
    assert "0 written, 0 failed, 2 already there" in capsys.readouterr().out
    assert len(world.store.notes) == 2
    events = [e["event"] for e in AuditLog(tmp_path / "state" / "merge-audit.jsonl")]
    assert events.count("client-note.attempt") == 2 and events.count("client-note.applied") == 2
    assert events.count("client-note.skipped") == 2


def test_a_failed_note_is_reported_and_written_on_the_next_run(
    world: Sandbox, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENRICHER_FLOWTLY_EMPLOYEE", "/employees/7")
    path = decisions(tmp_path / "d.json", [{"a": 1, "b": 99, "decision": "approve"}])  # 99 is no client
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 1
    out = capsys.readouterr().out
    assert "1 written, 1 failed" in out and "client 99: failed" in out
    assert [n["client"] for n in world.store.notes] == ["/clients/1"]
    world.store.clients.put({"id": 99, "name": "Late Client"})
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 0
    assert "1 written, 0 failed, 1 already there" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"a": 1, "b": 1, "decision": "approve"}], "duplicate of itself"),
        ([{"a": 1, "b": 2, "decision": "merge"}], "approve, reject or skip"),
        ([{"a": True, "b": 2, "decision": "approve"}], "clientDecisions #1"),
    ],
)
def test_a_bad_client_decision_is_refused_before_anything_is_written(
    world: Sandbox, tmp_path: Path, capsys: Any, items: list[dict[str, Any]], message: str
) -> None:
    path = decisions(tmp_path / "d.json", items)
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 2
    assert message in capsys.readouterr().err
    assert world.store.requests.total() == 0


def test_the_embedded_demo_reports_the_bundled_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("ENRICHER_FLOWTLY_URL", "ENRICHER_REDIS_URL", "ENRICHER_SANDBOX_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENRICHER_STATE_DIR", str(tmp_path / "state"))
    assert main(["report"]) == 0
    assert "out/clients.csv" in capsys.readouterr().out.split()
    section = json.loads((tmp_path / "out" / "candidates.json").read_text("utf-8"))["clients"]
    assert section["stats"]["clients"] == 150
    truth = dict(
        line.split(",")
        for line in (Path(__file__).parents[2] / "src/enricher/data/sample_clients_truth.csv")
        .read_text("utf-8")
        .split()[1:]
    )
    records = section["records"]
    found = [(str(records[p["a"]]["id"]), str(records[p["b"]]["id"])) for p in section["pairs"]]
    right = sum(1 for a, b in found if truth[a] == truth[b])
    assert len(found) >= 10 and right / len(found) >= 0.8, (right, len(found))
    assert len(section["links"]) >= 10


def test_a_rejected_client_pair_is_not_proposed_again(
    world: Sandbox, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENRICHER_FLOWTLY_EMPLOYEE", "/employees/7")
    path = decisions(tmp_path / "d.json", [{"a": 1, "b": 2, "decision": "reject"}])
    assert main(["clients", "notes", "--decisions", str(path)]) == 0  # a dry run remembers nothing
    assert main(["report"]) == 0
    assert json.loads((tmp_path / "out" / "candidates.json").read_text("utf-8"))["clients"]["pairs"]
    assert main(["clients", "notes", "--decisions", str(path), "--execute"]) == 0
    assert len(world.store.notes) == 0  # a rejection writes nothing to Flowtly
    assert (tmp_path / "state" / "client-decisions.sqlite3").is_file()
    from enricher.state.decisions import SqliteDecisionStore

    with SqliteDecisionStore(tmp_path / "state" / "decisions.sqlite3") as counterparties:
        assert counterparties.pairs() == []  # client ids never land among the counterparties' decisions
    capsys.readouterr()
    assert main(["report"]) == 0
    assert json.loads((tmp_path / "out" / "candidates.json").read_text("utf-8"))["clients"]["pairs"] == []


def test_contacts_embedded_by_the_api_count_once() -> None:
    from enricher.flowtly import Client, ClientContact
    from enricher.review import fetch_clients

    class Api:
        def iter_clients(self) -> list[Client]:
            listed = {"id": 1, "name": "A", "clientContacts": [{"id": 9, "email": "x@a.pl"}]}
            only_here = {"id": 2, "name": "B", "clientContacts": [{"email": "y@b.pl"}, "/client-contacts/3"]}
            return [Client.model_validate(listed), Client.model_validate(only_here)]

        def iter_client_contacts(self) -> list[ClientContact]:
            return [ClientContact.model_validate({"id": 9, "client": "/clients/1", "email": "x@a.pl"})]

    data = fetch_clients(Api())
    assert sorted((c.client, c.email) for c in data.contacts) == [(1, "x@a.pl"), (2, "y@b.pl")]


def test_notes_are_right_even_when_the_api_ignores_the_notes_filter(world: Sandbox, tmp_path: Path) -> None:
    from enricher.review import leave_client_notes

    class Unfiltered:
        """The real client against the sandbox, but every notes listing is unfiltered."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def iter_client_notes(self, **params: Any) -> Any:
            return self.inner.iter_client_notes()

    path = decisions(tmp_path / "d.json", [{"a": 1, "b": 2, "decision": "approve"}])
    with world.client() as inner:
        api = Unfiltered(inner)
        for _ in range(2):
            leave_client_notes(
                api, path, employee="/employees/1", execute=True, audit_path=tmp_path / "a.jsonl"
            )
    assert sorted(n["client"] for n in world.store.notes) == ["/clients/1", "/clients/2"]
