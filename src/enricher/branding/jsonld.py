"""Schema.org in JSON-LD and microdata: the site's organisation, its name and its logo.

JSON-LD scripts are read together (a WebSite in one script may name its publisher defined in
another); the organisation whose ``url`` is on the page's own domain is the primary one. Another
site's organisation (a partner, a manufacturer) gives neither a name nor a logo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from enricher.branding.names import registered_domain
from enricher.branding.scan import Scan, text_of, to_int

__all__ = ["ORG_ITEMTYPE", "load_json_ld", "microdata_name", "read_json_ld"]

_ORG_TYPES = {
    "organization", "corporation", "localbusiness", "onlinestore", "onlinebusiness", "store", "ngo",
    "airline", "bank", "bankorcreditunion", "financialservice", "professionalservice", "legalservice",
    "insuranceagency", "restaurant", "foodestablishment", "hotel", "lodgingbusiness", "autodealer",
    "automotivebusiness", "homeandconstructionbusiness", "medicalbusiness", "healthandbeautybusiness",
    "travelagency", "realestateagent", "employmentagency", "sportsactivitylocation", "entertainmentbusiness",
    "shoppingcenter", "dentist", "pharmacy", "accountingservice", "governmentorganization",
    "educationalorganization", "newsmediaorganization", "sportsorganization", "medicalorganization",
    "researchorganization", "workersunion", "library", "museum", "brand",
}  # fmt: skip
_PUBLISHER_HOLDERS = {"website", "webpage", "aboutpage", "contactpage", "collectionpage", "article",
                      "newsarticle", "blogposting", "itempage", "searchresultspage"}  # fmt: skip

# A script wrapped for old browsers: "<!--", "//<![CDATA[" ... "//]]>", "-->" (anchored: the text can be
# hundreds of KB, an unanchored alternation would try every position).
_WRAP_HEAD = re.compile(r"^(?://\s*)?<!\[CDATA\[|^<!--")
_WRAP_TAIL = re.compile(r"(?://\s*)?\]\]>$|-->$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def load_json_ld(text: str, problems: list[str] | None = None) -> list[Any]:
    """Every JSON value in a JSON-LD script, tolerating the usual breakage (comments, CDATA,
    trailing commas, raw newlines in strings, several objects back to back); [] if hopeless.

    A value nested deeper than the JSON parser's recursion limit (``[[[[...]]]]`` 3,000 deep) is
    dropped whole and why is appended to ``problems``: the page's other scripts are still read.
    """
    try:
        return _load(text)
    except RecursionError:
        if problems is not None:
            problems.append("nested too deep to read")
        return []


def _load(text: str) -> list[Any]:
    text = text.strip()
    if text[:1] in ("/", "<"):  # only then can a CDATA or comment wrapper open the script
        text = _WRAP_HEAD.sub("", text, count=1).strip()
    if text[-1:] == ">":
        text = _WRAP_TAIL.sub("", text, count=1).strip()
    if not text:
        return []
    for attempt in _attempts(text):
        try:
            return [json.loads(attempt, strict=False)]
        except ValueError:
            pass
        # Several values back to back ("{...}{...}" or "{...},{...}"): decode one after another.
        decoder = json.JSONDecoder(strict=False)
        values: list[Any] = []
        pos = 0
        try:
            while pos < len(attempt):
                value, pos = decoder.raw_decode(attempt, pos)
                values.append(value)
                while pos < len(attempt) and attempt[pos] in " \t\r\n,;":
                    pos += 1
        except ValueError:
            pass
        if values:
            return values
    return []


def _attempts(text: str) -> Iterator[str]:
    """The script as it is, then repaired (control characters, trailing commas): the repair, two
    passes over what may be 50 KB of JSON, only when the text as it is cannot be read."""
    yield text
    yield _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    items = t if isinstance(t, list) else [t]
    return {i.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for i in items if isinstance(i, str)}


def _nodes(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Top-level nodes: arrays flattened, ``@graph`` opened (nested graphs too)."""
    if depth > 5:
        return
    if isinstance(value, list):
        for v in value:
            yield from _nodes(v, depth + 1)
    elif isinstance(value, dict):
        if "@graph" in value:
            yield from _nodes(value["@graph"], depth + 1)
        if "@type" in value:
            yield value


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def read_json_ld(values: list[Any], scan: Scan) -> None:
    nodes = [n for v in values for n in _nodes(v)]
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def deref(v: Any) -> Any:
        if isinstance(v, dict) and set(v) <= {"@id"} and v.get("@id") in by_id:
            return by_id[v["@id"]]
        return v

    publishers: list[dict[str, Any]] = []
    for n in nodes:
        types = _types(n)
        if types & _PUBLISHER_HOLDERS:
            if "website" in types:
                for name in _strings(n.get("name")):
                    scan.signal("json-ld:website", name, 1.0)
            for key in ("publisher", "copyrightHolder", "creator") if "website" in types else ("publisher",):
                for p in _listed(n.get(key)):
                    p = deref(p)
                    if isinstance(p, dict):
                        publishers.append(p)
    orgs = [n for n in nodes if _is_org(n)]
    primary: dict[str, Any] | None = None
    for cand in [*publishers, *orgs]:
        if _org_url_matches(cand, scan.domain):
            primary = cand
            break
    if primary is None and (publishers or orgs):
        primary = (publishers or orgs)[0]
    seen: set[int] = set()
    for org in [*publishers, *orgs]:
        if id(org) in seen:
            continue
        seen.add(id(org))
        is_primary = org is primary
        other_site = not is_primary and not _org_url_matches(org, scan.domain) and bool(org.get("url"))
        notes = () if is_primary else ("secondary",)
        weight = 1.0 if is_primary else 0.3
        if ("brand" in _types(org) and not is_primary) or other_site:
            # Another site's organisation (a partner, a manufacturer): neither its name nor its logo.
            scan.dropped.append((str(org.get("url"))[:200], "JSON-LD organisation of another site"))
            continue
        for name in _strings(org.get("name")):
            scan.signal("json-ld:name", name, weight)
        for name in _strings(org.get("alternateName")):
            scan.signal("json-ld:alternateName", name, weight * 0.7)
        for name in _strings(org.get("legalName")):
            scan.signal("json-ld:legalName", name, weight * 0.6)
        for logo in _listed(org.get("logo")):
            _json_ld_image(deref(logo), scan, notes)
        if not org.get("logo") and org.get("image"):
            img = org.get("image")
            # An organisation's "image" is often a shop front or a team photo: weak, like og:image.
            _json_ld_image(deref(img[0] if isinstance(img, list) and img else img), scan, notes, kind="image")


