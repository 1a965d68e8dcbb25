"""``MatchIndex``: candidates of one new or changed record in milliseconds (the webhook path).

``build`` runs the batch pipeline once to learn the model (EM on the register's own pairs) and keeps
every record's blocking keys in a dict; ``upsert`` normalises one record, looks its keys up, scores
it against those few records only with the same model and features, and files it under its keys.
Nothing else is rescored. Word and value frequencies are kept up to date as records come and go, so
rare-word blocking and term-frequency adjustments follow the register.
"""

from __future__ import annotations

import gc
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from enricher.matching.bands import (
    MERGE_THRESHOLD,
    REVIEW_THRESHOLD,
    SAME_NAME,
    merge_reason_text,
    merge_reasons,
    rare_names,
)
from enricher.matching.batches import no_gc, prepare_all
from enricher.matching.blocking import DEFAULT_CAP, block_keys, candidate_pairs
from enricher.matching.decisions import DecisionMemory, Judgement
from enricher.matching.engine import TIN_COLUMN, Scorer, compare_all
from enricher.matching.learning import LEARNED, Calibration, LearnedModel, apply_verdicts, calibrate
from enricher.matching.normalize import warm_up
from enricher.matching.records import Prepared, prepare
from enricher.matching.results import Band, Candidate
from enricher.matching.scoring import TF_FIELDS, Model, default_model, pattern_codes
from enricher.matching.table import Table
from enricher.records import Counterparty, RecordId

__all__ = ["MatchIndex", "learn"]

QUERY_CAP = 4 * DEFAULT_CAP
"""Most records one block may contribute to a query; bigger blocks are narrowed by name first."""


