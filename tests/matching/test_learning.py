"""Learning from people: labels honoured, contradictions refused, kinds of pair learnt, questions asked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from enricher.matching import LabelError, check_labels, match
from enricher.matching.features import FEATURES
from enricher.matching.learning import CONFIRM, PER_KIND, Calibration, Kind, choose_questions
from enricher.matching.scoring import fit, pattern_codes

from .test_engine_classes import sites

WORDS = [
    "Lark",
    "Wren",
    "Finch",
    "Heron",
    "Robin",
    "Swift",
    "Egret",
    "Crane",
    "Plover",
    "Tern",
    "Stork",
    "Ibis",
]


def register() -> list[dict[str, Any]]:
    """Sites, plus a dozen pairs of one kind: a parent's listing and the site's own, at one address
    with different phones, names sharing the site's name only (the model leaves them in review)."""
    out = sites(150)
    for k, word in enumerate(WORDS):
        street = f"{700 + k} N {word}wood Ave"
        out.append(
            {
                "id": f"p{k}",
                "name": f"Henry Booth House - {word}ton Nursery",
                "addressStreetLine": street,
                "addressPhoneNumber": f"77355{k:05d}",
                "addressCountry": "US",
            }
        )
        out.append(
            {
                "id": f"s{k}",
                "name": f"{word}ton Early Learning Academy",
                "addressStreetLine": street,
                "addressPhoneNumber": f"31255{k:05d}",
                "addressCountry": "US",
            }
        )
        # And a clinic listed twice, once without its street: a merge by name and phone.
        out.append(
            {
                "id": f"c{k}",
                "name": f"{word}field Dental Clinic",
                "addressStreetLine": f"{40 + k} S Main St",
                "addressPhoneNumber": f"63055{k:05d}",
                "addressCountry": "US",
            }
        )
        out.append(
            {
                "id": f"d{k}",
                "name": f"{word.upper()}FIELD DENTAL CLINIC",
                "addressPhoneNumber": f"630-55{k:05d}",
                "addressCountry": "US",
            }
        )
    return out


def kinds(result: Any) -> dict[tuple[tuple[str, str], ...], list[Any]]:
    """Candidates grouped by their evidence (feature, result) pattern."""
    out: dict[tuple[tuple[str, str], ...], list[Any]] = defaultdict(list)
    for c in result.candidates:
        out[tuple((e.feature, e.result) for e in c.evidence)].append(c)
    return out


def band(result: Any, a: Any, b: Any) -> str | None:
    return next((str(c.band) for c in result.candidates if {c.a, c.b} == {a, b}), None)


def test_contradictory_labels_are_refused_with_the_pairs_named() -> None:
    assert len(check_labels([(1, 2, True), (2, 1, True), (3, 4, False)])) == 2  # repeats collapse
    with pytest.raises(LabelError, match="pair 1, 2 is labelled both a match and not a match"):
        check_labels([(1, 2, True), (2, 1, False)])
    with pytest.raises(
        LabelError, match=r"1 and 3 are labelled different, but 1 ~ 2 ~ 3 are labelled the same"
    ):
        check_labels([(1, 2, True), (2, 3, True), (1, 3, False)])
    with pytest.raises(LabelError, match="two different records"):
        check_labels([(5, 5, True)])


def test_a_labelled_pair_is_honoured_both_ways() -> None:
    records = register()
    plain = match(records)
    review = next(c for c in plain.candidates if c.band == "review" and str(c.a).startswith(("p", "s")))
    merged = next(c for c in plain.candidates if c.band == "merge")
    taught = match(records, labels=[(review.a, review.b, True), (merged.a, merged.b, False)])
    (same,) = [c for c in taught.candidates if {c.a, c.b} == {review.a, review.b}]
    assert same.band == "merge" and same.note.startswith("A person said")
    assert any({review.a, review.b} <= set(c.ids) for c in taught.clusters)
    assert band(taught, merged.a, merged.b) is None  # "different": never proposed
    assert not any({merged.a, merged.b} <= set(c.ids) for c in taught.clusters)


def test_answers_about_a_few_pairs_teach_their_whole_kind() -> None:
    records = register()
    plain = match(records)
    planted = {f"p{k}" for k in range(len(WORDS))} | {f"s{k}" for k in range(len(WORDS))}
    groups = [g for g in kinds(plain).values() if len(g) >= 6 and all(c.band == "review" for c in g)]
    groups = [g for g in groups if all({c.a, c.b} <= planted for c in g)]
    assert groups, "the planted pairs are one kind of review pair"
    kind = groups[0]
    answered, rest = kind[:CONFIRM], kind[CONFIRM:]
    # One answer is not enough to move a kind ...
    one = match(records, labels=[(answered[0].a, answered[0].b, True)])
    assert all(band(one, c.a, c.b) == "review" for c in rest)
    # ... three agreeing answers are: the other pairs of the kind join the merge band, and say why.
    taught = match(records, labels=[(c.a, c.b, True) for c in answered])
    for c in rest:
        (now,) = [x for x in taught.candidates if {x.a, x.b} == {c.a, c.b}]
        assert now.band == "merge"
        assert (
            f"people said pairs like this are the same company ({CONFIRM} of {CONFIRM} answered)" in now.note
        )
    assert taught.stats["learned"]["kinds_confirmed"] >= 1
    assert any("Learnt from 3 answers" in note for note in taught.notes)


