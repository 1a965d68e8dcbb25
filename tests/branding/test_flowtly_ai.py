"""Flowtly's AI branding as a provider (``--provider flowtly-ai`` and ``auto``) against the sandbox's
simulated endpoints, with our fetcher reading the loopback fixture sites."""

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

from enricher.branding.enrich import EnrichOutcome, EnrichSummary, enrich_all, enrich_counterparty
from enricher.branding.fetch import SafeFetcher
from enricher.cli import main as cli_main
from enricher.config import load_settings
from enricher.flowtly import FlowtlyClient, Sandbox
from enricher.flowtly.contract import BULK_ENRICH_MAX
from enricher.flowtly.sandbox.simulate import AI_LOGO_HOST
from enricher.flowtly.testing import fast_backoff

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sites() -> Iterator[SitesServer]:
    with running_sites() as server:
        yield server


def register(sites: SitesServer) -> list[dict[str, Any]]:
    return [
        {"id": 1, "name": "Kowalski Trans Sp. z o.o.", "corporateWebsiteUrl": sites.url("basic")},
        {"id": 2, "name": "Walled Garden GmbH", "corporateWebsiteUrl": sites.url("bot-wall")},
        {"id": 3, "name": "Jan Kowalski", "corporateWebsiteUrl": None},
        {
            "id": 4,
            "name": "Done S.A.",
            "corporateWebsiteUrl": "https://done.example",
            "logoUrl": "https://done.example/l.png",
            "displayName": "Done",
        },
        {
            "id": 5,
            "name": "Plain Site Ltd",
            "corporateWebsiteUrl": sites.url("no-logo"),
            "displayName": "Plain",
        },
    ]


@pytest.fixture
def world(
    sites: SitesServer, sandbox_factory: Callable[..., Sandbox]
) -> Iterator[tuple[Sandbox, FlowtlyClient]]:
    sandbox = sandbox_factory(register(sites))
    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff()) as client:
        yield sandbox, client


def run_all(client: FlowtlyClient, **options: Any) -> EnrichSummary:
    async def main() -> EnrichSummary:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver, timeout=3.0) as f:
            return await enrich_all(client, load_settings(fetch_concurrency=4), fetcher=f, **options)

    return asyncio.run(main())


def by_id(summary: EnrichSummary) -> dict[Any, EnrichOutcome]:
    return {o.id: o for o in summary.outcomes}


def test_flowtly_ai_brands_in_bulk_rereads_and_records_provenance(
    world: tuple[Sandbox, FlowtlyClient],
) -> None:
    sandbox, client = world
    summary = run_all(client, provider="flowtly-ai")
    got = by_id(summary)
    assert summary.provider == "flowtly-ai"
    assert sandbox.store.requests["POST /counterparties/enrich-branding-ai"] == 1  # one bulk call
    assert sandbox.store.requests["POST /counterparties/{id}/enrich-branding-ai"] == 0
    filled = got[1]
    assert filled.status == "filled" and filled.applied
    assert filled.patch["displayName"] == "Kowalski Trans"
    assert filled.patch["logoUrl"].startswith(f"https://{AI_LOGO_HOST}/")
    assert {p.provider for p in filled.provenance} == {"flowtly-ai"}
    assert {p.signal for p in filled.provenance} == {"flowtly-ai"}
    assert filled.provenance[0].source_url == "/counterparties/1/enrich-branding-ai"
    assert filled.provenance[0].previous is None
    assert got[3].status == "unchanged" and got[3].reason == "Flowtly's AI found nothing"  # no website
    assert got[4].reason == "logoUrl and displayName already set"
    assert set(sandbox.store.ai_enriched) == {1, 2, 3, 5}  # 4 needed nothing: not asked
    assert got[5].patch == {"logoUrl": got[5].patch["logoUrl"]}  # its typed displayName stays
    assert sandbox.store.counterparties.get(5)["displayName"] == "Plain"  # type: ignore[index]
    assert summary.header()["provider"] == "flowtly-ai"


def test_flowtly_ai_dry_run_never_asks(world: tuple[Sandbox, FlowtlyClient]) -> None:
    sandbox, client = world
    summary = run_all(client, provider="flowtly-ai", dry_run=True)
    assert summary.counts()["filled"] == 0
    assert sandbox.store.ai_enriched == {}
    assert by_id(summary)[1].reason.startswith("dry run")  # type: ignore[union-attr]


