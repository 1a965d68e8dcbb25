"""The decisions file: the contract between the HTML report and ``enricher merges apply``.

The report's "Export decisions" button writes it; scripts may write it too. Shape (version 1)::

    {
      "format": "enricher.merge-decisions",
      "version": 1,
      "reportId": "3f2a...",                 # the report the person looked at
      "generatedAt": "2026-11-25T09:00:00Z",  # when that report was built
      "exportedAt": "2026-11-25T09:20:00Z",   # when the person exported (optional)
      "records": [                            # every record a decision names, as the report showed it
        {"id": 7, "fingerprint": "v1:<sha256>", "identity": {"name": "ACME", "tin": "...", ...}}
      ],
      "decisions": [
        {"kind": "cluster", "ids": [1, 7, 9], "decision": "approve", "survivor": 7},
        {"kind": "pair", "ids": [3, 4], "decision": "reject"},
        {"kind": "cluster", "ids": [5, 6, 8], "decision": "reject", "pairs": [[5, 6], [6, 8]]},
        {"kind": "pair", "ids": [10, 11], "decision": "skip"}
      ]
    }

* ``decision`` is ``approve`` (merge every other id into ``survivor``, one at a time), ``reject``
  (these are not the same company: the pairs are stored and never proposed again) or ``skip`` (no
  decision; ignored). ``survivor`` is required for ``approve`` and must be one of ``ids``.
* ``pairs`` (optional, reject only) lists the candidate pairs the rejection covers; without it every
  pair of ``ids`` is rejected.
* ``records[].fingerprint`` is :func:`enricher.review.fingerprint.fingerprint` of the record when the
  report was built; ``identity`` is the snapshot it was computed from, so ``apply`` can say which field
  changed. Every id of an ``approve`` decision must have a fingerprint: no merge without one.
* Ids are read as the API reads them (:func:`enricher.records.canonical_id`): ``7``, ``"7"``, ``" 7 "`` and
  ``"/counterparties/7"`` are one record. ``true``, ``""``, blanks, floats and lists are refused.
* Refused at load time, naming the line of the decision: a record merged into itself (one record named
  twice), approvals that give records merged together different survivors (``[4, 5]`` kept as 5 and
  again as 4, or 1 into 7 and then 7 into 9), and a rejection of records that approvals merge.
* Unknown keys are ignored, so later versions can add fields; a different ``version`` is refused.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, model_validator
from pydantic import ValidationError as PydanticValidationError

from enricher.errors import EnricherError
from enricher.records import IdError, RecordId, canonical_id

__all__ = [
    "DECISIONS_FORMAT",
    "DECISIONS_VERSION",
    "Decision",
    "DecisionsFile",
    "DecisionsFileError",
    "RecordSnapshot",
    "load_decisions",
]

DECISIONS_FORMAT = "enricher.merge-decisions"
DECISIONS_VERSION = 1


class DecisionsFileError(EnricherError):
    """The decisions file is unreadable or does not follow the format; the message says where."""


class _Refused(DecisionsFileError):
    """A decision contradicts the file; ``index`` is the decision to blame (its line goes in front)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _read_id(value: Any) -> RecordId:
    try:
        return canonical_id(value)
    except IdError as exc:
        raise ValueError(str(exc)) from None


Id = Annotated[RecordId, BeforeValidator(_read_id)]
"""A record id in the file, read as the API reads it (pydantic would take ``true`` for 1)."""


class RecordSnapshot(BaseModel):
    """A record as the report showed it."""

    model_config = ConfigDict(extra="ignore")

    id: Id
    fingerprint: str = Field(min_length=1)
    identity: dict[str, Any] | None = None


