"""Phone numbers that the ``phonenumbers`` library accepts, and the ways people write them.

A template fixes a number's leading digits (area code or mobile operator prefix) and its length;
the remaining digits come from a per-template counter pushed through a bijection, so numbers do not
repeat between companies. Prefixes were chosen from the national numbering plans as
``phonenumbers`` encodes them; the tests check every template with random subscriber digits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

__all__ = ["PHONE_STYLES", "PhonePlan", "PhoneTemplate", "format_phone"]


@dataclass(frozen=True, slots=True)
class PhonePlan:
    """A country's dialling conventions: country calling code, trunk prefix, area separator."""

    country: str
    calling_code: str
    trunk: str  # "0" where national numbers start with a trunk prefix ("030 ..."), else ""
    area_sep: str = " "  # "-" in Sweden: "08-123 456 78"


@dataclass(frozen=True, slots=True)
class PhoneTemplate:
    """Leading digits of a national significant number, its grouping, and allowed next digits."""

    plan: PhonePlan
    prefix: str
    groups: tuple[int, ...]  # how the national significant number is written, e.g. (2, 3, 2, 2)
    first: str = "23456789"  # digits allowed right after the prefix (avoids special sub-ranges)

    @property
    def length(self) -> int:
        return sum(self.groups)

    @property
    def free_digits(self) -> int:
        """Digits after the prefix and the constrained first digit."""
        return self.length - len(self.prefix) - 1


PHONE_STYLES = ("international", "national", "e164", "national_compact", "idd", "dashed", "parenthesised")
"""Written forms of one number; the first two are the usual ones in a clean register."""


_SLICES: dict[tuple[int, ...], tuple[slice, ...]] = {}


def _split(nsn: str, groups: tuple[int, ...]) -> list[str]:
    slices = _SLICES.get(groups)
    if slices is None:
        bounds = [0, *itertools.accumulate(groups)]
        slices = _SLICES[groups] = tuple(slice(a, b) for a, b in itertools.pairwise(bounds))
    return [nsn[s] for s in slices]


def format_phone(template: PhoneTemplate, nsn: str, style: str) -> str:
    """Write the national significant number ``nsn`` in one of :data:`PHONE_STYLES`."""
    plan = template.plan
    parts = _split(nsn, template.groups)
    if style == "international":
        return f"+{plan.calling_code} " + " ".join(parts)
    if style == "e164":
        return f"+{plan.calling_code}{nsn}"
    if style == "idd":
        return f"00{plan.calling_code} " + " ".join(parts)
    if style == "national_compact":
        return plan.trunk + nsn
    if style == "dashed":
        return plan.trunk + "-".join(parts)
    if style == "parenthesised":
        return f"({plan.trunk}{parts[0]}) " + " ".join(parts[1:])
    # national
    return plan.trunk + parts[0] + plan.area_sep + " ".join(parts[1:])
