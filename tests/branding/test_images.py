"""Image checks on real bytes made with Pillow (and hand-made bombs and hostile SVGs)."""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "sites"))
from sites_server import bomb_png

from enricher.branding.images import (
    CheckedCandidate,
    ImageInfo,
    ImageRejectedError,
    check_image,
    final_score,
    rank_checked,
)


def encode(im: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def logo(w: int = 200, h: int = 100) -> Image.Image:
    im = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w // 2, h - 1), fill=(200, 30, 40, 255))
    d.ellipse((w // 2, 0, w - 1, h - 1), fill=(20, 40, 160, 255))
    return im


def rejected(data: bytes, **kw: object) -> str:
    with pytest.raises(ImageRejectedError) as info:
        check_image(data, **kw)  # type: ignore[arg-type]
    return info.value.reason


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")])
def test_real_logos_pass_with_their_size_and_colours(fmt: str, name: str) -> None:
    info = check_image(encode(logo(), fmt))
    assert (info.format, info.width, info.height) == (name, 200, 100)
    assert len(info.colors) >= 2


def test_jpeg_passes_and_its_colours_skip_the_white_ground() -> None:
    im = Image.new("RGB", (160, 160), (255, 255, 255))
    ImageDraw.Draw(im).rectangle((40, 40, 120, 120), fill=(0, 110, 60))
    info = check_image(encode(im, "JPEG"))
    assert info.format == "jpg"
    r, g, b = (int(info.colors[0][i : i + 2], 16) for i in (1, 3, 5))
    assert g > r + 60 and g > b + 30  # the green square, not the white page


def test_formats_outside_the_allow_list_are_refused_unopened() -> None:
    for fmt in ("TIFF", "BMP", "PPM"):
        assert rejected(encode(logo().convert("RGB"), fmt)) == "not an image in an allowed format"


def test_decompression_bomb_over_the_pixel_cap_is_refused_before_decoding() -> None:
    # 5000x5000 is under Pillow's own limit but over ours: refused from the header alone.
    assert "decompression bomb" in rejected(bomb_png(5000, 5000))
    # 30000x30000 trips Pillow's DecompressionBombError/Warning, turned into a rejection.
    assert "decompression bomb" in rejected(bomb_png(30000, 30000))
    assert "decompression bomb" in rejected(bomb_png(3000, 3000), max_pixels=1_000_000)


def test_ico_with_a_bomb_png_frame_is_refused_before_pillow_decodes_it() -> None:
    frame = bomb_png(9000, 9000)
    header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(frame), 22)
    assert "decompression bomb" in rejected(header + frame)


def test_the_largest_ico_frame_is_measured() -> None:
    data = encode(logo(128, 128), "ICO", sizes=[(16, 16), (32, 32), (48, 48), (128, 128)])
    info = check_image(data)
    assert (info.format, info.width, info.height, info.frames) == ("ico", 128, 128, 4)


def test_tracking_pixels_are_refused() -> None:
    assert "tracking pixel" in rejected(encode(Image.new("RGBA", (1, 1), (0, 0, 0, 255))))
    assert "tracking pixel" in rejected(encode(Image.new("RGB", (1, 40), (200, 0, 0)), "GIF"))


def test_blank_images_are_refused_but_a_one_colour_shape_is_not() -> None:
    assert "blank" in rejected(encode(Image.new("RGBA", (64, 64), (0, 0, 0, 0))))
    assert "blank" in rejected(encode(Image.new("RGB", (300, 100), (255, 255, 255))))
    assert "blank" in rejected(encode(Image.new("RGB", (300, 100), (12, 80, 200)), "JPEG"))
    shape = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(shape).ellipse((8, 8, 56, 56), fill=(0, 0, 0, 255))
    assert check_image(encode(shape)).colors == ("#000000",)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>404</title></head></html>",
        b"\n\n  <html><body>Not found</body></html>",
        b"\xef\xbb\xbf<!doctype HTML>",
    ],
)
def test_html_served_as_an_image_is_refused(body: bytes) -> None:
    assert rejected(body, content_type="image/x-icon") == "HTML served as an image"


def test_an_html_content_type_is_refused_too() -> None:
    assert rejected(b"GIF89a....", content_type="text/html; charset=utf-8") == "HTML served as an image"


def test_corrupt_and_empty_bodies() -> None:
    assert rejected(b"") == "empty body"
    assert rejected(encode(logo())[:60]).startswith("corrupt image")


SVG_OK = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240px" height="80" viewBox="0 0 480 160">'
    b'<rect width="160" height="160" fill="#C01020"/><path d="M200 0h280v160H200z" style="fill:#123"/></svg>'
)


def test_svg_is_sized_and_coloured_without_rasterising() -> None:
    info = check_image(SVG_OK)
    assert info == ImageInfo("svg", 240, 80, ("#c01020", "#112233"), 1)


def test_svg_size_falls_back_to_the_viewbox() -> None:
    data = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 96" width="100%"><circle r="9"/></svg>'
    assert (check_image(data).width, check_image(data).height) == (320, 96)
    only_width = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" viewBox="0 0 32 16"><circle r="9"/></svg>'
    )
    assert (check_image(only_width).width, check_image(only_width).height) == (64, 32)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://127.0.0.1:1/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_hostile_svg_is_refused_by_defusedxml(body: bytes) -> None:
    assert rejected(body).startswith("unsafe SVG")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect/></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "event handlers"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g/></svg>', "blank SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect/></svg>', "1x1 SVG"),
        (b"<?xml version='1.0'?><html><body/></html>", "not <svg>"),
        (b"<svg><rect></svg>", "malformed SVG"),
    ],
)
def test_svg_traps(body: bytes, reason: str) -> None:
    assert reason in rejected(body, content_type="image/svg+xml")


def checked(kind: str, fmt: str, w: int | None, h: int | None, signal: float = 0.5) -> CheckedCandidate:
    return CheckedCandidate(
        url=f"https://x.example/{kind}.{fmt}", source="img", kind=kind, signal_score=signal,
        info=ImageInfo(fmt, w, h),
    )  # fmt: skip


def test_ranking_prefers_logos_big_square_and_vector() -> None:
    assert final_score("logo", 0.5, ImageInfo("png", 200, 200)) > final_score(
        "icon", 0.5, ImageInfo("png", 200, 200)
    )
    assert final_score("icon", 0.5, ImageInfo("png", 180, 180)) > final_score(
        "icon", 0.5, ImageInfo("png", 32, 32)
    )
    assert final_score("icon", 0.5, ImageInfo("png", 128, 128)) > final_score(
        "icon", 0.5, ImageInfo("png", 256, 64)
    )
    by_format = [
        final_score("logo", 0.5, ImageInfo(f, 200, 200)) for f in ("svg", "png", "webp", "jpg", "ico")
    ]
    assert by_format == sorted(by_format, reverse=True) and len(set(by_format)) == 5
    ranked = rank_checked([checked("icon", "png", 192, 192), checked("icon", "png", 512, 512)])
    assert ranked[0].info.width == 512
    assert 0 < ranked[-1].score <= 1


def test_a_large_png_under_the_cap_still_decodes() -> None:
    # Sanity: the pixel cap does not refuse a normal large logo.
    data = encode(logo(1200, 400))
    assert check_image(data).width == 1200
