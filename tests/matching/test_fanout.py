"""A full match fanned out over slices of the pair space gives the single process's result exactly."""

from __future__ import annotations

import functools
import itertools
import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from enricher.matching import InMemoryDecisions, MatchResult, match
from enricher.matching import engine as engine_module
from enricher.matching import fanout as fanout_module
from enricher.matching.batches import PARALLEL_CHUNK
from enricher.matching.fanout import (
    FanOutError,
    PairPlan,
    compare_part,
    gather,
    latest_run,
    normalise_part,
    plan,
    plan_normalised,
    prune_runs,
    record_slices,
    stage,
    stage_ids,
)
from enricher.sample import generate

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "dev"


def register(count: int = 3000) -> list[dict[str, Any]]:
    return [record for record, _ in generate(count, seed=11, near_names=0.2)]


def content(result: MatchResult) -> dict[str, Any]:
    """Everything a user sees of a result: pairs with band, score, evidence and note; clusters; questions."""
    return {
        "candidates": [
            (
                c.a,
                c.b,
                c.band,
                round(c.score, 12),
                [(e.feature, e.result, round(e.weight, 9)) for e in c.evidence],
                c.note,
            )
            for c in result.candidates
        ],
        "clusters": [c.to_contract() for c in result.clusters],
        "questions": result.questions,
        "model": json.dumps(result.learned.to_json() if result.learned else None, sort_keys=True),
    }


def fanned(
    records: list[dict[str, Any]], tmp_path: Path, size: int, **kwargs: Any
) -> tuple[MatchResult, PairPlan]:
    planned = plan(records, tmp_path / "run", **kwargs)
    slices = planned.slices(size)
    for lo, hi in reversed(slices):  # parts finish in any order
        compare_part(planned.directory, lo, hi)
    result, redone = gather(planned.directory, slices, decisions=kwargs.get("decisions"))
    assert redone == []
    return result, planned