def test_two_different_answers_take_a_kind_out_of_the_merge_band_one_does_not() -> None:
    records = register()
    plain = match(records)
    kind = max((g for g in kinds(plain).values() if all(c.band == "merge" for c in g)), key=len)
    assert len(kind) >= 5
    one = match(records, labels=[(kind[0].a, kind[0].b, False)])
    assert all(band(one, c.a, c.b) == "merge" for c in kind[1:])  # one odd answer flips nothing
    two = match(records, labels=[(c.a, c.b, False) for c in kind[:2]])
    for c in kind[2:]:
        (now,) = [x for x in two.candidates if {x.a, x.b} == {c.a, c.b}]
        assert now.band == "review" and "people said pairs like this are different" in now.note


def test_questions_are_distinct_spread_over_kinds_and_never_asked_twice() -> None:
    records = register()
    result = match(records)
    questions = result.questions
    assert 0 < len(questions) <= 100
    assert len({frozenset(q) for q in questions}) == len(questions)
    by_pair = {
        frozenset((c.a, c.b)): tuple((e.feature, e.result) for e in c.evidence) for c in result.candidates
    }
    per_kind: dict[Any, int] = defaultdict(int)
    for q in questions:
        per_kind[by_pair.get(frozenset(q))] += 1
    assert max(per_kind.values()) <= PER_KIND
    answered = match(records, labels=[(a, b, True) for a, b in questions[:5]])
    assert not {frozenset(q) for q in questions[:5]} & {frozenset(q) for q in answered.questions}


def test_questions_start_with_the_kind_an_answer_would_move_most() -> None:
    codes = np.asarray([7, 7, 7, 7, 9, 9, 5], dtype=np.int64)
    scores = np.asarray([0.9, 0.9, 0.8, 0.85, 0.3, 0.25, 0.999])
    reasons = np.asarray([0, 0, 0, 0, 0, 0, 1], dtype=np.int8)
    rule_based = np.zeros(7, dtype=bool)
    known = np.full(7, np.nan)
    rows = choose_questions(
        codes,
        scores,
        reasons,
        rule_based,
        known,
        Calibration({7: Kind(4, 0.86), 9: Kind(2, 0.27)}),
        review_threshold=0.2,
    )
    assert [int(codes[r]) for r in rows] == [7, 7, 7, 9, 9]  # the big likely kind first, 3 of it
    assert rows[0] == 0 and 6 not in rows  # a merge by agreeing names is not in doubt


def test_semi_supervised_em_holds_answers_and_moves_the_weights_only_a_little() -> None:
    rng = np.random.default_rng(2)
    levels = rng.integers(0, 2, size=(2000, len(FEATURES))).astype(np.int8)
    plain = fit(levels)
    known = np.full(len(levels), np.nan)
    same_name = np.flatnonzero(levels[:, 0] == 1)[:20]
    known[same_name] = 1.0  # "near" names answered as matches, 20 of 2,000 pairs
    taught = fit(levels, known=known)
    before, after = plain.weights("name")[1], taught.weights("name")[1]
    assert after > before  # the answers push the answered level up ...
    assert after - before < 3.0  # ... by a little: twenty answers do not overrule two thousand pairs
    assert len(set(pattern_codes(levels).tolist())) <= 2 ** len(FEATURES)


def test_verdicts_mark_confirmed_and_refuted_kinds_and_leave_the_rest() -> None:
    calibration = Calibration(
        {
            11: Kind(pairs=5, same=CONFIRM),  # confirmed
            22: Kind(pairs=5, different=2),  # refuted
            33: Kind(pairs=5, same=1),  # one answer: undecided
        }
    )
    codes = np.asarray([11, 22, 33, 44, 11, 22], dtype=np.int64)
    assert calibration.verdicts(codes).tolist() == [1, -1, 0, 0, 1, -1]
    assert calibration.verdicts(codes).dtype == np.int8
    assert Calibration({33: Kind(pairs=1, same=1)}).verdicts(codes).tolist() == [0] * 6


def test_verdicts_are_read_once_and_the_calibration_compares_as_its_kinds() -> None:
    kinds = {11: Kind(pairs=5, same=CONFIRM), 22: Kind(pairs=5)}
    calibration = Calibration(dict(kinds))
    codes = np.asarray([11, 22], dtype=np.int64)
    assert calibration.verdicts(codes).tolist() == [1, 0]
    assert calibration == Calibration(dict(kinds))  # what it read is no part of what it is
    calibration.kinds[22] = Kind(pairs=5, different=5)  # kinds are fixed once calibrated: not seen
    assert calibration.verdicts(codes).tolist() == [1, 0]
    assert Calibration.from_json(calibration.to_json()).verdicts(codes).tolist() == [1, -1]
