"""The bands: when a scored pair is safe to merge in bulk, and why, in one place.

``merge_reasons`` turns a pair's probability and evidence levels into a reason code (0: not safe); each
code has a sentence (:data:`MERGE_REASONS`) that the pair's ``note`` shows. The probability threshold
alone is not the rule: a pair must also be corroborated (names that agree, a tax id, two identifiers),
and two rules stand without the threshold because unsupervised weights put such pairs right at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from enricher.matching.features import Feature
from enricher.matching.table import Table

__all__ = [
    "BY_IDENTIFIERS",
    "MERGE_REASONS",
    "MERGE_THRESHOLD",
    "REVIEW_THRESHOLD",
    "SAME_NAME",
    "SAME_PLACE",
    "levels_in",
    "merge_mask",
    "merge_reason_text",
    "merge_reasons",
    "rare_names",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]

MERGE_THRESHOLD = 0.99
"""Match probability from which a pair is safe to merge in bulk."""
REVIEW_THRESHOLD = 0.2
"""Match probability from which a person should look at a pair; below it pairs are not listed."""

NAME_AGREES = 3
"""Highest name level ("similar") that still counts as the same name for the merge band."""
NAME_AGREES_WITH_TIN = 6
"""With the same valid tax id (one legal entity by law), a "weak" name (typos, abbreviations) will do."""
NAME_AGREES_WITH_IDENTIFIERS = 5
"""With two independent identifiers agreeing, names with a distinctive word in common will do."""

NAME_SAME = 2
"""Highest name level ("contains") that counts as the same name for the same-place rule."""
NAME_TYPO = 1
"""Highest name level ("near": a typo) that counts as the same name for the name-alone rule."""
SAME_PLACE = 4
SAME_NAME = 5
NOTHING_AGAINST: dict[str, tuple[int, ...]] = {
    "legal_form": (-1, 0),
    "tin": (-1, 0, 1),
    "domain": (-1, 0),
    "phone": (-1, 0, 1),
    "street": (-1, 0, 1),
    "postcode": (-1, 0, 1),
    "city": (-1, 0, 1),
    "country": (-1, 0),
}
"""Levels at which a feature does not speak against a pair (missing, or agreeing)."""
RARE_NAME_USES = 3
"""A core name carried by at most this many identities (and holding a distinctive word) is distinctive."""
SAME_PLACE_FLOOR = 0.5
BY_IDENTIFIERS = 3
"""The :func:`merge_reasons` code of a pair carried by its identifiers while the names only share a part."""
MERGE_REASONS: tuple[str, ...] = (
    "",
    "the names agree",
    "the same valid tax id, and the names are alike",
    "two independent identifiers agree ({identifiers}) and the names share a distinctive part",
    "the same name at the same street address (a phone number that differs does not outweigh that)",
    "the same distinctive name, and nothing else known disagrees",
)
"""Why a pair is safe to merge in bulk, by :func:`merge_reasons` code (0: it is not)."""
STRONG_IDENTIFIERS: dict[str, tuple[int, ...]] = {
    "tin": (0,),
    "domain": (0,),
    "phone": (0,),
    "street": (0, 1),
}
"""Levels at which a feature is an identifier agreeing: a valid tax id, a website, a phone number, a
street address with its house number. A valid tax id counts twice (one legal entity by law)."""


def levels_in(column: LevelMatrix, values: Iterable[int]) -> npt.NDArray[np.bool_]:
    """``np.isin(column, values)`` for levels (int8): one lookup per pair in a table of the 256 byte
    values, not isin's sort of the whole column (8.5M pairs: ~50 -> ~10 ms, seventeen times a match)."""
    if column.dtype != np.int8:
        return np.isin(column, list(values))
    table = np.zeros(256, dtype=np.bool_)
    table[np.asarray(list(values), dtype=np.int64) & 0xFF] = True
    return table[column.view(np.uint8)]