@pytest.fixture
def small_fit_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Learn from a 400-pair sample, so the plan really compares only part of the pairs."""
    monkeypatch.setattr(engine_module, "fit_sample", functools.partial(engine_module.fit_sample, size=400))


def test_fanned_out_match_equals_the_single_process_one(tmp_path: Path, small_fit_sample: None) -> None:
    records = register()
    single = match(records)
    result, planned = fanned(records, tmp_path, size=997)
    assert planned.pairs > 5 * 997 and len(planned.slices(997)) > 5
    assert content(result) == content(single)
    assert {
        k: v for k, v in result.stats.items() if k not in ("seconds", "records_per_second", "timings")
    } == {k: v for k, v in single.stats.items() if k not in ("seconds", "records_per_second", "timings")}


def test_answers_and_labels_give_the_same_result_fanned_out(tmp_path: Path, small_fit_sample: None) -> None:
    records = register()
    single = match(records)
    merges = [c for c in single.candidates if c.band == "merge"][:6]
    reviews = [c for c in single.candidates if c.band == "review"][:6]
    decisions = InMemoryDecisions()
    for c in merges[:3]:
        decisions.reject(c.a, c.b)
    for c in reviews[:3]:
        decisions.approve(c.a, c.b)
    labels = [(c.a, c.b, True) for c in reviews[3:]] + [(c.a, c.b, False) for c in merges[3:]]
    taught = match(records, decisions=decisions, labels=labels)
    result, _ = fanned(records, tmp_path, size=1500, decisions=decisions, labels=labels)
    assert content(result) == content(taught)
    assert result.stats["learned"] == taught.stats["learned"]


@pytest.mark.skipif(not (DATA / "chicago.jsonl").is_file(), reason="../shared/data/dev not present")
def test_real_register_fanned_out_equals_single_process(tmp_path: Path) -> None:
    records = [json.loads(line) for line in (DATA / "chicago.jsonl").read_text().splitlines() if line.strip()]
    result, _ = fanned(records, tmp_path, size=4000)
    assert content(result) == content(match(records))


def as_lines(records: list[dict[str, Any]]) -> list[bytes]:
    """The register as the snapshot holds it (one JSON object each), with what a real one also has: a
    record that is not JSON, one without an id, and an id given twice (the first one is kept)."""
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    lines[7] = b'{"id": 8, "name": "broken'
    lines[5003] = json.dumps({"name": "no id at all"}).encode()
    lines[11_000] = json.dumps(dict(records[11_000], id=records[42]["id"])).encode()
    return lines


def fanned_normalising(lines: list[bytes], directory: Path, size: int) -> tuple[PairPlan, list[Any]]:
    stage(lines, directory)
    slices = record_slices(len(lines), size)
    for lo, hi in reversed(slices):  # parts finish in any order
        normalise_part(directory, lo, hi)
    planned, redone = plan_normalised(directory, slices)
    assert redone == []
    return planned, slices


def test_normalising_in_parts_gives_the_single_process_result(tmp_path: Path, small_fit_sample: None) -> None:
    lines = as_lines(register(12_500))
    planned, slices = fanned_normalising(lines, tmp_path / "run", size=PARALLEL_CHUNK)
    assert len(slices) == 3
    assert len(list(planned.directory.glob("norm-*"))) == 3  # kept: the gather reads the records there
    pair_slices = planned.slices(3000)
    for lo, hi in pair_slices:
        compare_part(planned.directory, lo, hi)
    result, _ = gather(planned.directory, pair_slices)
    single = match(lines)
    assert content(result) == content(single)
    assert result.stats["skipped"] == single.stats["skipped"]
    assert [s.split(":")[0] for s in result.stats["skipped"]] == ["record 8", "record 5004", "record 11001"]


class Register:
    """Where a worker's parts read records by id (the Redis snapshot's ``raw_of``): a dict of JSON lines,
    from which a record can be deleted after the run listed it."""

    def __init__(self, lines: list[bytes]) -> None:
        self.stored = {str(k).encode(): line for k, line in enumerate(lines)}
        self.reads = 0

    def ids(self) -> list[bytes]:
        return list(self.stored)

    def raw_of(self, ids: Any) -> list[bytes | None]:
        self.reads += 1
        return [self.stored.get(i) for i in ids]


def test_parts_that_read_their_own_records_give_the_single_process_result(
    tmp_path: Path, small_fit_sample: None
) -> None:
    """A run that listed only the ids: each part reads its slice itself, and nothing of the records is
    staged, yet the result is the single process's (its problems too, in their places)."""
    lines = as_lines(register(12_500))
    source, directory = Register(lines), tmp_path / "run"
    assert stage_ids(source.ids(), directory) == len(lines)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    for lo, hi in reversed(slices):
        normalise_part(directory, lo, hi, read=source.raw_of)
    assert source.reads == len(slices)
    assert not (directory / "records.bin").exists()
    planned, redone = plan_normalised(directory, slices, read=source.raw_of)
    assert redone == [] and source.reads == len(slices)
    result, _ = gather(planned.directory, planned.slices(10**9))
    single = match(lines)
    assert content(result) == content(single)
    assert result.stats["skipped"] == single.stats["skipped"]


def test_a_record_deleted_after_the_listing_is_skipped_and_reported(tmp_path: Path) -> None:
    """Deleted between the listing and its part's read: skipped in its place and named, the rest matched
    as if it had never been there; a part that never wrote is read by the plan the same way."""
    lines = as_lines(register(12_000))
    source, directory = Register(lines), tmp_path / "run"
    stage_ids(source.ids(), directory)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    del source.stored[b"6000"]
    normalise_part(directory, *slices[1], read=source.raw_of)  # parts 0 and 2 died before writing
    planned, redone = plan_normalised(directory, slices, read=source.raw_of)
    assert redone == [slices[0], slices[2]]
    result, _ = gather(planned.directory, planned.slices(10**9))
    without = match(lines[:6000] + lines[6001:])
    assert [(c.a, c.b, c.band, round(c.score, 12)) for c in result.candidates] == [
        (c.a, c.b, c.band, round(c.score, 12)) for c in without.candidates
    ]
    assert "record 6001: record 6000 left the register during the run" in result.stats["skipped"]
    assert result.stats["records"] == without.stats["records"]


