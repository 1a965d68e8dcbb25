"""Client matching with contact evidence, and clients linked to counterparties (pure, no I/O)."""

from __future__ import annotations

import copy
from typing import Any

from enricher.flowtly import Client, ClientContact, Counterparty
from enricher.flowtly.testing import SMALL_CLIENTS, SMALL_REGISTER
from enricher.matching import contact_keys, is_free_mail, link_clients, match_clients


def split(clients: list[dict[str, Any]]) -> tuple[list[Client], list[ClientContact]]:
    out, contacts = [], []
    for raw in copy.deepcopy(clients):
        for contact in raw.pop("clientContacts", []):
            contacts.append(ClientContact.model_validate({**contact, "client": f"/clients/{raw['id']}"}))
        out.append(Client.model_validate(raw))
    return out, contacts


def test_contact_keys_skip_free_mail_and_single_names() -> None:
    keys = contact_keys(
        [
            {"email": "Anna.Nowak@Northwind.PL", "name": "Anna Nowak", "phone": "61 555 01 01"},
            {"email": "boss@gmail.com", "name": "Boss"},
            {"email": "x@sub.wp.pl"},
            {"email": "no-at-sign"},
        ],
        region="PL",
    )
    assert keys.domains == {"northwind.pl"}
    assert keys.phones == {"+48615550101"}
    assert keys.people == {"anna nowak"}  # "Boss" alone names nobody in particular
    assert is_free_mail("gmail.com") and is_free_mail("wp.pl") and not is_free_mail("northwind.pl")


def test_clients_sharing_a_company_domain_and_a_person_are_a_pair_explained_by_contacts() -> None:
    clients, contacts = split(SMALL_CLIENTS)
    result = match_clients(clients, contacts)
    pairs = {(c.a, c.b): c for c in result.candidates}
    assert (1, 2) in pairs
    pair = pairs[(1, 2)]
    texts = [e.explanation for e in pair.evidence]
    assert any("share the company domain northwind.pl" in t for t in texts)
    assert "Both list the contact person Anna Nowak." in texts
    # The person raised the engine's score: the same run without that evidence scores lower.
    without = match_clients(clients, [c for c in contacts if c.name != "Anna Nowak" or c.client == 1])
    lower = {(c.a, c.b): c.score for c in without.candidates}.get((1, 2), 0.0)
    assert pair.score > lower
    # Two clients whose contacts only share gmail.com are not proposed.
    assert not any({c.a, c.b} == {3, 4} for c in result.candidates)
    assert result.stats["contacts"] == 5


def test_without_contacts_the_typo_pair_is_not_proposed() -> None:
    clients, _ = split(SMALL_CLIENTS)
    result = match_clients(clients, [])
    assert not any({c.a, c.b} == {1, 2} for c in result.candidates)


def test_links_need_the_same_valid_tax_id_or_a_strong_match() -> None:
    clients, _ = split(SMALL_CLIENTS)
    parties = [Counterparty.model_validate(r) for r in SMALL_REGISTER]
    links = link_clients(clients, parties)
    assert {(link.client, link.counterparty) for link in links} == {(5, 1), (5, 2)}
    assert all(link.reason.startswith("the same valid tax id") for link in links)
    assert link_clients([], parties) == []
