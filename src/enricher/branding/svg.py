"""Inline ``<svg>`` logos: found by their marks, serialised as a standalone, script-free document.

The HTML parser lower-cases names and knows nothing of SVG, so the serialiser puts the camelCase
names back, drops scripts, event handlers and foreign content, and inlines ``<use href="#id">``
sprite references so the ``data:`` URI stands alone.
"""

from __future__ import annotations

import base64
import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from enricher.branding.candidates import DATA_URI_MAX_BYTES, resolve, trap_reason
from enricher.branding.scan import (
    LOGO_RE,
    Scan,
    attrs_text,
    context_notes,
    context_of,
    near_marks,
    region_of,
    text_of,
    to_int,
)

__all__ = ["MAX_SIDE", "SVG_MAX_BYTES", "inline_svg", "serialise_svg", "svg_size"]

#: Largest serialised inline ``<svg>`` turned into a ``data:`` logo URL.
SVG_MAX_BYTES = 64 * 1024

_SVG_CAMEL = (
    "viewBox preserveAspectRatio gradientUnits gradientTransform patternUnits patternContentUnits "
    "patternTransform clipPathUnits maskUnits maskContentUnits markerWidth markerHeight markerUnits refX "
    "refY spreadMethod startOffset textLength lengthAdjust stdDeviation baseFrequency numOctaves "
    "filterUnits primitiveUnits pathLength linearGradient radialGradient clipPath textPath foreignObject "
    "feBlend feColorMatrix feComposite feFlood feGaussianBlur feMerge feMergeNode feOffset feMorphology "
    "feDropShadow feTurbulence feImage feTile xChannelSelector yChannelSelector tableValues"
)
_SVG_NAMES = {n.lower(): n for n in _SVG_CAMEL.split()}
_DRAWING = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "image"}
_SVG_NS = "http://www.w3.org/2000/svg"


def inline_svg(el: Any, scan: Scan) -> None:
    own = attrs_text(el) + " " + (el.get("aria-label") or "").lower()
    title = next(el.iterchildren("title"), None)  # el.find("title"), without ElementPath: 10x cheaper
    title_text = text_of(title).strip() if title is not None else ""
    own_logo = bool(LOGO_RE.search(own + " " + title_text.lower()))
    near = near_marks(el, scan)
    if not (own_logo or near[0] or near[1]):
        return  # header icons (search, cart, burger) are inline SVG too: only marked ones count
    ctx = context_of(el, scan, near)
    if region_of(el, scan).in_svg and el.getparent() is not None and region_of(el.getparent(), scan).in_svg:
        return  # nested <svg>: its outermost <svg> is the picture
    if ctx.trap:
        scan.dropped.append(("inline svg", ctx.trap))
        return
    why = trap_reason("", own, title_text, own_domain=scan.domain, strict=True)
    if why:
        scan.dropped.append(("inline svg", why))
        return
    size = svg_size(el)
    if size is None:
        scan.dropped.append(("inline svg", "width/height out of range"))
        return
    data = serialise_svg(el, scan)
    if data is None:
        return
    width, height = size
    alt = (el.get("aria-label") or title_text or "").strip() or None
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    if scan.add(uri, "svg", "logo", width=width, height=height, alt=alt,
                notes=context_notes(ctx, own_logo), check_trap=False) is not None:  # fmt: skip
        scan.img_order += 1


#: Largest width, height or viewBox side believed; beyond it (1e400, inf, NaN) the picture is hostile.
MAX_SIDE = 1_000_000.0


def _number(value: str | None) -> float | None:
    """A length attribute's number ("120", "120px", "1e3"), None when absent or not a number."""
    if not value:
        return None
    text = value.strip().lower().removesuffix("px").strip()
    try:
        return float(text)
    except ValueError:
        return None  # "100%", "auto": no size stated


def svg_size(el: Any) -> tuple[int | None, int | None] | None:
    """(width, height) an inline ``<svg>`` states (its viewBox when it has no width), or None when a
    stated number is not finite or out of range (``width="1e400"``): such a picture is dropped."""
    numbers = [_number(el.get("width")), _number(el.get("height"))]
    box = [_number(v) for v in (el.get("viewbox") or "").replace(",", " ").split()]
    if any(n is not None and not (math.isfinite(n) and abs(n) <= MAX_SIDE) for n in (*numbers, *box)):
        return None
    width, height = to_int(el.get("width")), to_int(el.get("height"))
    if width is None and len(box) == 4 and box[2] is not None and box[3] is not None:
        width, height = round(box[2]), round(box[3])
    return (width or None, height or None)


def serialise_svg(el: Any, scan: Scan | None = None) -> bytes | None:
    """A standalone SVG document for an inline ``<svg>``: names re-cased, scripts, event handlers and
    foreign content removed, ``<use href="#id">`` sprites inlined; None if empty or too large."""
    out: list[str] = []
    size = 0
    drawing = False
    root = el.getroottree().getroot()

    def emit(node: Any, top: bool, depth: int) -> bool:
        nonlocal size, drawing
        tag = node.tag
        if not isinstance(tag, str) or depth > 40:
            return True
        tag = tag.lower()
        if tag in ("script", "foreignobject"):
            return True
        if tag == "use":
            ref = node.get("href") or node.get("xlink:href") or ""
            found = root.xpath("//*[@id=$i]", i=ref[1:]) if ref.startswith("#") else []
            if found and found[0].tag in ("symbol", "g", "svg", "path") and found[0] is not el:
                # A sprite reference: inline the symbol as a nested <svg> so the data: URI stands alone.
                sym = found[0]
                keep = {k: node.get(k) for k in ("x", "y", "width", "height") if node.get(k)}
                if sym.get("viewbox"):
                    keep["viewBox"] = sym.get("viewbox")
                out.append("<svg" + "".join(f" {k}={quoteattr(str(v))}" for k, v in keep.items()) + ">")
                children = list(sym) if sym.tag != "path" else [sym]
                for child in children:
                    if not emit(child, False, depth + 1):
                        return False
                out.append("</svg>")
                return True
        name = _SVG_NAMES.get(tag, tag)
        if tag in _DRAWING:
            drawing = True
        attrs = []
        for k, v in node.attrib.items():
            k = str(k).lower()
            if k.startswith("on") or (
                k.endswith("href") and str(v).strip().lower().startswith("javascript:")
            ):
                continue
            if k in ("xmlns", "xmlns:xlink"):
                continue
            if k.endswith("href") and scan is not None and not str(v).startswith(("#", "data:")):
                # An embedded <image href="logo.png">: absolute, so the standalone data: URI still works.
                v = resolve(scan.base, str(v)) or ""
            attrs.append(f" {_SVG_NAMES.get(k, k)}={quoteattr(str(v))}")
        if top:
            attrs.insert(0, f' xmlns="{_SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink"')
        piece = f"<{name}{''.join(attrs)}>"
        out.append(piece)
        size += len(piece)
        if node.text:
            out.append(escape(node.text))
            size += len(node.text)
        for child in node:
            if not emit(child, False, depth + 1):
                return False
            if child.tail:
                out.append(escape(child.tail))
                size += len(child.tail)
        out.append(f"</{name}>")
        return size <= SVG_MAX_BYTES

    if not emit(el, True, 0) or not drawing:
        return None
    data = "".join(out).encode("utf-8")
    return data if len(data) <= min(SVG_MAX_BYTES, DATA_URI_MAX_BYTES) else None
