"""The report's data: clusters and pairs, best first, with the records they name (pure, no I/O).

Built from the matching contract (``MatchResult.to_contract()``: DESIGN.md's dedupe output with
``explanation`` on evidence and clusters) and the records themselves. Each *item* of the report is
a cluster of the contract (with the candidate pairs inside it) or a candidate pair that no cluster
holds. The HTML, the CSV and the JSON export are all views of this one structure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from enricher.errors import RecordError
from enricher.matching import Prepared, prepare, survivor
from enricher.records import Counterparty, IdError, RecordId, canonical_id, id_order
from enricher.review.fingerprint import IDENTITY_FIELDS, fingerprint

__all__ = ["REPORT_FORMAT", "REPORT_VERSION", "ReportData", "build_report_data", "item_key", "pick_survivor"]

REPORT_FORMAT = "enricher.review-report"
REPORT_VERSION = 1

# Fields shown besides identity: what enrichment fills.
_BRAND_FIELDS = ("displayName", "logoUrl")


@dataclass
class ReportData:
    """Everything the report shows: ``records`` once each, ``items`` pointing at them by index."""

    report_id: str
    generated_at: str
    records: list[dict[str, Any]]
    items: list[dict[str, Any]]
    texts: list[str]
    branding: dict[str, Any] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Any] | None = None
    """The client section (:func:`enricher.review.clients.client_section`), when clients were matched."""

    def to_json(self) -> dict[str, Any]:
        """The object embedded in the HTML (compact: evidence explanations interned in ``texts``)."""
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "reportId": self.report_id,
            "generatedAt": self.generated_at,
            "identityFields": list(IDENTITY_FIELDS),
            "records": self.records,
            "items": self.items,
            "texts": self.texts,
            "branding": self.branding,
            "stats": self.stats,
            "clients": self.clients,
        }


def _id_key(record_id: Any) -> RecordId:
    """The record an id names (1, "1" and "/counterparties/1" are one record, as to the API)."""
    try:
        return canonical_id(record_id)
    except IdError:  # not from matching, which checks ids; keep it apart from every real id
        return f"\x00{record_id!r}"


def item_key(ids: list[RecordId]) -> str:
    """The item's key in the page (decisions are stored under it): its records' ids, sorted, as JSON.

    JSON quotes and escapes every id, so no two sets of ids share a key, whatever characters they hold
    (ids joined with "|" let ``p`` + ``q|s:r`` and ``p|s:q`` + ``r`` collide: one keypress decided both).
    """
    keys = sorted((_id_key(i) for i in ids), key=id_order)
    return json.dumps(keys, ensure_ascii=False, separators=(",", ":"))


def pick_survivor(ids: list[RecordId], records: Mapping[RecordId, Counterparty]) -> RecordId:
    """The record that keeps living when matching proposed none: matching's own survivor rule
    (:func:`enricher.matching.survivor`: a valid tax id, then the most complete, then the lowest id),
    so the report never proposes a survivor the engine would not. Ids the report holds no record of
    come last."""
    known: list[Prepared] = []
    for record_id in ids:
        record = records.get(record_id)
        if record is not None:
            with contextlib.suppress(RecordError):  # an id matching refused: not a survivor
                known.append(prepare(record))
    if known:
        return survivor(known)
    return min(ids, key=lambda i: id_order(_id_key(i)))


class _Texts:
    """Interns repeated strings (evidence explanations repeat across thousands of pairs)."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.values)
            self.values.append(text)
        return index


