"""The report in a real headless Chromium (Debian's package, driven by Playwright): it opens from a file,
filters, sorts, takes decisions by click and keyboard, exports them, and the export applies against the
sandbox. Screenshots land in ``test-artifacts/review/``."""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api

from enricher.cli import main
from enricher.flowtly import Counterparty, FlowtlyClient, Sandbox
from enricher.flowtly.testing import fast_backoff
from enricher.matching import Judgement
from enricher.review import apply_merges, branding_health, logo_reasons, write_report
from enricher.state.decisions import SqliteDecisionStore
from review._data import CONTRACT, PIXEL, REGISTER, big, records
from review.test_report import enrichment_with_logo_reasons

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = os.environ.get("ENRICHER_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def shot(page: Any, name: str, *, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def open_report(page: Any, html: Path) -> None:
    page.goto(html.resolve().as_uri())
    page.wait_for_selector("html[data-ready=true]", timeout=30_000)


def item_keys(page: Any) -> list[str]:
    return page.eval_on_selector_all("#list .item", "els => els.map(e => e.dataset.key)")


def export(page: Any, dest: Path, *, key: bool = False) -> dict[str, Any]:
    with page.expect_download() as info:
        if key:
            page.keyboard.press("e")
        else:
            page.click("#export")
    info.value.save_as(str(dest))
    assert info.value.suggested_filename.startswith("decisions-")
    return json.loads(dest.read_text(encoding="utf-8"))


def test_filters_sort_decide_by_click_and_keyboard_export_and_apply(
    tmp_path: Path, page: Any, sandbox_factory: Any
) -> None:
    recs = records()
    paths = write_report(CONTRACT, recs, tmp_path / "out", branding=branding_health(recs.values()))
    open_report(page, paths.html)
    assert item_keys(page) == ["[1,7,9]", "[3,4]", "[5,6]", "[8,10]"]
    assert "Showing 1–4 of 4" in page.inner_text("#summary")
    assert "Branding health" in page.inner_text("#health")
    # Records side by side, differences highlighted, evidence with explanation and weight.
    first = page.locator("#list .item").first
    assert first.locator("th.survivor").inner_text().count("ACME sp. z o. o.") == 1
    assert first.locator("tr[data-field=addressCity] td.diff").count() == 2
    assert first.locator("tr[data-field=tin] td.diff").count() == 0  # same tax id, other separators
    assert "Both records carry the same tax id." in first.inner_text()
    assert "+9.50" in first.inner_text()
    shot(page, "01-report", full=True)

    page.select_option("#f-band", "review")
    assert item_keys(page) == ["[5,6]", "[8,10]"]
    shot(page, "02-filter-review-band")
    page.select_option("#f-band", "")
    page.select_option("#f-country", "DE")
    assert item_keys(page) == ["[3,4]"]
    page.select_option("#f-country", "")
    page.fill("#f-min", "0.9")
    assert item_keys(page) == ["[1,7,9]", "[3,4]"]
    page.fill("#f-min", "0")
    page.fill("#f-search", "initech")
    page.wait_for_function("() => document.querySelectorAll('#list .item').length === 1")
    assert item_keys(page) == ["[5,6]"]
    page.fill("#f-search", "526-025-02-74")  # a tax id as typed elsewhere
    page.wait_for_function("() => document.querySelector('#list .item').dataset.key === '[1,7,9]'")
    page.fill("#f-search", "")
    page.wait_for_function("() => document.querySelectorAll('#list .item').length === 4")
    page.select_option("#f-sort", "score-asc")
    assert item_keys(page) == ["[8,10]", "[5,6]", "[3,4]", "[1,7,9]"]
    # By the survivor's name: ACME, Globex, Initech, Umbrella (matching's survivor rule makes 10 the
    # loose pair's survivor: it names its legal form).
    page.select_option("#f-sort", "name")
    assert item_keys(page) == ["[1,7,9]", "[3,4]", "[5,6]", "[8,10]"]
    page.select_option("#f-sort", "score-desc")

    # By click: approve the cluster.
    first.locator(".item-head button[data-decision=approve]").click()
    assert first.get_attribute("data-status") == "approve"
    # By keyboard: next item, make its second record (4) the survivor, approve; reject; skip.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("2")
    page.keyboard.press("a")
    page.keyboard.press("r")
    page.keyboard.press("s")
    statuses = page.eval_on_selector_all("#list .item", "els => els.map(e => e.dataset.status)")
    assert statuses == ["approve", "approve", "reject", "skip"]
    assert "4 of 4 decided · 2 approved · 1 rejected · 1 skipped" in page.inner_text("#progress")
    page.select_option("#f-decision", "approve")
    assert item_keys(page) == ["[1,7,9]", "[3,4]"]
    page.select_option("#f-decision", "")
    shot(page, "03-decided", full=True)

    # Decisions survive a reload of the page (kept in the browser until exported).
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    assert "4 of 4 decided" in page.inner_text("#progress")

    exported = export(page, tmp_path / "decisions.json", key=True)
    assert exported["format"] == "enricher.merge-decisions" and exported["version"] == 1
    got = [(d["kind"], d["ids"], d["decision"], d.get("survivor")) for d in exported["decisions"]]
    assert got == [
        ("cluster", [7, 1, 9], "approve", 7),
        ("pair", [3, 4], "approve", 4),
        ("pair", [5, 6], "reject", None),
        ("pair", [10, 8], "skip", None),  # survivor first: 10, by matching's survivor rule
    ]
    assert {r["id"] for r in exported["records"]} == {1, 3, 4, 5, 6, 7, 8, 9, 10}

    # The export round-trips into merges apply --execute against the sandbox.
    sandbox: Sandbox = sandbox_factory([dict(r) for r in REGISTER])
    with (
        FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff(0)) as client,
        SqliteDecisionStore(tmp_path / "decisions.sqlite3") as store,
    ):
        summary = apply_merges(
            client,
            tmp_path / "decisions.json",
            execute=True,
            store=store,
            audit_path=tmp_path / "audit.jsonl",
        )
        assert [(o.survivor, o.source, o.status) for o in summary.outcomes] == [
            (7, 1, "applied"),
            (7, 9, "applied"),
            (4, 3, "applied"),
        ]
        assert store.judgement(5, 6) is Judgement.REJECTED
    assert sandbox.store.merge_log == [(7, 1), (7, 9), (4, 3)]


