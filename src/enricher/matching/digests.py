"""Stable 64-bit digests of strings: the same in every process and on every host.

Not ``hash()``: Python salts that per process, and a run's values are digested where its records are
normalised (worker processes, possibly on other hosts) and compared with values digested elsewhere
(the plan's process, another part). xxh3 is a fast, well-kept non-cryptographic hash. Codes keep 63
bits of it (table columns) or 56 (blocking keys and name words, whose lowest byte says the key's kind
or the word's length): two different values of a compared pair agree by chance about once in 10^17
comparisons.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from xxhash import xxh3_64_intdigest

__all__ = ["digest", "digest_codes"]

IntArray = npt.NDArray[np.int64]

_MISSING = (1 << 64) - 1


def digest(text: str) -> int:
    """The unsigned 64-bit digest of ``text`` (lone surrogates, which JSON may carry, included)."""
    return xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


def digest_codes(values: Iterable[str | None], count: int) -> IntArray:
    """Each value as a non-negative int64 code (its digest's top 63 bits); -1 where it is missing
    (None or empty). Equal values have equal codes in any process."""
    found = np.fromiter((digest(v) if v else _MISSING for v in values), dtype=np.uint64, count=count)
    codes = (found >> np.uint64(1)).view(np.int64)
    codes[found == _MISSING] = -1
    return codes
