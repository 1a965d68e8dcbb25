"""Normalising many records in chunks: a file read in slices gives what the file read whole gives."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_read_in_slices_gives_the_records_and_problems_of_the_file_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The normalising processes read a file's slices themselves: the same records, and the problems
    the whole-file reader names (by line, in line order, a repeated id in a later slice too); progress
    counts every byte once."""
    import orjson

    from enricher.matching import batches
    from enricher.matching.batches import prepare_all, prepare_keyed
    from enricher.records import BOM, JsonlFile, read_jsonl

    monkeypatch.setattr(batches, "PARALLEL_CHUNK", 7)  # many slices, a pool from the second
    lines = [BOM + orjson.dumps({"id": 1, "name": "Acme Sp. z o.o."})]
    for k in range(2, 60):
        kinds = [
            orjson.dumps({"id": k, "name": f"Firma {k}", "tin": "PL 526-025-02-74"}),
            b"",
            b"not json",
            b"[1, 2]",
            orjson.dumps({"name": "no id"}),
            orjson.dumps({"id": k % 5 + 1, "name": "again"}),  # an id met before, often in another slice
            orjson.dumps({"id": k, "name": "x" * 300}),  # over the line cap
            orjson.dumps({"id": k, "name": "y" * 50}),  # over the field cap
        ]
        lines.append(kinds[k % len(kinds)])
    body = b"\n".join(lines)  # no newline after the last line
    path = tmp_path / "in.jsonl"
    path.write_bytes(body)
    whole: list[str] = []
    expected = prepare_all(list(read_jsonl(path, whole, max_line_bytes=200, max_field_chars=40)), workers=1)[
        0
    ]
    sizes: list[int] = []
    source = JsonlFile(path, max_line_bytes=200, max_field_chars=40, advance=sizes.append)
    collected = prepare_keyed(source, workers=workers)
    assert [p.id for p in collected.prepared] == [p.id for p in expected] and len(expected) > 5
    assert collected.prepared == expected
    assert collected.problems == whole and len(whole) > 30
    assert sum(sizes) == len(body)