def test_a_record_logo_says_why_enrichment_chose_it(tmp_path: Path, page: Any) -> None:
    recs = records()
    summary = enrichment_with_logo_reasons(tmp_path / "enrichment.json", recs[7].logoUrl or "")
    branding = {**branding_health(recs.values()), "logoReasons": logo_reasons(summary, recs.values())}
    paths = write_report(CONTRACT, recs, tmp_path / "out", branding=branding)
    open_report(page, paths.html)
    head = page.locator("#list .item").first.locator('th[data-record="7"]')
    why = head.locator(".logo-why")
    assert why.count() == 1 and not why.locator("ol").is_visible()
    why.locator("summary").click()
    items = why.locator("li").all_inner_texts()
    assert items == [
        "+38.7 What the page says about it scored 0.86: marked as a logo (+16).",
        "+15 Downloaded 240x80 pixels.",
    ]
    assert page.locator('th[data-record="1"] .logo-why').count() == 0
    shot(page, "logo-reasons")


def test_pair_decisions_inside_a_cluster_and_bulk_approval(tmp_path: Path, page: Any) -> None:
    recs = records()
    paths = write_report(CONTRACT, recs, tmp_path / "out")
    open_report(page, paths.html)
    cluster = page.locator("#list .item").first
    pairs = cluster.locator(".pair")
    assert pairs.count() == 2
    pairs.nth(0).locator(
        "button[data-decision=approve]"
    ).click()  # 1 <-> 9: survivor if alone is 1? no: 7 not in pair
    # By keyboard: select the cluster's second pair (1 <-> 7) and reject it.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("]")
    page.keyboard.press("]")
    assert pairs.nth(1).get_attribute("class").split().count("current") == 1
    page.keyboard.press("r")
    assert pairs.nth(1).get_attribute("data-status") == "reject"
    assert pairs.nth(0).get_attribute("data-status") == "approve"
    assert cluster.get_attribute("data-status") == "mixed"
    # Bulk: two clicks approve every undecided merge-band item in view (the cluster is decided per pair).
    page.click("#bulk")
    assert "Click again" in page.inner_text("#bulk")
    page.click("#bulk")
    statuses = page.eval_on_selector_all("#list .item", "els => els.map(e => e.dataset.status)")
    assert statuses == ["mixed", "approve", "none", "none"]
    exported = export(page, tmp_path / "d.json")
    got = [(d["kind"], d["ids"], d["decision"], d.get("survivor")) for d in exported["decisions"]]
    assert got == [
        ("pair", [1, 9], "approve", 1),
        ("pair", [1, 7], "reject", None),
        ("pair", [3, 4], "approve", 3),
    ]
    shot(page, "04-pair-decisions", full=True)


