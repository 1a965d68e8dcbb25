"""Prepared records: every comparable value of a counterparty computed once, before any pair is scored.

``prepare`` accepts a :class:`~enricher.records.Counterparty` or a plain mapping with the API's
field names (the CLI passes dicts: building a pydantic model per record costs more than matching it).
:class:`Table` holds many prepared records column-wise so that comparisons run on whole pair arrays.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson

from enricher.errors import RecordError
from enricher.matching.normalize import (
    country_hint,
    normalize_city,
    normalize_domain,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_tin,
    split_legal_form,
)
from enricher.records import Counterparty, IdError, RecordId
from enricher.records import record_id as checked_id

__all__ = ["NameWords", "Prepared", "RawRecord", "Table", "prepare", "prepare_many"]

IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class Prepared:
    """One counterparty's normalised identity; None wherever the record says nothing."""

    id: RecordId
    name: str
    """The name as given (for explanations)."""
    core: str
    """Folded core name without legal forms or connectors."""
    sorted_core: str
    """The core name's tokens sorted: word order does not matter."""
    legal_form: str | None
    legal_generic: str | None
    tin: str | None
    """Compact tax id without country prefix."""
    tin_country: str | None
    tin_valid: bool
    domain: str | None
    phone: str | None
    street: str | None
    house: str | None
    postcode: str | None
    city: str | None
    country: str | None

    def __reduce__(self) -> tuple[type[Prepared], tuple[Any, ...]]:
        # Workers send prepared records back pickled: a plain argument tuple pickles ~2x faster than
        # the per-field state dict that slots dataclasses use by default (7 -> 3 µs a record).
        return Prepared, (
            self.id,
            self.name,
            self.core,
            self.sorted_core,
            self.legal_form,
            self.legal_generic,
            self.tin,
            self.tin_country,
            self.tin_valid,
            self.domain,
            self.phone,
            self.street,
            self.house,
            self.postcode,
            self.city,
            self.country,
        )

    @property
    def identity(self) -> tuple[object, ...]:
        """Every value that comparisons read: two records with equal identities compare alike with all."""
        return (
            self.core,
            self.legal_form,
            self.legal_generic,
            self.tin,
            self.tin_country,
            self.tin_valid,
            self.domain,
            self.phone,
            self.street,
            self.house,
            self.postcode,
            self.city,
            self.country,
        )

    @property
    def filled(self) -> int:
        """How many identity fields are known: the survivor rule prefers complete records."""
        return (
            bool(self.core)
            + bool(self.legal_form)
            + bool(self.tin)
            + bool(self.domain)
            + bool(self.phone)
            + bool(self.street)
            + bool(self.house)
            + bool(self.postcode)
            + bool(self.city)
            + bool(self.country)
        )


def _get(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if type(value) is not str:  # strings, nearly always, skip the checks and the str() copy
        if isinstance(value, bool):
            return None
        value = str(value)
    return value.strip() or None


def record_id(record: Counterparty | Mapping[str, Any]) -> RecordId:
    """The record's id as given (:func:`enricher.records.record_id`); RecordError when the API could
    not read it."""
    try:
        return checked_id(record)
    except IdError as exc:
        raise RecordError(f"record has no usable id ({exc})") from None


def prepare(record: Counterparty | Mapping[str, Any]) -> Prepared:
    """Normalise one record; RecordError when it has no usable id."""
    rid = record_id(record)
    data: Mapping[str, Any] = record.model_dump() if isinstance(record, Counterparty) else record
    return _prepare_columns([rid], [data])[0]


RawRecord = Counterparty | Mapping[str, Any] | bytes
"""What the batch normaliser takes: a model, a dict, or one JSON object as UTF-8 bytes (the dedupe CLI
hands workers the JSONL lines it checked: parsing a line again costs less than pickling its dict)."""


def prepare_many(records: Sequence[RawRecord]) -> list[Prepared | str]:
    """Normalise many records, in order; a record without a usable id becomes its error message.

    Same values as :func:`prepare` one by one, 25% faster (100k generated records: 65 -> 49 µs a
    record): each normaliser runs over the whole batch in turn, so phonenumbers', stdnum's and
    rigour's code and tables stay in the CPU caches instead of evicting each other record by record.
    """
    out: list[Prepared | str] = []
    ids: list[RecordId] = []
    datas: list[Mapping[str, Any]] = []
    slots: list[int] = []
    for item in records:
        record = _loads(item) if isinstance(item, bytes) else item
        if record is None:
            out.append("not a JSON object")
            continue
        try:
            ids.append(record_id(record))
        except RecordError as exc:
            out.append(str(exc))
            continue
        datas.append(record.model_dump() if isinstance(record, Counterparty) else record)
        slots.append(len(out))
        out.append("")  # replaced below
    for slot, prepared in zip(slots, _prepare_columns(ids, datas), strict=True):
        out[slot] = prepared
    return out


def _loads(line: bytes) -> Mapping[str, Any] | None:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _shared(value: str | None) -> str | None:
    """One object for values that repeat across records (countries, legal forms, house numbers): a
    chunk of records pickles each once, and a million records hold a few hundred MB less."""
    return sys.intern(value) if value is not None else None


@lru_cache(maxsize=4096)
def _form_key(forms: tuple[str, ...]) -> str | None:
    """:attr:`LegalName.legal_form`, shared: a few hundred stacks of forms cover a register."""
    return _shared(" ".join(forms) or None)


@lru_cache(maxsize=4096)
def _generic_key(generic: tuple[str, ...]) -> str | None:
    """The generic kinds of a name's forms, sorted and shared (one memo hit instead of set, sort,
    join and intern: ~0.5 µs a record)."""
    return _shared(" ".join(sorted(set(generic))) or None)


def _sorted_words(core: str) -> str:
    words = core.split()
    return core if len(words) < 2 else " ".join(sorted(words))


def _prepare_columns(ids: Sequence[RecordId], datas: Sequence[Mapping[str, Any]]) -> list[Prepared]:
    """The normalisers field by field over a batch of records (ids already checked)."""
    names = [_get(d, "name") or _get(d, "displayName") or "" for d in datas]
    legals = [split_legal_form(name) for name in names]
    countries = [country_hint(d, "addressCountry", "country", "tinCountry") for d in datas]
    taxes = [
        normalize_tin(_get(d, "tin"), _get(d, "vatNumber"), country=country_hint(d, "tinCountry") or country)
        for d, country in zip(datas, countries, strict=True)
    ]
    streets = [
        normalize_street(_get(d, "addressStreetLine"), _get(d, "addressBuildingNumber")) for d in datas
    ]
    domains = [normalize_domain(_get(d, "corporateWebsiteUrl") or _get(d, "website")) for d in datas]
    phones = [
        normalize_phone(_get(d, "addressPhoneNumber") or _get(d, "phone"), country)
        for d, country in zip(datas, countries, strict=True)
    ]
    postcodes = [normalize_postcode(_get(d, "addressPostCode")) for d in datas]
    cities = [normalize_city(_get(d, "addressCity")) for d in datas]
    return [
        Prepared(
            id=rid,
            name=name,
            core=legal.core,
            sorted_core=_sorted_words(legal.core),
            legal_form=_form_key(legal.forms),
            legal_generic=_generic_key(legal.generic),
            tin=tax.number if tax else None,
            tin_country=_shared(tax.country) if tax else None,
            tin_valid=bool(tax and tax.valid),
            domain=domain,
            phone=phone,
            street=street,
            house=_shared(house),
            postcode=postcode,
            city=city,
            country=_shared(country),
        )
        for rid, name, legal, country, tax, (street, house), domain, phone, postcode, city in zip(
            ids, names, legals, countries, taxes, streets, domains, phones, postcodes, cities, strict=True
        )
    ]


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
_FIELD_NAMES = {f.name for f in fields(Prepared)}


class Table:
    """Prepared records column-wise: exact-equality fields as int codes (-1: missing), text as lists.

    Codes make equality tests on millions of pairs one numpy comparison; text columns feed rapidfuzz's
    batched scorers.
    """

    def __init__(
        self, records: Sequence[Prepared], *, words: Mapping[str, int] | None = None, population: int = 0
    ) -> None:
        """``words`` (how many identities in the whole register carry each name word) and
        ``population`` (how many identities there are) default to this table's own records; a small
        table of one query against its neighbours passes the register's figures."""
        self.records = records
        self.size = len(records)
        self._words = words
        self._population = population
        self._name_words: NameWords | None = None
        self.codes: dict[str, IntArray] = {}
        self._text: dict[str, npt.NDArray[np.object_]] = {}
        self.sizes: dict[str, int] = {}
        """Distinct values per coded column. The values themselves are not kept: only equality of codes
        is ever asked, and a 1M register's value-to-code dicts were ~60 MB more for every comparing
        part to load (and more in memory)."""
        for name in _CODED:
            vocab: dict[str, int] = {}
            setdefault = vocab.setdefault
            values = [getattr(r, name) for r in records]
            column = np.fromiter(
                (setdefault(v, len(vocab)) if v else -1 for v in values), dtype=np.int64, count=len(records)
            )
            self.codes[name] = column
            self.sizes[name] = len(vocab)
        first: dict[str, int] = {}
        self.codes["first_word"] = np.fromiter(
            (first.setdefault(r.core.split(" ", 1)[0], len(first)) if r.core else -1 for r in records),
            dtype=np.int64,
            count=len(records),
        )
        numbers: dict[str, int] = {}
        self.codes["name_numbers"] = np.fromiter(
            (numbers.setdefault(n, len(numbers)) if (n := name_numbers(r.core)) else -1 for r in records),
            dtype=np.int64,
            count=len(records),
        )
        self.codes["street_numbers"] = np.fromiter(
            (
                numbers.setdefault(n, len(numbers)) if r.street and (n := name_numbers(r.street)) else -1
                for r in records
            ),
            dtype=np.int64,
            count=len(records),
        )
        area: dict[str, int] = {}
        self.codes["postcode_area"] = np.fromiter(
            (area.setdefault(r.postcode[:3], len(area)) if r.postcode else -1 for r in records),
            dtype=np.int64,
            count=len(records),
        )
        self.tin_valid = np.fromiter((r.tin_valid for r in records), dtype=bool, count=len(records))
        self.phone_local = np.fromiter(
            (int(r.phone[-7:]) if r.phone and r.phone[-7:].isdigit() else -1 for r in records),
            dtype=np.int64,
            count=len(records),
        )
        # All but the last four digits: one building's or one firm's block of numbers (a PBX range).
        self.phone_block = np.fromiter(
            (
                int(r.phone[1:-4]) if r.phone and len(r.phone) >= 9 and r.phone[1:-4].isdigit() else -1
                for r in records
            ),
            dtype=np.int64,
            count=len(records),
        )

    def detached(self, text: Iterable[str]) -> Table:
        """A copy that needs no records: the ``text`` columns and the name words built, the records
        dropped. What parts that only compare need (a 1M table pickles and loads in a fraction of the
        time without its Prepared records); :meth:`attach` gives it records again."""
        for name in text:
            self.text_array(name)
        self.name_words()
        detached = copy.copy(self)
        detached.records = ()
        return detached

    def attach(self, records: Sequence[Prepared]) -> None:
        """Give a :meth:`detached` table its records back (the same ones, in the same order)."""
        if len(records) != self.size:
            raise ValueError(f"a table of {self.size} records cannot take {len(records)}")
        self.records = records

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
            self._name_words = _name_words(self.records, self._words, self._population)
        return self._name_words

    def frequency(self, name: str) -> npt.NDArray[np.float64]:
        """Per record: how often its value of ``name`` occurs in the table (0 where missing)."""
        column = self.codes[name]
        counts = np.bincount(column[column >= 0], minlength=self.sizes[name])
        out = np.zeros(self.size, dtype=np.float64)
        present = column >= 0
        out[present] = counts[column[present]]
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
    words: list[str]
    """The word of each id."""
    uses: npt.NDArray[np.float64]
    """How many records (identities) carry each word (one spare entry past the last id)."""
    information: npt.NDArray[np.float64]
    """Each word's information: idf, rare words weigh more."""
    distinctive: npt.NDArray[np.bool_]
    """Whether a word is carried by at most :data:`DISTINCTIVE_SHARE` of the register."""


def _name_words(records: Sequence[Prepared], words: Mapping[str, int] | None, population: int) -> NameWords:
    counts = words if words is not None else word_counts(records)
    total = population or len(records)
    vocab: dict[str, int] = {}
    ids = np.full((len(records), NAME_WORDS), -1, dtype=np.int64)
    for row, record in enumerate(records):
        # Sorted, not a set's order: that differs between runs (string hashing), and ties in the
        # rare-word choice would fall on other words each time.
        tokens = sorted({t for t in record.core.split() if len(t) > 1})
        if len(tokens) > NAME_WORDS:
            tokens = sorted(tokens, key=lambda t: (counts.get(t, 1), t))[:NAME_WORDS]
        for column, token in enumerate(tokens):
            ids[row, column] = vocab.setdefault(token, len(vocab))
    # One spare entry, never used by an id: lookups at index 0 stay valid when no name has a word.
    frequency = np.asarray([max(counts.get(t, 1), 1) for t in vocab] + [total + 1.0], dtype=np.float64)
    information = np.log((total + 1.0) / (frequency + 0.5))
    distinctive = (frequency <= max(2.0, DISTINCTIVE_SHARE * total)) & (frequency < total)
    return NameWords(ids, list(vocab), frequency, information, distinctive)