class Decision(BaseModel):
    """One person's decision on a pair or a cluster of the report."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["pair", "cluster"]
    ids: list[Id] = Field(min_length=2)
    decision: Literal["approve", "reject", "skip"]
    survivor: Id | None = None
    pairs: list[tuple[Id, Id]] | None = None
    score: float | None = None
    band: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if len(set(self.ids)) != len(self.ids):
            twice = next(i for i in self.ids if self.ids.count(i) > 1)
            if self.decision == "approve":
                raise ValueError(
                    f"ids name record {twice!r} twice: a record cannot be merged into itself ({self.ids})"
                )
            raise ValueError(f"ids repeat an id: record {twice!r} is named twice ({self.ids})")
        if self.kind == "pair" and len(self.ids) != 2:
            raise ValueError(f"a pair has exactly two ids, got {self.ids}")
        if self.decision == "approve":
            if self.survivor is None:
                raise ValueError("an approved decision needs a survivor")
            if self.survivor not in self.ids:
                raise ValueError(f"survivor {self.survivor!r} is not one of ids {self.ids}")
        for a, b in self.pairs or ():
            if a not in self.ids or b not in self.ids or a == b:
                raise ValueError(f"pair [{a!r}, {b!r}] is not a pair of ids {self.ids}")
        return self

    def merge_steps(self) -> list[tuple[RecordId, RecordId]]:
        """(survivor, source) for each record merged by an approval, in the order of ``ids``."""
        if self.decision != "approve" or self.survivor is None:
            return []
        return [(self.survivor, source) for source in self.ids if source != self.survivor]

    def rejected_pairs(self) -> list[tuple[RecordId, RecordId]]:
        """The pairs a rejection covers: ``pairs`` when given, else every pair of ``ids``."""
        if self.decision != "reject":
            return []
        if self.pairs:
            return list(self.pairs)
        return list(itertools.combinations(self.ids, 2))


class DecisionsFile(BaseModel):
    """A whole decisions file; see the module docstring for the format."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["enricher.merge-decisions"]
    version: StrictInt
    reportId: str | None = None
    generatedAt: str | None = None
    exportedAt: str | None = None
    records: list[RecordSnapshot] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)

    @model_validator(mode="after")
    def _checks(self) -> DecisionsFile:
        if self.version != DECISIONS_VERSION:
            raise ValueError(
                f"version {self.version} is not supported (this enricher reads {DECISIONS_VERSION})"
            )
        known: dict[RecordId, str] = {}
        for record in self.records:
            if known.setdefault(record.id, record.fingerprint) != record.fingerprint:
                raise ValueError(f"records name record {record.id!r} twice, with different fingerprints")
        for index, decision in enumerate(self.decisions):
            if decision.decision != "approve":
                continue
            missing = [i for i in decision.ids if i not in known]
            if missing:
                raise _Refused(index, f"approves ids without a fingerprint in records: {missing}")
        self._one_survivor_per_group()
        self._no_contradiction()
        return self

    def _one_survivor_per_group(self) -> None:
        """Refuse approvals that give records merged together (directly or through others) two survivors.

        Applied one after the other they would depend on the order: ``[4, 5]`` kept as 5 and then as 4
        merges 4 into 5 and finds 4 gone; ``1 -> 7`` then ``7 -> 9`` merges 7 away before keeping it.
        """
        parent: dict[RecordId, RecordId] = {}
        chosen: dict[RecordId, tuple[RecordId, int]] = {}  # group root -> (survivor, decision index)

        def root(key: RecordId) -> RecordId:
            while parent.get(key, key) != key:
                key = parent[key]
            return key

        for index, decision in enumerate(self.decisions):
            if decision.decision != "approve" or decision.survivor is None:
                continue
            survivor = decision.survivor
            for record_id in decision.ids:
                earlier = chosen.get(root(record_id))
                if earlier is not None and earlier[0] != survivor:
                    raise _Refused(
                        index,
                        f"keeps {survivor!r} as the survivor, but decisions[{earlier[1]}] keeps "
                        f"{earlier[0]!r} for records merged with {record_id!r}: approvals that merge "
                        "records together must name the same survivor",
                    )
            first = root(decision.ids[0])
            for other in decision.ids[1:]:
                other_root = root(other)
                if other_root != first:
                    parent[other_root] = first
                    chosen.pop(other_root, None)
            chosen.setdefault(first, (survivor, index))

    def _no_contradiction(self) -> None:
        """Refuse a file that approves merging two records (directly or through others) and rejects them."""
        parent: dict[RecordId, RecordId] = {}

        def root(key: RecordId) -> RecordId:
            while parent.get(key, key) != key:
                key = parent[key]
            return key

        for decision in self.decisions:
            if decision.decision == "approve":
                first = root(decision.ids[0])
                for other in decision.ids[1:]:
                    other_root = root(other)
                    if other_root != first:
                        parent[other_root] = first
        for index, decision in enumerate(self.decisions):
            for a, b in decision.rejected_pairs():
                if root(a) == root(b):
                    raise _Refused(index, f"rejects {a!r} and {b!r}, which approved decisions merge together")

    def snapshot(self, record_id: RecordId) -> RecordSnapshot | None:
        """The report's snapshot of one record (any way of writing its id)."""
        try:
            wanted = canonical_id(record_id)
        except IdError:
            return None
        for record in self.records:
            if record.id == wanted:
                return record
        return None

    def acted(self) -> Iterator[Decision]:
        """The approvals and rejections, in file order (skips left out)."""
        return (d for d in self.decisions if d.decision != "skip")


