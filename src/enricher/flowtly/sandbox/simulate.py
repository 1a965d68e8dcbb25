"""The sandbox's stand-in for Flowtly's AI branding: deterministic, so tests and the demo can assert on it.

What the real service does is unknown (see :mod:`enricher.flowtly.contract`); this fills only empty
``logoUrl``/``displayName`` of records with a website, from the website's domain and the name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["AI_LOGO_HOST", "ai_branding"]

AI_LOGO_HOST = "logos.flowtly-ai.invalid"
"""Where the simulated logos live (``.invalid``: never resolvable, so never fetched by mistake)."""

# A handful of legal forms is enough for a simulation; matching has the real list.
_LEGAL_FORM = re.compile(
    r"[\s,]+(sp\.?\s*z\s*o\.?\s*o\.?|s\.?\s*a\.?|gmbh|ag|ltd\.?|limited|llc|inc\.?|b\.?\s*v\.?|"
    r"n\.?\s*v\.?|s\.?\s*r\.?\s*o\.?|a\.?\s*s\.?|oy|ab|srl|sas|sarl|plc|kft\.?|spa)$",
    re.IGNORECASE,
)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def ai_branding(record: Mapping[str, Any]) -> dict[str, str]:
    """The fields the simulated AI fills on ``record`` (empty ones only); ``{}`` when it finds nothing."""
    website = record.get("corporateWebsiteUrl")
    if not isinstance(website, str) or not website.strip():
        return {}
    try:
        host = urlsplit(website.strip()).hostname or ""
    except ValueError:
        return {}
    domain = host.removeprefix("www.")
    if "." not in domain:
        return {}
    patch: dict[str, str] = {}
    if _empty(record.get("logoUrl")):
        patch["logoUrl"] = f"https://{AI_LOGO_HOST}/{domain}.png"
    name = record.get("name")
    if _empty(record.get("displayName")) and isinstance(name, str) and name.strip():
        patch["displayName"] = _LEGAL_FORM.sub("", name.strip()).strip(" ,") or name.strip()
    return patch
