"""Prepared records column-wise (:class:`Table`), and the rules that make each column.

Comparisons run on whole pair arrays: exact-equality fields become int codes (stable digests of the
values), text stays text. A column is built where its records are normalised (:func:`column_part`, in
the worker processes of a large register) and the parts are joined in the register's order by
concatenation (:class:`Columns`), so the process that blocks and clusters (the one every other waits
for) does not walk a million records once per column.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from enricher.matching.digests import digest, digest_codes
from enricher.matching.records import FILLED_FIELDS, IDENTITY_FIELDS, Prepared

__all__ = [
    "DISTINCTIVE_SHARE",
    "NAME_WORDS",
    "ColumnPart",
    "Columns",
    "NameWords",
    "Table",
    "column_part",
    "name_numbers",
    "word_code",
    "word_codes",
    "word_counts",
]

IntArray = npt.NDArray[np.int64]

_CODED = (
    "core",
    "legal_form",
    "legal_generic",
    "tin",
    "tin_country",
    "domain",
    "phone",
    "house",
    "street",
    "postcode",
    "city",
    "country",
)
"""Fields coded as they are (an empty value is missing, as everywhere in a table)."""
_DERIVED = ("first_word", "name_numbers", "street_numbers", "postcode_area")
"""Coded values derived from a field."""
_CODED_COLUMNS = (*_CODED, *_DERIVED)
_SHARED = {"street_numbers": "name_numbers"}
"""Columns coded with another's values (a number in a name and one in a street code alike: digests do
so anyway, and codes numbered within one table must too)."""
_NUMBERS = ("tin_valid", "phone_local", "phone_block")
"""Columns that are numbers already."""
_FIELD_NAMES = {f.name for f in fields(Prepared)}
_MIX = np.uint64(0x9E3779B97F4A7C15)
"""An odd multiplier (2**64 over the golden ratio) that spreads one column's code before the next."""


def _derived(name: str, records: Sequence[Prepared]) -> list[str | None]:
    if name == "first_word":
        return [r.core.split(" ", 1)[0] if r.core else None for r in records]
    if name == "name_numbers":
        return [name_numbers(r.core) or None for r in records]
    if name == "street_numbers":
        return [name_numbers(r.street) or None if r.street else None for r in records]
    if name == "postcode_area":
        return [r.postcode[:3] if r.postcode else None for r in records]
    raise KeyError(name)


def _number_column(name: str, records: Sequence[Prepared]) -> IntArray:
    count = len(records)
    if name == "tin_valid":
        return np.fromiter((r.tin_valid for r in records), dtype=np.int64, count=count)
    if name == "phone_local":
        return np.fromiter(
            (int(r.phone[-7:]) if r.phone and r.phone[-7:].isdigit() else -1 for r in records),
            dtype=np.int64,
            count=count,
        )
    if name == "phone_block":
        # All but the last four digits: one building's or one firm's block of numbers (a PBX range).
        return np.fromiter(
            (
                int(r.phone[1:-4]) if r.phone and len(r.phone) >= 9 and r.phone[1:-4].isdigit() else -1
                for r in records
            ),
            dtype=np.int64,
            count=count,
        )
    raise KeyError(name)


class ColumnPart(NamedTuple):
    """Some records' columns: each coded column as the values' stable digests (see
    :func:`~.digests.digest_codes`: equal values have equal codes in every part, so parts join by
    concatenation), and the number columns as they are."""

    codes: dict[str, IntArray]
    numbers: dict[str, IntArray]
    words: IntArray
    """Per record its name words (see :func:`_word_slots`)."""
    crowded: npt.NDArray[np.bool_]


