"""Full-size generated homepages: the real signal found among hundreds of KB of noise and traps."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from enricher.branding import extract


def _load() -> ModuleType:
    path = Path(__file__).parent.parent / "fixtures" / "pages" / "homepages.py"
    spec = importlib.util.spec_from_file_location("branding_homepages", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


HOMEPAGES = _load()
PAGES = HOMEPAGES.homepages(2 * len(HOMEPAGES.SIGNALS))


def test_generation_is_deterministic_and_full_size() -> None:
    again = HOMEPAGES.homepage(3)
    assert again.html == PAGES[3].html
    assert all(len(p.html) > 250_000 for p in PAGES)
    assert {p.signal for p in PAGES} == set(HOMEPAGES.SIGNALS)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_homepage_logo_and_name(page: Any) -> None:
    result = extract(page.html, page.url)
    assert result.display_name == page.display_name
    if page.logo_url:
        assert result.logo_url == page.logo_url
    else:
        assert result.candidates[0].source == "svg"
    urls = " ".join(c.url for c in result.candidates)
    traps = "cookielaw facebook instagram linkedin youtube x-twitter partners/ /pay/ google-play app-store"
    traps += " bosch /flags/"
    for trap in traps.split():
        assert trap not in urls
    # Mega-menu thumbnails may trail as weak candidates, but never more than a handful.
    assert sum("/media/cat/" in c.url for c in result.candidates) <= 4
