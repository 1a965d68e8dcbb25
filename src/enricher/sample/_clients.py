"""Seeded sample clients with their contacts: duplicates that contacts give away, and companies that
are also counterparties.

Clients come from the same generator as counterparties (other seed), so they carry the same realistic
names, tax ids and addresses and the same planted duplicates. Each client gets one or two contacts:
a person at the company's own e-mail domain (or, for small firms, at a free-mail provider), with a
phone. A duplicate client keeps the company's mailbox domain and, usually, the same contact person,
which is the evidence contact matching finds (a duplicate is typed in with less: half lack the tax id,
half the phone, some the street). A share ``overlap`` of clients are copies of given
counterparties (the same company on both sides, as finance teams have), for client<->counterparty links.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from typing import Any

from anyascii import anyascii

from enricher.sample._generator import generate

__all__ = ["CLIENT_FIELDS", "generate_clients"]

CLIENT_FIELDS = (
    "name",
    "tin",
    "tinType",
    "tinCountry",
    "vatNumber",
    "country",
    "addressStreetLine",
    "addressBuildingNumber",
    "addressLocaleNumber",
    "addressPostCode",
    "addressCity",
    "addressCountry",
    "addressPhoneNumber",
)
"""The documented client fields a generated client copies from a generated company."""

_CURRENCY = {
    "PL": "PLN",
    "GB": "GBP",
    "CZ": "CZK",
    "SE": "SEK",
    "DK": "DKK",
    "HU": "HUF",
    "CH": "CHF",
    "NO": "NOK",
}
_FIRST = ("Anna", "Jan", "Maria", "Piotr", "Eva", "Lukas", "Sofia", "Tomas", "Emma", "Marco", "Julia", "Karl")
_LAST = ("Nowak", "Müller", "Rossi", "Dubois", "Svoboda", "Jansen", "Kowalska", "García", "Berg", "Novák")
_FREE_MAIL = ("gmail.com", "outlook.com", "wp.pl", "web.de", "yahoo.com", "seznam.cz")
_ROLES = (("billing", "Accounts payable"), ("main", "CFO"), ("billing", "Bookkeeper"), ("main", "Owner"))


_DROPPED = (
    (("tin", "tinType", "vatNumber"), 0.5),
    (("addressPhoneNumber",), 0.5),
    (("addressStreetLine", "addressBuildingNumber", "addressPostCode"), 0.4),
)
"""Fields a duplicate client lacks, and how often."""


def _mailbox(person: str) -> str:
    return re.sub(r"[^a-z.]", "", anyascii(person).lower().replace(" ", "."))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _contact(rng: random.Random, person: str, domain: str | None, phone: str | None) -> dict[str, Any]:
    kind, position = rng.choice(_ROLES)
    mail_domain = domain or rng.choice(_FREE_MAIL)
    contact: dict[str, Any] = {
        "type": kind,
        "name": person,
        "email": f"{_mailbox(person)}@{mail_domain}",
        "position": position,
    }
    if phone:
        contact["phone"] = phone
    return contact


def _domain(record: dict[str, Any]) -> str | None:
    email = record.get("email")
    if isinstance(email, str) and "@" in email:
        return email.rsplit("@", 1)[1]
    return None


def generate_clients(
    count: int,
    *,
    seed: int = 7,
    duplicate_rate: float = 0.25,
    counterparties: Sequence[dict[str, Any]] = (),
    overlap: float = 0.1,
) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield ``count`` client dicts (ids 1..count, contacts embedded under ``clientContacts``) with
    entity keys; a client copied from counterparty N has the key ``counterparty:N``."""
    rng = random.Random(seed * 7919 + 1)
    people: dict[str, tuple[str, str | None]] = {}
    for number, (record, entity) in enumerate(
        generate(count, seed=seed + 1000, duplicate_rate=duplicate_rate), start=1
    ):
        if counterparties and rng.random() < overlap:
            source = rng.choice(counterparties)
            record, entity = dict(source), f"counterparty:{source['id']}"
        client: dict[str, Any] = {"id": number, **{k: record.get(k) for k in CLIENT_FIELDS}}
        country = record.get("country") or record.get("addressCountry")
        client["currency"] = _CURRENCY.get(str(country), "EUR")
        client["status"] = "active" if rng.random() < 0.9 else "inactive"
        domain = _domain(record)
        known = people.get(entity)
        if known is None:
            person = _person(rng)
            people[entity] = (person, domain)
        else:  # a duplicate: the same company's mailbox domain, usually the same person
            person, domain = known[0] if rng.random() < 0.7 else _person(rng), known[1] or domain
        phone = record.get("addressPhoneNumber") if rng.random() < 0.6 else None
        contacts = [_contact(rng, person, domain, phone)]
        if rng.random() < 0.3:
            contacts.append(_contact(rng, _person(rng), domain, None))
        client["clientContacts"] = contacts
        if known is not None:  # a duplicate is typed in with less: often no tax id, phone or street
            for group, share in _DROPPED:
                if rng.random() < share:
                    client.update(dict.fromkeys(group))
        yield client, entity