def test_a_part_run_again_after_the_plan_leaves_what_the_plan_blocked(tmp_path: Path) -> None:
    """A normalising part redelivered after the plan (its first run's ack was lost) reads the register as
    it is by then: a record deleted since. The first file stands, and the gather finds the records the
    plan blocked, not a register one record shorter."""
    lines = [json.dumps(r).encode() for r in register(12_000)]
    source, directory = Register(lines), tmp_path / "run"
    stage_ids(source.ids(), directory)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    for lo, hi in slices:
        normalise_part(directory, lo, hi, read=source.raw_of)
    planned, _ = plan_normalised(directory, slices, read=source.raw_of)
    path = directory / f"norm-{slices[1][0]}-{slices[1][1]}.pickle"
    written = path.read_bytes()
    del source.stored[b"6000"]
    assert normalise_part(directory, *slices[1], read=source.raw_of).records == slices[1][1] - slices[1][0]
    assert path.read_bytes() == written
    assert not list(directory.glob(".*partial"))
    compare_part(directory, 0, planned.pairs)
    result, _ = gather(directory, [(0, planned.pairs)])
    assert content(result) == content(match(lines))


def normalised_names(directory: Path) -> dict[Any, str]:
    """Each record's normalised name, by id, as the run's normalising parts wrote them."""
    names = {}
    for path in directory.glob("norm-*.pickle"):
        for chunk in pickle.loads(path.read_bytes()):
            names.update({item.id: item.name for item in chunk[0] if not isinstance(item, str)})
    return names


