"""How a duplicate differs from its original: name, tax ids, contact and address variations, each recorded
in ``changed`` (the sample's truth says what every duplicate changed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from enricher.sample._parts import Entity, punctuation
from enricher.sample._perturb import change_case, strip_diacritics, swap_words, typo
from enricher.sample._phones import PHONE_STYLES, format_phone

if TYPE_CHECKING:
    from enricher.sample._generator import _Generator

__all__ = ["vary_address", "vary_contact", "vary_name", "vary_tax", "website_variant"]


def vary_name(gen: _Generator, entity: Entity, record: dict[str, Any], changed: list[str]) -> None:
    rng = gen.rng
    if rng.random() < 0.15:
        return  # same name as typed before: exact-name duplicates are common
    options = ["typo", "typo", "case"]
    if entity.legal_form is not None:
        options += ["legal_form", "legal_form", "legal_form"]
    if " " in entity.core:
        options.append("word_order")
    if not entity.core.isascii() or (entity.legal_form is not None and not entity.name().isascii()):
        options += ["diacritics", "diacritics"]
    if '"' in entity.core or "-" in entity.core or " & " in entity.core:
        options.append("punctuation")
    abbreviations = [
        (found, other)
        for short, longs in entity.country.locale.name_abbreviations
        for found, other in ((short, longs), *((long, (short,)) for long in longs))
        if f" {found} " in f" {entity.core} "  # whole words: "P.H.U." is not inside "P.P.H.U."
    ]
    if abbreviations:
        options += ["abbreviation", "abbreviation"]
    picked: list[str] = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        choice = gen.pick(options)
        if choice not in picked:
            picked.append(choice)
    core = entity.core
    done: list[str] = []  # only what actually changed the name is reported
    lf_text: str | None = None
    if "legal_form" in picked and entity.legal_form is not None:
        variants = entity.legal_form.variants
        lf_text = "" if rng.random() < 0.25 or not variants else gen.pick(variants)
        done.append("legal_form")
    if "word_order" in picked:
        swapped = swap_words(core, rng)
        if swapped != core:
            core = swapped
            done.append("word_order")
    if "abbreviation" in picked and abbreviations:
        found, others = abbreviations[int(rng.random() * len(abbreviations))]
        core = f" {core} ".replace(f" {found} ", f" {others[int(rng.random() * len(others))]} ", 1)[1:-1]
        done.append("abbreviation")
    if "punctuation" in picked:
        punctuated = punctuation(core, entity.country.locale.and_word, rng)
        if punctuated != core:
            core = punctuated
            done.append("punctuation")
    if "typo" in picked:
        core, kind = typo(core, rng)
        if kind != "none":
            done.append("typo")
    name = entity.name(lf_text)
    if core != entity.core:
        name = name.replace(entity.core, core, 1)
    if "diacritics" in picked:
        stripped = strip_diacritics(name)
        if stripped != name:
            name = stripped
            done.append("diacritics")
    if "case" in picked:
        cased = change_case(name, rng)
        if cased != name:
            name = cased
            done.append("case")
    if name != record["name"]:
        record["name"] = name
        changed.extend(done)


def vary_tax(gen: _Generator, entity: Entity, record: dict[str, Any], changed: list[str]) -> None:
    rng = gen.rng
    if entity.tax is None:
        return
    scheme = entity.scheme
    roll = rng.random()
    if roll < 0.08:
        record["tin"] = record["tinType"] = record["tinCountry"] = None
        changed.append("tin_missing")
    elif roll < 0.5:
        forms = scheme.tin_forms(entity.tax)
        record["tin"] = forms[1 + int(rng.random() * (len(forms) - 1))]
        if rng.random() < 0.3:
            record["tinType"] = None
        changed.append("tin_format")
    roll = rng.random()
    if record["vatNumber"] is not None and roll < 0.15:
        record["vatNumber"] = None
        changed.append("vat_missing")
    elif roll < 0.35:
        forms = scheme.vat_forms(entity.tax)
        record["vatNumber"] = gen.pick(forms)
        changed.append("vat_format")


def vary_contact(gen: _Generator, entity: Entity, record: dict[str, Any], changed: list[str]) -> None:
    rng = gen.rng
    if entity.website is not None:
        roll = rng.random()
        if roll < 0.12:
            record["corporateWebsiteUrl"] = None
            changed.append("website_missing")
        elif roll < 0.55:
            record["corporateWebsiteUrl"] = website_variant(gen, entity)
            changed.append("website_variant")
    if entity.phone is not None:
        roll = rng.random()
        if roll < 0.12:
            record["addressPhoneNumber"] = None
            changed.append("phone_missing")
        elif roll < 0.16:  # a new number since the first record was keyed in
            template, nsn = gen._phone(gen.pick(entity.country.locale.mobiles))
            record["addressPhoneNumber"] = format_phone(template, nsn, gen.pick(PHONE_STYLES))
            changed.append("phone_changed")
        elif roll < 0.55:
            styles = PHONE_STYLES
            style = gen.pick(styles)
            while style == entity.phone_style:
                style = gen.pick(styles)
            record["addressPhoneNumber"] = format_phone(entity.phone[0], entity.phone[1], style)
            changed.append("phone_format")
    if entity.email is not None:
        roll = rng.random()
        if roll < 0.1:
            record["email"] = None
            changed.append("email_missing")
        elif roll < 0.25 and entity.domain is not None:
            mailboxes = entity.country.locale.mailboxes
            record["email"] = f"{gen.pick(mailboxes)}@{entity.domain}"
            if record["email"] != entity.email:
                changed.append("email_variant")


def website_variant(gen: _Generator, entity: Entity) -> str:
    url = entity.website
    assert url is not None
    bare = url.split("://", 1)[-1]
    host, _, path = bare.partition("/")
    host = host.removeprefix("www.")
    www = (
        ""
        if host.count(".") > 1 and not host.endswith((".co.uk", ".com.pl", ".co.at", ".net.pl"))
        else "www."
    )
    paths = entity.site_paths
    forms = (
        host + (f"/{path}" if path else ""),
        f"{www}{host}" + (f"/{path}" if path else ""),
        f"https://{www}{host}/" + (path or gen.pick(paths)),
        f"http://{host}/" + path,
        f"https://{host}" + (f"/{path}/" if path else "/"),
        f"HTTPS://{www.upper()}{host.upper()}" + (f"/{path}" if path else ""),
    )
    choice = gen.pick(forms)
    return choice if choice != url else forms[0]


def vary_address(gen: _Generator, entity: Entity, record: dict[str, Any], changed: list[str]) -> None:
    rng = gen.rng
    country = entity.country
    street = entity.street
    if street is not None and rng.random() < 0.05:
        record["addressStreetLine"] = record["addressBuildingNumber"] = record["addressLocaleNumber"] = None
        record["addressPostCode"] = None
        changed.append("address_missing")
        return
    if rng.random() < 0.04:  # the company moved within its city; the register has both addresses
        moved_street, building, locale_number, postcode = gen._address(country, entity.city)
        if moved_street is not None and (moved_street, building) != (street, entity.building):
            record["addressStreetLine"] = moved_street
            record["addressBuildingNumber"] = building
            record["addressLocaleNumber"] = locale_number
            record["addressPostCode"] = postcode
            changed.append("address_moved")
            return
    if street is not None and rng.random() < 0.3:
        options = [(a, b) for a, b in country.abbreviations if a in street]
        if options:
            long, short = gen.pick(options)
            record["addressStreetLine"] = street.replace(long, short, 1)
            changed.append("street_abbreviation")
    if street is not None and entity.building is not None and rng.random() < 0.1:
        number = entity.building + (f"/{entity.locale_number}" if entity.locale_number else "")
        line = record["addressStreetLine"]
        record["addressStreetLine"] = (
            f"{number} {line}" if country.code in ("GB", "FR") else f"{line} {number}"
        )
        record["addressBuildingNumber"] = record["addressLocaleNumber"] = None
        changed.append("address_merged")
    if entity.postcode is not None and rng.random() < 0.15:
        postcode = entity.postcode
        prefix = country.locale.postcode_prefix
        if (" " in postcode or "-" in postcode) and rng.random() < 0.6:
            new = postcode.replace(" ", "").replace("-", "")
        elif prefix:
            new = f"{prefix}-{postcode}"
        else:
            new = postcode.lower()
        if new != postcode:
            record["addressPostCode"] = new
            changed.append("postcode_format")
    if rng.random() < 0.08:
        city = entity.city.name
        new_city = city.upper() if city.isascii() or rng.random() < 0.5 else strip_diacritics(city)
        if new_city != city:
            record["addressCity"] = new_city
            changed.append("city_case")
