"""Logo candidates: the record, how each is scored, and the traps that disqualify one.

A candidate carries where it came from (``source``), what it probably is (``kind``: a logo beats an
icon beats a social-preview image beats ``/favicon.ico``) and the hints seen next to it (``notes``:
``header``, ``home-link``, ``footer``...). Scoring is one readable function of those facts, so a
reviewer can see why a logo won; ranking drops duplicates and keeps ``/favicon.ico`` last.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

__all__ = [
    "DATA_URI_MAX_BYTES",
    "SOURCES",
    "Kind",
    "LogoCandidate",
    "Source",
    "decode_data_uri",
    "format_of",
    "image_size",
    "merge",
    "parse_sizes",
    "rank",
    "resolve",
    "score",
    "trap_reason",
]

Source = Literal[
    "json-ld",
    "og:logo",
    "itemprop",
    "apple-touch-icon",
    "icon",
    "mask-icon",
    "msapplication",
    "manifest",
    "img",
    "svg",
    "og:image",
    "favicon.ico",
]
SOURCES: tuple[Source, ...] = get_args(Source)  # the vocabulary of DESIGN.md, in ranking order
Kind = Literal["logo", "icon", "image", "favicon"]

#: Largest decoded ``data:`` URI (and serialised inline SVG) accepted as a logo.
DATA_URI_MAX_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class LogoCandidate:
    """One possible logo of a page, with the evidence needed to rank it."""

    url: str
    source: Source
    kind: Kind
    width: int | None = None
    height: int | None = None
    score: float = 0.0
    format: str | None = None  # svg, png, webp, jpg, gif, ico
    alt: str | None = None
    notes: tuple[str, ...] = ()  # hints seen around it: header, home-link, logo-word, footer, ...
    order: int = 0  # position in the document among its source, earlier is better for <img>

    def to_contract(self) -> dict[str, Any]:
        """The candidate as DESIGN.md's ``brand`` JSON lists it."""
        return {
            "url": self.url,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "score": self.score,
        }


# --- facts about URLs -----------------------------------------------------------------------------

_EXT_FORMAT = {
    "svg": "svg",
    "svgz": "svg",
    "png": "png",
    "webp": "webp",
    "avif": "webp",
    "jpg": "jpg",
    "jpeg": "jpg",
    "gif": "gif",
    "ico": "ico",
}
_MIME_FORMAT = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/webp": "webp",
    "image/avif": "webp",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/gif": "gif",
    "image/x-icon": "ico",
    "image/vnd.microsoft.icon": "ico",
}


def format_of(url: str, mime: str | None = None) -> str | None:
    """The image format a URL (or its declared MIME type) most likely holds, or None."""
    if mime:
        fmt = _MIME_FORMAT.get(mime.split(";", 1)[0].strip().lower())
        if fmt:
            return fmt
    if url.startswith("data:"):
        return _MIME_FORMAT.get(url[5:].split(";", 1)[0].split(",", 1)[0].strip().lower())
    path = urlsplit(url).path.lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _EXT_FORMAT.get(ext)


_SIZE_RE = re.compile(r"(\d{1,4})\s*[x×]\s*(\d{1,4})", re.IGNORECASE)


def parse_sizes(value: str | None) -> tuple[int | None, int | None]:
    """Largest ``WxH`` in a ``sizes`` attribute (``"16x16 32x32"``, ``"any"``) or a file name."""
    if not value:
        return None, None
    best: tuple[int, int] | None = None
    for m in _SIZE_RE.finditer(value):
        w, h = int(m.group(1)), int(m.group(2))
        if w and h and (best is None or w * h > best[0] * best[1]):
            best = (w, h)
    return best if best else (None, None)


