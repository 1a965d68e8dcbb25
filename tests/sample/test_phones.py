"""Every phone template yields numbers ``phonenumbers`` accepts, in every written style."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from enricher.sample._locales import LOCALES
from enricher.sample._phones import PHONE_STYLES, format_phone


@pytest.mark.parametrize("locale", LOCALES, ids=lambda loc: loc.country)
def test_templates_give_valid_numbers_in_every_style(locale) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(locale.country)
    templates = [city.landline for city in locale.cities] + list(locale.mobiles)
    for template in templates:
        for _ in range(40):
            nsn = (
                template.prefix
                + rng.choice(template.first)
                + "".join(rng.choice("0123456789") for _ in range(template.free_digits))
            )
            for style in PHONE_STYLES:
                text = format_phone(template, nsn, style)
                parsed = phonenumbers.parse(text, locale.country)
                assert phonenumbers.is_valid_number(parsed), (locale.country, style, text)
                assert phonenumbers.region_code_for_number(parsed) == locale.country, text
