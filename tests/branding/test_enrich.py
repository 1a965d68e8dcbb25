"""Write-back against the real sandbox, with websites served by the loopback fixture sites."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "sites"))
from sites_server import SitesServer, running_sites, sites_resolver

from enricher.branding.enrich import (
    EnrichOutcome,
    EnrichSummary,
    enrich_all,
    enrich_counterparty,
    website_url,
)
from enricher.branding.fetch import SafeFetcher
from enricher.cli import main as cli_main
from enricher.config import Settings, load_settings
from enricher.flowtly import FlowtlyClient, Sandbox
from enricher.flowtly.testing import fast_backoff

OLD_LOGO = "https://cdn.example/old-logo.png"


@pytest.fixture(scope="module")
def sites() -> Iterator[SitesServer]:
    with running_sites() as server:
        yield server


def register(sites: SitesServer) -> list[dict[str, Any]]:
    return [
        {"id": 1, "name": "Kowalski Trans Sp. z o.o.", "corporateWebsiteUrl": sites.url("basic")},
        {"id": 2, "name": "Vectora S.A.", "corporateWebsiteUrl": sites.url("svg-only"), "logoUrl": OLD_LOGO},
        {
            "id": 3,
            "name": "Graphtech",
            "corporateWebsiteUrl": sites.url("jsonld-graph"),
            "logoUrl": OLD_LOGO,
            "displayName": "Graphtech (typed by hand)",
        },
        {"id": 4, "name": "Jan Kowalski", "corporateWebsiteUrl": None},
        {"id": 5, "name": "Walled Garden", "corporateWebsiteUrl": sites.url("bot-wall")},
        {"id": 6, "name": "Robotless", "corporateWebsiteUrl": sites.url("robots-disallow")},
        {"id": 7, "name": "Jan Malinowski", "corporateWebsiteUrl": sites.url("no-logo"), "displayName": "JM"},
        {"id": 8, "name": "Loopback Ltd", "corporateWebsiteUrl": sites.url("redirect-loopback")},
        {"id": 9, "name": "Eko-Pol", "corporateWebsiteUrl": sites.url("data-logo"), "displayName": "Eko-Pol"},
        {"id": 10, "name": "Tiny Sp. j.", "corporateWebsiteUrl": sites.url("tiny-icon")},
    ]


@pytest.fixture
def world(
    sites: SitesServer, sandbox_factory: Callable[..., Sandbox]
) -> Iterator[tuple[Sandbox, FlowtlyClient, SitesServer]]:
    sandbox = sandbox_factory(register(sites))
    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff()) as client:
        yield sandbox, client, sites


def settings(**overrides: Any) -> Settings:
    return load_settings(fetch_concurrency=4, fetch_timeout=3.0, **overrides)


def run_all(client: FlowtlyClient, **options: Any) -> EnrichSummary:
    async def main() -> EnrichSummary:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver, timeout=3.0) as f:
            return await enrich_all(client, settings(), fetcher=f, **options)

    return asyncio.run(main())


def by_id(summary: EnrichSummary) -> dict[Any, EnrichOutcome]:
    return {o.id: o for o in summary.outcomes}


def stored(sandbox: Sandbox, record_id: int) -> dict[str, Any]:
    record = sandbox.store.counterparties.get(record_id)
    assert record is not None
    return record


def test_fills_only_empty_fields_and_reports_every_record(
    world: tuple[Sandbox, FlowtlyClient, SitesServer],
) -> None:
    sandbox, client, sites = world
    summary = run_all(client)
    out = by_id(summary)
    assert len(summary.outcomes) == 10

    one = stored(sandbox, 1)
    assert one["logoUrl"] == sites.url("basic", "/img/logo-240x80.png")
    assert one["displayName"] == "Kowalski Trans"
    assert out[1].status == "filled" and out[1].applied
    assert {p.field: p.signal for p in out[1].provenance} == {"logoUrl": "img", "displayName": "og:site_name"}
    assert all(p.page == sites.url("basic") and p.at for p in out[1].provenance)

    two = stored(sandbox, 2)
    assert two["logoUrl"] == OLD_LOGO  # set already: kept
    assert two["displayName"] == "Vectora"
    assert out[2].patch == {"displayName": "Vectora"}

    assert stored(sandbox, 3)["displayName"] == "Graphtech (typed by hand)"
    assert (out[3].status, out[3].reason) == ("unchanged", "logoUrl and displayName already set")
    assert (out[4].status, out[4].reason) == ("unchanged", "no website")
    assert out[5].status == "failed" and "HTTP 403" in (out[5].reason or "")
    assert out[6].status == "failed" and "robots" in (out[6].reason or "")
    assert out[7].status == "unchanged" and out[7].reason == "no usable logo or name found"
    assert out[8].status == "failed" and "loopback" in (out[8].reason or "")
    # Only an inline logo: a data: URI is not written into logoUrl.
    assert (out[9].status, out[9].reason) == ("unchanged", "only an inline (data:) logo found")
    assert stored(sandbox, 9).get("logoUrl") is None
    # A 16 px icon is no logo for a record, and there is no name on the page to write either.
    assert (out[10].status, out[10].reason) == ("unchanged", "only icons smaller than 32 px found")

    assert sandbox.store.patches_applied == 2
    assert summary.counts() == {"total": 10, "filled": 2, "unchanged": 5, "failed": 3}
    assert summary.reasons("failed") == {
        "HTTP 403": 1,
        "disallowed by robots.txt": 1,
        "refused address 127.0.0.1 (loopback)": 1,
    }
    json.dumps(summary.to_dict())  # the run output is JSON as it stands


def test_overwrite_replaces_values_already_set(world: tuple[Sandbox, FlowtlyClient, SitesServer]) -> None:
    sandbox, client, sites = world
    summary = run_all(client, overwrite=True, ids=[2, 3])
    assert [o.status for o in summary.outcomes] == ["filled", "filled"]
    assert stored(sandbox, 2)["logoUrl"] == sites.url("svg-only", "/logo.svg")
    assert stored(sandbox, 3)["logoUrl"] == sites.url("jsonld-graph", "/brand/logo-256x256.png")
    assert stored(sandbox, 3)["displayName"] == "Graphtech"
    previous = {p.field: p.previous for p in by_id(summary)[3].provenance}
    assert previous == {"logoUrl": OLD_LOGO, "displayName": "Graphtech (typed by hand)"}


def test_dry_run_changes_nothing_but_reports_the_patches(
    world: tuple[Sandbox, FlowtlyClient, SitesServer],
) -> None:
    sandbox, client, _ = world
    before = {r["id"]: dict(r) for r in sandbox.store.counterparties}
    summary = run_all(client, dry_run=True)
    assert {r["id"]: dict(r) for r in sandbox.store.counterparties} == before
    assert sandbox.store.patches_applied == 0
    filled = by_id(summary)
    assert filled[1].status == "filled" and not filled[1].applied
    assert set(filled[1].patch) == {"logoUrl", "displayName"}
    assert summary.to_dict()["dryRun"] is True


def test_unknown_ids_are_reported_not_fatal(world: tuple[Sandbox, FlowtlyClient, SitesServer]) -> None:
    _, client, _ = world
    summary = run_all(client, ids=[1, 404])
    assert sorted((str(o.id), o.status) for o in summary.outcomes) == [("1", "filled"), ("404", "failed")]
    assert by_id(summary)[404].reason == "record not found"


def test_a_value_typed_meanwhile_is_not_overwritten(
    world: tuple[Sandbox, FlowtlyClient, SitesServer],
) -> None:
    sandbox, client, _ = world
    listed = client.get_counterparty(1)  # read before someone edits the record
    client.patch_counterparty(1, {"displayName": "Typed Meanwhile"})

    async def main() -> EnrichOutcome:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver) as f:
            return await enrich_counterparty(client, listed, settings(), fetcher=f)

    outcome = asyncio.run(main())
    assert outcome.status == "filled" and set(outcome.patch) == {"logoUrl"}
    assert stored(sandbox, 1)["displayName"] == "Typed Meanwhile"


def test_api_failure_on_write_is_a_reported_failure(
    world: tuple[Sandbox, FlowtlyClient, SitesServer],
) -> None:
    sandbox, client, _ = world
    listed = client.get_counterparty(1)

    async def main() -> EnrichOutcome:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver) as f:
            return await enrich_counterparty(client, listed, settings(), fetcher=f)

    sandbox.faults.rate_500 = 1.0  # every API call fails, after the client's bounded retries
    try:
        outcome = asyncio.run(main())
    finally:
        sandbox.faults.rate_500 = 0.0
    assert outcome.status == "failed" and (outcome.reason or "").startswith("update failed")
    assert stored(sandbox, 1).get("logoUrl") is None


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("www.acme.pl", "https://www.acme.pl/"),
        ("https://acme.pl", "https://acme.pl/"),
        ("http://acme.pl/pl/", "http://acme.pl/pl/"),
        ("  ", None),
        (None, None),
        ("ftp://acme.pl", "ftp://acme.pl"),
    ],
)
def test_website_url(raw: str | None, url: str | None) -> None:
    assert website_url(raw) == url


def test_cli_enrich_on_the_embedded_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "register.jsonl"
    records = [
        {
            "id": 1,
            "name": "Kowalski Trans Sp. z o.o.",
            "corporateWebsiteUrl": "https://www.kowalski-trans.pl",
        },
        {"id": 2, "name": "Nobody", "corporateWebsiteUrl": None},
        *({"id": i, "name": f"Firma {i}", "corporateWebsiteUrl": f"firma-{i}.pl"} for i in range(3, 23)),
    ]
    data.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICHER_FLOWTLY_URL", raising=False)
    monkeypatch.setenv("ENRICHER_SANDBOX_DATA", str(data))
    assert cli_main(["enrich", "--dry-run"]) == 0
    captured = capsys.readouterr()
    patches = [json.loads(line) for line in captured.out.splitlines()]
    assert {"id": 1, "patch": {"logoUrl": "https://www.kowalski-trans.pl/assets/logo.svg",
                               "displayName": "Kowalski Trans"}} in patches  # fmt: skip
    assert "embedded demo" in captured.err and "would fill" in captured.err
    output = json.loads((tmp_path / "out" / "enrichment.json").read_text())
    assert output["counts"]["total"] == 22 and output["dryRun"] is True
    assert output["unchangedReasons"]["no website"] == 1
    assert output["counts"]["filled"] == len(patches)
    assert len(output["records"]) == 22
    kowalski = next(r for r in output["records"] if r["id"] == 1)
    assert {p["field"]: p["sourceUrl"] for p in kowalski["provenance"]} == {
        "logoUrl": "https://www.kowalski-trans.pl/assets/logo.svg",
        "displayName": "https://www.kowalski-trans.pl/",
    }


def test_counting_only_summary_keeps_no_outcomes(world: tuple[Sandbox, FlowtlyClient, SitesServer]) -> None:
    _, client, _ = world
    seen: list[EnrichOutcome] = []
    summary = run_all(client, dry_run=True, keep_outcomes=False, progress=seen.append)
    assert summary.outcomes == [] and len(seen) == 10
    assert summary.counts() == {"total": 10, "filled": 2, "unchanged": 5, "failed": 3}
    assert summary.reasons("unchanged")["no website"] == 1


def test_names_guessed_from_the_domain_or_our_own_name_are_not_written() -> None:
    from enricher.branding.enrich import _proposal
    from enricher.branding.online import BrandResult

    for source in ("domain", "known-name", None):
        brand = BrandResult(url="https://acme.example/", display_name="Acme", name_source=source)
        assert _proposal(brand, ["displayName"]) == {}
    brand = BrandResult(url="https://acme.example/", display_name="Acme", name_source="og:site_name")
    assert _proposal(brand, ["displayName"]) == {
        "displayName": ("Acme", "https://acme.example/", "og:site_name")
    }


def test_the_register_name_is_evidence_and_the_logo_choice_explains_itself(
    sites: SitesServer, sandbox_factory: Callable[..., Sandbox]
) -> None:
    """A site declaring two brands equally: each record's own legal name (minus its form) decides.
    The filled logo keeps its reasons in the run output."""
    sandbox = sandbox_factory(
        [
            {"id": 1, "name": "ORBIS TOOLS SP. Z O.O.", "corporateWebsiteUrl": sites.url("two-brands")},
            {"id": 2, "name": "Vectora S.A.", "corporateWebsiteUrl": sites.url("two-brands")},
        ]
    )
    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff()) as client:
        summary = run_all(client)
    assert stored(sandbox, 1)["displayName"] == "Orbis Tools"
    assert stored(sandbox, 2)["displayName"] == "Vectora"
    logo = next(p for p in by_id(summary)[1].provenance if p.field == "logoUrl")
    assert logo.reasons and logo.reasons[0]["hint"] == "page"
    assert any(r["hint"] == "size" and "240x80" in r["why"] for r in logo.reasons)
    record = json.loads(json.dumps(summary.to_dict()))["records"][0]
    assert record["provenance"][0]["reasons"] or record["provenance"][1]["reasons"]
