"""Blocking: which pairs are worth comparing at all.

Each record gets several keys (valid or not tax id, website domain, phone, phone's last seven digits,
its two rarest name words, postcode + name start, house number + street word + postcode, and + city); two
records are compared when they share any key. A block bigger than ``cap`` is not compared all-to-all:
its members are sorted by name and each meets only its ``window`` nearest neighbours (sorted
neighbourhood), so the cost stays near linear however generic a key is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import jellyfish
import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from enricher.matching.digests import digest
from enricher.matching.records import Prepared
from enricher.matching.table import WORD_LENGTH_MASK, NameWords, word_codes

__all__ = ["DEFAULT_CAP", "DEFAULT_WINDOW", "block_keys", "candidate_pairs", "token_counts"]

IntArray = npt.NDArray[np.int64]
Beside = Callable[[Callable[[], Any], Callable[[], Any]], tuple[Any, Any]]
"""Runs two independent steps, ``(task, here)``, and returns both results."""
RARE_TOKENS = 2
"""Name words used as keys. One would save 30% of the comparisons (100k generated: 540k -> 376k pairs)
but loses typo'd names: blocking recall on Febrl-3 drops from 0.986 to 0.977."""
DEFAULT_CAP = 15
DEFAULT_WINDOW = 2
IDENTIFIER_KINDS = np.asarray([ord(c) for c in "tdplac"], dtype=np.int64)
"""Key kinds that are identifiers (tax id, domain, phone, local phone, street address in a town)."""
IDENTIFIER_CAP = 60
"""An identifier block up to this size compares all its pairs (a shared phone or address is a reason
to look, whatever the names say); a bigger one is a switchboard or a business centre, not a duplicate set."""
LOOSE_KINDS = np.asarray([ord(c) for c in "fmh"], dtype=np.int64)
"""Key kinds that catch what the others miss (first letters, the sound of the first word, the building
number in a town) but say little by themselves."""
LOOSE_CAP = 6
"""A loose block larger than this is narrowed by name (windows and the alike-name prefilter)."""
NAME_ALIKE = 80
"""Similarity (rapidfuzz token_set_ratio of the sorted name words) from which two names in a large
block are compared anyway: typos, reorderings and added words that sort apart."""
PREFILTER_NEIGHBOURS = 32
"""Most alike names each record meets through the prefilter, per block (the heavier profiles first). 32
lets a company typed in a hundred ways meet its variants (patstat blocking recall .988 -> .994) and
costs nothing where names are not alike (100k generated: +0.1% pairs)."""
PREFILTER_MAX = 2000
"""Largest block whose names are compared all-to-all by the prefilter (4M cells, ~0.3 s)."""
PREFILTER_BUDGET_PER_RECORD = 30
"""Prefilter cells per record at most (all blocks together): keeps a million records near linear."""
# Measured on 100k generated records: 25/5 compares 871k pairs at blocking recall 0.99969, 15/3 533k at
# 0.99953 (and restaurants keep 1.0): the smaller blocks save 40% of the comparisons for 0.02% recall.
# Since large blocks also meet their alike names (the prefilter), a window of 2 keeps the same recall on
# the real development sets and on generated data with 20% fewer pairs than 3 (300k: 2.90M -> 2.30M).


def token_counts(records: Iterable[Prepared]) -> Counter[str]:
    """In how many records each core-name word occurs (rare words identify; common ones do not)."""
    counts: Counter[str] = Counter()
    for record in records:
        counts.update(set(record.core.split()))
    return counts


def _rare_tokens(record: Prepared, counts: Counter[str] | dict[str, int], k: int = 2) -> list[str]:
    """The ``k`` rarest words that some other record shares; words no one else has come last.

    A word only this record has (often a typo: "Maatschhappij") makes a block of one: choosing it
    over a shared word would cost the record its chance to meet its duplicates.
    """
    tokens = {t for t in record.core.split() if len(t) > 1}
    return sorted(tokens, key=lambda t: (counts.get(t, 0) < 2, counts.get(t, 0), -len(t), t))[:k]


def _initials(core: str) -> str | None:
    """ "chicago youth centers" -> "cyc": meets the record that writes the name as its initials."""
    words = core.split()
    return "".join(w[0] for w in words) if 3 <= len(words) <= 6 else None


def block_keys(record: Prepared, counts: Counter[str] | dict[str, int]) -> list[str]:
    """The blocking keys of one record; the first character names the kind of key."""
    return ["n" + token for token in _rare_tokens(record, counts, RARE_TOKENS)] + static_keys(record)


