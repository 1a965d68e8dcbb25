"""A match result's JSON: written from the evidence objects themselves, it is the plain contract's JSON."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

import orjson
import pytest

from enricher.matching import Candidate, Cluster, Evidence, MatchResult, match
from enricher.matching.results import Explained
from enricher.sample import generate


def _result() -> MatchResult:
    return match([record for record, _ in generate(3000, seed=11)])


def test_evidence_weights_are_rounded_where_they_are_made() -> None:
    result = _result()
    weights = [e.weight for c in result.candidates for e in c.evidence]
    assert len(weights) > 1000
    assert all(w == round(w, 3) for w in weights)
    assert any(w != round(w, 2) for w in weights)  # three decimals kept, not fewer


def test_the_json_written_from_objects_is_the_plain_contracts() -> None:
    result = _result()
    assert result.candidates and any(c.note for c in result.candidates)
    assert any(not c.note for c in result.candidates)
    plain = orjson.dumps(result.to_contract())
    # Each pair's evidence was written to JSON where it was made, and is written as it is.
    assert all(isinstance(c.evidence, Explained) for c in result.candidates)
    assert orjson.dumps(result.to_contract(plain=False)) == plain
    first = orjson.loads(plain)["candidates"][0]
    assert list(first["evidence"][0]) == ["feature", "result", "weight", "explanation"]


def test_a_candidate_without_note_or_explanation_keeps_the_contract_shape() -> None:
    candidate = Candidate(1, 2, 0.123456, "review", [Evidence("phone", "equal", 1.5, "")])
    expected = {
        "a": 1,
        "b": 2,
        "score": 0.1235,
        "band": "review",
        "evidence": [{"feature": "phone", "result": "equal", "weight": 1.5, "explanation": ""}],
    }
    assert candidate.to_contract() == expected
    assert orjson.loads(orjson.dumps(candidate.to_contract(plain=False))) == expected


def test_written_evidence_is_a_value_whose_json_never_goes_stale() -> None:
    evidence = [Evidence("name", "equal", 4.25, "Both are ACME."), Evidence("tin", "different", -7.5, "")]
    explained = Explained(evidence)
    assert explained == evidence and orjson.loads(explained.json) == orjson.loads(orjson.dumps(evidence))
    candidate = Candidate("a", "b", 0.9, "merge", explained, "Safe to merge.")
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(candidate, protocol))  # as it comes back from a forked process
        assert again == candidate and isinstance(again.evidence, Explained)
        assert orjson.dumps(again.to_contract(plain=False)) == orjson.dumps(candidate.to_contract())
    copied = copy.copy(explained)
    assert copied == explained and copied.json == explained.json
    # Changed in place, its JSON would say what it no longer holds: it cannot be.
    more = Evidence("contact", "same-person", 3.0, "Both list Jan Nowak.")
    for change in (
        lambda e: e.append(more),
        lambda e: e.extend([more]),
        lambda e: e.__setitem__(0, more),
        lambda e: e.__iadd__([more]),
        lambda e: e.sort(),
        lambda e: e.pop(),
    ):
        with pytest.raises((AttributeError, TypeError)):
            change(copied)
    assert copied == evidence
    # A new list made from it (as client matching adds contact evidence) is written from its own items.
    changed = replace(candidate, evidence=[*candidate.evidence, more])
    written = orjson.loads(orjson.dumps(changed.to_contract(plain=False)))
    assert written["evidence"][-1]["feature"] == "contact"


def test_written_evidence_keeps_only_its_json() -> None:
    """A 1M register lists ~360k pairs: their evidence is held as JSON, read back as Evidence on use."""
    evidence = [
        Evidence("name", "near", 2.669, "Names differ only by a typo ('a b' / 'b a')."),
        Evidence("x", "y", -0.0, ""),
    ]
    explained = Explained(evidence)
    assert not isinstance(explained, list) and not hasattr(explained, "__dict__")
    assert len(pickle.dumps(explained)) < len(explained.json) + 80  # no Evidence objects ride along
    assert list(explained) == evidence and explained[0] == evidence[0] and explained[-1:] == evidence[-1:]
    assert len(explained) == 2 and repr(explained) == repr(evidence)
    assert str(explained[1].weight) == "-0.0"  # read back exactly as written
    assert explained == Explained(list(evidence)) and explained != Explained(evidence[:1])
    assert explained != evidence[:1] and explained != "not evidence"
    with pytest.raises(TypeError):
        hash(explained)


def test_a_cluster_pickles_as_itself() -> None:
    """Clusters come back pickled from the process that clusters beside the evidence."""
    cluster = Cluster(["7", 9, "/counterparties/12"], 9, "Same tax id; 9 is the most complete.")
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(cluster, protocol))
        assert again == cluster and type(again) is Cluster
        assert again.to_contract() == cluster.to_contract()