def decode_data_uri(uri: str, max_bytes: int = DATA_URI_MAX_BYTES) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of a ``data:`` URI, or None when malformed or larger than ``max_bytes``."""
    if not uri.startswith("data:") or "," not in uri:
        return None
    head, _, payload = uri[5:].partition(",")
    parts = [p.strip() for p in head.split(";")]
    mime = (parts[0] or "text/plain").lower()
    is_base64 = "base64" in (p.lower() for p in parts[1:])
    # Refuse before decoding what cannot fit: base64 grows 4/3, percent-encoding up to 3x.
    if len(payload) > (max_bytes * 4 // 3 + 1024 if is_base64 else max_bytes * 3):
        return None
    try:
        if is_base64:
            data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    if len(data) > max_bytes or not data:
        return None
    return mime, data


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Pixel size read from a PNG or GIF header (enough for data: URIs without decoding them)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return None, None


# --- traps: things that look like logos but belong to someone else --------------------------------

# Third parties whose logos sit on company pages: social networks, payment methods, app stores,
# consent managers, review badges. Matched as whole words in a candidate's URL, alt and title.
_TRAP_WORDS = (
    "facebook|fb|twitter|tweet|linkedin|instagram|insta|youtube|yt|tiktok|pinterest|whatsapp|telegram"
    "|messenger|snapchat|vimeo|xing|discord|reddit|tumblr|mastodon|threads"
    "|visa|mastercard|maestro|amex|americanexpress|paypal|blik|przelewy24|p24|stripe|payu|dotpay|tpay"
    "|klarna|revolut|sofort|giropay|bancontact|applepay|googlepay|gpay"
    "|google[-_ ]?play|play[-_ ]?store|app[-_ ]?store|apple[-_ ]?store|apple[-_ ]?pay|google[-_ ]?pay"
    "|appgallery|get[-_ ]?it[-_ ]?on|download[-_ ]?on"
    "|cookiebot|onetrust|usercentrics|didomi|quantcast|trustarc|iubenda|trustpilot"
)
# Words that mark a page element as someone else's, but also appear in an own share image's name
# ("og-share.png"): only checked where the text describes an on-page element (alt, class).
_GENERIC_TRAP_WORDS = (
    "social|share|payment|payments|cookie|cookies|consent|gdpr|partner|partners|sponsor|sponsors"
    # Badges Polish (and EU) company sites carry next to their logo: EU funding, business awards,
    # certificates.
    "|fundusze|fundusz|unia[-_ ]?europejska|european[-_ ]?union|eu[-_ ]?(?:flag|logo|funds?)"
    "|ue[-_ ]?(?:flag|logo)|flaga[-_ ]?ue|efrr|efs|poir|feng|kpo|gazel[aei]?|gazele[-_ ]?biznesu"
    "|forbes\\w*|diament[ya]?|award|awards|nagroda|nagrody|certyfikat\\w*|certificate|iso[-_ ]?\\d{4,5}"
    "|t[uü]v(?:[-_ ]?\\w+)?"
)
_TRAP_RE = re.compile(rf"(?<![a-z0-9])({_TRAP_WORDS})(?![a-z0-9])")
_STRICT_TRAP_RE = re.compile(rf"(?<![a-z0-9])({_TRAP_WORDS}|{_GENERIC_TRAP_WORDS})(?![a-z0-9])")
# "X" (ex-Twitter) is only a trap when it is clearly the network: x.com or an x-logo/x-icon file.
_X_RE = re.compile(r"(?<![a-z0-9])x[-_ ]?(?:logo|icon|twitter|social)(?![a-z0-9])|(?<![a-z0-9.])x\.com")
_SOCIAL_HOSTS = (
    "facebook.com",
    "fbcdn.net",
    "twitter.com",
    "twimg.com",
    "x.com",
    "linkedin.com",
    "licdn.com",
    "instagram.com",
    "cdninstagram.com",
    "youtube.com",
    "ytimg.com",
    "tiktok.com",
    "pinterest.com",
    "pinimg.com",
    "paypalobjects.com",
    "paypal.com",
    "stripe.com",
    "cookielaw.org",
    "onetrust.com",
    "cookiebot.com",
    "usercentrics.eu",
    "trustpilot.com",
    "play.google.com",  # store badges (not gstatic/googleusercontent: Blogger sites keep logos there)
    "apple.com",
    "applemarketingtools.com",
)


def _normalise_trap_text(text: str) -> str:
    # Compound names ("GooglePlay", "ApplePay") are common in file names: compare lower-case.
    return text.lower()


def trap_reason(url: str, *texts: str | None, own_domain: str = "", strict: bool = False) -> str | None:
    """Why a candidate is someone else's logo (a social network, a payment method...), or None.

    Words found in the page's own domain are ignored: paypal.com's logo is PayPal's. ``strict``
    also refuses generic words (share, partner, cookie...): for on-page images, not metadata.
    """
    own = own_domain.lower()
    host = "" if url.startswith("data:") else (urlsplit(url).hostname or "")
    if host and not (own and (host == own or host.endswith("." + own))):
        for bad in _SOCIAL_HOSTS:
            if (host == bad or host.endswith("." + bad)) and bad.split(".")[0] not in own:
                return f"third-party host {host}"
    path = "" if url.startswith("data:") else url.split("?", 1)[0]
    if host:
        path = path.split(host, 1)[-1]
    haystack = _normalise_trap_text(" ".join([unquote(path), *(t for t in texts if t)]))
    for m in (_STRICT_TRAP_RE if strict else _TRAP_RE).finditer(haystack):
        word = re.sub(r"[-_ ]", "", m.group(1))
        if own and word in own.replace("-", ""):
            continue
        return f"third-party mark {m.group(1)!r}"
    if _X_RE.search(haystack) and not own.startswith("x."):
        return "third-party mark 'x'"
    return None


def unquote(text: str) -> str:
    """Percent-decoded text for matching (never for output)."""
    try:
        return unquote_to_bytes(text).decode("utf-8", "replace")
    except ValueError:  # pragma: no cover - unquote_to_bytes accepts any str
        return text


# --- scoring ----------------------------------------------------------------------------------------

_BASE: dict[Source, float] = {
    "json-ld": 70.0,
    "og:logo": 66.0,
    "itemprop": 66.0,
    "img": 40.0,  # raised by logo-word / home-link / header below
    "svg": 38.0,
    "apple-touch-icon": 36.0,
    "manifest": 34.0,
    "icon": 30.0,
    "msapplication": 28.0,
    "mask-icon": 22.0,  # single-colour silhouette: a poor logo
    "og:image": 10.0,
    "favicon.ico": 4.0,
}
_FORMAT_BONUS = {"svg": 6.0, "png": 4.0, "webp": 3.0, "gif": 1.0, "jpg": 1.0, "ico": 0.0}


def score(c: LogoCandidate) -> float:
    """Score in [0, 1]: kind and source first, then size, squareness, format and context hints."""
    notes = set(c.notes)
    points = _BASE[c.source]
    if c.kind == "image" and c.source != "og:image":
        points = _BASE["og:image"] + 4  # a JSON-LD organisation "image": a photo more often than a logo
    if c.source in ("img", "svg"):
        if "logo-word" in notes:
            points += 16
        if "home-link" in notes:
            points += 12
        if "header" in notes:
            points += 6
        if "name-match" in notes:
            points += 6
        if not notes & {"logo-word", "home-link"}:
            points -= 26  # a header picture that is not marked as a logo: probably decoration
        points -= min(c.order, 10) * 0.8  # the brand comes first in the header
    elif "name-match" in notes:
        points += 3
    if c.source == "og:image" and "logo-word" in notes:
        points += 46  # a share image named "logo" is the logo (small businesses do this)
    if "variant" in notes:
        points -= 4  # logo-white, logo-mobile, logo-sticky: the main rendering is better
    if "secondary" in notes:
        points -= 12  # e.g. a second Organization in JSON-LD (a brand or a partner)
    if "footer" in notes:
        points -= 30
    if "monochrome" in notes:
        points -= 8
    if "placeholder" in notes:
        points -= 40

    big = max(c.width or 0, c.height or 0)
    if c.format == "svg" or "any-size" in notes:
        points += 10  # vector: scales to any size, as good as a large bitmap
        if c.kind == "icon" and not (c.width and c.height):
            points += 4  # icons are square by definition
    elif big >= 128:
        points += 10 + 2 * min(big, 512) / 512  # bigger still helps a little, up to 512 px
    elif big >= 64:
        points += 4
    elif big and big < 32:
        points -= 20 if c.kind == "logo" else 8  # a 16 px "logo" is a flag or an icon
    if c.width and c.height:
        ratio = min(c.width, c.height) / max(c.width, c.height)
        if c.kind == "icon":
            points += 4 * ratio
        elif ratio < 0.1:
            points -= 10  # a banner strip, not a logo
    points += _FORMAT_BONUS.get(c.format or "", 0.0)
    return round(max(0.01, min(points, 100.0)) / 100.0, 3)


def rank(candidates: Iterable[LogoCandidate]) -> list[LogoCandidate]:
    """Score, de-duplicate by URL (best evidence wins) and sort best first (by score)."""
    best: dict[str, LogoCandidate] = {}
    for c in candidates:
        c = replace(c, score=score(c))
        prev = best.get(c.url)
        if prev is None:
            best[c.url] = c
            continue
        winner, other = (c, prev) if c.score > prev.score else (prev, c)
        if winner.width is None and other.width is not None:
            winner = replace(winner, width=other.width, height=other.height)
            winner = replace(winner, score=score(winner))
        best[c.url] = winner
    # Best first by score; on a tie /favicon.ico, the unannounced guess, goes last. A candidate that scored
    # below the favicon (a penalised trap, a broken data: URI) is worse than that guess, and says so.
    ordered = sorted(best.values(), key=lambda c: (-c.score, c.source == "favicon.ico"))
    return ordered


def merge(existing: Sequence[LogoCandidate], extra: Iterable[LogoCandidate]) -> list[LogoCandidate]:
    """Rank two candidate lists together (e.g. the page's and its web app manifest's)."""
    return rank([*existing, *extra])


def resolve(base: str, ref: str | None) -> str | None:
    """Absolute http(s) or data: URL of ``ref`` against ``base``; None for anything else."""
    if not ref:
        return None
    ref = ref.strip()
    if not ref:
        return None
    if ref[:5].lower() == "data:":
        return "data:" + ref[5:]
    ref = re.sub(r"[\t\n\r]", "", ref)
    try:
        absolute = urljoin(base, ref)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute
