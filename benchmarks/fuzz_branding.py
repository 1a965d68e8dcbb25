"""Long fuzz runs of branding extraction: HTML, JSON-LD, the web app manifest and SVG images.

    .venv/bin/python benchmarks/fuzz_branding.py [--examples 2000] [--seed N]

The same properties as the bounded suite tests (tests/branding/test_fuzz_extract.py, strategies in
tests/branding/branding_fuzzing.py), with many more examples: no uncaught exception, a result or a clear
error, every call within the time bound. Prints examples run, failures and the slowest call per
target; exit 1 on a failure, with Hypothesis's falsifying example (keep it as an ``@example``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "branding"))
from branding_fuzzing import (  # noqa: E402
    CHARSETS,
    JSON_TEXTS,
    TIME_BOUND,
    URLS,
    check_extraction,
    check_image_bytes,
    check_manifest,
    element,
    json_ld_script,
    pages,
    svg_markup,
)

from enricher.branding import extract  # noqa: E402

BASE = extract(b"<title>Acme</title>", "https://acme.pl/")


def targets() -> dict[str, tuple[Any, Callable[..., object]]]:
    """name -> (strategy of keyword arguments, the property)."""
    return {
        "page": (
            st.fixed_dictionaries({"html": pages(), "url": URLS}),
            lambda html, url: check_extraction(html, url),
        ),
        "bytes+charset": (
            st.fixed_dictionaries(
                {"html": st.binary(max_size=4000), "url": URLS, "enc": st.none() | CHARSETS}
            ),
            lambda html, url, enc: check_extraction(html, url, encoding=enc),
        ),
        "signals": (
            st.fixed_dictionaries({"parts": st.lists(element(), max_size=20), "url": URLS}),
            lambda parts, url: check_extraction("".join(parts), url),
        ),
        "json-ld": (
            st.fixed_dictionaries({"text": JSON_TEXTS}),
            lambda text: check_extraction(json_ld_script(text), "https://acme.pl/"),
        ),
        "manifest": (
            st.fixed_dictionaries({"text": JSON_TEXTS | st.binary(max_size=600)}),
            lambda text: check_manifest(BASE, text),
        ),
        "svg image": (
            st.fixed_dictionaries({"svg": svg_markup(), "ctype": st.sampled_from(["image/svg+xml", None])}),
            lambda svg, ctype: check_image_bytes(svg.encode(), ctype),
        ),
    }  # fmt: skip


def run(name: str, strategy: Any, prop: Callable[..., object], examples: int, run_seed: int) -> bool:
    count, slowest = 0, 0.0

    @seed(run_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(kwargs=strategy)
    def fuzz(kwargs: dict[str, Any]) -> None:
        nonlocal count, slowest
        started = time.perf_counter()
        prop(**kwargs)
        slowest = max(slowest, time.perf_counter() - started)
        count += 1

    started = time.perf_counter()
    try:
        fuzz()
    except Exception:
        print(f"  {name:<14} FAILED after {count} examples:")
        traceback.print_exc()
        return False
    wall = time.perf_counter() - started
    print(f"  {name:<14} {count:>6} examples  {wall:7.1f} s  slowest call {slowest * 1000:8.1f} ms  ok")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=2000, help="examples per target (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    parser.add_argument("--only", choices=sorted(targets()), help="fuzz one target")
    args = parser.parse_args()
    print(f"Fuzzing branding extraction: {args.examples} examples per target, seed {args.seed}, "
          f"time bound {TIME_BOUND:g} s per call")  # fmt: skip
    ok = True
    for name, (strategy, prop) in targets().items():
        if args.only and name != args.only:
            continue
        ok = run(name, strategy, prop, args.examples, args.seed) and ok
    print(json.dumps({"ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