def test_ten_thousand_candidates_load_page_and_filter_quickly(tmp_path: Path, page: Any) -> None:
    contract, recs = big(10_000)
    models = {r["id"]: Counterparty.model_validate(r) for r in recs}
    paths = write_report(contract, models, tmp_path / "out", branding=branding_health(models.values()))
    started = time.perf_counter()
    open_report(page, paths.html)
    loaded = time.perf_counter() - started
    total = page.evaluate("JSON.parse(document.getElementById('report-data').textContent).items.length")
    assert f"of {total:,}" in page.inner_text("#summary")
    assert page.locator("#list .item").count() == 25  # only one page is in the DOM
    started = time.perf_counter()
    page.fill("#f-search", "alfa gamma")
    page.wait_for_function("() => document.getElementById('summary').textContent.includes('filtered from')")
    searched = time.perf_counter() - started
    started = time.perf_counter()
    page.select_option("#f-band", "review")
    page.select_option("#f-sort", "score-asc")
    filtered = time.perf_counter() - started
    keys = page.locator("#list .item").count()
    assert 0 < keys <= 25
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(30):
        page.keyboard.press("j")  # walks across the page boundary
    assert "page 2 of" in page.inner_text("#pager-top")
    shot(page, "05-ten-thousand")
    print(f"10k report: load {loaded:.2f}s, search {searched:.2f}s, filter+sort {filtered:.2f}s")
    assert loaded < 20 and searched < 5 and filtered < 5


