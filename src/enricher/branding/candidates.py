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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

__all__ = [
    "DATA_URI_MAX_BYTES",
    "HINTS",
    "SOURCES",
    "Hint",
    "Kind",
    "LogoCandidate",
    "Source",
    "decode_data_uri",
    "explain",
    "format_of",
    "image_size",
    "parse_sizes",
    "rank",
    "reasons",
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
        """The candidate as DESIGN.md's ``brand`` JSON lists it, plus the ``reasons`` for its score."""
        return {
            "url": self.url,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "score": self.score,
            "reasons": reasons(self),
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
            # str.split() drops exactly what \s matches (Unicode whitespace), in one C pass: the regex
            # tried each position of what is often a 10-100 KB payload (inline SVG logos are data: URIs).
            data = base64.b64decode("".join(payload.split()), validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    if len(data) > max_bytes or not data:
        return None
    return mime, data


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Pixel size read from a PNG or GIF header (enough for data: URIs without decoding them).

    By hand on purpose: both formats state the size at a fixed offset, and that is all a ranking hint
    needs. Pillow's ``Image.open`` wants the whole IHDR chunk with its CRC, reads every format it knows
    (more than the hint is meant for) and warns or raises on bomb-sized headers, which the online image
    check (:mod:`.images`) handles where an image is really decoded."""
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
# Written "x(?:(?<![a-z0-9]x)...": the look-behinds after the "x", so sre only tries the positions of
# an "x" (the same matches as "(?<![a-z0-9])x...|(?<![a-z0-9.])x\.com", 5x faster on file names).
_X_RE = re.compile(r"x(?:(?<![a-z0-9]x)[-_ ]?(?:logo|icon|twitter|social)(?![a-z0-9])|(?<![a-z0-9.]x)\.com)")
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


# --- scoring: a table of named hints ----------------------------------------------------------------

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
_SOURCE_SENTENCES: dict[Source, str] = {
    "json-ld": "the site's organisation names it as its logo (JSON-LD)",
    "og:logo": "the page declares it as its logo (og:logo)",
    "itemprop": "marked as the organisation's logo (itemprop=logo)",
    "img": "a picture on the page",
    "svg": "a drawing on the page (inline SVG)",
    "apple-touch-icon": "the site's home-screen icon (apple-touch-icon)",
    "manifest": "an icon of the site's web app manifest",
    "icon": "a site icon (link rel=icon)",
    "msapplication": "a Windows tile image (msapplication)",
    "mask-icon": "a one-colour pinned-tab silhouette (mask-icon), a poor logo",
    "og:image": "the page's social-media preview image (og:image)",
    "favicon.ico": "/favicon.ico, guessed: the site does not announce it",
}
_FORMAT_BONUS = {"svg": 6.0, "png": 4.0, "webp": 3.0, "gif": 1.0, "jpg": 1.0, "ico": 0.0}
_MARKED = ("logo-word", "home-link")


@dataclass(frozen=True, slots=True)
class Hint:
    """One named reason a candidate scores higher or lower, as matching's features are.

    ``points(c)`` is what the hint adds to the candidate's score (out of 100; 0 when it does not
    apply) and ``why(c, points)`` the sentence a reader sees next to those points.
    """

    name: str
    points: Callable[[LogoCandidate], float]
    why: Callable[[LogoCandidate, float], str]


def _largest(c: LogoCandidate) -> int:
    return max(c.width or 0, c.height or 0)


def _ratio(c: LogoCandidate) -> float | None:
    if c.width and c.height:
        return min(c.width, c.height) / max(c.width, c.height)
    return None


def _is_vector(c: LogoCandidate) -> bool:
    return c.format == "svg" or "any-size" in c.notes


def _source_points(c: LogoCandidate) -> float:
    if c.kind == "image" and c.source != "og:image":
        return _BASE["og:image"] + 4  # a JSON-LD organisation "image": a photo more often than a logo
    return _BASE[c.source]


def _source_why(c: LogoCandidate, _: float) -> str:
    if c.kind == "image" and c.source != "og:image":
        return "The organisation's image in JSON-LD: a photo more often than a logo."
    text = _SOURCE_SENTENCES[c.source]
    return text[0].upper() + text[1:] + "."


def _on_page(c: LogoCandidate) -> bool:
    return c.source in ("img", "svg")


def _note(note: str, points: float, *, on_page: bool | None = None) -> Callable[[LogoCandidate], float]:
    """Points for a candidate whose notes carry ``note`` (only on-page pictures, or only others)."""

    def rule(c: LogoCandidate) -> float:
        if note not in c.notes or (on_page is not None and _on_page(c) != on_page):
            return 0.0
        return points

    return rule


def _said(text: str) -> Callable[[LogoCandidate, float], str]:
    return lambda _c, _p: text


def _size_points(c: LogoCandidate) -> float:
    if _is_vector(c):
        return 10.0
    big = _largest(c)
    if big >= 128:
        return 10 + 2 * min(big, 512) / 512  # bigger still helps a little, up to 512 px
    if big >= 64:
        return 4.0
    if big and big < 32:
        return -20.0 if c.kind == "logo" else -8.0  # a 16 px "logo" is a flag or an icon
    return 0.0


def _size_why(c: LogoCandidate, points: float) -> str:
    big = _largest(c)
    if _is_vector(c):
        return "A vector image (or one for any size): scales like a large bitmap."
    if points > 0:
        return f"{'Large' if big >= 128 else 'Medium-sized'}: {big} px on its longer side."
    if c.kind == "logo":
        return f"Tiny for a logo ({big} px): more likely a flag or an icon."
    return f"A small icon ({big} px)."


def _aspect_points(c: LogoCandidate) -> float:
    ratio = _ratio(c)
    if ratio is None:
        return 0.0
    if c.kind == "icon":
        return 4 * ratio
    return -10.0 if ratio < 0.1 else 0.0  # a banner strip, not a logo


def _aspect_why(c: LogoCandidate, points: float) -> str:
    if c.kind == "icon":
        return f"An icon {c.width}x{c.height}: the squarer the better."
    return f"A thin strip ({c.width}x{c.height}): a banner rather than a logo."


def _order_points(c: LogoCandidate) -> float:
    return -min(c.order, 10) * 0.8 if _on_page(c) else 0.0


HINTS: tuple[Hint, ...] = (
    Hint("source", _source_points, _source_why),
    Hint(
        "logo-word",
        _note("logo-word", 16, on_page=True),
        _said("Marked as a logo: its class, id, alt text, file name or container says logo or brand."),
    ),
    Hint(
        "home-link",
        _note("home-link", 12, on_page=True),
        _said("Links to the home page, as a site's logo does."),
    ),
    Hint("header", _note("header", 6, on_page=True), _said("Sits in the page header or navigation.")),
    Hint(
        "name-match",
        lambda c: 6.0 if "name-match" in c.notes and _on_page(c) else 3.0 if "name-match" in c.notes else 0.0,
        _said("Its file name or alt text carries the brand's name."),
    ),
    Hint(
        "unmarked",
        lambda c: -26.0 if _on_page(c) and not any(n in c.notes for n in _MARKED) else 0.0,
        _said("A header picture that nothing marks as a logo: probably decoration."),
    ),
    Hint(
        "position",
        _order_points,
        lambda c, _p: f"Picture number {c.order + 1} of the header's marked pictures: the brand comes first.",
    ),
    Hint(
        "logo-named-share-image",
        lambda c: 46.0 if c.source == "og:image" and "logo-word" in c.notes else 0.0,
        _said("A share image whose file is named logo: small sites use their logo this way."),
    ),
    Hint(
        "variant",
        _note("variant", -4),
        _said("An alternative rendering (white, mobile, sticky...): the main one is better."),
    ),
    Hint(
        "secondary",
        _note("secondary", -12),
        _said("Belongs to a second organisation on the page (a brand or a partner)."),
    ),
    Hint(
        "footer",
        _note("footer", -30),
        _said("Sits in the page footer, where partners' and owners' marks are."),
    ),
    Hint("monochrome", _note("monochrome", -8), _said("A one-colour icon.")),
    Hint(
        "placeholder",
        _note("placeholder", -40),
        _said("A tiny stand-in image (lazy loading), not a picture."),
    ),
    Hint("size", _size_points, _size_why),
    Hint(
        "square-icon",
        lambda c: 4.0 if _is_vector(c) and c.kind == "icon" and not (c.width and c.height) else 0.0,
        _said("A scalable icon: square by definition."),
    ),
    Hint("aspect", _aspect_points, _aspect_why),
    Hint(
        "format",
        lambda c: _FORMAT_BONUS.get(c.format or "", 0.0),
        lambda c, _p: f"{(c.format or '').upper()} format.",
    ),
)
"""The hints in the order their points are added; a candidate's score is their sum, out of 100."""


def explain(c: LogoCandidate) -> list[tuple[Hint, float]]:
    """The hints that apply to ``c`` with their points, in table order (zero-point hints left out)."""
    out = []
    for hint in HINTS:
        points = hint.points(c)
        if points:
            out.append((hint, points))
    return out


def _score_of(applied: Iterable[tuple[Hint, float]]) -> float:
    points = 0.0
    for _, p in applied:
        points += p
    return round(max(0.01, min(points, 100.0)) / 100.0, 3)


def score(c: LogoCandidate) -> float:
    """Score in [0, 1]: the sum of the hints' points (kind and source first, then context, size,
    aspect and format), clamped to 1..100 and divided by 100."""
    return _score_of(explain(c))


def reasons(c: LogoCandidate) -> list[dict[str, Any]]:
    """Why ``c`` scored what it did: ``{"hint", "points", "why"}`` per hint that applies, the hint
    with the largest effect (either way) first, table order between equals."""
    applied = sorted(explain(c), key=lambda hp: -abs(hp[1]))
    return [{"hint": h.name, "points": round(float(p), 1), "why": h.why(c, p)} for h, p in applied]


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


_TAB_NEWLINE = re.compile(r"[\t\n\r]")


def resolve(base: str, ref: str | None) -> str | None:
    """Absolute http(s) or data: URL of ``ref`` against ``base``; None for anything else."""
    if not ref:
        return None
    ref = ref.strip()
    if not ref:
        return None
    if ref[:5].lower() == "data:":
        return "data:" + ref[5:]
    if "\t" in ref or "\n" in ref or "\r" in ref:
        ref = _TAB_NEWLINE.sub("", ref)
    try:
        absolute = urljoin(base, ref)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute
