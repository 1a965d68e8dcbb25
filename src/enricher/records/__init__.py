"""The domain's vocabulary, on the ground floor: record ids and their one reading, the counterparty
record, IRI helpers, the one JSON lines reader, and what a person said about a pair.

Matching, branding, the report and the state read records through this package, never through the
API client (``enricher.flowtly`` is an adapter that speaks this vocabulary). It depends only on
``enricher.errors``, pydantic, orjson and numpy (finding a file's line ends).
"""

from enricher.records.ids import (
    MAX_ID_LENGTH,
    IdError,
    RecordId,
    canonical_id,
    id_order,
    iri_to_id,
    pair_key,
    record_iri,
    same_id,
)
from enricher.records.jsonl import (
    BOM,
    MAX_FIELD_CHARS,
    MAX_LINE_BYTES,
    JsonlFile,
    LineSlice,
    ProblemSink,
    duplicate_id,
    line_slices,
    read_jsonl,
    read_jsonl_lines,
    read_lines,
    read_slice,
)
from enricher.records.judgement import Judgement
from enricher.records.model import Client, ClientContact, ClientNote, Counterparty, Record, record_id

__all__ = [
    "BOM",
    "MAX_FIELD_CHARS",
    "MAX_ID_LENGTH",
    "MAX_LINE_BYTES",
    "Client",
    "ClientContact",
    "ClientNote",
    "Counterparty",
    "IdError",
    "JsonlFile",
    "Judgement",
    "LineSlice",
    "ProblemSink",
    "Record",
    "RecordId",
    "canonical_id",
    "duplicate_id",
    "id_order",
    "iri_to_id",
    "line_slices",
    "pair_key",
    "read_jsonl",
    "read_jsonl_lines",
    "read_lines",
    "read_slice",
    "record_id",
    "record_iri",
    "same_id",
]
