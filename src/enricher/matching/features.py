"""Comparison features: small named functions that put each pair into an ordered list of levels.

Every feature compares whole arrays of pairs at once (``compare(table, left, right) -> levels``, -1
where a side is missing) and explains one level of one pair in a sentence a finance-ops reader
follows (``explain(level, a, b)``). The scorer learns how much each level weighs; features never guess.
:func:`compare_pair` runs the same code for a single pair (tests, explanations, the incremental index).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from enricher.matching.records import Prepared
from enricher.matching.table import Table, name_numbers

__all__ = ["FEATURES", "Feature", "Level", "compare_pair", "feature_named"]

IntArray = npt.NDArray[np.int64]
Levels = npt.NDArray[np.int8]
NULL = -1


@dataclass(frozen=True, slots=True)
class Level:
    """One outcome of a feature: ``label`` is the machine result, ``text`` the sentence template, with
    ``{a}`` and, where it shows both records' values, ``{b}``."""

    label: str
    text: str
    _pieces: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """``text`` cut at its placeholders: filled by concatenation, and ``b``'s value only shown where
    the sentence has it (a 1M register lists ~2.3M pieces of evidence: 4.3 -> 3.1 s)."""

    def __post_init__(self) -> None:
        before, after = self.text.split("{a}")
        pieces = (before, *after.split("{b}")) if "{b}" in after else (before, after)
        object.__setattr__(self, "_pieces", pieces)

    def sentence(self, show: Callable[[Prepared], str], a: Prepared, b: Prepared) -> str:
        """The sentence with ``show(a)`` and ``show(b)`` in it (``text.format(a=..., b=...)``)."""
        pieces = self._pieces
        if len(pieces) == 2:
            return pieces[0] + show(a) + pieces[1]
        return pieces[0] + show(a) + pieces[1] + show(b) + pieces[2]


@dataclass(frozen=True, slots=True)
class Feature:
    """A named comparison; level 0 is the strongest agreement, the last the clearest disagreement."""

    name: str
    levels: tuple[Level, ...]
    compare: Callable[[Table, IntArray, IntArray], Levels]
    show: Callable[[Prepared], str]
    doc: str
    strength: tuple[int, ...] | None = None
    """Levels from the strongest evidence for a match to the strongest against, when that is not the
    level order itself; learnt weights are kept in this order (see ``Model.weights``)."""

    @property
    def ranked(self) -> tuple[int, ...]:
        return self.strength if self.strength is not None else tuple(range(len(self.levels)))

    def explain(self, level: int, a: Prepared, b: Prepared) -> str:
        """The sentence for ``level`` with both records' values filled in."""
        if level == NULL:
            return f"{self.doc.split(':')[0]}: unknown on one side."
        return self.levels[level].sentence(self.show, a, b)

    def result(self, level: int) -> str:
        return "missing" if level == NULL else self.levels[level].label


