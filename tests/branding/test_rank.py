"""Candidates come best first by score, so the logo is never a candidate that scored worse than another."""

from __future__ import annotations

import pytest

from enricher.branding import extract

BROKEN_PNG = "data:image/png;base64,iVBORw0KGgo="  # a PNG signature and nothing else
PAGES = {
    "broken data: icon": '<html><head><link rel="apple-touch-icon" href="' + BROKEN_PNG + '"></head></html>',
    "og:image data: uri": '<html><head><meta property="og:image" content="' + BROKEN_PNG + '"></head></html>',
    "real logo": '<html><body><header><img class="logo" src="/logo.svg" alt="Acme"></header></body></html>',
}


@pytest.mark.parametrize("html", PAGES.values(), ids=PAGES.keys())
def test_candidates_are_sorted_by_score_and_logo_is_the_first(html: str) -> None:
    contract = extract(html, "https://acme.example/").to_contract("https://acme.example/")
    scores = [c["score"] for c in contract["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert contract["logoUrl"] == contract["candidates"][0]["url"]


def test_a_worthless_candidate_loses_to_the_favicon_guess() -> None:
    contract = extract(PAGES["broken data: icon"], "https://acme.example/").to_contract(
        "https://acme.example/"
    )
    assert contract["logoUrl"] == "https://acme.example/favicon.ico"


def test_favicon_stays_last_behind_real_candidates() -> None:
    contract = extract(PAGES["real logo"], "https://acme.example/").to_contract("https://acme.example/")
    assert contract["candidates"][-1]["source"] == "favicon.ico"
    assert contract["logoUrl"] == "https://acme.example/logo.svg"
