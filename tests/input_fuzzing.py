"""Hypothesis strategies and properties for the files and bodies a stranger or a careless colleague
controls: JSONL records (the dedupe input and matching's record reader), the decisions file, and
webhook bodies (issue 11).

Property for each: no uncaught exception; a result, or the parser's own clear one-line error; within
:data:`TIME_BOUND` seconds a call. Shared by the bounded tests (``tests/test_fuzz_inputs.py``) and the
long runs of ``benchmarks/fuzz_inputs.py``. (The HTML extraction has its own: tests/branding/fuzzing.py.)
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from enricher.errors import InputError
from enricher.matching.batches import prepare_keyed
from enricher.matching.records import Prepared, prepare_many
from enricher.records import JsonlFile, canonical_id, read_jsonl_lines
from enricher.review.decisions_file import DecisionsFile, DecisionsFileError, load_decisions
from enricher.webhooks import CounterpartyEvent, PayloadError, SignatureError, WebhookVerifier, parse_event

TIME_BOUND = 5.0
"""Seconds one call may take on any input (generous: the suite shares two cores)."""

# --- values --------------------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        '=HYPERLINK("http://evil.example")',
        "</script><b>x</b>",
        "a|s:b",
        "/counterparties/1",
        "/api/counterparties/001",
        "/invoices/9",
        "Zakład Usług Ślusarskich Sp. z o.o.",
        "\u202e\u2066RTL\u2069",
        "😀" * 50,
        "1e400",
        "NaN",
        "-0",
        "١٢٣",
        "x" * 5000,
        "word " * 3000,
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
)
TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=60))
IDS = st.one_of(
    st.integers(-5, 12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["1", " 1 ", "001", "/counterparties/1", "7", "/counterparties/7", "x1", "x1 ", "a|b"]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    TEXT,
    st.lists(st.integers(0, 3), max_size=2),
)


def json_values(depth: int = 3) -> st.SearchStrategy[Any]:
    """Any JSON value, a few levels deep."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
        max_leaves=depth * 4,
    )


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


FIELDS = [
    "name", "displayName", "tin", "tinCountry", "vatNumber", "country", "addressStreetLine",
    "addressBuildingNumber", "addressPostCode", "addressCity", "addressCountry", "addressPhoneNumber",
    "corporateWebsiteUrl", "website", "phone", "email", "logoUrl", "notes", "@id",
]  # fmt: skip

# --- JSONL records ----------------------------------------------------------------------------------


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if draw(st.booleans()) or draw(st.booleans()):
        record["id"] = draw(IDS)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        record[name] = draw(st.one_of(TEXT, json_values(2)))
    return record


