"""``MatchIndex``: candidates of one new or changed record in milliseconds (the webhook path).

``build`` runs the batch pipeline once to learn the model (EM on the register's own pairs) and keeps
every record's blocking keys in a dict; ``upsert`` normalises one record, looks its keys up, scores
it against those few records only with the same model and features, and files it under its keys.
Nothing else is rescored. Word and value frequencies are kept up to date as records come and go, so
rare-word blocking and term-frequency adjustments follow the register.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from enricher.flowtly.models import Counterparty, RecordId
from enricher.matching.bands import MERGE_THRESHOLD, REVIEW_THRESHOLD, SAME_NAME, merge_reasons, rare_names
from enricher.matching.blocking import DEFAULT_CAP, block_keys, candidate_pairs
from enricher.matching.decisions import DecisionMemory
from enricher.matching.engine import Scorer, compare_all, no_gc, prepare_all
from enricher.matching.records import Prepared, Table, prepare
from enricher.matching.results import Band, Candidate
from enricher.matching.scoring import TF_FIELDS, Model, default_model

__all__ = ["MatchIndex"]

QUERY_CAP = 4 * DEFAULT_CAP
"""Most records one block may contribute to a query; bigger blocks are narrowed by name first."""


class MatchIndex:
    """An in-memory index of prepared records by blocking key, with a fitted model."""

    def __init__(
        self,
        model: Model | None = None,
        *,
        decisions: DecisionMemory | None = None,
        merge_threshold: float = MERGE_THRESHOLD,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> None:
        self.model = model or default_model()
        self.decisions = decisions
        self.merge_threshold = merge_threshold
        self.review_threshold = review_threshold
        self._records: dict[RecordId, Prepared] = {}
        self._keys: dict[RecordId, list[str]] = {}
        # key -> members as an insertion-ordered set: O(1) removal when a record changes or goes.
        self._blocks: dict[str, dict[RecordId, None]] = defaultdict(dict)
        self._tokens: Counter[str] = Counter()
        self._values: dict[str, Counter[str]] = {name: Counter() for name in TF_FIELDS}

    @classmethod
    def build(
        cls,
        records: Iterable[Counterparty | Mapping[str, Any]],
        *,
        decisions: DecisionMemory | None = None,
        merge_threshold: float = MERGE_THRESHOLD,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> MatchIndex:
        """Index ``records`` and learn the model from their blocked pairs (as ``match`` does)."""
        with no_gc():
            index = cls._build(records, decisions, merge_threshold, review_threshold)
        # Millions of long-lived index objects: move them out of the collector's sight, or the first
        # full collection after the build walks them all (seconds, on the webhook path).
        gc.freeze()
        return index

    @classmethod
    def _build(
        cls,
        records: Iterable[Counterparty | Mapping[str, Any]],
        decisions: DecisionMemory | None,
        merge_threshold: float,
        review_threshold: float,
    ) -> MatchIndex:
        prepared, _ = prepare_all(records)
        table = Table(prepared)
        left, right, _ = candidate_pairs(prepared)
        scorer, _ = Scorer.fit(table, left, right)
        index = cls(
            scorer.model,
            decisions=decisions,
            merge_threshold=merge_threshold,
            review_threshold=review_threshold,
        )
        for record in prepared:
            index._tokens.update(set(record.core.split()))
        for record in prepared:
            index._add(record)
        return index

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._records

    def _add(self, record: Prepared) -> None:
        keys = list(dict.fromkeys(block_keys(record, self._tokens)))
        self._records[record.id] = record
        self._keys[record.id] = keys
        for key in keys:
            self._blocks[key][record.id] = None
        for name, field in TF_FIELDS.items():
            value = getattr(record, field)
            if value:
                self._values[name][value] += 1

    def remove(self, record_id: RecordId) -> bool:
        """Forget a record (deleted or merged away); False when it was not indexed."""
        record = self._records.pop(record_id, None)
        if record is None:
            return False
        for key in self._keys.pop(record_id, []):
            members = self._blocks.get(key)
            if members is not None:
                members.pop(record_id, None)
                if not members:
                    del self._blocks[key]
        self._tokens.subtract(set(record.core.split()))
        for name, field in TF_FIELDS.items():
            value = getattr(record, field)
            if value:
                self._values[name][value] -= 1
        return True

    def _neighbours(self, record: Prepared) -> list[RecordId]:
        found: dict[RecordId, None] = {}
        for key in block_keys(record, self._tokens):
            block = self._blocks.get(key)
            if not block:
                continue
            members: Iterable[RecordId] = block
            if len(block) > QUERY_CAP:
                # A generic key: keep the members whose sorted name starts alike, then cap.
                start = record.sorted_core[:3]
                members = [m for m in block if self._records[m].sorted_core[:3] == start][:QUERY_CAP]
            for member in members:
                if member != record.id:
                    found[member] = None
        return list(found)

    def candidates(self, record: Prepared) -> list[Candidate]:
        """Scored candidates of a prepared record against the index (the record itself excluded)."""
        others = self._neighbours(record)
        if not others:
            return []
        rows = [record] + [self._records[o] for o in others]
        table = Table(rows, words=self._tokens, population=len(self._records))
        frequencies = {
            name: np.asarray(
                [max(self._values[name][getattr(r, field)], 1) if getattr(r, field) else 0 for r in rows],
                dtype=np.float64,
            )
            for name, field in TF_FIELDS.items()
        }
        scorer = Scorer(table, self.model, frequencies)
        left = np.zeros(len(others), dtype=np.int64)
        right = np.arange(1, len(rows), dtype=np.int64)
        levels = compare_all(table, left, right)
        score = scorer.total(levels, left)
        weights = scorer.weights(levels, left)
        merge = merge_reasons(
            score, levels, self.model.features, self.merge_threshold, rare_names(table, left, right)
        )
        listed = (score >= self.review_threshold) | (merge == SAME_NAME)
        out = []
        for row in np.flatnonzero(listed):
            other = rows[int(right[row])]
            if self.decisions is not None and self.decisions.judgement(record.id, other.id) is not None:
                continue
            p = float(score[row])
            band: Band = "merge" if merge[row] else "review"
            out.append(
                Candidate(
                    record.id, other.id, p, band, scorer.evidence(levels[row], weights[row], record, other)
                )
            )
        out.sort(key=lambda c: -c.score)
        return out

    def upsert(self, record: Counterparty | Mapping[str, Any]) -> list[Candidate]:
        """Add or replace one record and return its candidates (``a`` is always this record)."""
        prepared = prepare(record)
        self.remove(prepared.id)
        self._tokens.update(set(prepared.core.split()))
        found = self.candidates(prepared)
        self._add(prepared)
        return found

    def get(self, record_id: RecordId) -> Prepared | None:
        return self._records.get(record_id)
