"""Small text perturbations that turn one company's record into a plausible duplicate entry.

Each function takes the random source explicitly, so the generator stays deterministic per seed.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from anyascii import anyascii

__all__ = ["change_case", "slug", "strip_diacritics", "swap_words", "typo"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Neighbouring keys on a QWERTY keyboard: the substitutions people actually make.
_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "xa",
}  # fmt: skip


def typo(text: str, rng: random.Random) -> tuple[str, str]:
    """One keyboard slip inside a word: insert, delete, transpose or substitute a letter.

    Returns the new text and the kind of slip. The first letter is left alone (people rarely get it
    wrong), and only letters are touched, so legal-form punctuation stays intact.
    """
    positions = [i for i in range(1, len(text)) if text[i].isalpha()]
    if not positions:
        return text, "none"
    i = positions[rng.randrange(len(positions))]
    kind = ("insert", "delete", "transpose", "substitute")[rng.randrange(4)]
    char = text[i]
    if kind == "transpose" and (i + 1 >= len(text) or not text[i + 1].isalpha() or text[i + 1] == char):
        kind = "substitute"
    if kind == "insert":
        new = text[i - 1] if rng.random() < 0.5 else _LETTERS[rng.randrange(26)]
        return text[:i] + new + text[i:], kind
    if kind == "delete":
        return text[:i] + text[i + 1 :], kind
    if kind == "transpose":
        return text[:i] + text[i + 1] + char + text[i + 2 :], kind
    lower = char.lower()
    choices = _NEIGHBOURS.get(lower, _LETTERS)
    new = choices[rng.randrange(len(choices))]
    if char.isupper():
        new = new.upper()
    return text[:i] + new + text[i + 1 :], kind


_CONNECTORS = frozenset({"&", "i", "y", "e", "et", "und", "and", "en", "a", "du", "de", "der", "van", "den"})


def _swappable(word: str) -> bool:
    return len(word) > 1 and word.lower() not in _CONNECTORS and word[0].isalpha()


def swap_words(text: str, rng: random.Random) -> str:
    """Swap two neighbouring words ("Kowalski Trans" -> "Trans Kowalski").

    Connectors ("&", "i", "van") and quoted brands stay put, so "Huber & Schröder" never becomes
    "Huber Schröder &". Returns the text unchanged when no pair qualifies.
    """
    words = text.split(" ")
    pairs = [i for i in range(len(words) - 1) if _swappable(words[i]) and _swappable(words[i + 1])]
    if not pairs:
        return text
    i = pairs[int(rng.random() * len(pairs))]
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def strip_diacritics(text: str) -> str:
    """What a keyboard without local layout produces: "Łódź" -> "Lodz", "Straße" -> "Strasse"."""
    return anyascii(text)


def change_case(text: str, rng: random.Random) -> str:
    """UPPER, lower or Title case, as different clerks type it."""
    roll = rng.random()
    if roll < 0.5:
        return text.upper()
    if roll < 0.75:
        return text.lower()
    return text.title()


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def slug(text: str, joiner: str = "") -> str:
    """A domain label from a name: ASCII, lower case, words joined by ``joiner`` ("" or "-")."""
    ascii_text = anyascii(text).lower().replace("&", " and ").replace("'", "")
    return _NON_ALNUM.sub(joiner, ascii_text).strip("-")[:40].strip("-")
