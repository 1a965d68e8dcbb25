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
* Ids are echoed as the report had them: ints stay ints, strings stay strings.
* Unknown keys are ignored, so later versions can add fields; a different ``version`` is refused.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from enricher.errors import EnricherError
from enricher.flowtly.models import RecordId

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


class RecordSnapshot(BaseModel):
    """A record as the report showed it."""

    model_config = ConfigDict(extra="ignore")

    id: RecordId
    fingerprint: str = Field(min_length=1)
    identity: dict[str, Any] | None = None


class Decision(BaseModel):
    """One person's decision on a pair or a cluster of the report."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["pair", "cluster"]
    ids: list[RecordId] = Field(min_length=2)
    decision: Literal["approve", "reject", "skip"]
    survivor: RecordId | None = None
    pairs: list[tuple[RecordId, RecordId]] | None = None
    score: float | None = None
    band: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if len(set(self.ids)) != len(self.ids):
            raise ValueError(f"ids repeat an id: {self.ids}")
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
    version: int
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
        known = {_key(r.id) for r in self.records}
        for index, decision in enumerate(self.decisions):
            if decision.decision != "approve":
                continue
            missing = [i for i in decision.ids if _key(i) not in known]
            if missing:
                raise ValueError(
                    f"decisions[{index}] approves ids without a fingerprint in records: {missing}"
                )
        self._no_contradiction()
        return self

    def _no_contradiction(self) -> None:
        """Refuse a file that approves merging two records (directly or through others) and rejects them."""
        parent: dict[tuple[bool, str], tuple[bool, str]] = {}

        def root(key: tuple[bool, str]) -> tuple[bool, str]:
            while parent.get(key, key) != key:
                key = parent[key]
            return key

        for decision in self.decisions:
            if decision.decision == "approve":
                first = root(_key(decision.ids[0]))
                for other in decision.ids[1:]:
                    parent[root(_key(other))] = first
        for index, decision in enumerate(self.decisions):
            for a, b in decision.rejected_pairs():
                if root(_key(a)) == root(_key(b)):
                    raise ValueError(
                        f"decisions[{index}] rejects {a!r} and {b!r}, which approved decisions merge together"
                    )

    def snapshot(self, record_id: RecordId) -> RecordSnapshot | None:
        """The report's snapshot of one record."""
        wanted = _key(record_id)
        for record in self.records:
            if _key(record.id) == wanted:
                return record
        return None

    def acted(self) -> Iterator[Decision]:
        """The approvals and rejections, in file order (skips left out)."""
        return (d for d in self.decisions if d.decision != "skip")


def _key(record_id: RecordId) -> tuple[bool, str]:
    # 1 and "1" are different records in an offline file; keep them apart.
    return (isinstance(record_id, str), str(record_id))


def load_decisions(path: Path) -> DecisionsFile:
    """Read and check a decisions file; raise DecisionsFileError naming the file and what is wrong."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DecisionsFileError(f"{path}: cannot read the decisions file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecisionsFileError(f"{path}: not a JSON decisions file: {exc}") from None
    if not isinstance(raw, dict):
        raise DecisionsFileError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    if raw.get("format") != DECISIONS_FORMAT:
        raise DecisionsFileError(
            f"{path}: not an enricher decisions file (format must be {DECISIONS_FORMAT!r})"
        )
    try:
        return DecisionsFile.model_validate(raw)
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "file"
        raise DecisionsFileError(f"{path}: {where}: {err['msg']}") from None
