"""The small text perturbations behind planted duplicates."""

from __future__ import annotations

import random

from enricher.sample._perturb import change_case, slug, strip_diacritics, swap_words, typo


def test_typo_changes_one_letter_and_keeps_the_first() -> None:
    rng = random.Random(1)
    kinds = set()
    for _ in range(300):
        text, kind = typo("Kowalski Transport", rng)
        kinds.add(kind)
        assert text[0] == "K"
        assert abs(len(text) - len("Kowalski Transport")) <= 1
        assert text != "Kowalski Transport"
    assert kinds == {"insert", "delete", "transpose", "substitute"}


def test_typo_leaves_text_without_letters_alone() -> None:
    assert typo("123 - 45", random.Random(0)) == ("123 - 45", "none")


def test_swap_words_keeps_connectors_in_place() -> None:
    rng = random.Random(2)
    for _ in range(50):
        assert swap_words("Huber & Schröder", rng) == "Huber & Schröder"
        assert swap_words("Kowalski Trans", rng) == "Trans Kowalski"
        swapped = swap_words("Nowak i Wspólnicy Serwis", rng)
        assert swapped in ("Nowak i Serwis Wspólnicy", "Nowak i Wspólnicy Serwis")


def test_strip_diacritics_and_case() -> None:
    assert strip_diacritics("Łódź Gebäudetechnik Straße") == "Lodz Gebaudetechnik Strasse"
    rng = random.Random(3)
    cases = {change_case("Okna Łódź", rng) for _ in range(50)}
    assert cases == {"OKNA ŁÓDŹ", "okna łódź", "Okna Łódź"}


def test_slug_makes_domain_labels() -> None:
    assert slug("Wiśniewski Trans") == "wisniewskitrans"
    assert slug("Smith & Sons", "-") == "smith-and-sons"
    assert slug("D'Angelo Costruzioni", "-") == "dangelo-costruzioni"
    assert slug("Van der Berg Bouw  ", "-") == "van-der-berg-bouw"
