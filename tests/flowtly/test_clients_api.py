"""Clients, client contacts, client notes, Flowtly's AI branding and the legacy endpoints: the client
against the sandbox over real loopback HTTP (paging, search, 422s), endpoint by endpoint."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from enricher.errors import NotFoundError, ValidationError
from enricher.flowtly import Sandbox
from enricher.flowtly.contract import BULK_ENRICH_MAX
from enricher.flowtly.sandbox.simulate import AI_LOGO_HOST
from enricher.flowtly.testing import SMALL_CLIENTS, SMALL_REGISTER, fast_backoff, make_records

pytestmark = pytest.mark.integration

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture
def box(sandbox_factory: SandboxFactory) -> Sandbox:
    return sandbox_factory(copy.deepcopy(SMALL_REGISTER), clients=copy.deepcopy(SMALL_CLIENTS))


def many_clients(count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"Client {i:03d}", "tin": f"{i:010d}"} for i in range(1, count + 1)]


def test_clients_page_through_hydra_and_list_their_contacts(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory([], clients=many_clients(65))
    with sandbox.client(page_size=30, backoff=fast_backoff()) as client:
        got = list(client.iter_clients())
        assert [c.id for c in got] == list(range(1, 66))
        assert sandbox.store.requests["GET /clients"] == 3  # 30 + 30 + 5
    box = sandbox_factory([], clients=copy.deepcopy(SMALL_CLIENTS))
    with box.client() as client:
        first = client.get_client(1)
        assert first.name == "Northwind Traders Sp. z o.o." and first.currency == "PLN"
        assert first.clientContacts == ["/client-contacts/1"]
        contacts = list(client.iter_client_contacts())
        assert [(c.id, c.client, c.email) for c in contacts][:2] == [
            (1, 1, "invoices@northwind.pl"),
            (2, 2, "a.nowak@northwind.pl"),
        ]
        only_two = list(client.iter_client_contacts(client=client.client_iri(2)))
        assert [c.name for c in only_two] == ["Anna Nowak"] and only_two[0].position == "CFO"


def test_client_create_patch_search_documents_and_404(box: Sandbox) -> None:
    with box.client() as client:
        created = client.create_client({"name": "Zephyr Analytics GmbH", "vatNumber": "DE811569869"})
        assert created.id == 6
        patched = client.patch_client(6, {"addressCity": "Berlin"})
        assert patched.addressCity == "Berlin" and patched.name == "Zephyr Analytics GmbH"
        assert [c.id for c in client.search_clients("northwind")] == [1]
        assert [c.id for c in client.search_clients("DE8115")] == [6]
        assert list(client.search_clients("no such company")) == []
        assert list(client.iter_client_documents(1)) == []
        with pytest.raises(NotFoundError):
            client.get_client(99)
        with pytest.raises(NotFoundError):
            list(client.iter_client_documents(99))
        with pytest.raises(ValidationError) as bad:
            client.patch_client(1, {"name": 12})
        assert bad.value.violations[0].property_path == "name"
    with httpx.Client(base_url=box.url, headers={"Authorization": f"Bearer {box.token}"}) as http:
        assert http.get("/clients/search").status_code == 400  # the query is required
        page = http.get("/clients/search", params={"query": "a", "itemsPerPage": 2}).json()
        assert page["hydra:totalItems"] == 6 and len(page["hydra:member"]) == 2
        assert page["hydra:view"]["hydra:next"] == "/clients/search?query=a&itemsPerPage=2&page=2"


def test_contacts_and_notes_refuse_bad_bodies_with_422(box: Sandbox) -> None:
    with box.client() as client:
        contact = client.create_client_contact({"client": 3, "email": "tom@blueharbor.co.uk", "name": "Tom"})
        assert contact.client == 3
        assert client.get_client(3).clientContacts == ["/client-contacts/3", f"/client-contacts/{contact.id}"]
        cases: list[tuple[dict[str, Any], str]] = [
            ({"email": "x@y.pl"}, "client"),  # no client
            ({"client": "/clients/99", "email": "x@y.pl"}, "client"),  # unknown client
            ({"client": "/counterparties/1", "email": "x@y.pl"}, "client"),  # not a client IRI
            ({"client": 1, "email": "not an email"}, "email"),
            ({"client": 1}, "name"),  # nobody to reach
        ]
        for body, path in cases:
            with pytest.raises(ValidationError) as bad:
                client.create_client_contact(body)
            assert path in [v.property_path for v in bad.value.violations], body
        note = client.create_client_note(1, "/employees/7", "Looks like client 2.")
        assert (note.client, note.employee, note.note) == (1, "/employees/7", "Looks like client 2.")
        assert [n.note for n in client.iter_client_notes(client=client.client_iri(1))] == [
            "Looks like client 2."
        ]
        for args, path in [
            ((99, "/employees/7", "x"), "client"),
            ((1, "", "x"), "employee"),
            ((1, "employee seven", "x"), "employee"),
            ((1, "/employees/7", "   "), "note"),
        ]:
            with pytest.raises(ValidationError) as bad:
                client.create_client_note(*args)
            assert [v.property_path for v in bad.value.violations] == [path]
    assert len(box.store.notes) == 1  # nothing refused was stored


def test_ai_branding_per_record_and_bulk(box: Sandbox) -> None:
    with box.client() as client:
        branded = client.enrich_branding_ai(1)  # website acme.example, no logo, no display name
        assert branded.logoUrl == f"https://{AI_LOGO_HOST}/acme.example.png"
        assert branded.displayName == "Acme"
        again = client.enrich_branding_ai(1)  # only empty fields are filled: the same record
        assert again.api_dict() == branded.api_dict()
        assert client.enrich_branding_ai(4).logoUrl is None  # no website: the AI finds nothing
        client.enrich_branding_ai_bulk([3, 5])
        assert client.get_counterparty(3).displayName == "Globex"
        assert client.get_counterparty(5).logoUrl is None
        with pytest.raises(NotFoundError):
            client.enrich_branding_ai(99)
        with pytest.raises(ValidationError) as bad:
            client.enrich_branding_ai_bulk([3, 99])
        assert [v.property_path for v in bad.value.violations] == ["counterparties[1]"]
        client.enrich_branding_ai_bulk([])  # nothing to ask: no request
    assert box.store.ai_enriched == {1: 2, 4: 1, 3: 1, 5: 1}
    assert box.store.requests["POST /counterparties/enrich-branding-ai"] == 2
    with httpx.Client(base_url=box.url, headers={"Authorization": f"Bearer {box.token}"}) as http:
        empty = http.post("/counterparties/enrich-branding-ai", json={"counterparties": []})
        assert empty.status_code == 422


def test_bulk_ai_branding_is_split_into_requests_the_api_takes(sandbox_factory: SandboxFactory) -> None:
    records = make_records(BULK_ENRICH_MAX + 20)
    for r in records:
        r["corporateWebsiteUrl"] = f"https://company{r['id']}.example"
    sandbox = sandbox_factory(records)
    with sandbox.client() as client:
        client.enrich_branding_ai_bulk([r["id"] for r in records])
    assert sandbox.store.requests["POST /counterparties/enrich-branding-ai"] == 2
    assert len(sandbox.store.ai_enriched) == BULK_ENRICH_MAX + 20
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.token}"}) as http:
        too_many = {"counterparties": [f"/counterparties/{i}" for i in range(1, BULK_ENRICH_MAX + 2)]}
        answer = http.post("/counterparties/enrich-branding-ai", json=too_many)
        assert (
            answer.status_code == 422 and answer.json()["violations"][0]["propertyPath"] == "counterparties"
        )


def test_legacy_endpoints_are_used_only_where_configured(box: Sandbox) -> None:
    with box.client(legacy_writes=True) as legacy:
        created = legacy.create_counterparty({"name": "Legacy Co", "type": "company"})
        patched = legacy.patch_counterparty(created.id, {"displayName": "Legacy"})
        assert patched.displayName == "Legacy" and patched.name == "Legacy Co"
        with pytest.raises(ValidationError):
            legacy.patch_counterparty(created.id, {"logoUrl": "not a url"})
        with pytest.raises(NotFoundError):
            legacy.patch_counterparty(99, {"displayName": "x"})
    with box.client() as modern:
        modern.patch_counterparty(1, {"displayName": "Acme"})
    requests = box.store.requests
    assert requests["POST /counterparty"] == 1 and requests["PATCH /counterparty/{id}"] == 3
    assert requests["PATCH /counterparties/{id}"] == 1 and requests["POST /counterparties"] == 0


def test_embedded_contacts_are_written_back_embedded(tmp_path: Path, sandbox_factory: SandboxFactory) -> None:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(SMALL_CLIENTS), encoding="utf-8")
    sandbox = sandbox_factory([], clients=path, write_back=True)
    with sandbox.client() as client:
        client.create_client_contact({"client": 5, "name": "Jan Nowak"})
    sandbox.app.write_back_now()
    back = {c["id"]: c for c in json.loads(path.read_text(encoding="utf-8"))}
    assert [c.get("name") for c in back[5]["clientContacts"]] == [None, "Jan Nowak"]
    assert back[1]["clientContacts"][0]["email"] == "invoices@northwind.pl"


def test_ai_branding_and_notes_under_rate_limits(box: Sandbox) -> None:
    """The AI calls are retried through 429s (running twice fills nothing new); a note is retried on a
    429 too (the server surely did nothing), so each lands exactly once."""
    with box.client(backoff=fast_backoff(retries=3)) as client:
        box.faults.update({"burst_429": 2, "retry_after": 0})
        client.enrich_branding_ai_bulk([1, 3])
        assert client.get_counterparty(1).displayName == "Acme"
        box.faults.update({"burst_429": 1})
        client.create_client_note(1, "/employees/7", "once")
    assert box.store.faults_injected["429"] == 3
    assert box.store.ai_enriched == {1: 1, 3: 1}
    assert [n["note"] for n in box.store.notes] == ["once"]