_WS = re.compile(r"[ \t\n\r]*")


def _array_lines(text: str) -> dict[str, list[int]]:
    """The line on which each element of the top-level ``records`` and ``decisions`` arrays starts.

    The json module gives values, not positions; this walks the (already parsed) top level with
    ``raw_decode`` to find them, so an error can name the line a person would look at.
    """
    decoder = json.JSONDecoder()
    found: dict[str, list[int]] = {}
    line, counted = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    def skip(pos: int) -> int:
        end = _WS.match(text, pos)
        return end.end() if end else pos

    pos = skip(0)
    if text[pos : pos + 1] != "{":
        return found
    pos = skip(pos + 1)
    try:
        while text[pos : pos + 1] == '"':
            key, pos = decoder.raw_decode(text, pos)
            pos = skip(skip(pos) + 1)  # the colon
            if key in ("records", "decisions") and text[pos : pos + 1] == "[":
                starts: list[int] = []
                pos = skip(pos + 1)
                while pos < len(text) and text[pos] != "]":
                    starts.append(line_at(pos))
                    _, pos = decoder.raw_decode(text, pos)
                    pos = skip(pos)
                    if text[pos : pos + 1] == ",":
                        pos = skip(pos + 1)
                found[key] = starts
                pos += 1
            else:
                _, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            if text[pos : pos + 1] == ",":
                pos = skip(pos + 1)
    except (ValueError, RecursionError):  # cannot happen after a good parse; names no line then
        pass
    return found


def _where(lines: dict[str, list[int]], array: str, index: int) -> str:
    starts = lines.get(array, [])
    at = f"line {starts[index]}: " if index < len(starts) else ""
    return f"{at}{array}[{index}]"


def _location(lines: dict[str, list[int]], loc: tuple[int | str, ...]) -> str:
    """``("decisions", 3, "ids", 0)`` -> ``line 12: decisions[3].ids[0]``."""
    if len(loc) >= 2 and loc[0] in ("records", "decisions") and isinstance(loc[1], int):
        where = _where(lines, str(loc[0]), loc[1])
        rest = loc[2:]
    else:
        where, rest = "", loc
    for part in rest:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where or "file"


def load_decisions(path: Path) -> DecisionsFile:
    """Read and check a decisions file; DecisionsFileError names the file, the line and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        raw = json.loads(text)
    except OSError as exc:
        raise DecisionsFileError(f"{path}: cannot read the decisions file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecisionsFileError(f"{path}: not a JSON decisions file: {exc}") from None
    except RecursionError:
        raise DecisionsFileError(f"{path}: not a decisions file: JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise DecisionsFileError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    if raw.get("format") != DECISIONS_FORMAT:
        raise DecisionsFileError(
            f"{path}: not an enricher decisions file (format must be {DECISIONS_FORMAT!r})"
        )
    try:
        return DecisionsFile.model_validate(raw)
    except _Refused as exc:
        raise DecisionsFileError(
            f"{path}: {_where(_array_lines(text), 'decisions', exc.index)} {exc.message}"
        ) from None
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        message = str(err["msg"]).removeprefix("Value error, ")
        raise DecisionsFileError(f"{path}: {_location(_array_lines(text), err['loc'])}: {message}") from None