def test_enricher_report_and_merges_apply_round_trip_through_the_cli(
    tmp_path: Path, page: Any, sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    sandbox: Sandbox = sandbox_factory([dict(r) for r in REGISTER])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICHER_REDIS_URL", raising=False)
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    monkeypatch.setenv("ENRICHER_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "out").mkdir()
    enrichment = {  # the shape enricher enrich writes (EnrichSummary.to_dict)
        "dryRun": False,
        "startedAt": "2026-01-01T00:00:00+00:00",
        "counts": {"total": 2, "filled": 1, "unchanged": 0, "failed": 1},
        "failedReasons": {"robots.txt disallows": 1},
        "records": [
            {
                "id": 1,
                "status": "filled",
                "patch": {"logoUrl": "https://acme.example/l.png"},
                "applied": True,
            },
            {"id": 3, "status": "failed", "reason": "robots.txt disallows", "patch": {}, "applied": False},
        ],
    }
    (tmp_path / "out" / "enrichment.json").write_text(json.dumps(enrichment), encoding="utf-8")

    assert main(["report"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == ["out/review.html", "out/candidates.csv", "out/candidates.json"]
    before = json.loads((tmp_path / "out" / "candidates.json").read_text(encoding="utf-8"))
    pairs_before = {(c["a"], c["b"]) for c in before["candidates"]}
    assert (1, 7) in pairs_before

    open_report(page, tmp_path / "out" / "review.html")
    last = page.inner_text("#last-enrichment")
    assert "filledFields\tlogoUrl: 1" in last and "filled: 1" in last and "robots.txt disallows: 1" in last
    page.click("#bulk")
    page.click("#bulk")  # approve the merge band
    page.select_option("#f-decision", "none")
    page.locator("body").click(position={"x": 5, "y": 5})
    undecided = page.locator("#list .item").count()
    for _ in range(undecided):
        page.keyboard.press("r")  # reject the rest, one by one (the list shrinks as each leaves the filter)
    page.select_option("#f-decision", "")
    shot(page, "06-cli-round-trip", full=True)
    decisions = tmp_path / "decisions.json"
    exported = export(page, decisions)
    approved = [d for d in exported["decisions"] if d["decision"] == "approve"]
    rejected = [d for d in exported["decisions"] if d["decision"] == "reject"]
    assert approved

    assert main(["merges", "apply", "--decisions", str(decisions)]) == 0
    dry = capsys.readouterr().out
    assert "dry run" in dry and sandbox.store.merges_applied == 0
    assert main(["merges", "apply", "--decisions", str(decisions), "--execute"]) == 0
    out = capsys.readouterr().out
    expected = sum(len(d["ids"]) - 1 for d in approved)
    assert sandbox.store.merges_applied == expected, out
    assert f"audit log: {tmp_path / 'state' / 'merge-audit.jsonl'}" in out
    assert main(["merges", "apply", "--decisions", str(decisions), "--execute"]) == 0
    assert "already merged" in capsys.readouterr().out and sandbox.store.merges_applied == expected

    # The next report proposes neither the applied nor the rejected pairs.
    assert main(["report"]) == 0
    capsys.readouterr()
    after = json.loads((tmp_path / "out" / "candidates.json").read_text(encoding="utf-8"))
    pairs_after = {(c["a"], c["b"]) for c in after["candidates"]}
    for d in approved + rejected:
        for a in d["ids"]:
            for b in d["ids"]:
                assert (a, b) not in pairs_after
    shutil.copy(decisions, ARTIFACTS / "decisions-cli-round-trip.json")


def test_a_company_entered_many_times_is_shown_compactly_and_can_be_split(tmp_path: Path, page: Any) -> None:
    from enricher.matching import match
    from enricher.review import load_decisions

    spellings = ["ALCATEL N.V.", "Alcatel N. V.", "ALCATEL NV", "ALCATEL N.V., AMSTERDAM"]
    rows = [{"id": k, "name": spellings[k % 4], "addressCountry": "NL"} for k in range(1, 41)]
    others = [f"Firma {chr(65 + k)}{chr(75 + k)} B.V." for k in range(12)]
    rows += [{"id": 100 + k, "name": name, "addressCountry": "NL"} for k, name in enumerate(others)]
    recs = {r["id"]: Counterparty.model_validate(r) for r in rows}
    result = match(rows)
    (cluster,) = [c for c in result.clusters if len(c.ids) == 40]
    paths = write_report(result, recs, tmp_path / "out")
    open_report(page, paths.html)
    card = page.locator("#list .item").first
    assert "Cluster of 40" in card.inner_text()
    assert "40 records · 4 distinct spellings" in card.inner_text()
    assert card.locator("table.spellings tbody tr").count() == 4
    assert card.locator("table.records thead th[data-record]").count() == 4  # a sample, not 40 columns
    assert card.locator(".pair").count() == 10  # the first pairs, then a button for the rest
    assert "Safe to merge" in card.locator(".pair .note").first.inner_text()
    shot(page, "10-big-cluster")
    card.locator("button.more-pairs").click()
    assert page.locator("#list .item").first.locator(".pair").count() > 10

    # Split off one spelling, approve the rest, export.
    first = page.locator("#list .item").first
    row = first.locator('table.spellings tr[data-spelling="ALCATEL N.V., AMSTERDAM"]')
    row.locator("button.split").click()
    assert "10 left out" in page.locator("#list .item").first.inner_text()
    page.locator("#list .item").first.locator(".item-head .decide button", has_text="Approve").click()
    exported = export(page, tmp_path / "decisions.json")
    approve = [d for d in exported["decisions"] if d["decision"] == "approve"]
    reject = [d for d in exported["decisions"] if d["decision"] == "reject"]
    gone = {k for k in range(1, 41) if k % 4 == 3}
    assert len(approve) == 1 and set(approve[0]["ids"]) == set(cluster.ids) - gone
    assert len(reject) == 1 and {b for _, b in reject[0]["pairs"]} == gone
    assert all(a == approve[0]["survivor"] for a, _ in reject[0]["pairs"])
    loaded = load_decisions(tmp_path / "decisions.json")  # the apply step accepts the split as written
    assert len(loaded.decisions) == 2


def test_teach_shows_the_questions_first_and_answers_take_one_key(tmp_path: Path, page: Any) -> None:
    from tests.matching.test_learning import register

    from enricher.matching import match

    rows = register()
    recs = {r["id"]: Counterparty.model_validate(r) for r in rows}
    first = match(rows).questions[0]
    result = match(rows, labels=[(*first, True)])  # one answer given already
    assert result.questions and first not in result.questions
    paths = write_report(result, recs, tmp_path / "out")
    open_report(page, paths.html)
    assert "Learnt from 1 answers" in page.inner_text("#meta")  # what the answers taught, in the header
    assert page.inner_text("#teach") == f"Teach ({len(result.questions)})"
    page.keyboard.press("t")
    assert page.is_visible("#teach-banner")
    shown = page.locator("#list .item")
    first_pair = shown.first.locator(".pair").first
    assert "question 1" in first_pair.inner_text()
    a, b = result.questions[0]
    assert f"id {a} ↔ id {b}" in first_pair.inner_text() or f"id {b} ↔ id {a}" in first_pair.inner_text()
    numbers = page.eval_on_selector_all(
        "#list .item .badge.question", "els => els.map(e => Number(e.textContent.split(' ')[1]))"
    )
    assert numbers == sorted(numbers) and numbers[0] == 1  # in the engine's order
    shot(page, "11-teach")
    page.keyboard.press("a")  # the same company
    page.keyboard.press("r")  # the next: different
    exported = export(page, tmp_path / "taught.json")
    decided = {frozenset(d["ids"]): d["decision"] for d in exported["decisions"]}
    assert decided.pop(frozenset((a, b))) == "approve"
    assert list(decided.values()) == ["reject"]  # the second question, answered with one key too
    page.click("#teach-off")
    assert not page.is_visible("#teach-banner")


# --- issue 11 ---------------------------------------------------------------------------------------


def test_one_keypress_decides_one_item_whatever_the_ids_hold(tmp_path: Path, page: Any) -> None:
    """Ids holding "|" made two items share a key, so approving one approved both."""
    recs = {i: Counterparty(id=i, name=f"Firma {n}") for n, i in enumerate(["p", "q|s:r", "p|s:q", "r"])}
    contract = {
        "candidates": [
            {"a": "p", "b": "q|s:r", "score": 0.9, "band": "review", "evidence": []},
            {"a": "p|s:q", "b": "r", "score": 0.8, "band": "review", "evidence": []},
        ],
        "clusters": [],
    }
    open_report(page, write_report(contract, recs, tmp_path / "out").html)
    assert len(set(item_keys(page))) == 2
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    statuses = page.eval_on_selector_all("#list .item", "els => els.map(e => e.dataset.status)")
    assert statuses == ["approve", "none"]
    exported = export(page, tmp_path / "d.json")
    assert [d["ids"] for d in exported["decisions"]] == [["p", "q|s:r"]]


def test_opening_the_report_fetches_no_remote_logo(tmp_path: Path, page: Any) -> None:
    """A logoUrl on an "internal host" is not requested when the page opens; only a click opens it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(base64.b64decode(PIXEL.split(",", 1)[1]))

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        internal = f"http://127.0.0.1:{server.server_address[1]}/x.png?id=7"
        recs = records()
        recs[3] = recs[3].model_copy(update={"logoUrl": internal})
        recs[4] = recs[4].model_copy(update={"logoUrl": internal + "&b"})
        open_report(page, write_report(CONTRACT, recs, tmp_path / "out").html)
        page.wait_for_timeout(1500)
        assert hits == [], "the page fetched a remote logo on opening"
        globex = page.locator("#list .item").nth(1)
        assert globex.locator("img").count() == 0  # monograms, no <img> pointing at the network
        assert globex.locator("a.logo-link").count() == 2
        assert page.locator("#list .item").first.locator("img.logo.loaded").count() == 1  # data: logo
        # A reviewer who asks for the logo gets it, in a new tab.
        with page.context.expect_page() as opened:
            globex.locator("a.logo-link").first.click()
        opened.value.wait_for_load_state()
        assert hits[0] == "/x.png?id=7"  # (the new tab may then ask for /favicon.ico)
    finally:
        server.shutdown()
        server.server_close()


def test_client_section_decides_exports_and_the_notes_follow(
    tmp_path: Path, page: Any, sandbox_factory: Any
) -> None:
    import copy

    from enricher.flowtly.testing import SMALL_CLIENTS, SMALL_REGISTER
    from enricher.review import build_client_section, fetch_clients, leave_client_notes

    sandbox: Sandbox = sandbox_factory(copy.deepcopy(SMALL_REGISTER), clients=copy.deepcopy(SMALL_CLIENTS))
    with sandbox.client() as client:
        parties = {r.id: r for r in client.iter_counterparties()}
        section = build_client_section(fetch_clients(client), parties)
    paths = write_report({"candidates": [], "clusters": []}, parties, tmp_path / "out", clients=section)
    open_report(page, paths.html)
    box = page.locator("#clients")
    assert box.is_visible()
    assert "Duplicate clients (1)" in box.inner_text()
    row = page.locator("#client-pairs tr[data-key='1+2']")
    assert "Northwind Traders Sp. z o.o." in row.inner_text() and "Nortwind Trading" in row.inner_text()
    assert "Both list the contact person Anna Nowak." in row.inner_text()
    assert "a.nowak@northwind.pl" in row.inner_text()  # the contacts are shown beside the client
    links = page.locator("#client-links").inner_text()
    assert "Clients that are also counterparties (2)" in box.inner_text()
    assert "the same valid tax id" in links and "counterparty 1" in links
    shot(page, "10-clients", full=True)
    row.locator("button[data-decision=approve]").click()
    assert "approve" in (page.locator("#client-pairs tr[data-key='1+2']").get_attribute("class") or "")
    page.reload()  # kept in the browser until exported
    page.wait_for_selector("html[data-ready=true]")
    assert "approve" in (page.locator("#client-pairs tr[data-key='1+2']").get_attribute("class") or "")
    exported = export(page, tmp_path / "decisions.json")
    assert exported["clientDecisions"] == [
        {"a": 1, "b": 2, "decision": "approve", "score": section["pairs"][0]["score"]}
    ]
    assert exported["decisions"] == []
    with sandbox.client() as client:
        summary = leave_client_notes(
            client,
            tmp_path / "decisions.json",
            employee="/employees/3",
            execute=True,
            audit_path=tmp_path / "a.jsonl",
        )
    assert summary.ok and [o.status for o in summary.outcomes] == ["written", "written"]
    assert sorted(n["client"] for n in sandbox.store.notes) == ["/clients/1", "/clients/2"]


def test_a_long_client_section_shows_its_first_rows_until_asked(tmp_path: Path, page: Any) -> None:
    records = [{"id": i, "f": {"name": f"Client {i}"}} for i in range(1, 501)]
    pairs = [
        {"key": f"{2 * n + 1}+{2 * n + 2}", "a": 2 * n, "b": 2 * n + 1, "score": 0.9, "band": "review",
         "ev": [["contact", "same-person", 2.0, "Both list the contact person Jan Nowak."]]}
        for n in range(250)
    ]  # fmt: skip
    links = [
        {"client": i, "counterparty": i, "reason": "the same valid tax id", "score": 1.0,
         "clientName": f"Client {i}", "counterpartyName": f"Party {i}"}
        for i in range(1, 231)
    ]  # fmt: skip
    section = {"records": records, "pairs": pairs, "clusters": [], "links": links, "stats": {}}
    paths = write_report({"candidates": [], "clusters": []}, {}, tmp_path / "out", clients=section)
    open_report(page, paths.html)
    assert page.locator("#client-pairs tr[data-key]").count() == 200
    assert page.locator("#client-links tr").count() == 201  # header + 200
    page.click("#clients-all")
    assert page.locator("#client-pairs tr[data-key]").count() == 250
    assert page.locator("#client-links tr").count() == 231
    page.locator("#client-pairs tr[data-key='499+500'] button[data-decision=reject]").click()
    exported = export(page, tmp_path / "d.json")
    assert exported["clientDecisions"] == [{"a": 499, "b": 500, "decision": "reject", "score": 0.9}]