def column_part(records: Sequence[Prepared], *, joinable: bool = True) -> ColumnPart:
    """The columns of ``records``: the one place that says what each column holds.

    ``joinable``: codes that are equal across parts (the values' digests) and the records' name words,
    for parts joined into one table (:class:`Columns`). Otherwise codes numbered within these records
    and no name words, for a table built in one piece: a match-one query's table of a few hundred
    neighbours, where digesting every value cost 0.4-1 ms more a query."""
    count = len(records)
    values = [getattr(r, name) for name in _CODED for r in records]
    for name in _DERIVED:
        values.extend(_derived(name, records))
    if joinable:
        # All columns in one array (one numpy pass, not one per column).
        every = digest_codes(values, len(values)).reshape(len(_CODED_COLUMNS), count)
        words, crowded = _word_slots(records)
    else:
        every = np.empty((len(_CODED_COLUMNS), count), dtype=np.int64)
        vocabularies: dict[str, dict[str, int]] = {}
        for row, name in enumerate(_CODED_COLUMNS):
            vocab = vocabularies.setdefault(_SHARED.get(name, name), {})
            setdefault = vocab.setdefault
            found = values[row * count : (row + 1) * count]
            every[row] = np.fromiter((setdefault(v, len(vocab)) if v else -1 for v in found), np.int64, count)
        words, crowded = np.zeros((count, NAME_WORDS), dtype=np.int64), np.zeros(count, dtype=bool)
    codes = dict(zip(_CODED_COLUMNS, every, strict=True))
    numbers = {name: _number_column(name, records) for name in _NUMBERS}
    return ColumnPart(codes, numbers, words, crowded)