def static_keys(record: Prepared) -> list[str]:
    """The keys that depend on this record alone (all but the rare name words, which depend on the
    register): computed where the record is normalised, in the worker processes."""
    keys: list[str] = []
    if record.tin and len(record.tin) >= 5:
        keys.append("t" + record.tin)
    if record.domain:
        keys.append("d" + record.domain)
    if record.phone:
        keys.append("p" + record.phone)
        keys.append("l" + record.phone[-7:])
    initials = _initials(record.core)
    if initials:
        keys.append("n" + initials)
    if record.core:
        # The name's first letters without spaces: "ST Microelectronics" / "STMicroelectronics".
        keys.append("f" + record.core.replace(" ", "")[:8])
        first = record.core.split(" ", 1)[0]
        if len(first) >= 4 and first.isalpha():
            # How the first word sounds: a typo that keeps the sound ("Alkatel" / "Alcatel") meets.
            keys.append("m" + jellyfish.metaphone(first))
    if record.postcode and record.core:
        keys.append(f"z{record.postcode}|{record.sorted_core[:3]}")
    if record.house and record.street:
        word = max(record.street.split(), key=len)[:5]
        # Narrow keys (with postcode, with city) keep busy streets in small blocks; the wide one finds the
        # pairs where one record lacks the postcode or the city, or has a typo in it.
        if record.postcode:
            keys.append(f"a{record.house}|{word}|{record.postcode}")
        if record.city:
            keys.append(f"c{record.house}|{word}|{record.city}")
        keys.append(f"s{record.house}|{word}")
    if record.house:
        # The building number alone, within a town: the street may be spelt or named differently
        # (a corner building, an abbreviation); a large block of it only meets alike names.
        keys.append(f"h{record.house}|{record.postcode or record.city or record.country or ''}")
    return keys


KIND_MASK = 0xFF


def _codes(digests: Iterable[int], kinds: IntArray | int) -> IntArray:
    """Digests as int64 key codes, their lowest byte replaced by the key's kind (its first letter)."""
    found = np.fromiter(digests, dtype=np.uint64).view(np.int64)
    return (found & ~KIND_MASK) | kinds


def key_code(text: str) -> int:
    """A key as one int64: its stable hash with the lowest byte replaced by the kind (the key's first
    letter), so a block's kind is read off its code."""
    return int(_codes([digest(text)], ord(text[0]))[0])


def static_key_codes(records: Sequence[Prepared]) -> tuple[IntArray, IntArray]:
    """(record position, key code) of every static key of every record, as two arrays."""
    owners: list[int] = []
    digests: list[int] = []
    kinds: list[int] = []
    for position, record in enumerate(records):
        for text in set(static_keys(record)):
            owners.append(position)
            digests.append(digest(text))
            kinds.append(ord(text[0]))
    return np.asarray(owners, dtype=np.int64), _codes(digests, np.asarray(kinds, dtype=np.int64))


def rare_word_codes(words: NameWords) -> tuple[IntArray, IntArray]:
    """Every record's rare-word keys at once: :func:`_rare_tokens`' choice (the rarest words someone
    else shares, then the longest), by numpy on the word ids."""
    ids = words.ids
    coded = word_codes(words)
    length = np.append(coded & WORD_LENGTH_MASK, 0).astype(np.float64)
    uses = words.uses
    # Sort key per word: words no one else has last, then rarer first, then longer first; ties stay
    # alphabetical as in :func:`_rare_tokens` (a record's words are sorted, and a column only takes a
    # place from a strictly smaller score). Column by column, keeping the RARE_TOKENS best so far:
    # vectors of one value per record, not several (records x words) temporaries (1M records:
    # 0.85 s CPU, 0.7 s of it the kernel handing out fresh memory, -> 0.6 s).
    rows = len(ids)
    best = np.full((RARE_TOKENS, rows), np.inf)
    chosen = np.full((RARE_TOKENS, rows), -1, dtype=np.int64)
    for column in range(ids.shape[1]):
        word = ids[:, column]
        safe = np.maximum(word, 0)
        count = uses[safe]
        score = np.where(count < 2, 1e12, 0.0) + count * 1e4 - length[safe] + np.where(word >= 0, 0, 1e15)
        place = np.count_nonzero(best <= score, axis=0)  # after the equals of earlier columns
        for rank in range(RARE_TOKENS - 1, 0, -1):
            down = place < rank  # the word takes a place above: this one moves down
            best[rank] = np.where(down, best[rank - 1], best[rank])
            chosen[rank] = np.where(down, chosen[rank - 1], chosen[rank])
        for rank in range(RARE_TOKENS):
            here = place == rank
            best[rank, here] = score[here]
            chosen[rank, here] = word[here]
    picked = chosen.T.ravel()
    owners = np.repeat(np.arange(rows, dtype=np.int64), RARE_TOKENS)
    keep = picked >= 0
    key = (coded & ~KIND_MASK) | ord("n")  # each word's :func:`key_code`: see ``word_code``
    return owners[keep], key[picked[keep]]