def test_auto_uses_ours_first_and_flowtly_only_where_ours_found_nothing(
    world: tuple[Sandbox, FlowtlyClient],
) -> None:
    sandbox, client = world
    got = by_id(run_all(client, provider="auto"))
    ours = got[1]  # the fixture site has a logo and a name: our fetcher fills it, Flowtly is not asked
    assert ours.status == "filled" and {p.provider for p in ours.provenance} == {"ours"}
    assert AI_LOGO_HOST not in ours.patch["logoUrl"]
    walled = got[2]  # the bot wall refuses our fetcher: Flowtly's AI fills it
    assert walled.status == "filled" and {p.provider for p in walled.provenance} == {"flowtly-ai"}
    assert walled.reason is not None and walled.reason.startswith("our fetcher:")
    assert got[3].status == "unchanged" and "Flowtly's AI: Flowtly's AI found nothing" in (
        got[3].reason or ""
    )
    assert 1 not in sandbox.store.ai_enriched and 4 not in sandbox.store.ai_enriched
    assert sandbox.store.ai_enriched[2] == 1


def test_one_record_uses_the_per_record_endpoint_and_a_missing_record_fails_alone(
    world: tuple[Sandbox, FlowtlyClient],
) -> None:
    sandbox, client = world
    record = client.get_counterparty(2)

    async def one() -> EnrichOutcome:
        return await enrich_counterparty(client, record, load_settings(enrich_provider="flowtly-ai"))

    outcome = asyncio.run(one())
    assert outcome.status == "filled" and outcome.patch["displayName"] == "Walled Garden"
    assert sandbox.store.requests["POST /counterparties/{id}/enrich-branding-ai"] == 1
    sandbox.store.counterparties.delete(2)
    again = asyncio.run(one())
    assert again.status == "failed" and again.reason == "record no longer exists"


def test_a_record_gone_since_the_listing_falls_back_to_one_call_each(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    records = [
        {"id": i, "name": f"Firma {i} Sp. z o.o.", "corporateWebsiteUrl": f"https://firma{i}.pl"}
        for i in range(1, 6)
    ]
    sandbox = sandbox_factory(records)
    with sandbox.client(backoff=fast_backoff()) as client:
        from enricher.branding.flowtly_ai import brand_with_flowtly_ai

        listed = list(client.iter_counterparties())
        sandbox.store.counterparties.delete(3)
        outcomes = brand_with_flowtly_ai(client, listed)
    assert [o.status for o in outcomes] == ["filled", "filled", "failed", "filled", "filled"]
    assert sandbox.store.requests["POST /counterparties/enrich-branding-ai"] == 1  # refused: 422
    assert sandbox.store.requests["POST /counterparties/{id}/enrich-branding-ai"] == 5


def test_cli_provider_flowtly_ai_on_a_large_register_sends_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox_factory: Any
) -> None:
    count = BULK_ENRICH_MAX * 2 + 5
    records = [
        {"id": i, "name": f"Firma {i} Sp. z o.o.", "corporateWebsiteUrl": f"https://firma{i}.pl"}
        for i in range(1, count + 1)
    ]
    sandbox = sandbox_factory(records)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    assert cli_main(["enrich", "--provider", "flowtly-ai"]) == 0
    assert f"{count} counterparties (flowtly-ai): filled {count}" in capsys.readouterr().err
    assert sandbox.store.requests["POST /counterparties/enrich-branding-ai"] == 3
    output = json.loads((tmp_path / "out" / "enrichment.json").read_text("utf-8"))
    assert output["provider"] == "flowtly-ai"
    assert {p["provider"] for r in output["records"] for p in r["provenance"]} == {"flowtly-ai"}
    # The worker's setting chooses the same provider.
    monkeypatch.setenv("ENRICHER_ENRICH_PROVIDER", "auto")
    assert load_settings().enrich_provider == "auto"
    monkeypatch.setenv("ENRICHER_ENRICH_PROVIDER", "magic")
    assert cli_main(["enrich"]) == 2
    assert "ENRICHER_ENRICH_PROVIDER" in capsys.readouterr().err
