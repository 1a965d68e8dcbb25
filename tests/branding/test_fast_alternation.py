"""scan.fast_alternation rewrites an alternation for sre's speed: it must match exactly as written."""

from __future__ import annotations

import random
import re

import pytest

from enricher.branding.scan import fast_alternation

WORDS = (
    "cookie", "consent", "(?<![a-z])cmp(?![a-z])", "(?<![a-z])pay(?:-|_|ment)", "payment", "(?<![a-z])share",
    "sharing", "(?<![a-z])clients?(?![a-z])", "customers", "logos(?![a-z])", "logo(?!s)", "app-?store",
    "(?<![a-z])apps(?![a-z])", "(?<![a-z])nav(?![a-z])", "navbar", "x", "(?<![a-z])brand(?!s)",
)  # fmt: skip


def test_same_matches_as_the_plain_alternation() -> None:
    plain, fast = re.compile("|".join(WORDS)), re.compile(fast_alternation(WORDS))
    pieces = [*re.findall(r"[a-z]+", " ".join(WORDS)), "", "-", "_", " ", "s", "1"]
    rnd = random.Random(7)
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        assert [(m.span(), m.group()) for m in plain.finditer(text)] == [
            (m.span(), m.group()) for m in fast.finditer(text)
        ], text


@pytest.mark.parametrize("word", ["(?:a|b)c", "a?b", "\\dx", "s*"])
def test_words_must_start_with_a_plain_letter(word: str) -> None:
    with pytest.raises(ValueError):
        fast_alternation(("ab", word))


def test_x_trap_pattern_matches_as_written_plainly() -> None:
    """candidates._X_RE carries its look-behinds after the "x" (for speed): same matches as plainly."""
    from enricher.branding.candidates import _X_RE

    plain = re.compile(r"(?<![a-z0-9])x[-_ ]?(?:logo|icon|twitter|social)(?![a-z0-9])|(?<![a-z0-9.])x\.com")
    pieces = ["x", "logo", "icon", "twitter", "social", "com", ".", "-", "_", " ", "a", "1", "/", "s"]
    rnd = random.Random(11)
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        assert [(m.span(), m.group()) for m in plain.finditer(text)] == [
            (m.span(), m.group()) for m in _X_RE.finditer(text)
        ], text