def _pair_codes(
    table: Table, name: str, left: IntArray, right: IntArray
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    column = table.codes[name]
    a, b = column[left], column[right]
    return a, b, (a >= 0) & (b >= 0)


def _texts(table: Table, name: str, index: IntArray) -> npt.NDArray[np.object_]:
    return table.text_array(name)[index]


TEXT_COLUMNS = ("sorted_core", "core", "street", "city")
"""The table's text columns that features compare (a detached table holds them: see ``Table.detached``)."""

THREADS = -1
"""rapidfuzz threads for a big batch: all cores; 1 in a forked comparing process."""


def _scores(
    scorer: Callable[..., float],
    a: Sequence[str] | npt.NDArray[np.object_],
    b: Sequence[str] | npt.NDArray[np.object_],
) -> npt.NDArray[np.float32]:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    # Threads only pay on big batches (the index asks for few), and not in a process that is one of
    # several comparing slices side by side (see ``engine.compare_many``).
    workers = THREADS if len(a) > 20_000 else 1
    return np.asarray(
        process.cpdist(a, b, scorer=scorer, workers=workers, dtype=np.float32), dtype=np.float32
    )


# ----------------------------------------------------------------------------------------------- name


def abbreviates(a: str, b: str) -> bool:
    """True when every word of the shorter name is a word of the other or its start (3+ letters), at
    least one of them whole: "arts deli" / "arts delicatessen", "intl paper" / "international paper"."""
    short, long = sorted((a.split(), b.split()), key=len)
    if not short:
        return False
    pool = list(long)
    whole = False
    for word in short:
        match = next((w for w in pool if w == word), None)
        if match is not None:
            whole = whole or len(word) >= 3
        else:
            match = next(
                (
                    w
                    for w in pool
                    if (len(word) >= 3 and w.startswith(word)) or (len(w) >= 3 and word.startswith(w))
                ),
                None,
            )
            if match is None:
                return False
        pool.remove(match)
    return whole


def numbers_differ(a: str, b: str) -> bool:
    """Both names carry numbers and not the same ones: "Apteka Nr 1" / "Apteka Nr 12" are two shops.

    A one-digit change looks like a typo to every string scorer, yet in names numbers tell branches,
    franchisees and numbered companies apart; so it is a different name, whatever the ratio says.
    (``compare_name`` applies the same rule to whole arrays through the table's number codes.)
    """
    na, nb = name_numbers(a), name_numbers(b)
    return bool(na) and bool(nb) and na != nb


SIMILAR, SHARES_PART, SHARES_WORD, WEAK, DIFFERENT = 3, 4, 5, 6, 7
"""Name levels: alike letters; most of one name, with a distinctive word, in the other (ranked above
"similar"); a distinctive word in common and little else; weakly alike letters; different."""
SHARE_OF_NAME = 0.5
"""Share of a name's information (idf-weighted words) the other name must hold for "shares-part"."""


@dataclass(frozen=True, slots=True)
class WordOverlap:
    """Per pair, what the two names' words have in common (exact words, see ``Table.name_words``)."""

    any: npt.NDArray[np.bool_]
    """At least one word in common."""
    contained: npt.NDArray[np.bool_]
    """Every word of one name is a word of the other ("Spago" / "Spago Los Angeles")."""
    word: npt.NDArray[np.bool_]
    """A distinctive (rare) word in common."""
    part: npt.NDArray[np.bool_]
    """A distinctive word in common, and most of one name's information (idf-weighted) in the other."""


def word_overlap(table: Table, left: IntArray, right: IntArray) -> WordOverlap:
    """The names' words side by side, for many pairs at once (numpy, ~0.3 µs a pair).

    "Chicago Youth Centers - Roseland / CYC" / "Chicago Youth Centers Roseland Child Development":
    a rare word ("roseland") is shared, and what one name holds beyond the other is common words
    ("child development", or an organisation's prefix that many records carry). Words weigh by their
    rarity in the register (idf), so a shared "chicago" or "center" counts for little.
    """
    words = table.name_words()
    ids, information, distinctive = words.ids, words.information, words.distinctive
    out = WordOverlap(*(np.zeros(len(left), dtype=bool) for _ in range(4)))
    step = 100_000
    for start in range(0, len(left), step):
        a, b = ids[left[start : start + step]], ids[right[start : start + step]]
        present_a, present_b = a >= 0, b >= 0
        same = (a[:, :, None] == b[:, None, :]) & present_a[:, :, None]
        in_b, in_a = same.any(axis=2), same.any(axis=1)
        weight_a = np.where(present_a, information[np.maximum(a, 0)], 0.0)
        weight_b = np.where(present_b, information[np.maximum(b, 0)], 0.0)
        total_a, total_b = weight_a.sum(axis=1), weight_b.sum(axis=1)
        held_a = np.divide((weight_a * in_b).sum(axis=1), total_a, out=np.zeros(len(a)), where=total_a > 0)
        held_b = np.divide((weight_b * in_a).sum(axis=1), total_b, out=np.zeros(len(b)), where=total_b > 0)
        rare = (in_b & present_a & distinctive[np.maximum(a, 0)]).any(axis=1)
        part = slice(start, start + step)
        out.any[part] = in_b.any(axis=1)
        out.contained[part] = (present_a.any(axis=1) & (in_b == present_a).all(axis=1)) | (
            present_b.any(axis=1) & (in_a == present_b).all(axis=1)
        )
        out.word[part] = rare
        out.part[part] = rare & (np.maximum(held_a, held_b) >= SHARE_OF_NAME)
    return out


def compare_name(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Name similarity on the core name (legal forms, punctuation, case and accents removed).

    Letters decide typos and near spellings (rapidfuzz's ratio on the words sorted, and as written where
    a first letter's typo may have moved the sort); the words decide the rest: one name's words all in
    the other is "contains", a rare word in common "shares-part" or "shares-word", any word in common
    at least "weak". Words are compared by numpy on the table's word ids, not by a string scorer: two of
    the three rapidfuzz passes this once took are gone (a million pairs: ~2 s instead of ~6 s).
    """
    a, b, known = _pair_codes(table, "core", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known & (a == b)] = 0
    fuzzy = np.flatnonzero(known & (a != b))
    if len(fuzzy):
        sa, sb = _texts(table, "sorted_core", left[fuzzy]), _texts(table, "sorted_core", right[fuzzy])
        ratio = _scores(fuzz.ratio, sa, sb)
        # Word order is free ("Apple Pan, The") but sorting moves a word whose first letter has a typo,
        # so the as-written comparison counts too where the sorted one is alike but not near.
        again = np.flatnonzero((ratio < 92) & (ratio >= 50))
        if len(again):
            ca, cb = _texts(table, "core", left[fuzzy[again]]), _texts(table, "core", right[fuzzy[again]])
            ratio[again] = np.maximum(ratio[again], _scores(fuzz.ratio, ca, cb))
        words = word_overlap(table, left[fuzzy], right[fuzzy])
        level = np.full(len(fuzzy), DIFFERENT, dtype=np.int8)
        level[(ratio >= 60) | words.any] = WEAK
        level[words.word] = SHARES_WORD
        level[ratio >= 80] = SIMILAR
        # Sharing a rare word and most of a name says more than alike letters ("Henry Booth House
        # Mayfield" / "Henry Booth House Ashland" are 80% alike and two sites): above "similar".
        level[words.part & (ratio < 92)] = SHARES_PART
        level[words.contained & (ratio < 92)] = 2
        level[ratio >= 92] = 1
        # "Arts Deli" / "Arts Delicatessen": words cut short still count as contained. Checked word by
        # word in Python, so only where the names start with the same word (few pairs).
        fa, fb, _ = _pair_codes(table, "first_word", left[fuzzy], right[fuzzy])
        weak = np.flatnonzero(((level == SHARES_WORD) | (level == WEAK)) & (fa == fb))
        if len(weak):
            abbreviated = [abbreviates(x, y) for x, y in zip(sa[weak], sb[weak], strict=True)]
            level[weak[np.asarray(abbreviated, dtype=bool)]] = 2
        na, nb, both = _pair_codes(table, "name_numbers", left[fuzzy], right[fuzzy])
        level[both & (na != nb)] = DIFFERENT  # numbers_differ, by precomputed number sets
        out[fuzzy] = level
    return out


NAME = Feature(
    "name",
    (
        Level("exact", "Same name once legal form, punctuation and accents are set aside ('{a}')."),
        Level("near", "Names differ only by a typo or spelling ('{a}' / '{b}')."),
        Level("contains", "One name contains the other ('{a}' / '{b}')."),
        Level("similar", "Names are similar ('{a}' / '{b}')."),
        Level("shares-part", "Names share a distinctive part ('{a}' / '{b}')."),
        Level("shares-word", "Names have a distinctive word in common, little else ('{a}' / '{b}')."),
        Level("weak", "Names share little ('{a}' / '{b}')."),
        Level("different", "Names are different ('{a}' / '{b}')."),
    ),
    compare_name,
    lambda r: r.core,
    "Name: how alike the core names are.",
    strength=(0, 1, 2, 4, 3, 5, 6, 7),
)


# ---------------------------------------------------------------------------------------- legal form


def compare_legal_form(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Legal form agreement: same form, same kind of entity (GmbH ~ Sp. z o.o.), or different kinds."""
    a, b, known = _pair_codes(table, "legal_form", left, right)
    ga, gb, _ = _pair_codes(table, "legal_generic", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 2
    out[known & (ga == gb) & (ga >= 0)] = 1
    out[known & (a == b)] = 0
    return out


LEGAL_FORM = Feature(
    "legal_form",
    (
        Level("same", "Same legal form ({a})."),
        Level("same-kind", "Legal forms are of the same kind ({a} / {b})."),
        Level("different", "Different legal forms ({a} / {b}): possibly related but separate entities."),
    ),
    compare_legal_form,
    lambda r: r.legal_form or "none",
    "Legal form: company type agreement.",
)


# -------------------------------------------------------------------------------------------- tax id


def compare_tin(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Tax id: equal (valid checksum or not), or different; two valid different ids are two entities."""
    a, b, known = _pair_codes(table, "tin", left, right)
    ca, cb, _ = _pair_codes(table, "tin_country", left, right)
    same_country = (ca < 0) | (cb < 0) | (ca == cb)
    both_valid = table.tin_valid[left] & table.tin_valid[right]
    equal = known & (a == b) & same_country
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 3
    out[known & ~equal & both_valid] = 2
    out[equal] = 1
    out[equal & both_valid] = 0
    return out


def _show_tin(record: Prepared) -> str:
    if not record.tin:
        return "none"
    text = f"{record.tin_country or ''}{record.tin}"
    if record.tin_valid:
        return text
    # Without a country there is no checksum to run: say so rather than call the id invalid.
    return f"{text} (checksum not valid)" if record.tin_country else f"{text} (country unknown, not checked)"


TIN = Feature(
    "tin",
    (
        Level("equal", "Same tax id {a}, valid checksum."),
        Level("equal-unverified", "Same tax id {a}: weak evidence, as it is not verified."),
        Level("different-valid", "Different valid tax ids ({a} / {b}): different legal entities."),
        Level("different", "Different tax ids ({a} / {b}), at least one not verified."),
    ),
    compare_tin,
    _show_tin,
    "Tax id: TIN/VAT number agreement.",
    strength=(0, 1, 3, 2),  # two valid different ids speak more strongly against than an unverified one
)


# --------------------------------------------------------------------------------------------- domain


def compare_domain(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Website: same registrable domain or not (shared hosts were dropped while normalising)."""
    a, b, known = _pair_codes(table, "domain", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 1
    out[known & (a == b)] = 0
    return out


DOMAIN = Feature(
    "domain",
    (
        Level("equal", "Same website domain ({a})."),
        Level("different", "Different website domains ({a} / {b})."),
    ),
    compare_domain,
    lambda r: r.domain or "none",
    "Website: registrable domain agreement.",
)


# ---------------------------------------------------------------------------------------------- phone


def compare_phone(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Phone (E.164): equal, same last seven digits (area code changed or missing), same block of
    numbers (all but the last four digits: one switchboard's extensions), or different."""
    a, b, known = _pair_codes(table, "phone", left, right)
    la, lb = table.phone_local[left], table.phone_local[right]
    ba, bb = table.phone_block[left], table.phone_block[right]
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 3
    out[known & (ba == bb) & (ba >= 0)] = 2
    out[known & (la == lb) & (la >= 0)] = 1
    out[known & (a == b)] = 0
    return out


PHONE = Feature(
    "phone",
    (
        Level("equal", "Same phone number ({a})."),
        Level("same-local", "Phone numbers share the last seven digits ({a} / {b})."),
        Level("same-block", "Phone numbers differ only in the last four digits ({a} / {b})."),
        Level("different", "Different phone numbers ({a} / {b})."),
    ),
    compare_phone,
    lambda r: r.phone or "none",
    "Phone: E.164 number agreement.",
)


# -------------------------------------------------------------------------------------------- address


def compare_street(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Street address: same number and street, same number on a similar street, same street, or not."""
    ha, hb, house_known = _pair_codes(table, "house", left, right)
    sa_all, sb_all = table.text_array("street")[left], table.text_array("street")[right]
    street_known = (sa_all != "") & (sb_all != "")
    known = street_known | house_known
    out = np.full(len(left), NULL, dtype=np.int8)
    idx = np.flatnonzero(known)
    if len(idx):
        sim = np.zeros(len(idx), dtype=np.float32)
        both = street_known[idx]
        ca, cb, _ = _pair_codes(table, "street", left[idx], right[idx])
        na, nb, numbered = _pair_codes(table, "street_numbers", left[idx], right[idx])
        sim[both & (ca == cb)] = 100.0  # the same street as written: no scorer needed (most pairs)
        # Streets that carry different numbers are different streets ("W 19th St" / "W 18th St"),
        # however alike their letters: a one-digit change looks like a typo to every scorer.
        fuzzy = np.flatnonzero(both & (ca != cb) & ~(numbered & (na != nb)))
        sim[fuzzy] = _scores(fuzz.token_sort_ratio, sa_all[idx[fuzzy]], sb_all[idx[fuzzy]])
        same_house = house_known[idx] & (ha[idx] == hb[idx])
        level = np.full(len(idx), 3, dtype=np.int8)
        level[(sim >= 85) & ~same_house] = 2
        level[same_house & ((sim >= 60) | ~both)] = 1
        level[same_house & (sim >= 85)] = 0
        out[idx] = level
    return out


def _show_street(record: Prepared) -> str:
    return " ".join(p for p in (record.house, record.street) if p) or "none"


STREET = Feature(
    "street",
    (
        Level("equal", "Same street address ({a})."),
        Level("same-number", "Same house number on a similar street ({a} / {b})."),
        Level("same-street", "Same street, different or missing house number ({a} / {b})."),
        Level("different", "Different street addresses ({a} / {b})."),
    ),
    compare_street,
    _show_street,
    "Street: street and house number agreement.",
)


def compare_postcode(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Postcode: equal, same first three characters (same area), or different."""
    a, b, known = _pair_codes(table, "postcode", left, right)
    area_a, area_b, _ = _pair_codes(table, "postcode_area", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 2
    out[known & (area_a == area_b)] = 1
    out[known & (a == b)] = 0
    return out


POSTCODE = Feature(
    "postcode",
    (
        Level("equal", "Same postcode ({a})."),
        Level("same-area", "Postcodes in the same area ({a} / {b})."),
        Level("different", "Different postcodes ({a} / {b})."),
    ),
    compare_postcode,
    lambda r: r.postcode or "none",
    "Postcode: postal code agreement.",
)


def compare_city(table: Table, left: IntArray, right: IntArray) -> Levels:
    """City: equal, similar spelling, or different."""
    a, b, known = _pair_codes(table, "city", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 2
    out[known & (a == b)] = 0
    idx = np.flatnonzero(known & (a != b))
    if len(idx):
        ca, cb = _texts(table, "city", left[idx]), _texts(table, "city", right[idx])
        sim = _scores(JaroWinkler.normalized_similarity, ca, cb)
        out[idx[sim >= 0.88]] = 1
    return out


CITY = Feature(
    "city",
    (
        Level("equal", "Same city ({a})."),
        Level("similar", "Similar city names ({a} / {b})."),
        Level("different", "Different cities ({a} / {b})."),
    ),
    compare_city,
    lambda r: r.city or "none",
    "City: city agreement.",
)


def compare_country(table: Table, left: IntArray, right: IntArray) -> Levels:
    """Country: same or different."""
    a, b, known = _pair_codes(table, "country", left, right)
    out = np.full(len(left), NULL, dtype=np.int8)
    out[known] = 1
    out[known & (a == b)] = 0
    return out


COUNTRY = Feature(
    "country",
    (
        Level("equal", "Same country ({a})."),
        Level("different", "Different countries ({a} / {b})."),
    ),
    compare_country,
    lambda r: r.country or "none",
    "Country: country agreement.",
)


FEATURES: tuple[Feature, ...] = (NAME, LEGAL_FORM, TIN, DOMAIN, PHONE, STREET, POSTCODE, CITY, COUNTRY)
"""The model's features, in the order evidence is listed."""


def feature_named(name: str) -> Feature:
    for feature in FEATURES:
        if feature.name == name:
            return feature
    raise KeyError(name)


def compare_pair(a: Prepared, b: Prepared) -> dict[str, int]:
    """Every feature's level for one pair (the batch code on a two-record table)."""
    table = Table([a, b])
    left, right = np.array([0], dtype=np.int64), np.array([1], dtype=np.int64)
    return {f.name: int(f.compare(table, left, right)[0]) for f in FEATURES}
