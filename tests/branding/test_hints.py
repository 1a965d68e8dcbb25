"""The logo choice explains itself: a table of named hints, each with its points and a sentence."""

from __future__ import annotations

import pytest

from enricher.branding import extract
from enricher.branding.candidates import HINTS, SOURCES, LogoCandidate, explain, rank, reasons, score
from enricher.branding.images import CheckedCandidate, ImageInfo, final_score

URL = "https://acme.example/"
PAGE = """<html><head>
<script type="application/ld+json">{"@type": "Organization", "url": "https://acme.example/",
 "name": "Acme", "logo": "https://acme.example/brand/acme.png"}</script>
<link rel="icon" href="/favicon-32x32.png" sizes="32x32">
<meta property="og:image" content="/share/summer-sale.jpg">
</head><body>
<header><a href="/"><img class="site-logo" src="/img/acme.svg" alt="Acme"></a></header>
<footer><img class="logo" src="/img/parent-group-logo.png" width="120" height="40"></footer>
</body></html>"""


def test_every_hint_is_named_once_and_every_source_has_a_sentence() -> None:
    names = [h.name for h in HINTS]
    assert len(names) == len(set(names))
    for source in SOURCES:
        c = LogoCandidate(url="https://a.example/x.png", source=source, kind="logo")
        (first, *_rest) = reasons(c)
        assert first["hint"] == "source" and first["why"].endswith(".") and len(first["why"]) > 10


def test_reasons_are_present_ordered_and_add_up_to_the_score() -> None:
    contract = extract(PAGE, URL).to_contract()
    for cand in contract["candidates"]:
        points = [r["points"] for r in cand["reasons"]]
        assert cand["reasons"], cand["url"]
        assert [abs(p) for p in points] == sorted((abs(p) for p in points), reverse=True)
        assert all(r["why"] and r["hint"] in {h.name for h in HINTS} for r in cand["reasons"])
        assert round(max(0.01, min(sum(points), 100.0)) / 100, 2) == pytest.approx(cand["score"], abs=0.01)


def test_reasons_say_why_the_header_logo_beats_the_footer_one() -> None:
    contract = extract(PAGE, URL, known_name="Acme Sp. z o.o.").to_contract()
    by_url = {c["url"]: c for c in contract["candidates"]}
    header = {r["hint"]: r for r in by_url["https://acme.example/img/acme.svg"]["reasons"]}
    footer = {r["hint"]: r for r in by_url["https://acme.example/img/parent-group-logo.png"]["reasons"]}
    assert header["home-link"]["points"] == 12 and header["header"]["points"] == 6
    assert header["name-match"]["why"] == "Its file name or alt text carries the brand's name."
    assert footer["footer"]["points"] == -30 and "footer" in footer["footer"]["why"]
    assert (
        by_url["https://acme.example/img/acme.svg"]["score"]
        > by_url["https://acme.example/img/parent-group-logo.png"]["score"]
    )
    share = by_url["https://acme.example/share/summer-sale.jpg"]["reasons"]
    assert share[0]["hint"] == "source" and "preview" in share[0]["why"]


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        # Scores the if-ladder gave before it became a table (kept: the choice must not change).
        (LogoCandidate("https://a.pl/l.png", "img", "logo", 230, 70, notes=("logo-word", "header")), 0.729),
        (LogoCandidate("https://a.pl/favicon.ico", "favicon.ico", "favicon"), 0.04),
        (LogoCandidate("https://a.pl/a.png", "apple-touch-icon", "icon", 180, 180), 0.507),
        (LogoCandidate("https://a.pl/m.svg", "mask-icon", "icon", format="svg", notes=("monochrome",)), 0.34),
        (LogoCandidate("https://a.pl/o.jpg", "og:image", "image", 1200, 630, format="jpg"), 0.23),
        (LogoCandidate("https://a.pl/o.png", "og:image", "image", format="png", notes=("logo-word",)), 0.6),
        (LogoCandidate("https://a.pl/i.jpg", "json-ld", "image", format="jpg", notes=("secondary",)), 0.03),
        (LogoCandidate("https://a.pl/h.png", "img", "logo", 20, 20, format="png", order=3), 0.0),
        (LogoCandidate("https://a.pl/s.png", "img", "logo", 900, 40, notes=("home-link",), order=1), 0.532),
    ],
)
def test_table_keeps_the_scores_of_the_old_ladder(candidate: LogoCandidate, expected: float) -> None:
    assert score(candidate) == expected


def test_explain_lists_only_hints_that_apply_in_table_order() -> None:
    c = LogoCandidate("https://a.pl/l-white.svg", "img", "logo", format="svg", notes=("logo-word", "variant"))
    names = [h.name for h, _ in explain(c)]
    assert names == ["source", "logo-word", "variant", "size", "format"]
    assert rank([c])[0].score == score(c)


def test_checked_candidate_reasons_add_up_and_carry_what_the_page_said() -> None:
    page = LogoCandidate("https://a.pl/logo.png", "img", "logo", notes=("logo-word", "header"))
    page = rank([page])[0]
    info = ImageInfo("png", 400, 120)
    checked = CheckedCandidate(
        url=page.url, source=page.source, kind=page.kind, signal_score=page.score, info=info,
        score=final_score(page.kind, page.score, info), page_reasons=tuple(reasons(page)),
    )  # fmt: skip
    out = checked.to_contract()
    got = out["reasons"]
    assert isinstance(got, list)
    assert sum(r["points"] for r in got) == pytest.approx(checked.score * 100, abs=0.2)
    first = got[0]
    assert first["hint"] == "page" and "Marked as a logo" in first["why"] and "(+16)" in first["why"]
    assert any(r["hint"] == "size" and "400x120" in r["why"] for r in got)