_ORG_SUFFIXES = ("organization", "business", "store", "service", "agency", "repair", "dealer", "shop",
                 "office", "clinic", "restaurant", "hotel", "company", "corporation", "practice")  # fmt: skip
_NOT_ORG = {
    "person", "product", "offer", "event", "postaladdress", "place", "website", "webpage", "imageobject",
    "breadcrumblist", "listitem", "article", "blogposting", "review", "rating", "aggregaterating",
}  # fmt: skip
_BUSINESS_KEYS = ("openingHours", "openingHoursSpecification", "priceRange", "telephone", "address", "vatID")


def _is_org(node: dict[str, Any]) -> bool:
    """An organisation or any of schema.org's ~150 LocalBusiness kinds (AutoRepair, Dentist...)."""
    types = _types(node)
    if types & _ORG_TYPES or any(t.endswith(_ORG_SUFFIXES) for t in types):
        return True
    if types & _NOT_ORG:
        return False
    return bool(node.get("logo")) or (bool(node.get("name")) and any(k in node for k in _BUSINESS_KEYS))


def _org_url_matches(org: dict[str, Any], domain: str) -> bool:
    for u in _strings(org.get("url")) + _strings(org.get("@id")):
        try:
            host = urlsplit(u).hostname
        except ValueError:  # "https://[" and the like: a page's typo, not its organisation's site
            continue
        if host and registered_domain(host) == domain:
            return True
    return False


def _json_ld_image(logo: Any, scan: Scan, notes: tuple[str, ...], kind: str = "logo") -> None:
    if isinstance(logo, str):
        scan.add(logo, "json-ld", kind, notes=notes)
    elif isinstance(logo, dict):
        ref = next((v for k in ("url", "contentUrl", "@id") for v in _strings(logo.get(k))), None)
        scan.add(ref, "json-ld", kind, width=to_int(logo.get("width")), height=to_int(logo.get("height")),
                 fmt_hint=logo.get("encodingFormat") if isinstance(logo.get("encodingFormat"), str) else None,
                 notes=notes)  # fmt: skip


ORG_ITEMTYPE = re.compile(r"schema\.org/(?:\w*Organization|Corporation|\w*Business|Store|Brand)\b", re.I)


def microdata_name(scope: Any, scan: Scan) -> None:
    """``itemprop=name`` of a microdata Organization (LocalBusiness...), not of a nested item."""
    stack = list(reversed(scope))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        if "name" in (el.get("itemprop") or "").split():
            scan.signal("microdata:name", el.get("content") or text_of(el), 0.9)
            return
        if el.get("itemscope") is None:  # a nested item (its address, an offer) names something else
            stack.extend(reversed(el))
