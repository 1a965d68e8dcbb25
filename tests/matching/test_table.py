"""The table: columns built where records are normalised, joined in order, code as one pass does."""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import pytest

from enricher.matching import engine as engine_module
from enricher.matching import match
from enricher.matching.batches import PARALLEL_CHUNK, collect_chunks, prepare_chunk
from enricher.matching.records import prepare_many
from enricher.matching.table import Table
from enricher.sample import generate


def lines_with_problems(count: int) -> list[bytes]:
    """A register over several chunks with a record that is not JSON, one without an id, and ids given
    twice (a repeated record is dropped: its values must not shift the codes of the kept ones)."""
    records = [r for r, _ in generate(count, seed=5, near_names=0.3)]
    lines = [json.dumps(r).encode() for r in records]
    lines[3] = b'{"id": 4, "name": "broken'
    lines[PARALLEL_CHUNK + 1] = json.dumps({"name": "no id"}).encode()
    for at in (PARALLEL_CHUNK + 7, 2 * PARALLEL_CHUNK + 3):  # a new name and tax id under a taken id
        lines[at] = json.dumps(
            {"id": records[10]["id"], "name": f"Repeated {at} GmbH", "tin": "DE136695976"}
        ).encode()
    return lines


def same_partition(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    """Whether two code columns say "equal" and "missing" of exactly the same rows."""
    if not np.array_equal(a < 0, b < 0):
        return False
    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(pairs[0]) == len(np.unique(a)) == len(np.unique(b))


def test_columns_joined_from_parts_code_as_one_pass_over_the_kept_records() -> None:
    lines = lines_with_problems(3 * PARALLEL_CHUNK + 500)
    chunks = [
        prepare_chunk(lines[k : k + PARALLEL_CHUNK], keys=True) for k in range(0, len(lines), PARALLEL_CHUNK)
    ]  # type: ignore[arg-type]
    chunks = pickle.loads(pickle.dumps(chunks))  # as the workers hand them over
    collected = collect_chunks(chunks)
    assert collected.columns is not None and len(collected.problems) == 4
    direct = Table(collected.prepared)
    joined = Table(collected.prepared, columns=collected.columns)
    assert set(joined.codes) == set(direct.codes)
    for name in direct.codes:
        assert same_partition(joined.codes[name], direct.codes[name]), name
    for name in direct.codes:
        assert np.array_equal(joined.frequency(name), direct.frequency(name)), name
    assert np.array_equal(joined.tin_valid, direct.tin_valid)
    assert np.array_equal(joined.phone_local, direct.phone_local)
    assert np.array_equal(joined.phone_block, direct.phone_block)
    rows = np.arange(0, len(collected.prepared), 3)
    some = Table([collected.prepared[k] for k in rows], columns=collected.columns.take(rows))
    for name in direct.codes:
        assert same_partition(some.codes[name], direct.codes[name][rows]), name
    with pytest.raises(ValueError, match="columns of 10 records for a table of 11"):
        Table(collected.prepared[:11], columns=collect_chunks(chunks).columns.take(rows[:10]))


def test_codes_are_equal_exactly_where_the_values_are() -> None:
    from enricher.matching.table import name_numbers

    prepared = [p for p in prepare_many([r for r, _ in generate(4000, seed=8, near_names=0.3)])]
    table = Table(prepared)  # type: ignore[arg-type]
    coded = "core legal_form legal_generic tin tin_country domain phone house street postcode city country"
    values: dict[str, list[Any]] = {
        name: [getattr(r, name) or None for r in prepared] for name in coded.split()
    }
    values["first_word"] = [r.core.split(" ", 1)[0] if r.core else None for r in prepared]  # type: ignore[union-attr]
    values["name_numbers"] = [name_numbers(r.core) or None for r in prepared]  # type: ignore[union-attr]
    values["street_numbers"] = [name_numbers(r.street or "") or None for r in prepared]  # type: ignore[union-attr]
    values["postcode_area"] = [r.postcode[:3] if r.postcode else None for r in prepared]  # type: ignore[union-attr]
    assert set(values) == set(table.codes)
    for name, column in values.items():
        by_value: dict[Any, int] = {}
        plain = np.asarray([by_value.setdefault(v, len(by_value)) if v is not None else -1 for v in column])
        assert same_partition(table.codes[name], plain), name
        assert by_value, name  # the register really has values of each
    # A number in a name and one in a street code alike (an address in the name meets the street's).
    numbers = np.concatenate((table.codes["name_numbers"], table.codes["street_numbers"]))
    both = values["name_numbers"] + values["street_numbers"]
    shared: dict[str, int] = {}
    assert same_partition(numbers, np.asarray([shared.setdefault(v, len(shared)) if v else -1 for v in both]))


def test_name_words_read_off_the_workers_columns_are_the_tables_own() -> None:
    """The words the normalising processes coded give the very name words a table finds in its
    records' names: the same words in the same columns, uses, information; crowded names (more than
    eight words) keep their rarest eight, chosen with the whole register's counts."""
    from enricher.matching.table import NameWords, _name_words, word_codes

    lines = lines_with_problems(2 * PARALLEL_CHUNK + 300)
    greek = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]
    for k, at in enumerate(range(20, 2 * PARALLEL_CHUNK, 997)):  # crowded names in every chunk
        words = [*greek[k % 3 :], "x", f"firm{k % 4}", "ąę" * (k % 2 + 1)]
        lines[at] = json.dumps({"id": f"crowded-{k}", "name": " ".join(words) + " sp. z o.o."}).encode()
    chunks = [
        prepare_chunk(lines[k : k + PARALLEL_CHUNK], keys=True) for k in range(0, len(lines), PARALLEL_CHUNK)
    ]  # type: ignore[arg-type]
    collected = collect_chunks(pickle.loads(pickle.dumps(chunks)))
    assert collected.columns is not None
    joined = Table(collected.prepared, columns=collected.columns).name_words()
    direct = _name_words(collected.prepared, None, 0)
    crowded = [
        k for k, p in enumerate(collected.prepared) if len({t for t in p.core.split() if len(t) > 1}) > 8
    ]
    assert len(crowded) >= 10

    def per_slot(words: NameWords, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.where(words.ids >= 0, values[np.maximum(words.ids, 0)], -1)

    assert joined.spelt == [] and direct.coded is None  # coded by the parts; found in the names
    assert np.array_equal(per_slot(joined, word_codes(joined)), per_slot(direct, word_codes(direct)))
    assert np.array_equal(per_slot(joined, joined.uses), per_slot(direct, direct.uses))
    assert np.array_equal(per_slot(joined, joined.information), per_slot(direct, direct.information))
    assert np.array_equal(per_slot(joined, joined.distinctive), per_slot(direct, direct.distinctive))
    assert joined.uses[-1] == direct.uses[-1] == len(collected.prepared) + 1
    # (A crowded name's words beyond its eight have codes too: they count, but no column holds them.)
    assert set(word_codes(direct).tolist()) <= set(word_codes(joined).tolist())


def test_a_match_gives_the_same_result_with_or_without_the_workers_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = lines_with_problems(2 * PARALLEL_CHUNK + 300)
    with_columns = match(lines)
    keyed = engine_module.prepare_keyed
    monkeypatch.setattr(engine_module, "prepare_keyed", lambda *a, **k: keyed(*a, **k)._replace(columns=None))
    without = match(lines)
    assert [(c.a, c.b, c.band, c.score) for c in with_columns.candidates] == [
        (c.a, c.b, c.band, c.score) for c in without.candidates
    ]
    assert [c.to_contract() for c in with_columns.clusters] == [c.to_contract() for c in without.clusters]


def test_chunks_written_before_columns_are_joined_without_them() -> None:
    """A run's normalised files from an older version hold plain 3-tuples: the table is then built
    from the records, as before."""
    lines = lines_with_problems(2 * PARALLEL_CHUNK + 100)
    chunks = [
        prepare_chunk(lines[k : k + PARALLEL_CHUNK], keys=True) for k in range(0, len(lines), PARALLEL_CHUNK)
    ]  # type: ignore[arg-type]
    old = [tuple(chunks[0][:3]), *chunks[1:]]
    collected = collect_chunks(old)
    assert collected.columns is None
    assert [p.id for p in collected.prepared] == [p.id for p in collect_chunks(chunks).prepared]
    assert collect_chunks(chunks).columns is not None


def test_a_detached_table_compares_as_the_whole_one_without_its_records() -> None:
    import numpy as np

    from enricher.matching.blocking import candidate_pairs
    from enricher.matching.engine import compare_all
    from enricher.matching.features import TEXT_COLUMNS
    from enricher.matching.table import Table

    prepared = [p for p in prepare_many([r for r, _ in generate(2000, seed=3, near_names=0.3)])]
    left, right, _ = candidate_pairs(prepared)  # type: ignore[arg-type]
    detached = pickle.loads(pickle.dumps(Table(prepared).detached(TEXT_COLUMNS)))  # type: ignore[arg-type]
    assert detached.records == ()
    assert np.array_equal(compare_all(detached, left, right), compare_all(Table(prepared), left, right))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2000 records cannot take 3"):
        detached.attach(prepared[:3])  # type: ignore[arg-type]
    detached.attach(prepared)  # type: ignore[arg-type]
    assert detached.records is prepared
    # Attached, its text columns hold the records' own strings, not the copies it was read with.
    names = detached.text_array("core")
    assert all(names[k] is (p.core or "") for k, p in enumerate(prepared) if p.core)
    assert np.array_equal(compare_all(detached, left, right), compare_all(Table(prepared), left, right))  # type: ignore[arg-type]
    # The table it was detached from keeps its own columns.
    whole = Table(prepared)  # type: ignore[arg-type]
    built = whole.text_array("core")
    whole.detached(TEXT_COLUMNS).attach(prepared)  # type: ignore[arg-type]
    assert whole.text_array("core") is built


def test_filled_counts_each_records_known_fields_as_the_survivor_rule_does() -> None:
    from enricher.matching.records import FILLED_FIELDS, prepare
    from enricher.matching.table import Columns, Table, column_part
    from enricher.sample import generate

    records = [prepare(r) for r, _ in generate(300, seed=5)]
    records += [
        prepare({"id": "bare", "name": ""}),
        prepare({"id": "dots", "name": "...", "addressCity": " "}),
    ]
    assert all(r.filled == sum(bool(getattr(r, name)) for name in FILLED_FIELDS) for r in records)
    want = [r.filled for r in records]
    assert len(set(want)) > 3 and min(want) == 0
    for table in (Table(records), Table(records, columns=Columns.of(column_part(records)))):
        assert table.filled().tolist() == want