def name_ranks(names: Sequence[str]) -> IntArray:
    """Each name's place in the order of their first 24 characters (ties: input order).

    Sorted as fixed-width UTF-8 bytes, a C-speed sort: UTF-8 orders as the code points do, so the
    ranks are those of the 24-character strings (1M generated: 0.95 s as a str array -> 0.55 s)."""
    encoded = np.asarray([n[:24].encode("utf-8", "surrogatepass") for n in names], dtype=bytes)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(encoded, kind="stable")] = np.arange(len(names))
    return rank


def ranks_among(ranks: IntArray, rows: IntArray) -> IntArray:
    """:func:`name_ranks` of the names at ``rows`` (increasing positions), from the ``ranks`` of all:
    ties stay in input order, since the rows keep it."""
    order = np.argsort(ranks[rows])
    out = np.empty(len(rows), dtype=np.int64)
    out[order] = np.arange(len(rows))
    return out


PACKED_BITS = 63
"""Bits of the int64 into which :func:`shared_blocks` packs (block, name rank) for one plain sort."""


def key_order(key: IntArray) -> tuple[IntArray, IntArray]:
    """The positions of ``key`` in key order, and the keys in that order (equal keys in any order).

    ``np.argsort`` of int64 is ~2.5x slower than ``np.sort`` (numpy 2.4 on this machine: 10M random
    keys, 1.65 s against 0.66 s). So each key's position is packed into its low bits and the packed
    values are sorted plainly (15M keys: 2.9 -> 2.0 s CPU; 1M generated records' blocking, a slow
    2-core machine, alternating: 10.6-13.5 -> 8.9-10.8 s, the same pairs). The keys are digests, so
    the bits the positions displace still order them but for rare ties in their top bits (15M keys of
    uniform digests, 40 top bits: some tens): each such run is put in key order by itself. Beyond
    2**32 keys, a plain argsort."""
    n = len(key)
    bits = max(int(n - 1).bit_length(), 1)
    if bits > KEY_ORDER_BITS:
        order = np.argsort(key)
        return order, key[order]
    low = (1 << bits) - 1
    packed = np.bitwise_and(key, ~np.int64(low))
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()  # by the keys' top bits (signed, as the keys), then by position
    order = np.bitwise_and(packed, low, out=packed)
    ordered = key[order]
    # Keys that differ only in their low bits may be out of order, within their run of equal top bits.
    wrong = np.flatnonzero(ordered[1:] < ordered[:-1])
    if len(wrong):
        top = ordered >> bits  # in order: the sort put the top bits in order
        tops = top[wrong]
        runs = zip(np.searchsorted(top, tops), np.searchsorted(top, tops, side="right"), strict=True)
        for lo, hi in sorted({(int(a), int(b)) for a, b in runs}):
            sub = np.argsort(ordered[lo:hi], kind="stable")
            order[lo:hi] = order[lo:hi][sub]
            ordered[lo:hi] = ordered[lo:hi][sub]
    return order, ordered


KEY_ORDER_BITS = 32
"""Most bits of a key that :func:`key_order` gives to positions (beyond: a plain argsort)."""