def build_report_data(
    contract: Mapping[str, Any],
    records: Mapping[RecordId, Counterparty],
    *,
    generated_at: str,
    branding: dict[str, Any] | None = None,
) -> ReportData:
    """Turn the matching contract and the records into report items, best first."""
    by_key: dict[RecordId, RecordId] = {_id_key(k): k for k in records}
    index_of: dict[RecordId, int] = {}
    out_records: list[dict[str, Any]] = []

    def record_index(record_id: RecordId) -> int:
        key = _id_key(record_id)
        found = index_of.get(key)
        if found is not None:
            return found
        record = records.get(by_key[key]) if key in by_key else None
        entry: dict[str, Any] = {"id": record_id}
        if record is None:
            entry["missing"] = True
        else:
            entry["fp"] = fingerprint(record)
            data = record.api_dict()
            # None is left out (the page reads absent as null); "" is kept so snapshots match fingerprints.
            entry["f"] = {
                name: data[name] for name in (*IDENTITY_FIELDS, *_BRAND_FIELDS) if data.get(name) is not None
            }
            country = record.country_code
            if country:
                entry["cc"] = country
        index_of[key] = len(out_records)
        out_records.append(entry)
        return index_of[key]

    texts = _Texts()
    candidates = list(contract.get("candidates") or [])
    clusters = list(contract.get("clusters") or [])
    # The engine's questions (the pairs whose answers teach it most), by pair, numbered from 1.
    question_of: dict[frozenset[RecordId], int] = {}
    for number, q in enumerate(contract.get("questions") or [], start=1):
        question_of.setdefault(frozenset((_id_key(q["a"]), _id_key(q["b"]))), number)

    def pair_entry(cand: Mapping[str, Any], survivor_default: RecordId) -> dict[str, Any]:
        evidence = [
            [
                str(ev.get("feature", "")),
                str(ev.get("result", "")),
                float(ev.get("weight", 0.0)),
                texts(str(ev.get("explanation") or "")),
            ]
            for ev in cand.get("evidence") or []
        ]
        entry = {
            "a": record_index(cand["a"]),
            "b": record_index(cand["b"]),
            "score": round(float(cand["score"]), 4),
            "band": str(cand.get("band", "review")),
            "ev": evidence,
            "sv": record_index(survivor_default),
        }
        if cand.get("note"):
            entry["nt"] = texts(str(cand["note"]))  # why the band (matching's note), shown above the evidence
        question = question_of.get(frozenset((_id_key(cand["a"]), _id_key(cand["b"]))))
        if question is not None:
            entry["qn"] = question
        return entry

    member_of: dict[RecordId, int] = {}
    for number, cluster in enumerate(clusters):
        for record_id in cluster["ids"]:
            member_of[_id_key(record_id)] = number
    cluster_pairs: list[list[Mapping[str, Any]]] = [[] for _ in clusters]
    loose: list[Mapping[str, Any]] = []
    for cand in candidates:
        ca, cb = member_of.get(_id_key(cand["a"])), member_of.get(_id_key(cand["b"]))
        if ca is not None and ca == cb:
            cluster_pairs[ca].append(cand)
        else:
            loose.append(cand)

    items: list[dict[str, Any]] = []
    for cluster, pairs in zip(clusters, cluster_pairs, strict=True):
        ids = list(cluster["ids"])
        survivor = cluster.get("survivor")
        if survivor is None or _id_key(survivor) not in {_id_key(i) for i in ids}:
            survivor = pick_survivor(ids, records)
        pair_list = []
        for cand in pairs:
            in_pair = _id_key(survivor) in (_id_key(cand["a"]), _id_key(cand["b"]))
            default = survivor if in_pair else pick_survivor([cand["a"], cand["b"]], records)
            pair_list.append(pair_entry(cand, default))
        items.append(
            _item(
                "cluster" if len(ids) > 2 else "pair",
                ids,
                survivor,
                pair_list,
                str(cluster.get("explanation") or ""),
                record_index,
                out_records,
            )
        )
    for cand in loose:
        ids = [cand["a"], cand["b"]]
        survivor = pick_survivor(ids, records)
        items.append(
            _item("pair", ids, survivor, [pair_entry(cand, survivor)], "", record_index, out_records)
        )

    for item in items:
        asked = [p["qn"] for p in item["pairs"] if "qn" in p]
        if asked:
            item["q"] = min(asked)
    items.sort(key=lambda it: (-it["score"], it["band"] != "merge", -len(it["r"]), it["key"]))
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank

    digest = hashlib.sha256()
    digest.update(generated_at.encode())
    digest.update(json.dumps([it["key"] for it in items]).encode())
    digest.update(json.dumps([r.get("fp") for r in out_records]).encode())
    stats = {
        "candidates": len(candidates),
        "clusters": sum(1 for it in items if it["kind"] == "cluster"),
        "pairs": sum(1 for it in items if it["kind"] == "pair"),
        "items": len(items),
        "records": len(out_records),
        "merge": sum(1 for c in candidates if c.get("band") == "merge"),
        "review": sum(1 for c in candidates if c.get("band") != "merge"),
        "questions": len(question_of),
        "notes": [str(n) for n in contract.get("notes") or []],
    }
    return ReportData(
        report_id=digest.hexdigest()[:16],
        generated_at=generated_at,
        records=out_records,
        items=items,
        texts=texts.values,
        branding=branding,
        stats=stats,
    )


def _item(
    kind: str,
    ids: list[RecordId],
    survivor: RecordId,
    pairs: list[dict[str, Any]],
    explanation: str,
    record_index: Any,
    out_records: list[dict[str, Any]],
) -> dict[str, Any]:
    # Survivor first, then the others by id: the eye reads left to right from the keeper.
    rest = sorted((i for i in ids if _id_key(i) != _id_key(survivor)), key=lambda i: id_order(_id_key(i)))
    indexes = [record_index(i) for i in [survivor, *rest]]
    scores = [p["score"] for p in pairs] or [0.0]
    countries = sorted({out_records[i]["cc"] for i in indexes if "cc" in out_records[i]})
    band = "merge" if pairs and all(p["band"] == "merge" for p in pairs) else "review"
    return {
        "key": item_key(ids),
        "kind": kind,
        "r": indexes,
        "sv": indexes[0],
        "score": max(scores),
        "min": min(scores),
        "band": band,
        "cc": countries,
        "expl": explanation,
        "pairs": pairs,
    }
