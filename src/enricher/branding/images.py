"""Image checks: is a downloaded logo candidate a real, usable image, how big is it, what colours.

Bodies come from untrusted sites, so decoding is defensive:

* raster images are opened with an explicit format allow-list (PNG, JPEG, GIF, WebP, ICO), their
  size is checked against ``max_pixels`` *before* any pixel is decoded, and Pillow's
  ``DecompressionBombWarning`` is raised as an error (scoped with ``warnings.catch_warnings``, the
  global ``MAX_IMAGE_PIXELS`` is left alone); PNG frames inside an ICO are sized from their header
  before Pillow decodes them; the largest ICO frame is the one measured;
* SVG is parsed with defusedxml (no DTDs, entities or external references: no XXE, no billion
  laughs), sized from ``width``/``height`` or ``viewBox`` and never rasterised;
* HTML served as an image (a soft-404 page at ``/favicon.ico``), 1×1 tracking pixels and blank
  images (transparent or one flat colour) are rejected with a reason.

:func:`rank_checked` orders checked candidates by kind (logo over icon), real size (≥ 128 px),
squareness and format (svg > png > webp > jpg > ico) on top of the extraction's own signal score.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from PIL import Image, UnidentifiedImageError

from enricher.errors import FetchError

__all__ = [
    "ALLOWED_FORMATS",
    "CheckedCandidate",
    "ImageInfo",
    "ImageRejectedError",
    "check_image",
    "check_svg",
    "rank_checked",
]

ALLOWED_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "ICO")
"""Raster formats Pillow may decode; everything else (TIFF, PSD, EPS...) is refused unopened."""

DEFAULT_MAX_PIXELS = 4096 * 4096
_FORMAT_NAMES = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp", "ICO": "ico"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageRejectedError(FetchError):
    """The body is not a usable logo; ``reason`` says why (bomb, HTML, 1×1, blank, bad SVG...)."""

    def __init__(self, reason: str, *, url: str = "") -> None:
        super().__init__(f"image rejected: {reason}", url=url)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    """What a checked image really is."""

    format: str  # svg, png, jpg, gif, webp, ico
    width: int | None
    height: int | None
    colors: tuple[str, ...] = ()
    frames: int = 1


def check_image(
    data: bytes, *, content_type: str | None = None, url: str = "", max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageInfo:
    """Check one downloaded candidate; returns its real format, size and colours or raises why not."""
    if not data:
        raise ImageRejectedError("empty body", url=url)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        ctype in ("text/html", "application/xhtml+xml") and not head.startswith(_PNG_SIGNATURE.lower())
    ):
        raise ImageRejectedError("HTML served as an image", url=url)
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) or ctype == "image/svg+xml":
        return check_svg(data, url=url)
    if data[:4] == b"\x00\x00\x01\x00":
        _check_ico_frames(data, max_pixels, url)
    return _check_raster(data, max_pixels, url)


def _check_ico_frames(data: bytes, max_pixels: int, url: str) -> None:
    """Refuse an ICO whose embedded PNG frames are larger than ``max_pixels`` (Pillow decodes on open)."""
    if len(data) < 6:
        raise ImageRejectedError("truncated ICO", url=url)
    (count,) = struct.unpack_from("<H", data, 4)
    if count == 0 or count > 256 or len(data) < 6 + 16 * count:
        raise ImageRejectedError("malformed ICO directory", url=url)
    for i in range(count):
        offset = struct.unpack_from("<I", data, 6 + 16 * i + 12)[0]
        frame = data[offset : offset + 24]
        if frame.startswith(_PNG_SIGNATURE) and len(frame) == 24:
            w, h = struct.unpack(">II", frame[16:24])
            if w * h > max_pixels:
                raise ImageRejectedError(f"ICO frame of {w}x{h} pixels (decompression bomb)", url=url)


def _check_raster(data: bytes, max_pixels: int, url: str) -> ImageInfo:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. ICO "not the expected size": handled below
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)) as im:
                fmt = _FORMAT_NAMES.get(im.format or "", "")
                width, height = im.size  # ICO: Pillow selects the largest frame
                frames = len(im.info.get("sizes", ())) or int(getattr(im, "n_frames", 1))
                if width * height > max_pixels:
                    raise ImageRejectedError(f"{width}x{height} pixels (decompression bomb)", url=url)
                im.load()
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageRejectedError(f"{width}x{height} pixels (decompression bomb)", url=url)
                rgba = im.convert("RGBA")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejectedError("decompression bomb", url=url) from None
        except UnidentifiedImageError:
            raise ImageRejectedError("not an image in an allowed format", url=url) from None
        except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
            raise ImageRejectedError(f"corrupt image ({type(exc).__name__})", url=url) from None
    if width <= 1 or height <= 1:
        raise ImageRejectedError(f"{width}x{height} tracking pixel", url=url)
    rgba.thumbnail((64, 64))
    if _is_blank(rgba):
        raise ImageRejectedError("blank image (transparent or one flat colour)", url=url)
    return ImageInfo(fmt, width, height, dominant_colors(rgba), frames)


def _is_blank(rgba: Image.Image) -> bool:
    raw = rgba.tobytes()
    alpha = raw[3::4]
    if max(alpha) < 16:
        return True
    if max(alpha) - min(alpha) > 24:
        return False  # a shape on a transparent background, even one-coloured, is a logo
    spans = [max(raw[i::4]) - min(raw[i::4]) for i in range(3)]
    return max(spans) <= 8


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def dominant_colors(rgba: Image.Image, limit: int = 4) -> tuple[str, ...]:
    """The brand's main colours, most used first; transparent pixels and a white ground left out."""
    if max(rgba.size) > 32:  # colours do not need detail: a small copy is quicker to scan
        rgba = rgba.resize((min(32, rgba.width), min(32, rgba.height)), Image.Resampling.BOX)
    raw = rgba.tobytes()
    opaque = b"".join(raw[i : i + 3] for i in range(0, len(raw), 4) if raw[i + 3] >= 128)
    if not opaque:
        return ()
    flat = Image.frombytes("RGB", (len(opaque) // 3, 1), opaque)
    quantized = flat.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    palette: list[int] = list(quantized.getpalette() or [])
    counts = sorted(quantized.getcolors() or [], reverse=True)
    kept: list[tuple[int, int, int]] = []
    for _count, index in counts:
        if not isinstance(index, int):
            continue
        r, g, b = palette[index * 3 : index * 3 + 3]
        if min(r, g, b) > 235 and len(counts) > 1:
            continue  # background white
        # Anti-aliased edges give near-copies of a colour: keep the most used one only.
        if all(abs(r - k[0]) + abs(g - k[1]) + abs(b - k[2]) > 60 for k in kept):
            kept.append((r, g, b))
    return tuple(_hex(c) for c in kept[:limit]) or ("#ffffff",)


# --- SVG ---------------------------------------------------------------------------------------------

_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(px|pt|pc|mm|cm|in|em|ex)?\s*$", re.I)
_UNIT = {
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
    "em": 16.0,
    "ex": 8.0,
}
_DRAWING = {"path", "rect", "circle", "ellipse", "polygon", "polyline", "line", "text", "image", "use"}
MAX_SVG_SIDE = 1_000_000.0
"""Largest width, height or viewBox number believed; beyond it (1e400 is infinite) the SVG is refused."""
_COLOUR = re.compile(r"#(?:[0-9a-f]{6}|[0-9a-f]{3})\b|rgb\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)", re.I)
_COLOUR_ATTRS = ("fill", "stroke", "stop-color", "color", "style")


def _length(value: str | None) -> float | None:
    if not value:
        return None
    m = _LENGTH.match(value)
    if not m:
        return None  # percentages and junk: fall back to the viewBox
    return float(m.group(1)) * _UNIT[(m.group(2) or "px").lower()]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _norm_colour(text: str, url: str) -> str | None:
    text = text.lower()
    if text.startswith("#"):
        if len(text) == 4:
            text = "#" + "".join(ch * 2 for ch in text[1:])
        return text
    digits = re.findall(r"\d+", text)[:3]
    if any(len(n) > 6 for n in digits):  # rgb(99999...9, 0, 0): 5,000 digits is an attack, not a colour
        raise ImageRejectedError("SVG colour out of range", url=url)
    nums = [int(n) for n in digits]
    return _hex((min(nums[0], 255), min(nums[1], 255), min(nums[2], 255))) if len(nums) == 3 else None


def check_svg(data: bytes, *, url: str = "") -> ImageInfo:
    """Parse an SVG safely and read its size and colours; raises ImageRejectedError on anything odd."""
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ImageRejectedError(f"unsafe SVG ({type(exc).__name__})", url=url) from None
    except (ParseError, ValueError, UnicodeDecodeError):
        raise ImageRejectedError("malformed SVG", url=url) from None
    if _local(root.tag) != "svg":
        raise ImageRejectedError(f"XML root is <{_local(root.tag) or '?'}>, not <svg>", url=url)
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = [float(v) for v in re.findall(r"-?[0-9]*\.?[0-9]+(?:e[-+]?\d+)?", root.get("viewBox") or "", re.I)]
    if any(not (math.isfinite(v) and abs(v) <= MAX_SVG_SIDE) for v in (*box, width or 0.0, height or 0.0)):
        raise ImageRejectedError("SVG size out of range", url=url)
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        if width is None and height is None:
            width, height = box[2], box[3]
        elif width is None and height:
            width = height * box[2] / box[3]
        elif height is None and width:
            height = width * box[3] / box[2]
    drawn = False
    colours: Counter[str] = Counter()
    for element in root.iter():
        name = _local(element.tag)
        if name in ("script", "foreignobject"):
            raise ImageRejectedError(f"SVG with <{name}>", url=url)
        if any(_local(attr).startswith("on") for attr in element.attrib):
            raise ImageRejectedError("SVG with event handlers", url=url)
        drawn = drawn or name in _DRAWING
        for attr in _COLOUR_ATTRS:
            for m in _COLOUR.finditer(element.get(attr) or ""):
                colour = _norm_colour(m.group(0), url)
                if colour:
                    colours[colour] += 1
    if not drawn:
        raise ImageRejectedError("blank SVG (nothing drawn)", url=url)
    if width is not None and height is not None and (width <= 1 or height <= 1):
        raise ImageRejectedError(f"{width:g}x{height:g} SVG", url=url)
    ordered = [c for c, _ in colours.most_common() if c not in ("#ffffff",)] or [
        c for c, _ in colours.most_common()
    ]
    return ImageInfo(
        "svg",
        round(width) if width else None,
        round(height) if height else None,
        tuple(ordered[:4]),
    )


# --- ranking ------------------------------------------------------------------------------------------

_KIND = {"logo": 0.18, "icon": 0.09, "image": 0.03, "favicon": 0.02}
_FORMAT = {"svg": 0.12, "png": 0.10, "webp": 0.08, "jpg": 0.05, "gif": 0.04, "ico": 0.02}


@dataclass(frozen=True)
class CheckedCandidate:
    """A candidate after download and checks: the extraction's evidence plus the real facts."""

    url: str
    source: str
    kind: str
    signal_score: float  # the extraction's score, from the HTML alone
    info: ImageInfo
    score: float = 0.0
    notes: tuple[str, ...] = field(default=())
    page_reasons: tuple[dict[str, Any], ...] = field(default=())  # the extraction's reasons for signal_score

    def to_contract(self) -> dict[str, object]:
        """The candidate as DESIGN.md's ``brand`` JSON lists it, with the real size and format and the
        ``reasons`` for its score (what the page said, then what the download showed)."""
        return {
            "url": self.url,
            "source": self.source,
            "width": self.info.width,
            "height": self.info.height,
            "score": self.score,
            "format": self.info.format,
            "kind": self.kind,
            "reasons": self.reasons(),
        }

    def reasons(self) -> list[dict[str, Any]]:
        """``{"hint", "points", "why"}`` per part of the final score (points out of 100), largest first."""
        parts = _final_parts(self.kind, self.signal_score, self.info)
        out = []
        for name, value in sorted(parts, key=lambda nv: -abs(nv[1])):
            if value:
                out.append({"hint": name, "points": round(value * 100, 1), "why": self._why(name)})
        return out

    def _why(self, name: str) -> str:
        info = self.info
        size = f"{info.width}x{info.height}" if info.width and info.height else "of unknown size"
        if name == "page":
            said = "; ".join(f"{r['why'].rstrip('.')} ({r['points']:+g})" for r in self.page_reasons)
            return f"What the page says about it scored {self.signal_score:.2f}" + (
                f": {said}." if said else "."
            )
        if name == "kind":
            return f"A {self.kind}: a logo beats an icon, an icon beats a photo."
        if name == "size":
            return "A vector image: any size." if info.format == "svg" else f"Downloaded {size} pixels."
        if name == "square":
            return f"Squareness of the real image ({size})."
        if name == "large":
            return f"Larger than 128 px ({size}): a little better still."
        return f"{info.format.upper()} format, checked."


def _final_parts(kind: str, signal: float, info: ImageInfo) -> list[tuple[str, float]]:
    """The named parts of :func:`final_score`, in the order they are added."""
    size = 0.15
    w, h = info.width or 0, info.height or 0
    if info.format != "svg":
        size *= min(1.0, min(w, h) / 128) if w and h else 0.3
    square = 0.08 * (min(w, h) / max(w, h)) if w and h else 0.04
    # Past 128 px more is only a tie-break (512 over 192 among a manifest's icons).
    extra = 0.02 * min(1.0, max(0, min(w, h) - 128) / 384) if info.format != "svg" and w and h else 0.0
    return [
        ("page", 0.45 * max(0.0, min(signal, 1.0))),
        ("kind", _KIND.get(kind, 0.0)),
        ("size", size),
        ("square", square),
        ("large", extra),
        ("format", _FORMAT.get(info.format, 0.0)),
    ]


def final_score(kind: str, signal: float, info: ImageInfo) -> float:
    """Score in [0, 1]: extraction signal (0.45), kind (0.2), real size (0.15 + 0.02), squareness (0.08)
    and format (0.12)."""
    parts = _final_parts(kind, signal, info)
    total = parts[0][1] + parts[1][1] + parts[2][1] + parts[3][1] + parts[4][1]
    return round(total + parts[5][1], 3)


def rank_checked(items: Iterable[CheckedCandidate]) -> list[CheckedCandidate]:
    """Score checked candidates and sort them best first (ties: extraction order is kept)."""
    scored = [replace(c, score=final_score(c.kind, c.signal_score, c.info)) for c in items]
    return sorted(scored, key=lambda c: -c.score)