def shared_blocks(
    owner: IntArray, key: IntArray, rank: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The blocks that two or more keys share: their members' owners (blocks in key order, each
    block's members by ``rank``), each block's key, start and size.

    Blocks of one say nothing and are dropped first. Then (block number, rank) is packed into one
    int64 and sorted plainly, which numpy does with SIMD: 300k generated records, 3.3M keys,
    0.62 s of ``np.lexsort((rank[owner], key))`` and 0.26 s of bookkeeping over blocks of one
    become 0.4 s CPU. ``rank`` must be a permutation."""
    empty = np.zeros(0, dtype=np.int64)
    if len(key) < 2:
        return empty, empty, empty, empty
    # Few large temporaries, and in place where numpy allows: on this machine a fresh 100 MB costs
    # ~0.1 s of the kernel's time, as much as the sort.
    order, ordered = key_order(key)
    new = np.empty(len(key), dtype=bool)  # a key unlike the one before it
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    shared = ~new
    shared[:-1] |= ~new[1:]
    if not shared.any():
        return empty, empty, empty, empty
    block_key = ordered[new & shared]
    del ordered
    first = new[shared]
    members = order[shared]
    del order
    np.take(owner, members, out=members, mode="clip")  # "clip": unbuffered (valid indices)
    np.take(rank, members, out=members, mode="clip")
    bits = max(int(len(rank) - 1).bit_length(), 1)
    if int(len(block_key) - 1).bit_length() + bits <= PACKED_BITS:
        packed = np.cumsum(first, dtype=np.int64)
        packed -= 1
        packed <<= bits
        packed |= members
        del members
        packed.sort()  # blocks are the major part: each stays where it is, its members by rank
        members = np.bitwise_and(packed, (1 << bits) - 1, out=packed)
    else:  # beyond about a billion keys x records: the same order by a slower sort
        members = members[np.lexsort((members, np.cumsum(first) - 1))]
    by_rank = np.empty(len(rank), dtype=np.int64)
    by_rank[rank] = np.arange(len(rank))
    np.take(by_rank, members, out=members, mode="clip")
    starts = np.flatnonzero(first).astype(np.int64)
    sizes = np.diff(np.append(starts, len(first))).astype(np.int64)
    return members, block_key, starts, sizes


def unique_pairs(parts: Iterable[tuple[IntArray, IntArray]], size: int) -> tuple[IntArray, IntArray]:
    """The distinct pairs (lower, higher) of ``parts`` (pairs of position arrays below ``size``),
    sorted, without a position's pair with itself."""
    return _decoded(_pair_codes(parts, size), size)


def _pair_codes(parts: Iterable[tuple[IntArray, IntArray]], size: int) -> IntArray:
    """The distinct pairs of ``parts`` coded (lower * size + higher), sorted.

    Each part is coded straight into one array, sorted in place: 1M generated records, 16M pairs
    found, 2.2 s CPU of concatenating, min/max and masking before -> 1.2-1.3 s."""
    parts = list(parts)
    code = np.empty(sum(len(a) for a, _ in parts), dtype=np.int64)
    at = 0
    for a, b in parts:
        # lower * size + higher = lower * (size - 1) + a + b: no temporary for the higher one.
        segment = code[at : at + len(a)]
        np.minimum(a, b, out=segment)
        segment *= size - 1
        segment += a
        segment += b
        at += len(a)
    code.sort()
    return _distinct(code)


def _distinct(code: IntArray) -> IntArray:
    """A sorted array without its repeats."""
    if len(code) < 2:
        return code
    first = np.empty(len(code), dtype=bool)
    first[0] = True
    np.not_equal(code[1:], code[:-1], out=first[1:])
    return code[first]


def _decoded(code: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """Pair codes back to (lower, higher) positions, a position's pair with itself dropped."""
    left = code // max(size, 1)
    right = np.remainder(code, max(size, 1), out=code)
    apart = left != right
    if apart.all():
        return left, right
    return left[apart], right[apart]


def _triangle(sizes: IntArray, starts: IntArray) -> Iterator[tuple[IntArray, IntArray]]:
    """All (i, j) position pairs inside groups, vectorised per group size."""
    for size in np.unique(sizes):
        group_starts = starts[sizes == size]
        a, b = np.triu_indices(int(size), 1)
        yield (group_starts[:, None] + a[None, :]).ravel(), (group_starts[:, None] + b[None, :]).ravel()


def _windows(sizes: IntArray, starts: IntArray, window: int) -> Iterator[tuple[IntArray, IntArray]]:
    """Each position with its next ``window`` neighbours inside its (large) group."""
    if len(sizes) == 0:
        return
    # Every position of every group, without a Python loop per group.
    positions = np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(
        starts - (np.cumsum(sizes) - sizes), sizes
    )
    ends = np.repeat(starts + sizes, sizes)
    for step in range(1, window + 1):
        ok = positions + step < ends
        yield positions[ok], positions[ok] + step


def _alike_blocks(
    owner: IntArray, sizes: IntArray, starts: IntArray, budget: int
) -> tuple[list[tuple[int, int]], int]:
    """The large blocks whose names are compared all-to-all by :func:`_name_filtered`, as (size, start),
    and how many are left to their windows only.

    Comparing every name of a block with rapidfuzz costs ~0.1 µs a cell, so blocks are chosen smallest
    first until ``budget`` cells are spent."""
    spent = 0
    skipped = 0
    chosen: list[tuple[int, int]] = []
    # Smallest first; among equal sizes by the block's first two names (not by its position, which
    # follows its key's digest: the budget would fall on blocks in no meaningful order).
    firsts = owner[starts] if len(starts) else np.zeros(0, dtype=np.int64)
    seconds = owner[np.minimum(starts + 1, len(owner) - 1)] if len(starts) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((seconds, firsts, sizes))
    for size, start in zip(sizes[order].tolist(), starts[order].tolist(), strict=True):
        if size > PREFILTER_MAX or spent + size * size > budget:
            skipped += 1
            continue
        spent += size * size
        chosen.append((size, start))
    return chosen, skipped


BESIDE_SHARE = 0.6
"""The share of the alike names' work :func:`candidate_pairs` gives the forked process, when it has one."""
BLOCK_CELLS = 200
"""What a block costs :func:`_name_filtered` besides its cells, in cells (~20 µs of numpy calls)."""


def _shares(chosen: Sequence[tuple[int, int]], first: float) -> int:
    """Where to cut ``chosen`` so that the blocks before hold ``first`` of the work (their cells and
    each block's own cost)."""
    if not chosen:
        return 0
    cost = np.cumsum([size * size + BLOCK_CELLS for size, _ in chosen])
    return int(np.searchsorted(cost, first * cost[-1]))


def _name_filtered(
    records: Sequence[Prepared],
    weight: IntArray,
    owner: IntArray,
    chosen: Sequence[tuple[int, int]],
) -> tuple[list[IntArray], list[IntArray]]:
    """Inside each ``chosen`` large block, every pair whose names are alike (one C-speed ``cdist`` per
    block), as owner positions.

    Sorted neighbourhood alone misses alike names that sort apart ("North Side Family Association
    Lakeview Center" / "Lakeview Center - North Side Family Association")."""
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    if not chosen:
        return lefts, rights
    # The names without spaces of the records in the chosen blocks only (1M generated: 600k of 920k).
    wanted = np.zeros(len(records), dtype=bool)
    for size, start in chosen:
        wanted[owner[start : start + size]] = True
    spaceless = np.empty(len(records), dtype=object)
    needed = np.flatnonzero(wanted)
    spaceless[needed] = np.fromiter(
        (records[k].core.replace(" ", "") for k in needed.tolist()), dtype=object, count=len(needed)
    )
    for size, start in chosen:
        members = owner[start : start + size]
        names = spaceless[members]
        # Threads only pay for a big block: starting them costs more than a small block's cells.
        threads = -1 if size * size > 250_000 else 1
        alike = process.cdist(
            names, names, scorer=fuzz.ratio, score_cutoff=NAME_ALIKE, dtype=np.uint8, workers=threads
        )
        np.fill_diagonal(alike, 0)
        if size <= PREFILTER_NEIGHBOURS + 1:
            # Every alike name is among a name's nearest few: no need to rank them (300k generated:
            # 73% of the filtered blocks; 0.49 -> 0.42 s CPU for the prefilter).
            rows, cols = np.nonzero(alike)
            lefts.append(members[rows])
            rights.append(members[cols])
            continue
        # Each name keeps its most alike few (the heavier profile first among equals: it stands for
        # more records), so that a block of near-identical names stays linear.
        order = np.lexsort((-weight[members][None, :].repeat(size, axis=0), -alike.astype(np.int64)), axis=1)
        nearest = order[:, :PREFILTER_NEIGHBOURS]
        rows = np.repeat(np.arange(size), nearest.shape[1])
        cols = nearest.ravel()
        keep = alike[rows, cols] > 0
        lefts.append(members[rows[keep]])
        rights.append(members[cols[keep]])
    return lefts, rights


def candidate_pairs(
    records: Sequence[Prepared],
    *,
    counts: Counter[str] | None = None,
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
    weights: IntArray | None = None,
    static: tuple[IntArray, IntArray] | None = None,
    words: NameWords | None = None,
    beside: Beside | None = None,
    ranks: IntArray | None = None,
) -> tuple[IntArray, IntArray, dict[str, int]]:
    """Unique pairs (left < right, as record positions) that share a block, and blocking statistics.

    ``weights`` says how many records each one stands for (profiles: see :mod:`.profiles`);
    ``static`` are the records' static keys when the normalising workers computed them already;
    ``words`` the records' name words (``Table.name_words``), from which the rare-word keys are chosen
    for all records at once. ``beside(task, here)``, when given, runs two independent steps and
    returns both results (``enricher.forking.run_beside``: in a forked process beside this one): the
    alike names of large blocks are then split between the two. ``ranks``: :func:`name_ranks` of the
    records' sorted core names, if already known.

    Blocks of at most ``cap`` records compare all their pairs; so do identifier blocks (tax id, domain,
    phone, street address) of up to ``IDENTIFIER_CAP`` records, since a shared identifier is a reason to
    look whatever the names say. Larger blocks compare each record with its ``window`` nearest names and
    every pair whose names are alike (see :func:`_name_filtered`).
    """
    static_owner, static_code = static if static is not None else static_key_codes(records)
    if words is not None:
        rare_owner, rare_code = rare_word_codes(words)
    else:
        counts = counts if counts is not None else token_counts(records)
        owners: list[int] = []
        digests: list[int] = []
        for position, record in enumerate(records):
            for token in _rare_tokens(record, counts, RARE_TOKENS):
                owners.append(position)
                digests.append(digest("n" + token))
        rare_owner, rare_code = np.asarray(owners, dtype=np.int64), _codes(digests, ord("n"))
    owner = np.concatenate((static_owner, rare_owner))
    key = np.concatenate((static_code, rare_code))
    # (An initials key may repeat a rare-word key of the same record: the pair it would make with
    # itself is dropped below, like every pair of a record with itself.)
    # Inside a block, order by name so that the sorted-neighbourhood windows meet similar names.
    name_rank = ranks if ranks is not None else name_ranks([r.sorted_core for r in records])
    owner, block_key, starts, sizes = shared_blocks(owner, key, name_rank)
    kind = block_key & KIND_MASK
    identifier = np.isin(kind, IDENTIFIER_KINDS)
    loose = np.isin(kind, LOOSE_KINDS)
    limit = np.where(identifier, IDENTIFIER_CAP, np.where(loose, LOOSE_CAP, cap))
    full = sizes <= limit
    large = ~full

    chosen, unfiltered = _alike_blocks(
        owner, sizes[large], starts[large], PREFILTER_BUDGET_PER_RECORD * max(len(records), 1000)
    )
    weight = weights if weights is not None else np.ones(len(records), dtype=np.int64)
    parts = [(owner[pa], owner[pb]) for pa, pb in _triangle(sizes[full], starts[full])]
    parts.extend((owner[pa], owner[pb]) for pa, pb in _windows(sizes[large], starts[large], window))
    if beside is None:
        parts.extend(zip(*_name_filtered(records, weight, owner, chosen), strict=True))
        left, right = unique_pairs(parts, len(records))
    else:
        # The alike names of the chosen blocks and the other pairs need nothing of each other: the first
        # blocks' alike names are found beside (a forked process), the rest's with the other pairs. 1M
        # generated records, one after the other: ~1.5 s of alike names, ~0.7 s of the rest; forked, a
        # cell costs ~1.2x (copied pages), so the forked side takes 60% of the alike names' work.
        cut = _shares(chosen, BESIDE_SHARE)

        def alike() -> IntArray:
            found = _name_filtered(records, weight, owner, chosen[:cut])
            return _pair_codes(zip(*found, strict=True), len(records))

        def rest() -> IntArray:
            parts.extend(zip(*_name_filtered(records, weight, owner, chosen[cut:]), strict=True))
            return _pair_codes(parts, len(records))

        more, codes = beside(alike, rest)
        del parts
        merged = np.concatenate((codes, more))  # two sorted runs: a stable sort merges them in linear time
        del codes, more
        merged.sort(kind="stable")
        left, right = _decoded(_distinct(merged), len(records))
    stats = {
        "blocks": len(sizes),
        "large_blocks": int(np.count_nonzero(large)),
        "largest_block": int(sizes.max()) if len(sizes) else min(len(key), 1),
        "windowed_only_blocks": unfiltered,
        "pairs_compared": len(left),
    }
    return left, right, stats
