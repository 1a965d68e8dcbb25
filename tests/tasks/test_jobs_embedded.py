"""Embedded mode: without ENRICHER_REDIS_URL, ``enricher jobs run`` runs the same jobs in-process.

State goes to files under ENRICHER_STATE_DIR; the sandbox and a loopback website are real servers.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_server import Site

from enricher.cli import main
from enricher.flowtly import Sandbox, running_sandbox
from enricher.flowtly.testing import SMALL_REGISTER

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Sandbox, Site, Path]]:
    site = Site(slow_seconds=0.1)
    register = copy.deepcopy(SMALL_REGISTER)
    with site.running(), running_sandbox(register, token="emb-token") as sandbox:
        for name in list(os.environ):
            if name.startswith("ENRICHER_"):
                monkeypatch.delenv(name)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
        monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", "emb-token")
        monkeypatch.setenv("ENRICHER_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("ENRICHER_OUT_DIR", str(tmp_path / "out"))
        monkeypatch.setenv("ENRICHER_FETCH_ALLOW_HOSTS", "127.0.0.1")
        yield sandbox, site, tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(["jobs", "run", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_match_all_then_report_in_process(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, tmp = embedded
    out = run(capsys, "match-all")
    assert out["candidates"] >= 1 and out["clusters"] >= 1
    pairs = json.loads((tmp / "state" / "candidates.json").read_text())
    assert "1|2" in pairs and pairs["1|2"]["band"] == "merge"
    run(capsys, "report")
    assert (tmp / "out" / "review.html").is_file()
    report = json.loads((tmp / "out" / "candidates.json").read_text())
    assert [sorted(c["ids"]) for c in report["clusters"]] == [[1, 2]]


def test_match_one_records_its_candidates(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "match-one", "2")
    assert [(p["a"], p["b"]) for p in out["2"]] == [(2, 1)]
    assert run(capsys, "match-one", "999") == {"999": []}  # gone: nothing recorded, no error


def test_enrich_one_fills_once(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, site, _ = embedded
    sandbox.store.counterparties.load([{"id": 50, "name": "Acme Widgets", "corporateWebsiteUrl": site.url}])
    run(capsys, "enrich-one", "50")
    run(capsys, "enrich-one", "50")  # a second run finds the fields filled and patches nothing
    stats = sandbox.store.stats()
    assert stats["patches_applied"] == 1
    assert site.hits["/"] == 1


def test_enrich_one_passes_the_register_name_as_evidence(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A page declaring two brands equally: the job's known legal name (minus its form) decides."""
    sandbox, site, _ = embedded
    page = site.url + "two-brands/"
    sandbox.store.counterparties.load(
        [
            {"id": 61, "name": "ORBIS TOOLS SP. Z O.O.", "corporateWebsiteUrl": page},
            {"id": 62, "name": "Vectora S.A.", "corporateWebsiteUrl": page},
        ]
    )
    run(capsys, "enrich-one", "61")
    run(capsys, "enrich-one", "62")
    assert sandbox.store.counterparties.get(61)["displayName"] == "Orbis Tools"
    assert sandbox.store.counterparties.get(62)["displayName"] == "Vectora"


def test_brand_url_passes_the_known_name_as_evidence(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, site, _ = embedded
    page = site.url + "two-brands/"
    assert main(["brand", page]) == 0
    assert json.loads(capsys.readouterr().out)["displayName"] == "Vectora"
    assert main(["brand", page, "--name", "ORBIS TOOLS SP. Z O.O."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["displayName"] == "Orbis Tools"
    assert out["candidates"] and all(c["reasons"] for c in out["candidates"])


def test_worker_commands_need_redis(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["worker"]) == 2
    assert "ENRICHER_REDIS_URL" in capsys.readouterr().err


def test_job_ids_are_read_as_the_api_reads_them(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13: one reading of ids, also on the command line (was its own digits-only parse)."""
    out = run(capsys, "match-one", "/counterparties/2")
    assert [(p["a"], p["b"]) for p in out["2"]] == [(2, 1)]
    assert main(["jobs", "run", "match-one", " "]) == 2
    assert "ID" in capsys.readouterr().err


def test_enrich_one_with_the_flowtly_ai_provider_setting(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, site, _ = embedded
    monkeypatch.setenv("ENRICHER_ENRICH_PROVIDER", "flowtly-ai")
    sandbox.store.counterparties.load(
        [{"id": 51, "name": "Acme Widgets Ltd", "corporateWebsiteUrl": site.url}]
    )
    run(capsys, "enrich-one", "51")
    assert sandbox.store.ai_enriched[51] == 1
    assert site.hits.get("/", 0) == 0  # our fetcher was not used
    assert sandbox.store.counterparties.get(51)["displayName"] == "Acme Widgets"  # type: ignore[index]


def test_the_report_job_has_the_client_section(
    embedded: tuple[Sandbox, Site, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from enricher.flowtly.testing import SMALL_CLIENTS

    sandbox, _, tmp = embedded
    for client in copy.deepcopy(SMALL_CLIENTS):
        contacts = client.pop("clientContacts")
        sandbox.store.clients.load([client])
        sandbox.store.contacts.load({**c, "client": f"/clients/{client['id']}"} for c in contacts)
    run(capsys, "match-all")
    run(capsys, "report")
    section = json.loads((tmp / "out" / "candidates.json").read_text())["clients"]
    assert section["stats"]["pairs"] == 1 and section["stats"]["links"] == 2
    assert (tmp / "out" / "clients.csv").is_file()
    sandbox.faults.update({"rate_500": 1.0})  # the clients cannot be read: the report is written without them
    run(capsys, "report")
    assert json.loads((tmp / "out" / "candidates.json").read_text())["clients"] is None