class MatchIndex:
    """An in-memory index of prepared records by blocking key, with a fitted model."""

    def __init__(
        self,
        model: Model | None = None,
        *,
        calibration: Calibration | None = None,
        decisions: DecisionMemory | None = None,
        merge_threshold: float = MERGE_THRESHOLD,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> None:
        self.model = model or default_model()
        self.calibration = calibration or Calibration()
        self.decisions = decisions
        self.merge_threshold = merge_threshold
        self.review_threshold = review_threshold
        self._records: dict[RecordId, Prepared] = {}
        self._keys: dict[RecordId, list[str]] = {}
        # key -> members as an insertion-ordered set: O(1) removal when a record changes or goes.
        self._blocks: dict[str, dict[RecordId, None]] = defaultdict(dict)
        # For a block too big for a query: its members by the first three letters of their sorted name,
        # in block order, built as the block grows past the cap and kept current. Scanning a 100k block
        # in Python for each query was the match-one p99 (38 ms against a 1M index); building it when a
        # query first met the block still was (70 ms: 10k big blocks in a 1M register, ~10 ms each).
        self._narrowed: dict[str, dict[str, dict[RecordId, None]]] = {}
        self._tokens: Counter[str] = Counter()
        self._values: dict[str, Counter[str]] = {name: Counter() for name in TF_FIELDS}

    @classmethod
    def build(
        cls,
        records: Iterable[Counterparty | Mapping[str, Any]],
        *,
        decisions: DecisionMemory | None = None,
        learned: LearnedModel | None = None,
        merge_threshold: float = MERGE_THRESHOLD,
        review_threshold: float = REVIEW_THRESHOLD,
    ) -> MatchIndex:
        """Index ``records`` and use ``learned`` (a stored model: the weights and per-kind answers of the
        last full match), or learn the model from their blocked pairs and the decided pairs as
        ``match`` does."""
        with no_gc():
            index = cls._build(records, decisions, learned, merge_threshold, review_threshold)
        # Millions of long-lived index objects: move them out of the collector's sight, or the first
        # full collection after the build walks them all (seconds, on the webhook path).
        gc.freeze()
        return index

    @classmethod
    def _build(
        cls,
        records: Iterable[Counterparty | Mapping[str, Any]],
        decisions: DecisionMemory | None,
        learned: LearnedModel | None,
        merge_threshold: float,
        review_threshold: float,
    ) -> MatchIndex:
        prepared, _ = prepare_all(records)
        # Forked workers normalised the register: load the normalisers' tables here too, or the first
        # upsert pays for it (~0.4 s).
        warm_up({p.country for p in prepared if p.country})
        if learned is not None:
            model, calibration = learned.model, learned.calibration
        else:
            model, calibration = _learn(prepared, decisions)
        index = cls(
            model,
            calibration=calibration,
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
        start = record.sorted_core[:3]
        for key in keys:
            block = self._blocks[key]
            block[record.id] = None
            narrowed = self._narrowed.get(key)
            if narrowed is not None:
                narrowed.setdefault(start, {})[record.id] = None
            elif len(block) > QUERY_CAP:
                self._narrow(key, block)
        for name, field in TF_FIELDS.items():
            value = getattr(record, field)
            if value:
                self._values[name][value] += 1

    def remove(self, record_id: RecordId) -> bool:
        """Forget a record (deleted or merged away); False when it was not indexed."""
        record = self._records.pop(record_id, None)
        if record is None:
            return False
        start = record.sorted_core[:3]
        for key in self._keys.pop(record_id, []):
            members = self._blocks.get(key)
            if members is not None:
                members.pop(record_id, None)
                if not members:
                    del self._blocks[key]
            narrowed = self._narrowed.get(key)
            if narrowed is not None:
                alike = narrowed.get(start)
                if alike is not None:
                    alike.pop(record_id, None)
                    if not alike:
                        del narrowed[start]
                if len(members or ()) <= QUERY_CAP:
                    del self._narrowed[key]  # small again: queries read the block itself
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
                alike = self._narrow(key, block).get(record.sorted_core[:3], {})
                members = itertools.islice(alike, QUERY_CAP)
            for member in members:
                if member != record.id:
                    found[member] = None
        return list(found)

    def _narrow(self, key: str, block: dict[RecordId, None]) -> dict[str, dict[RecordId, None]]:
        """The members of a big block by the first three letters of their sorted name (in block order),
        built once, when the block grows past :data:`QUERY_CAP`."""
        narrowed = self._narrowed.get(key)
        if narrowed is None:
            narrowed = {}
            for member in block:
                narrowed.setdefault(self._records[member].sorted_core[:3], {})[member] = None
            self._narrowed[key] = narrowed
        return narrowed

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
        codes = pattern_codes(levels)
        merge, refuted = apply_verdicts(merge, codes, levels[:, TIN_COLUMN], self.calibration)
        listed = (score >= self.review_threshold) | (merge == SAME_NAME)
        out = []
        for row in np.flatnonzero(listed):
            other = rows[int(right[row])]
            if self.decisions is not None and self.decisions.judgement(record.id, other.id) is not None:
                continue
            p = float(score[row])
            code = int(merge[row])
            band: Band = "merge" if code else "review"
            if code == LEARNED or refuted[row]:
                why = self.calibration.kinds[int(codes[row])].sentence()
            else:
                why = merge_reason_text(code, levels[row].tolist(), self.model.features) if code else ""
            note = (f"Safe to merge: {why}." if code else f"In review: {why}.") if why else ""
            evidence = scorer.evidence(levels[row], weights[row], record, other)
            out.append(Candidate(record.id, other.id, p, band, evidence, note))
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


def learn(
    records: Iterable[Counterparty | Mapping[str, Any]], decisions: DecisionMemory | None = None
) -> LearnedModel:
    """The model a full match of ``records`` would learn (weights and per-kind answers), without the
    matching: what the chunks of a fanned-out match and match-one share."""
    prepared, _ = prepare_all(records)
    model, calibration = _learn(prepared, decisions)
    answers = len(list(decisions.pairs())) if decisions is not None else 0
    return LearnedModel(model, calibration, answers=answers)


def _learn(prepared: Sequence[Prepared], decisions: DecisionMemory | None) -> tuple[Model, Calibration]:
    """The model of ``match`` for a register indexed record by record: EM on the blocked pairs with the
    decided pairs held at their answer, and what the answers say per kind of pair."""
    table = Table(prepared)
    left, right, _ = candidate_pairs(prepared)
    answers: dict[tuple[int, int], float] = {}
    if decisions is not None:
        position = {p.id: k for k, p in enumerate(prepared)}
        for a, b, judgement in decisions.pairs():
            if a in position and b in position:
                i, j = sorted((position[a], position[b]))
                answers[(i, j)] = float(judgement is Judgement.APPROVED)
    if answers:
        compared = set(zip(left.tolist(), right.tolist(), strict=True))
        missing = [pair for pair in answers if pair not in compared]
        left = np.concatenate((left, np.asarray([i for i, _ in missing], dtype=np.int64)))
        right = np.concatenate((right, np.asarray([j for _, j in missing], dtype=np.int64)))
    known = np.full(len(left), np.nan)
    for k, pair in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        if pair in answers:
            known[k] = answers[pair]
    scorer, levels = Scorer.fit(table, left, right, known)
    return scorer.model, calibrate(pattern_codes(levels), scorer.total(levels, left), known)