def merge_reasons(
    score: FloatArray,
    levels: LevelMatrix,
    features: Sequence[Feature],
    merge_threshold: float = MERGE_THRESHOLD,
    rare_name: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.int8]:
    """Per pair, why it may be merged in bulk (an index into :data:`MERGE_REASONS`), 0 when it may not.

    Safe means: the match probability reaches ``merge_threshold``, no two valid tax ids disagree (two
    legal entities), and the identity is corroborated: the names agree; or the same valid tax id backs
    a weakly alike name; or two independent identifiers agree (phone and street address, website and
    phone...) and the names share a distinctive part ("Parent Organisation - Site Name" / "Site Name
    Early Childhood Center"). A shared phone and address alone, with unrelated names, is typically two
    businesses in one building or one accountant's office: a person must look.

    One rule does not need the threshold: the same name (exact, a typo, or one containing the other) at
    the same street address and house number, with no postcode, town, website or tax id against it, is
    one business even when the phone numbers differ (a second line, a new number); the model must only
    find it more likely than not (:data:`SAME_PLACE_FLOOR`). Unsupervised weights put such pairs right at
    the threshold, where a register's mix of pairs decides their band; a person would not hesitate.

    Nor does the name-alone rule: the same distinctive name (``rare_name``: exact or a typo, carried by
    few identities and holding a rare word), legal forms that agree or one absent, and nothing else
    known that disagrees. In a register of names and little else, EM finds few duplicates among the
    compared pairs and so a tiny match rate, which no name can overcome; but a distinctive legal name
    is how a company is known: when little else is known, the name must weigh more, not less.
    """
    column = {f.name: k for k, f in enumerate(features)}
    name, tin = levels[:, column["name"]], levels[:, column["tin"]]
    strong = np.zeros(len(levels), dtype=np.int8)
    for feature, agreeing in STRONG_IDENTIFIERS.items():
        strong += levels_in(levels[:, column[feature]], agreeing).astype(np.int8) * (
            2 if feature == "tin" else 1
        )
    safe = (score >= merge_threshold) & (tin != 2) & (name >= 0)
    out = np.zeros(len(levels), dtype=np.int8)
    place = (
        (score >= SAME_PLACE_FLOOR)
        & (tin != 2)
        & (name >= 0)
        & (name <= NAME_SAME)
        & levels_in(levels[:, column["street"]], STRONG_IDENTIFIERS["street"])
        & ~levels_in(levels[:, column["postcode"]], (2,))
        & ~levels_in(levels[:, column["city"]], (2,))
        & ~levels_in(levels[:, column["domain"]], (1,))
    )
    out[place] = SAME_PLACE
    if rare_name is not None:
        alone = rare_name & (tin != 2) & (name >= 0) & (name <= NAME_TYPO)
        for feature, agreeing in NOTHING_AGAINST.items():
            alone &= levels_in(levels[:, column[feature]], agreeing)
        out[alone] = SAME_NAME
    out[safe & (strong >= 2) & (name <= NAME_AGREES_WITH_IDENTIFIERS)] = 3
    out[safe & (tin == 0) & (name <= NAME_AGREES_WITH_TIN)] = 2
    out[safe & (name <= NAME_AGREES)] = 1
    return out


def merge_mask(
    score: FloatArray,
    levels: LevelMatrix,
    features: Sequence[Feature],
    merge_threshold: float = MERGE_THRESHOLD,
) -> npt.NDArray[np.bool_]:
    """True where the pair belongs to the merge band (see :func:`merge_reasons`)."""
    return merge_reasons(score, levels, features, merge_threshold) > 0


def merge_reason_text(code: int, levels: Sequence[int], features: Sequence[Feature]) -> str:
    """The sentence for a :func:`merge_reasons` code, naming the identifiers that agree."""
    named = {"tin": "tax id", "domain": "website", "phone": "phone", "street": "street address"}
    agreeing = [
        named[f.name]
        for f, level in zip(features, levels, strict=True)
        if level in STRONG_IDENTIFIERS.get(f.name, ())
    ]
    return MERGE_REASONS[code].format(identifiers=", ".join(agreeing))


def rare_names(table: Table, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
    """Per pair: whether both names are distinctive (see :data:`RARE_NAME_USES`); the pair's name
    level says whether they are the same."""
    words = table.name_words()
    ids, distinctive = words.ids, words.distinctive
    rare_word = ((ids >= 0) & distinctive[np.maximum(ids, 0)]).any(axis=1)
    uses = table.frequency("core")
    rare = rare_word & (uses > 0) & (uses <= RARE_NAME_USES)
    return np.asarray(rare[left] & rare[right])