class Columns:
    """Column parts joined in order, each with the rows of it that are kept (a record dropped as a
    repeated id is not)."""

    def __init__(self) -> None:
        self._codes: dict[str, list[IntArray]] = {name: [] for name in _CODED_COLUMNS}
        self._numbers: dict[str, list[IntArray]] = {name: [] for name in _NUMBERS}
        self._words: list[IntArray] = []
        self._crowded: list[npt.NDArray[np.bool_]] = []
        self.rows = 0

    @classmethod
    def of(cls, part: ColumnPart) -> Columns:
        columns = cls()
        columns.add(part)
        return columns

    def add(self, part: ColumnPart, rows: IntArray | None = None) -> None:
        """Append ``part``'s ``rows`` (all of them by default)."""
        for name, column in part.codes.items():
            self._codes[name].append(column if rows is None else column[rows])
        for name, column in part.numbers.items():
            self._numbers[name].append(column if rows is None else column[rows])
        self._words.append(part.words if rows is None else part.words[rows])
        self._crowded.append(part.crowded if rows is None else part.crowded[rows])
        self.rows += len(part.numbers["tin_valid"]) if rows is None else len(rows)

    def codes(self) -> dict[str, IntArray]:
        return {name: _joined(parts) for name, parts in self._codes.items()}

    def column(self, name: str) -> IntArray:
        return _joined(self._numbers[name])

    def name_words(self, records: Sequence[Prepared]) -> NameWords:
        """The name words of ``records``, these columns' rows (the table's own counts)."""
        slots = _joined(self._words).reshape(-1, NAME_WORDS)  # (no parts: no rows)
        return _joined_name_words(records, slots, _joined(self._crowded).astype(bool))

    def identities(self) -> npt.NDArray[np.uint64]:
        """Per row, a 64-bit digest of its :data:`~.records.IDENTITY_FIELDS` columns: rows with equal
        identities have equal digests (the converse is what :func:`~.profiles.build_profiles` checks).
        One column joined at a time."""
        out = np.zeros(self.rows, dtype=np.uint64)
        for name in IDENTITY_FIELDS:
            column = _joined(self._codes[name] if name in self._codes else self._numbers[name])
            out *= _MIX
            out ^= column.view(np.uint64)
        return out

    def part(self) -> ColumnPart:
        """These columns as one part."""
        return ColumnPart(
            self.codes(),
            {name: self.column(name) for name in _NUMBERS},
            _joined(self._words).reshape(-1, NAME_WORDS),
            _joined(self._crowded).astype(bool),
        )

    def take(self, rows: IntArray) -> Columns:
        """The columns of ``rows`` only (the records that stand for their profile), emptying these: the
        whole register's columns (~220 bytes a record) are not held through blocking. One column at a
        time, so that at most one whole column is joined at once."""

        def taken(parts: list[npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
            whole = _joined(parts)
            parts.clear()
            return [whole[rows]]

        chosen = Columns()
        chosen._codes = {name: taken(parts) for name, parts in self._codes.items()}
        chosen._numbers = {name: taken(parts) for name, parts in self._numbers.items()}
        chosen._words = taken(self._words)
        chosen._crowded = taken(self._crowded)
        chosen.rows = len(rows)
        self.rows = 0
        return chosen


def _joined(parts: Sequence[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class Table:
    """Prepared records column-wise: exact-equality fields as int codes (-1: missing), text as lists.

    Codes make equality tests on millions of pairs one numpy comparison; text columns feed rapidfuzz's
    batched scorers.
    """

    def __init__(
        self,
        records: Sequence[Prepared],
        *,
        words: Mapping[str, int] | None = None,
        population: int = 0,
        columns: Columns | None = None,
    ) -> None:
        """``words`` (how many identities in the whole register carry each name word) and
        ``population`` (how many identities there are) default to this table's own records; a small
        table of one query against its neighbours passes the register's figures. ``columns``: the
        records' columns when the processes that normalised them built them already (see
        :class:`Columns`); by default they are built here."""
        self.records = records
        self.size = len(records)
        self._words = words
        self._population = population
        self._name_words: NameWords | None = None
        self._text: dict[str, npt.NDArray[np.object_]] = {}
        self._columns: Columns | None = columns if words is None else None
        """Columns the normalising processes built: the name words are read off them."""
        if columns is None:
            columns = Columns.of(column_part(records, joinable=False))
        if columns.rows != self.size:
            raise ValueError(f"columns of {columns.rows} records for a table of {self.size}")
        self.codes: dict[str, IntArray] = columns.codes()
        """Per coded column, each record's value as a stable digest (-1: missing). Only equality of
        codes is ever asked; the values themselves are not kept (a 1M register's value-to-code dicts
        were ~60 MB more for every comparing part to load)."""
        self.tin_valid: npt.NDArray[np.bool_] = columns.column("tin_valid").astype(bool)
        self.phone_local: IntArray = columns.column("phone_local")
        self.phone_block: IntArray = columns.column("phone_block")

    def detached(self, text: Iterable[str]) -> Table:
        """A copy that needs no records: the ``text`` columns and the name words built, the records
        dropped. What parts that only compare need (a 1M table pickles and loads in a fraction of the
        time without its Prepared records); :meth:`attach` gives it records again."""
        for name in text:
            self.text_array(name)
        self.name_words()
        detached = copy.copy(self)
        detached.records = ()
        detached._text = dict(self._text)  # its own: attach() lets them go
        return detached

    def attach(self, records: Sequence[Prepared]) -> None:
        """Give a :meth:`detached` table its records back (the same ones, in the same order).

        Its text columns are let go, and built again from the records if read: they then hold the
        records' own strings, not the copies the table was read with (a 1M gather: ~200 MB less)."""
        if len(records) != self.size:
            raise ValueError(f"a table of {self.size} records cannot take {len(records)}")
        self.records = records
        self._text.clear()

    def text_array(self, name: str) -> npt.NDArray[np.object_]:
        """A text column as an object array ("" where missing), built once: fancy indexing is C-fast."""
        cached = self._text.get(name)
        if cached is None:
            if name not in _FIELD_NAMES:
                raise KeyError(name)
            cached = np.empty(self.size, dtype=object)
            cached[:] = [getattr(r, name) or "" for r in self.records]
            self._text[name] = cached
        return cached

    def name_words(self) -> NameWords:
        """The records' name words (see :class:`NameWords`), built once, on first use."""
        if self._name_words is None:
            if self._columns is not None:
                self._name_words = self._columns.name_words(self.records)
            else:
                self._name_words = _name_words(self.records, self._words, self._population)
            self._columns = None  # read once: the table need not keep them
        return self._name_words

    def filled(self) -> IntArray:
        """Per record, :attr:`~.records.Prepared.filled`: its known :data:`~.records.FILLED_FIELDS`
        (an empty value is missing in a column, as in the rule)."""
        out = np.zeros(self.size, dtype=np.int64)
        for name in FILLED_FIELDS:
            out += self.codes[name] >= 0
        return out

    def frequency(self, name: str) -> npt.NDArray[np.float64]:
        """Per record: how often its value of ``name`` occurs in the table (0 where missing)."""
        column = self.codes[name]
        present = column >= 0
        _, inverse, counts = np.unique(column[present], return_inverse=True, return_counts=True)
        out = np.zeros(self.size, dtype=np.float64)
        out[present] = counts[inverse]
        return out


_NUMBER = re.compile(r"\d+")


def name_numbers(core: str) -> str:
    """The numbers a name carries, in order of size ("apteka nr 12 1" -> "1 12"); "" when none."""
    found = _NUMBER.findall(core)
    return " ".join(sorted(found)) if found else ""


NAME_WORDS = 8
"""Name words kept per record for word overlap (the rarest ones when a name has more)."""
DISTINCTIVE_SHARE = 0.01
"""A name word carried by at most this share of the register's identities is distinctive: "roseland",
"bethel"; "chicago", "center" are not. In a tiny table, a word shared by two of three records is; a
word every record carries never is."""


def word_counts(records: Sequence[Prepared]) -> dict[str, int]:
    """In how many records each core-name word occurs (each word once per record)."""
    counts: dict[str, int] = {}
    for record in records:
        for word in set(record.core.split()):
            counts[word] = counts.get(word, 0) + 1
    return counts


class NameWords(NamedTuple):
    """The register's name words: per record its words as ids, per word what it says."""

    ids: IntArray
    """Per record, its core name's words as ids, padded with -1 to :data:`NAME_WORDS` columns (the
    rarest words when a name has more)."""
    coded: IntArray | None
    """Each word as :func:`word_code` (its rare-word blocking key and its length), when the words were
    coded where the records were normalised; else see :func:`word_codes`."""
    uses: npt.NDArray[np.float64]
    """How many records (identities) carry each word (one spare entry past the last id)."""
    information: npt.NDArray[np.float64]
    """Each word's information: idf, rare words weigh more."""
    distinctive: npt.NDArray[np.bool_]
    """Whether a word is carried by at most :data:`DISTINCTIVE_SHARE` of the register."""
    spelt: list[str]
    """Each word, when the table found them in its records' names (not when they came coded)."""


def word_codes(words: NameWords) -> IntArray:
    """Each word's :func:`word_code`. Coded only when asked for a table that found its words itself:
    blocking asks, a match-one query's table never does (~0.2 ms a query)."""
    return words.coded if words.coded is not None else _word_codes(words.spelt)


WORD_LENGTH_MASK = 0xFF


def word_code(word: str) -> int:
    """A name word as one int64, the same in every process: the digest of its rare-word blocking key
    (``"n" + word``) with the word's length (at most 255) in the lowest byte, the byte a key code
    gives to its kind. Blocking reads both the key and the length off it; 0 is no word (a counted
    word has two letters or more)."""
    return int(_word_codes([word])[0])


def _word_codes(words: Sequence[str]) -> IntArray:
    found = np.fromiter((digest("n" + w) for w in words), dtype=np.uint64, count=len(words)).view(np.int64)
    lengths = np.fromiter((min(len(w), WORD_LENGTH_MASK) for w in words), dtype=np.int64, count=len(words))
    return (found & ~WORD_LENGTH_MASK) | lengths


def _counted(core: str) -> list[str]:
    """A name's words that count (two letters or more), sorted: not a set's order, which differs
    between runs (string hashing), and ties in the rare-word choice would fall on other words."""
    return sorted({t for t in core.split() if len(t) > 1})


def _fewest(tokens: Sequence[str], count: Callable[[str], float]) -> list[str]:
    """A crowded name's :data:`NAME_WORDS` rarest words (then alphabetical), in that order."""
    return sorted(tokens, key=lambda t: (count(t), t))[:NAME_WORDS]


def _idf(
    frequency: npt.NDArray[np.float64], total: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    information = np.log((total + 1.0) / (frequency + 0.5))
    distinctive = (frequency <= max(2.0, DISTINCTIVE_SHARE * total)) & (frequency < total)
    return information, distinctive


def _name_words(records: Sequence[Prepared], words: Mapping[str, int] | None, population: int) -> NameWords:
    counts = words if words is not None else word_counts(records)
    total = population or len(records)
    vocab: dict[str, int] = {}
    ids = np.full((len(records), NAME_WORDS), -1, dtype=np.int64)
    for row, record in enumerate(records):
        tokens = _counted(record.core)
        if len(tokens) > NAME_WORDS:
            tokens = _fewest(tokens, lambda t: counts.get(t, 1))
        for column, token in enumerate(tokens):
            ids[row, column] = vocab.setdefault(token, len(vocab))
    # One spare entry, never used by an id: lookups at index 0 stay valid when no name has a word.
    frequency = np.asarray([max(counts.get(t, 1), 1) for t in vocab] + [total + 1.0], dtype=np.float64)
    return NameWords(ids, None, frequency, *_idf(frequency, total), list(vocab))


def _word_slots(records: Sequence[Prepared]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Per record its name words as :func:`word_code`\\ s (sorted by the word; 0: no word), and
    whether it has more than :data:`NAME_WORDS` (which of them count is only known with the whole
    register: :func:`_joined_name_words` chooses them)."""
    slots = np.zeros((len(records), NAME_WORDS), dtype=np.int64)
    crowded = np.zeros(len(records), dtype=bool)
    rows: list[int] = []
    columns: list[int] = []
    words: list[str] = []
    for row, record in enumerate(records):
        tokens = _counted(record.core)
        if len(tokens) > NAME_WORDS:
            crowded[row] = True
            continue
        rows.extend([row] * len(tokens))
        columns.extend(range(len(tokens)))
        words.extend(tokens)
    slots[rows, columns] = _word_codes(words)
    return slots, crowded


def _joined_name_words(
    records: Sequence[Prepared], slots: IntArray, crowded: npt.NDArray[np.bool_]
) -> NameWords:
    """:func:`_name_words` of a table whose records' words the normalising processes coded (the
    register's own counts): the same ids up to numbering, the same uses, information and codes."""
    total = len(records)
    present = slots != 0
    crowded_rows = np.flatnonzero(crowded).tolist()
    tokens = [_counted(records[row].core) for row in crowded_rows]
    crowded_codes = [_word_codes(t) for t in tokens]
    every = np.concatenate([slots[present], *crowded_codes])
    codes, inverse, uses = np.unique(every, return_inverse=True, return_counts=True)
    ids = np.full((total, NAME_WORDS), -1, dtype=np.int64)
    ids[present] = inverse[: np.count_nonzero(present)]
    for row, words, word_ids in zip(crowded_rows, tokens, crowded_codes, strict=True):
        use = dict(zip(words, uses[np.searchsorted(codes, word_ids)].tolist(), strict=True))
        chosen = _fewest(words, use.__getitem__)
        ids[row, : len(chosen)] = np.searchsorted(codes, _word_codes(chosen))
    frequency = np.append(uses.astype(np.float64), total + 1.0)
    return NameWords(ids, codes, frequency, *_idf(frequency, total), [])