def test_a_run_reuses_what_the_run_before_normalised_for_records_whose_json_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A night later: two records edited, one deleted (every later record moves one place), one added.
    The second run normalises only the edited and the added ones, and its result is a fresh match's;
    a run whose normaliser is another (a deploy) reuses nothing."""
    lines = as_lines(register(12_500))
    source = Register(lines)
    first = tmp_path / "first"
    stage_ids(source.ids(), first)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    assert sum(normalise_part(first, lo, hi, read=source.raw_of).reused for lo, hi in slices) == 0

    edited = json.loads(source.stored[b"7000"])
    source.stored[b"7000"] = json.dumps(dict(edited, name="Renamed Trading Ltd")).encode()
    source.stored[b"100"] = json.dumps(dict(json.loads(source.stored[b"100"]), addressCity="Gdynia")).encode()
    del source.stored[b"3000"]
    source.stored[b"new"] = json.dumps({"id": "n-1", "name": "Brand New sp. z o.o."}).encode()
    now = [source.stored[i] for i in source.ids()]

    second = tmp_path / "second"
    assert latest_run(tmp_path) == first
    stage_ids(source.ids(), second, previous=first)
    slices = record_slices(len(now), PARALLEL_CHUNK)
    done = [normalise_part(second, lo, hi, read=source.raw_of) for lo, hi in slices]
    # Reused: all but the two edited records, the new one, and the two lines that are no usable record.
    assert sum(d.reused for d in done) == len(now) - 3 - 2
    assert normalised_names(second)[edited["id"]] == "Renamed Trading Ltd"
    # What the parts wrote is what normalising afresh writes: records, blocking keys, columns.
    afresh = tmp_path / "afresh"
    stage_ids(source.ids(), afresh)
    for lo, hi in slices:
        normalise_part(afresh, lo, hi, read=source.raw_of)
        name = f"norm-{lo}-{hi}.pickle"
        for taken, built in zip(
            *(pickle.loads((d / name).read_bytes()) for d in (second, afresh)), strict=True
        ):
            assert taken.items == built.items
            keys = sorted(zip(taken.owner.tolist(), taken.code.tolist(), strict=True))
            assert keys == sorted(zip(built.owner.tolist(), built.code.tolist(), strict=True))
            assert taken.owner.tolist() == sorted(taken.owner.tolist())
            for field in ("codes", "numbers"):
                mine, theirs = getattr(taken.columns, field), getattr(built.columns, field)
                assert mine.keys() == theirs.keys()
                assert all((mine[k] == theirs[k]).all() for k in mine)
            assert (taken.columns.words == built.columns.words).all()
            assert (taken.columns.crowded == built.columns.crowded).all()
    planned, redone = plan_normalised(second, slices, read=source.raw_of)
    assert redone == []
    compare_part(second, 0, planned.pairs)
    result, _ = gather(second, [(0, planned.pairs)])
    fresh = match(now)
    assert content(result) == content(fresh)
    assert result.stats["skipped"] == fresh.stats["skipped"]

    monkeypatch.setattr(fanout_module.reuse, "normaliser", lambda: "another normaliser")
    third = tmp_path / "third"
    stage_ids(source.ids(), third, previous=second)
    assert sum(normalise_part(third, lo, hi, read=source.raw_of).reused for lo, hi in slices) == 0


def test_a_previous_run_that_is_gone_or_unreadable_only_means_normalising_afresh(tmp_path: Path) -> None:
    lines = [json.dumps(r).encode() for r in register(6000)]
    source = Register(lines)
    assert latest_run(tmp_path / "nothing yet") is None
    gone = tmp_path / "gone"
    stage_ids(source.ids(), gone)
    directory = tmp_path / "run"
    stage_ids(source.ids(), directory, previous=gone)
    shutil.rmtree(gone)  # pruned, or the volume lost it
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    assert [normalise_part(directory, lo, hi, read=source.raw_of).reused for lo, hi in slices] == [0, 0]
    broken = tmp_path / "broken"
    stage_ids(source.ids(), broken, previous=directory)
    (directory / f"norm-{slices[0][0]}-{slices[0][1]}.pickle").write_bytes(b"not a pickle")
    done = [normalise_part(broken, lo, hi, read=source.raw_of) for lo, hi in slices]
    assert [d.reused for d in done] == [0, slices[1][1] - slices[1][0]]
    planned, _ = plan_normalised(broken, slices, read=source.raw_of)
    compare_part(broken, 0, planned.pairs)
    result, _ = gather(broken, [(0, planned.pairs)])
    assert content(result) == content(match(lines))


def test_a_run_of_listed_ids_needs_a_reader_and_its_normalised_files(tmp_path: Path) -> None:
    """No staged records to fall back on: a part given nothing to read with, or a gather whose normalised
    file is gone, is a clear error (the register may have changed since: reading it again would not
    give the records the plan blocked)."""
    lines = [json.dumps(r).encode() for r in register(6000)]
    source, directory = Register(lines), tmp_path / "run"
    stage_ids(source.ids(), directory)
    with pytest.raises(FanOutError, match="listed only their ids"):
        normalise_part(directory, 0, 6000)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    for lo, hi in slices:
        normalise_part(directory, lo, hi, read=source.raw_of)
    planned, _ = plan_normalised(directory, slices, read=source.raw_of)
    compare_part(directory, 0, planned.pairs)
    (directory / f"norm-{slices[0][0]}-{slices[0][1]}.pickle").unlink()
    with pytest.raises(FanOutError, match="listed only their ids"):
        gather(directory, [(0, planned.pairs)])


@pytest.mark.slow
def test_parts_normalised_on_other_machines_give_the_single_process_result(tmp_path: Path) -> None:
    """Each normalising part runs in a process of its own hash seed (another worker host, a restarted
    pool): the blocking keys they write must still meet each other's and the plan's."""
    import os
    import subprocess
    import sys

    lines = as_lines(register(12_500))
    directory = tmp_path / "run"
    stage(lines, directory)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    assert len(slices) == 3
    for seed, (lo, hi) in enumerate(slices, start=1):
        code = "import sys; from pathlib import Path; from enricher.matching.fanout import normalise_part; "
        code += f"normalise_part(Path(sys.argv[1]), {lo}, {hi})"
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        subprocess.run([sys.executable, "-c", code, str(directory)], env=env, check=True)
    planned, redone = plan_normalised(directory, slices)
    assert redone == []
    compare_part(directory, 0, planned.pairs)
    result, _ = gather(directory, [(0, planned.pairs)])
    assert content(result) == content(match(lines))


def test_a_normalising_part_written_by_an_older_version_is_done_again_by_the_plan(tmp_path: Path) -> None:
    """A deploy between a run's normalising parts and its plan: a part's file from the older version holds
    chunks without columns and key codes of that process's own salted hash, which no key of this
    version meets. The plan normalises that slice again instead of losing its pairs."""
    lines = as_lines(register(12_000))
    directory = tmp_path / "run"
    stage(lines, directory)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    for lo, hi in slices:
        normalise_part(directory, lo, hi)
    path = directory / f"norm-{slices[1][0]}-{slices[1][1]}.pickle"
    chunks = pickle.loads(path.read_bytes())
    old = [(c.items, c.owner, c.code ^ 0x5A5A5A5A00) for c in chunks]  # other codes, no columns
    path.write_bytes(pickle.dumps(old))
    planned, redone = plan_normalised(directory, slices)
    assert redone == [slices[1]]
    assert all(len(c) == 4 for c in pickle.loads(path.read_bytes()))  # written again, as this version does
    result, _ = gather(planned.directory, planned.slices(10**9))
    assert content(result) == content(match(lines))


def test_a_plan_written_by_an_older_version_is_a_clear_error(tmp_path: Path) -> None:
    """Its comparing plan names classes this version no longer has (the table moved): a FanOutError that
    says so, not an AttributeError half-way through a part."""
    planned = plan(register(300), tmp_path / "run")
    (planned.directory / "compare.pickle").write_bytes(b"cenricher.matching.records\nTable\n.")
    with pytest.raises(FanOutError, match="another version of enricher"):
        compare_part(planned.directory, 0, planned.pairs)


def test_a_normalising_part_that_never_wrote_is_done_by_the_plan(tmp_path: Path) -> None:
    lines = as_lines(register(12_000))
    directory = tmp_path / "run"
    stage(lines, directory)
    slices = record_slices(len(lines), PARALLEL_CHUNK)
    normalise_part(directory, *slices[1])  # parts 0 and 2 died before writing
    planned, redone = plan_normalised(directory, slices)
    assert redone == [slices[0], slices[2]]
    result, _ = gather(planned.directory, planned.slices(10**9))
    assert content(result) == content(match(lines))


def test_the_plan_holds_no_records_and_the_gather_reads_them_back(
    tmp_path: Path, small_fit_sample: None
) -> None:
    """The normalised records are written once, by the parts; the files the comparing parts read hold
    none, and a slice whose file is gone by the gather is normalised again from the staged records."""
    lines = as_lines(register(12_000))
    planned, slices = fanned_normalising(lines, tmp_path / "run", size=PARALLEL_CHUNK)
    _, table = pickle.loads((planned.directory / "table.pickle").read_bytes())
    _, blocked, normalised = pickle.loads((planned.directory / "plan.pickle").read_bytes())
    assert not hasattr(table, "vocab")  # the value-to-code dicts are not written (column sizes are)
    assert table.records == () and table.size == len(blocked.profiles.members) > 10_000
    assert blocked.prepared == [] and blocked.profiles.representatives == []
    assert normalised == slices
    pair_slices = planned.slices(10**9)
    compare_part(planned.directory, *pair_slices[0])
    (planned.directory / f"norm-{slices[1][0]}-{slices[1][1]}.pickle").unlink()
    result, _ = gather(planned.directory, pair_slices)
    assert content(result) == content(match(lines))


def test_a_part_file_changed_after_a_clean_plan_is_a_clear_error_not_a_bad_record(tmp_path: Path) -> None:
    """The gather takes a register the plan kept whole as it is, without reading ids again; a record
    that is an error message by then (a part's file rewritten after the plan) is not let through: the
    gather skips it as the plan would have, and the record count no longer matches the plan's."""
    lines = as_lines(register(12_000))
    skipped = {int(problem.split()[1].rstrip(":")) - 1 for problem in match(lines).stats["skipped"]}
    lines = [line for k, line in enumerate(lines) if k not in skipped]  # a register kept whole
    planned, slices = fanned_normalising(lines, tmp_path / "run", size=PARALLEL_CHUNK)
    path = planned.directory / f"norm-{slices[1][0]}-{slices[1][1]}.pickle"
    chunks = pickle.loads(path.read_bytes())
    chunks[0].items[3] = "bad JSON"
    path.write_bytes(pickle.dumps(chunks))
    pair_slices = planned.slices(10**9)
    compare_part(planned.directory, *pair_slices[0])
    with pytest.raises(FanOutError, match="normalised records, the plan has"):
        gather(planned.directory, pair_slices)


def test_record_slices_cut_where_the_single_process_does() -> None:
    for count, size in ((0, 5), (1, 5), (4999, 10_000), (5000, 5000), (12_001, 7000), (1_000_000, 100_000)):
        slices = record_slices(count, size)
        assert slices[0][0] == 0 and slices[-1][1] == count
        assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
        assert all(lo % PARALLEL_CHUNK == 0 for lo, _ in slices)
        assert all(hi - lo <= max(size, PARALLEL_CHUNK) for lo, hi in slices)
    with pytest.raises(FanOutError, match=r"records\.npy is missing"):
        normalise_part(Path("/nonexistent/run"), 0, 10)


def test_a_part_that_never_wrote_is_compared_by_the_gather(tmp_path: Path) -> None:
    records = register(800)
    planned = plan(records, tmp_path / "run")
    slices = planned.slices(planned.pairs // 3 + 1)
    assert len(slices) == 3
    compare_part(planned.directory, *slices[0])  # parts 1 and 2 died before writing
    result, redone = gather(planned.directory, slices)
    assert redone == slices[1:]
    assert content(result) == content(match(records))
    again, redone = gather(planned.directory, slices)  # a redelivered gather finishes the same way
    assert redone == [] and content(again) == content(result)


def test_a_large_plan_is_written_beside_the_learning_and_reads_as_one_written_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_fit_sample: None
) -> None:
    """From ``BESIDE_RECORDS`` records (lowered here) a forked process writes the pairs, the table and
    the gather's plan while the plan learns: the same files as written one after the other, the fit's
    seconds kept with the model and timed in the result after blocking, the single process's match."""
    import numpy as np

    from enricher.matching import fanout

    records = register(3000)
    in_turn = plan(records, tmp_path / "turn")
    forks: list[tuple[str, bool]] = []
    beside = fanout.run_beside

    def counted(task: Any, here: Any, *, fork: bool = True) -> Any:
        forks.append((task.__name__, fork))
        return beside(task, here, fork=fork)

    monkeypatch.setattr(fanout, "BESIDE_RECORDS", 1000)
    monkeypatch.setattr(fanout, "run_beside", counted)
    forked = plan(records, tmp_path / "forked")
    assert forks == [("write", True)]
    assert (forked.directory / "table.pickle").read_bytes() == (
        in_turn.directory / "table.pickle"
    ).read_bytes()
    plans = [pickle.loads((p.directory / "plan.pickle").read_bytes()) for p in (forked, in_turn)]
    assert [list(blocked.timings) for _, blocked, _ in plans] == [["normalise", "block"]] * 2
    for _, blocked, _ in plans:  # the clock's readings aside, the same plan
        blocked.timings, blocked.started = {}, 0.0
    assert pickle.dumps(plans[0]) == pickle.dumps(plans[1])
    for side in ("pairs-left.npy", "pairs-right.npy"):
        assert (forked.directory / side).read_bytes() == (in_turn.directory / side).read_bytes()
    # The model's file: format, model, term frequencies, the fit's seconds (the one figure that differs).
    model = pickle.loads((forked.directory / "compare.pickle").read_bytes())
    model_in_turn = pickle.loads((in_turn.directory / "compare.pickle").read_bytes())
    assert len(model) == 4 and model[:2] == model_in_turn[:2] and model[3] > 0
    assert all(np.array_equal(model[2][k], model_in_turn[2][k]) for k in model_in_turn[2])

    result, _ = gather(forked.directory, forked.slices(10**9))
    assert list(result.stats["timings"])[:3] == ["normalise", "block", "fit"]
    assert result.stats["timings"]["fit"] == model[3]
    assert content(result) == content(match(records))


def test_a_process_reads_a_run_once_for_all_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enricher.matching import fanout

    reads: list[Path] = []
    read = fanout._read
    monkeypatch.setattr(fanout, "_read", lambda d: reads.append(d) or read(d))
    records = register(600)
    planned = plan(records, tmp_path / "run")
    slices = planned.slices(planned.pairs // 4 + 1)
    for lo, hi in slices:
        compare_part(planned.directory, lo, hi)
    assert len(reads) == 1
    result, _ = gather(planned.directory, slices)  # the gather takes the cached plan (it changes it)
    assert len(reads) == 1 and not fanout._LOADED
    assert content(result) == content(match(records))
    again = plan(records[:300], tmp_path / "run")  # the run folder rewritten: read afresh
    compare_part(again.directory, 0, again.pairs)
    assert len(reads) == 2


def test_a_comparing_part_maps_the_pairs_and_reads_its_slice(tmp_path: Path) -> None:
    """The pairs are two files a comparing process maps, not arrays it holds whole: its memory grows with
    its slice, not with the register's pair count; the gather holds them all, in memory of its own."""
    import numpy as np

    from enricher.matching import fanout

    records = register(600)
    planned = plan(records, tmp_path / "run")
    slices = planned.slices(planned.pairs // 3 + 1)
    compare_part(planned.directory, *slices[1])
    _, pairs, _ = next(iter(fanout._LOADED.values()))
    for side, name in (("left", "pairs-left.npy"), ("right", "pairs-right.npy")):
        assert isinstance(pairs[side], np.memmap)
        assert Path(pairs[side].filename) == (planned.directory / name).resolve()
        assert len(pairs[side]) == planned.pairs
    for lo, hi in (slices[0], slices[2]):
        compare_part(planned.directory, lo, hi)
    result, _ = gather(planned.directory, slices)
    assert content(result) == content(match(records))


def test_a_process_lets_the_plan_go_when_no_part_came_for_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's parts come one after another and runs hours apart: a worker process keeps the comparing
    plan for the run's next part, not until the next run."""
    import time

    from enricher.matching import fanout

    monkeypatch.setattr(fanout, "KEEP_PLAN", 0.2)
    records = register(300)
    planned = plan(records, tmp_path / "run")
    first, second = planned.slices(planned.pairs // 2 + 1)
    compare_part(planned.directory, *first)
    assert fanout._LOADED  # kept for the run's next part
    deadline = time.monotonic() + 10
    while fanout._LOADED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not fanout._LOADED  # no part came: let go
    compare_part(planned.directory, *second)  # read again, as a first part would
    result, _ = gather(planned.directory, [first, second])
    assert content(result) == content(match(records))


def test_slices_cover_every_pair_once() -> None:
    for pairs, size in ((0, 5), (1, 5), (10, 5), (11, 5), (1_000_001, 250_000)):
        slices = PairPlan(Path("x"), pairs, 0, 0.0).slices(size)
        assert slices[0][0] == 0 and slices[-1][1] == pairs
        assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
        assert all(hi - lo <= size for lo, hi in slices)


def test_a_missing_or_broken_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FanOutError, match=r"compare\.pickle is missing"):
        compare_part(tmp_path / "gone", 0, 10)
    planned = plan(register(200), tmp_path / "run")
    (planned.directory / "plan.pickle").write_bytes(pickle.dumps("x")[:5])
    with pytest.raises(FanOutError, match=r"plan\.pickle unreadable"):
        gather(planned.directory, planned.slices(100))
    (planned.directory / "compare.pickle").write_bytes(b"")
    with pytest.raises(FanOutError, match=r"compare\.pickle unreadable"):
        compare_part(planned.directory, 0, 10)
    planned = plan(register(200), tmp_path / "run")
    for name in ("compare.pickle", "plan.pickle"):  # a run planned by an earlier version (format 1)
        contents = pickle.loads((planned.directory / name).read_bytes())
        (planned.directory / name).write_bytes(pickle.dumps(contents[1:]))
    with pytest.raises(FanOutError, match=r"compare\.pickle was written by another version of enricher"):
        compare_part(planned.directory, 0, 10)
    with pytest.raises(FanOutError, match=r"another version of enricher; run match-all again"):
        gather(planned.directory, planned.slices(100))
    planned = plan(register(200), tmp_path / "run")
    left = planned.directory / "pairs-left.npy"
    left.write_bytes(left.read_bytes()[:100])  # cut short: the header says more pairs than it holds
    with pytest.raises(FanOutError, match=r"pairs-left\.npy unreadable"):
        compare_part(planned.directory, 0, 10)
    planned = plan(register(200), tmp_path / "run")
    (planned.directory / "pairs-right.npy").unlink()
    with pytest.raises(FanOutError, match=r"pairs-right\.npy is missing"):
        gather(planned.directory, planned.slices(100))
    planned = plan(register(200), tmp_path / "run")
    next(planned.directory.glob("norm-*")).unlink()  # a plan of records, not staged: nothing to redo from
    with pytest.raises(FanOutError, match=r"records\.npy is missing"):
        gather(planned.directory, planned.slices(100))


def test_old_runs_are_pruned_newest_kept(tmp_path: Path) -> None:
    import os

    for k in range(4):
        (tmp_path / f"run-{k}").mkdir()
        os.utime(tmp_path / f"run-{k}", (1000 + k, 1000 + k))
    removed = prune_runs(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == ["run-0", "run-1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run-2", "run-3"]