@st.composite
def jsonl_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        return json.dumps(draw(records()), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == 6:
        return json.dumps(draw(json_values())).encode()
    if kind == 7:
        return deep(draw(st.sampled_from([10, 1000, 5000]))).encode()
    if kind == 8:
        return draw(st.binary(max_size=200)).replace(b"\n", b" ")
    return draw(st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b"{", b'{"id": 1', b"\x00" * 10]))


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(jsonl_lines(), max_size=12))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = newline.join(lines) + (newline if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data


_PROBLEM = re.compile(r"^line \d+: \S")


def check_jsonl(data: bytes, *, max_line_bytes: int = 4096, max_field_chars: int = 200) -> int:
    """Read ``data`` as the dedupe input and normalise what it yields; the number of good records.

    Both ways dedupe reads: line by line (a pipe) and in slices by the normalising processes (a file),
    which must agree."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_bytes(data)
        problems: list[str] = []
        started = time.monotonic()
        source = JsonlFile(path, max_line_bytes=max_line_bytes, max_field_chars=max_field_chars)
        try:
            lines = list(
                read_jsonl_lines(
                    path, problems, max_line_bytes=max_line_bytes, max_field_chars=max_field_chars
                )
            )
        except InputError as exc:  # binary data: the one run-level refusal, in one line
            assert "\n" not in str(exc) and str(path) in str(exc), exc
            with pytest.raises(InputError, match="binary data"):
                prepare_keyed(source, workers=1)
            return 0
        prepared = prepare_many(lines)
        sliced = prepare_keyed(source, workers=1)
        took = time.monotonic() - started
    assert sliced.problems == problems
    assert sliced.prepared == [item for item in prepared if isinstance(item, Prepared)]
    assert took < TIME_BOUND, f"{took:.1f} s"
    assert len(lines) + len(problems) <= data.count(b"\n") + 1
    for problem in problems:
        assert _PROBLEM.match(problem) and "\n" not in problem, problem
    keys = []
    for item in prepared:
        assert isinstance(item, Prepared | str)
        if isinstance(item, Prepared):
            keys.append(canonical_id(item.id))
    assert len(keys) == len(set(keys)), "one record read twice"
    return len(keys)


# --- the decisions file ----------------------------------------------------------------------------

DECISION_IDS = st.one_of(st.sampled_from([1, 2, 3, 4, 5, "1", " 2 ", "/counterparties/3", "x", "x "]), IDS)


@st.composite
def decisions(draw: st.DrawFn) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "kind": draw(st.sampled_from(["pair", "cluster", "other", None])),
        "ids": draw(st.lists(DECISION_IDS, max_size=5)),
        "decision": draw(st.sampled_from(["approve", "reject", "skip", "merge", 1])),
    }
    if draw(st.booleans()):
        decision["survivor"] = draw(DECISION_IDS)
    if draw(st.integers(0, 3)) == 0:
        decision["pairs"] = draw(st.lists(st.lists(DECISION_IDS, min_size=0, max_size=3), max_size=3))
    if draw(st.integers(0, 5)) == 0:
        decision[draw(TEXT)] = draw(json_values(2))
    return decision


SPELLINGS = {1: [1, "1", " 1 ", "/counterparties/1", "001"], 2: [2, "2"], 3: [3, "/api/counterparties/3"],
             4: [4], 5: [5, " 5"], "x": ["x", " x "]}  # fmt: skip


@st.composite
def plausible_decisions(draw: st.DrawFn) -> dict[str, Any]:
    """What the report exports, give or take: ids from a small pool, some written another way."""
    unique = draw(st.integers(0, 3)) > 0  # now and then one record named twice (a self-merge)
    chosen = draw(st.lists(st.sampled_from(list(SPELLINGS)), min_size=2, max_size=4, unique=unique))
    ids = [draw(st.sampled_from(SPELLINGS[i])) for i in chosen]
    verdict = draw(st.sampled_from(["approve", "approve", "approve", "reject", "skip"]))
    decision: dict[str, Any] = {
        "kind": "pair" if len(ids) == 2 else "cluster",
        "ids": ids,
        "decision": verdict,
    }
    if verdict == "approve":
        decision["survivor"] = draw(st.sampled_from(SPELLINGS[draw(st.sampled_from(chosen))]))
    if verdict == "reject" and len(ids) > 2 and draw(st.booleans()):
        decision["pairs"] = [ids[:2]]
    return decision


@st.composite
def decision_files(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 8:
        return draw(st.sampled_from(["", "{", "[]", "null", '{"format": "enricher.merge-decisions"}']))
    if kind == 9:
        return (
            '{"format": "enricher.merge-decisions", "version": 1, "decisions": '
            + deep(draw(st.sampled_from([100, 3000, 100_000])))
            + "}"
        )
    if kind <= 5:  # plausible files, so the promises of a loaded one get checked
        known = draw(st.lists(st.sampled_from(list(SPELLINGS)), min_size=4, max_size=6, unique=True))
        doc: dict[str, Any] = {
            "format": "enricher.merge-decisions",
            "version": 1,
            "records": [{"id": draw(st.sampled_from(SPELLINGS[i])), "fingerprint": f"v1:{i}"} for i in known],
            "decisions": draw(st.lists(plausible_decisions(), max_size=3)),
        }
    else:
        doc = {
            "format": "enricher.merge-decisions" if draw(st.integers(0, 9)) else draw(TEXT),
            "version": 1 if draw(st.integers(0, 9)) else draw(json_values(1)),
            "records": [
                {"id": i, "fingerprint": draw(st.sampled_from(["v1:a", "v1:b", ""]))}
                for i in draw(st.lists(DECISION_IDS, max_size=6))
            ],
            "decisions": draw(st.lists(decisions(), max_size=5)),
        }
    return json.dumps(doc, indent=draw(st.sampled_from([None, 1, 2])))


def check_decisions(text: str) -> DecisionsFile | None:
    """Load ``text`` as a decisions file; a loaded file keeps the promises ``merges apply`` relies on."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "decisions.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.monotonic()
        try:
            doc = load_decisions(path)
        except DecisionsFileError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            doc = None
        took = time.monotonic() - started
    assert took < TIME_BOUND, f"{took:.1f} s"
    if doc is None:
        return None
    survivor_of: dict[Any, Any] = {}
    for decision in doc.acted():
        for survivor, source in decision.merge_steps():
            assert canonical_id(survivor) == survivor and canonical_id(source) == source
            assert survivor != source, "a record merged into itself"
            assert survivor_of.setdefault(source, survivor) == survivor, f"{source!r} merged into two records"
            assert doc.snapshot(source) is not None and doc.snapshot(survivor) is not None
    assert not set(survivor_of) & set(survivor_of.values()), "a record merged away and kept"
    return doc


# --- webhook bodies ---------------------------------------------------------------------------------

TYPES = st.sampled_from(
    ["counterparty.created", "counterparty.updated", "Counterparty:Changed", "counterparties/update",
     "counterparty.deleted", "invoice.created", "ping", "", " ", "counterparty"]
)  # fmt: skip
DATA = st.one_of(
    IDS,
    st.sampled_from(
        ["/counterparties/12", "/api/counterparties/12", "/invoices/12", "/counterparties/", "//"]
    ),
    st.fixed_dictionaries({}, optional={"id": IDS, "@id": IDS, "iri": IDS, "counterparty": IDS}),
    st.lists(IDS, max_size=5),
    st.lists(st.just(1), min_size=999, max_size=1002),
    json_values(),
)


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 8:
        return draw(st.binary(max_size=300))
    if kind == 9:
        return deep(draw(st.sampled_from([10, 3000, 200_000]))).encode()
    body: dict[str, Any] = {draw(st.sampled_from(["type", "event", "action", "eventType"])): draw(TYPES)}
    if draw(st.integers(0, 5)):
        body[draw(st.sampled_from(["data", "payload", "object", "resource"]))] = draw(DATA)
    if draw(st.booleans()):
        body[draw(TEXT)] = draw(json_values(2))
    return json.dumps(body).encode()


_ID_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_webhook_body(body: bytes) -> CounterpartyEvent | None:
    """Parse a (verified) body: an event, None for one we ignore, or PayloadError 400/422."""
    started = time.monotonic()
    try:
        event = parse_event(body, "msg_fuzz")
    except PayloadError as exc:
        assert exc.status in (400, 422) and "\n" not in exc.reason, exc
        event = None
    took = time.monotonic() - started
    assert took < TIME_BOUND, f"{took:.1f} s"
    if event is not None:
        assert event.kind in ("created", "updated")
        assert 1 <= len(event.record_ids) <= 1000
        for rid in event.record_ids:
            assert (isinstance(rid, int) and not isinstance(rid, bool) and rid > 0) or (
                isinstance(rid, str) and _ID_TEXT.match(rid)
            ), rid
            # The receiver reads ids as the client does: "-5" is not a string id, "001" is 1.
            assert canonical_id(rid) == rid, rid
    return event


def check_webhook_headers(
    verifier: WebhookVerifier, msg_id: Any, timestamp: Any, signature: Any, body: bytes
) -> None:
    """Any headers: the verifier accepts a valid signature or raises SignatureError, nothing else."""
    try:
        verifier.verify(msg_id, timestamp, signature, body)
    except SignatureError as exc:
        assert exc.reason and "\n" not in exc.reason
