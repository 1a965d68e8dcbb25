"""Long fuzzing runs of the inputs a stranger controls (issue 11): JSONL records, the decisions file,
webhook bodies and headers. The suite runs the same properties bounded (tests/test_fuzz_inputs.py).

    .venv/bin/python benchmarks/fuzz_inputs.py [--examples 2000] [--only jsonl decisions webhook headers]

For each parser: examples run, failures (the first one's input is printed, to keep as an ``@example``
in the tests), examples/s and the slowest single call against the time bound. Exit 1 on a failure.
(The HTML extraction has its own long run: benchmarks/fuzz_branding.py.)
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from enricher.webhooks import WebhookVerifier, parse_secrets
from input_fuzzing import (
    TIME_BOUND,
    check_decisions,
    check_jsonl,
    check_webhook_body,
    check_webhook_headers,
    decision_files,
    jsonl_files,
    webhook_bodies,
)

SECRET = "whsec_" + base64.b64encode(b"a-thirty-two-byte-webhook-secret").decode()
LATIN1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=80)


def run(name: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], Any], examples: int) -> bool:
    slowest = 0.0
    count = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(value=strategy)
    def prop(value: Any) -> None:
        nonlocal slowest, count
        started = time.monotonic()
        check(value)
        slowest = max(slowest, time.monotonic() - started)
        count += 1

    started = time.monotonic()
    try:
        prop()
        failed = None
    except Exception as exc:  # the property's own failure, shrunk by Hypothesis
        failed = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    took = time.monotonic() - started
    status = "OK" if failed is None else "FAILED"
    print(
        f"{name:9s} {count:6d} examples in {took:6.1f} s ({count / took:6.0f}/s), "
        f"slowest call {slowest:5.2f} s (bound {TIME_BOUND:g} s): {status}"
    )
    if failed:
        print(f"          {failed[:2000]}")
    return failed is None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=2000, help="examples per parser (default 2000)")
    parser.add_argument("--only", nargs="*", default=["jsonl", "decisions", "webhook", "headers"])
    args = parser.parse_args()
    verifier = WebhookVerifier(parse_secrets(SECRET))
    headers = st.tuples(
        st.one_of(st.none(), LATIN1),
        st.one_of(st.none(), LATIN1, st.integers(-(10**12), 10**12).map(str)),
        st.one_of(
            st.none(), LATIN1, st.lists(LATIN1, max_size=4).map(lambda v: " ".join(f"v1,{x}" for x in v))
        ),
        st.binary(max_size=100),
    )
    plans: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], Any]]] = {
        "jsonl": (jsonl_files(), check_jsonl),
        "decisions": (decision_files(), check_decisions),
        "webhook": (webhook_bodies(), check_webhook_body),
        "headers": (headers, lambda h: check_webhook_headers(verifier, *h)),
    }
    ok = True
    for name in args.only:
        strategy, check = plans[name]
        ok &= run(name, strategy, check, args.examples)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
