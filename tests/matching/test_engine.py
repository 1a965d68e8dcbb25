"""``match`` end to end on a small register: bands, evidence, clusters, survivors, decisions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from enricher.matching import InMemoryDecisions, Judgement, match
from enricher.records import Counterparty

from ._register import REGISTER, TRUE_PAIRS


def pairs(result, band=None):  # type: ignore[no-untyped-def]
    return {frozenset({c.a, c.b}) for c in result.candidates if band is None or c.band == band}


def test_finds_the_true_duplicates_and_only_those_in_the_merge_band() -> None:
    result = match(REGISTER)
    merge = pairs(result, "merge")
    assert merge <= TRUE_PAIRS
    assert len(merge) >= len(TRUE_PAIRS) - 1
    assert pairs(result) >= TRUE_PAIRS


def test_scores_are_probabilities_best_first_and_explained() -> None:
    result = match(REGISTER)
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    for candidate in result.candidates:
        assert candidate.evidence
        assert all(e.explanation and e.feature and e.result for e in candidate.evidence)


def test_shared_phone_and_address_with_different_names_is_never_a_bulk_merge() -> None:
    result = match(REGISTER)
    assert frozenset({12, 13}) not in pairs(result, "merge")


def test_different_valid_tax_ids_are_never_merged_or_clustered() -> None:
    result = match(REGISTER)
    assert frozenset({6, 7}) not in pairs(result, "merge")
    assert not any({6, 7} <= set(c.ids) for c in result.clusters)


def test_clusters_and_survivor_rule() -> None:
    result = match(REGISTER)
    by_members = {frozenset(c.ids): c for c in result.clusters}
    orlen = by_members[frozenset({1, 2, "crm-77"})]
    # Valid tax id first, then completeness: record 1 has a valid id and the most fields.
    assert orlen.survivor == 1
    assert "Survivor 1" in orlen.explanation
    budimex = by_members[frozenset({4, 5})]
    assert budimex.survivor == 4  # both valid and equally complete: lowest id


def test_ids_are_echoed_as_given_and_contract_is_json() -> None:
    result = match(REGISTER)
    contract = json.loads(json.dumps(result.to_contract()))
    ids = {c["a"] for c in contract["candidates"]} | {c["b"] for c in contract["candidates"]}
    assert "crm-77" in ids and 1 in ids and "1" not in ids
    first = contract["candidates"][0]
    # The contract's keys, plus "note" (why the band) where the evidence alone does not say.
    assert (
        {"a", "b", "score", "band", "evidence"}
        <= set(first)
        <= {"a", "b", "score", "band", "evidence", "note"}
    )
    assert all(c["band"] == "review" or c["note"].startswith("Safe to merge") for c in contract["candidates"])
    assert set(first["evidence"][0]) == {"feature", "result", "weight", "explanation"}
    assert all(len(c["ids"]) >= 2 and c["survivor"] in c["ids"] for c in contract["clusters"])


def test_accepts_counterparty_models_and_records_without_names() -> None:
    models = [Counterparty.model_validate(r) for r in REGISTER]
    result = match(models)
    assert pairs(result, "merge") == pairs(match(REGISTER), "merge")
    assert result.stats["records"] == len(REGISTER)


def test_bad_records_are_skipped_and_reported() -> None:
    result = match([{"name": "no id"}, {"id": 1, "name": "A"}, {"id": 1, "name": "again"}])
    assert result.stats["records"] == 1
    assert len(result.stats["skipped"]) == 2


def test_an_id_repeated_in_another_spelling_is_one_record() -> None:
    """Issue 13: matching reads ids as the API does (1, "1", " 1 ", "/counterparties/1" are one record),
    so a record can never be proposed for a merge into itself."""
    spellings = [1, "1", " 1 ", "/counterparties/1"]
    result = match([{"id": rid, "name": "Acme Sp. z o.o.", "tin": "1234563218"} for rid in spellings])
    assert result.stats["records"] == 1
    assert len(result.stats["skipped"]) == 3 and all("duplicate id" in s for s in result.stats["skipped"])
    assert result.candidates == [] and result.clusters == []


def test_rejected_pairs_are_never_proposed_and_approved_not_reproposed() -> None:
    decisions = InMemoryDecisions([(4, 5, Judgement.REJECTED), (15, 14, Judgement.APPROVED)])
    result = match(REGISTER, decisions=decisions)
    assert frozenset({4, 5}) not in pairs(result)
    assert not any({4, 5} <= set(c.ids) for c in result.clusters)
    assert frozenset({14, 15}) not in pairs(result)
    assert any(set(c.ids) == {14, 15} for c in result.clusters)  # the approval still joins them


def test_progress_reports_every_record() -> None:
    seen: list[int] = []
    match(REGISTER, progress=seen.append)
    assert sum(seen) == len(REGISTER)


def test_empty_and_single_inputs() -> None:
    assert match([]).to_contract() == {"candidates": [], "clusters": []}
    assert match([{"id": 1, "name": "Solo"}]).to_contract() == {"candidates": [], "clusters": []}


def test_parallel_normalising_gives_the_same_result() -> None:
    from enricher.matching.batches import prepare_all

    many = [dict(r, id=f"{k}-{r['id']}") for k in range(700) for r in REGISTER]  # > 2 chunks
    one, _ = prepare_all(many, workers=1)
    two, _ = prepare_all(many, workers=2)
    assert one == two


def test_merge_reasons_need_corroboration_and_never_cross_valid_tax_ids() -> None:
    import numpy as np

    from enricher.matching.bands import merge_reasons
    from enricher.matching.features import FEATURES

    column = {f.name: k for k, f in enumerate(FEATURES)}

    def row(**levels: int) -> list[int]:
        out = [-1] * len(FEATURES)
        for name, level in levels.items():
            out[column[name]] = level
        return out

    cases = [
        (0.999, row(name=0), 1),  # names agree
        (0.999, row(name=6, tin=0), 2),  # weak name, same valid tax id
        (0.999, row(name=5, phone=0, street=0), 3),  # a distinctive word + phone + street
        (0.999, row(name=5, phone=0), 0),  # one identifier is not enough
        (0.999, row(name=7, phone=0, street=0), 0),  # nothing in common: two businesses in a building
        (0.7, row(name=2, phone=3, street=0), 4),  # same name, same street address, other phone
        (0.7, row(name=2, phone=3, street=0, city=2), 0),  # ... but another town
        (0.4, row(name=2, street=0), 0),  # the model must still find it more likely than not
        (0.999, row(name=0, tin=2), 0),  # two valid different tax ids: never
        (0.98, row(name=0), 0),  # below the threshold
    ]
    levels = np.asarray([c[1] for c in cases], dtype=np.int8)
    score = np.asarray([c[0] for c in cases])
    assert merge_reasons(score, levels, FEATURES).tolist() == [c[2] for c in cases]


def test_string_ids_are_echoed_verbatim() -> None:
    records = [
        {"id": " a-1 ", "name": "Budimex SA", "tin": "PL5260250995"},
        {"id": "/counterparties/12", "name": "Budimex S.A.", "tin": "5260250995", "tinCountry": "PL"},
    ]
    (candidate,) = match(records).candidates
    assert {candidate.a, candidate.b} == {" a-1 ", "/counterparties/12"}


def test_many_pairs_are_compared_by_forked_processes_with_the_same_levels(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from enricher.matching import engine, features
    from enricher.matching.batches import prepare_all
    from enricher.matching.blocking import candidate_pairs
    from enricher.matching.table import Table
    from enricher.sample import generate

    prepared, _ = prepare_all([record for record, _ in generate(3000, seed=5, near_names=0.3)], workers=1)
    left, right, _ = candidate_pairs(prepared)
    assert len(left) > 2000
    expected = engine.compare_all(Table(prepared), left, right)
    monkeypatch.setattr(engine, "PARALLEL_PAIRS", 500)  # fork from 500 pairs on, not 1M
    assert np.array_equal(engine.compare_many(Table(prepared), left, right, workers=2), expected)
    # The slices ran in other processes: only they turn rapidfuzz's threads off.
    assert features.THREADS == -1
    assert np.array_equal(engine.compare_many(Table(prepared), left[:400], right[:400]), expected[:400])


def test_clusters_built_beside_the_evidence_are_the_clusters_built_in_turn(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import orjson

    from enricher.matching import engine
    from enricher.sample import generate

    records = [record for record, _ in generate(4000, seed=9, near_names=0.3)]
    # One firm without a tax id and two with different valid ones: clustering refuses the second join.
    place = {"addressStreetLine": "ul. Marszałkowska 12", "addressCity": "Warszawa", "addressCountry": "PL"}
    firm = {"name": "Zorbex Sp. z o.o.", "addressPhoneNumber": "+48 22 555 01 01", **place}
    records += [
        {"id": "x1", **firm},
        {"id": "x2", **firm, "tin": "5260250274"},
        {"id": "x3", **firm, "name": "Zorbex sp. z o.o.", "tin": "5260250995"},
    ]
    monkeypatch.setattr(engine, "BESIDE_PAIRS", 10**9)  # in turn, in this process
    alone = match(records)
    monkeypatch.setattr(engine, "BESIDE_PAIRS", 10)  # clusters in a forked process
    beside = match(records)
    assert orjson.dumps(beside.to_contract()) == orjson.dumps(alone.to_contract())
    # What clustering refused came back from the forked process too: notes name the reason.
    refused = [c.note for c in beside.candidates if c.note.startswith("In review although")]
    assert any("stronger links" not in note for note in refused), refused[:5]
    assert len(beside.clusters) > 300


def test_evidence_weights_are_rounded_as_round_does_with_the_sign_of_zero_kept() -> None:
    import math

    from enricher.matching.engine import Scorer, block

    blocked, table = block(REGISTER, decisions=None, labels=[])
    scorer, _ = Scorer.fit(table, blocked.left, blocked.right, blocked.known)
    width = len(scorer.model.features)
    a, b = blocked.profiles.representatives[:2]
    for weights in ([0.0, -0.0] * width, [-0.0, 0.0] * width, [1.23456, -2.0004999, 0.1235] * width):
        weights = weights[:width]
        shown = [e.weight for e in scorer.evidence([0] * width, weights, a, b)]
        assert shown == [round(w, 3) for w in weights]
        assert [math.copysign(1, w) for w in shown] == [math.copysign(1, w) for w in weights]


def test_blocking_beside_the_profiles_on_a_large_register_gives_the_same_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From ``BESIDE_RECORDS`` records, blocking orders the names in a forked process beside the
    profiles and finds part of the alike names in one beside the other pairs; the match is the same
    as one after the other (here the threshold is lowered to 2,000 records)."""
    from enricher.matching import engine
    from enricher.sample import generate

    records = [r for r, _ in generate(6000, seed=17, near_names=0.3)]
    alone = match(records)
    forks: list[str] = []
    beside = engine.run_beside

    def counted(task: Any, here: Any, **options: Any) -> Any:
        forks.append(task.__name__)
        return beside(task, here, **options)

    monkeypatch.setattr(engine, "BESIDE_RECORDS", 2000)
    monkeypatch.setattr(engine, "run_beside", counted)
    forked = match(records)
    assert forks[:2] == ["ranked", "alike"]
    assert json.dumps(forked.to_contract()) == json.dumps(alone.to_contract())
    assert forked.stats["pairs_compared"] == alone.stats["pairs_compared"]


def test_has_keys_is_a_name_or_an_identifier_from_the_table_columns() -> None:
    from enricher.matching.engine import has_keys
    from enricher.matching.records import prepare
    from enricher.matching.table import Columns, Table, column_part

    records = [
        prepare({"id": 1, "name": "Acme"}),
        prepare({"id": 2, "name": ""}),
        prepare({"id": 3, "name": "", "addressPhoneNumber": "+48 22 555 01 23"}),
        prepare({"id": 4, "name": "Sp. z o.o.", "addressStreetLine": "Polna 1"}),
        prepare({"id": 5, "name": "", "corporateWebsiteUrl": "https://www.acme-polska.pl"}),
        prepare({"id": 6, "name": "   ", "tin": "7740001454", "tinCountry": "PL"}),
        prepare({"id": 7, "name": "", "addressCity": "Płock"}),  # a city alone identifies nothing
    ]
    rule = [bool(r.core or r.tin or r.domain or r.phone or r.street) for r in records]
    assert rule == [True, False, True, True, True, True, False]
    for table in (Table(records), Table(records, columns=Columns.of(column_part(records)))):
        assert has_keys(table).tolist() == rule
