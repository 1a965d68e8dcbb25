"""The sandbox's HTTP behaviour, endpoint by endpoint, over real loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from enricher.flowtly import Sandbox
from enricher.flowtly.testing import SMALL_REGISTER, make_records

pytestmark = pytest.mark.integration

SandboxFactory = Callable[..., Sandbox]
LD = "application/ld+json"
MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture
def small(sandbox_factory: SandboxFactory) -> Sandbox:
    return sandbox_factory(SMALL_REGISTER)


@pytest.fixture
def http(small: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=small.url, headers={"Authorization": f"Bearer {small.token}", "Accept": LD}, timeout=10
    ) as client:
        yield client


def authed(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=10
    )


# ---------------------------------------------------------------- collections


def test_collection_page_hydra_prefixed(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(65))
    with authed(sandbox) as http:
        body = http.get("/counterparties", params={"page": 2}).json()
    assert body["@type"] == "hydra:Collection"
    assert body["@id"] == "/counterparties"
    assert body["hydra:totalItems"] == 65
    assert [m["id"] for m in body["hydra:member"]] == list(range(31, 61))  # default page size 30
    assert body["hydra:member"][0]["@id"] == "/counterparties/31"
    assert body["hydra:member"][0]["@type"] == "Counterparty"
    view = body["hydra:view"]
    assert view["@id"] == "/counterparties?page=2"
    assert view["hydra:first"] == "/counterparties?page=1"
    assert view["hydra:last"] == "/counterparties?page=3"
    assert view["hydra:previous"] == "/counterparties?page=1"
    assert view["hydra:next"] == "/counterparties?page=3"
    assert "member" not in body


def test_collection_page_api_platform_4_keys(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(12), hydra_prefix=False)
    with authed(sandbox) as http:
        body = http.get("/counterparties", params={"itemsPerPage": 5, "page": 3}).json()
    assert body["@type"] == "Collection"
    assert body["totalItems"] == 12
    assert [m["id"] for m in body["member"]] == [11, 12]
    assert body["view"]["previous"] == "/counterparties?itemsPerPage=5&page=2"
    assert "next" not in body["view"]  # the last page
    assert not any(key.startswith("hydra:") for key in body)


def test_page_past_the_end_is_empty(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(3))
    with authed(sandbox) as http:
        body = http.get("/counterparties", params={"page": 9}).json()
    assert body["hydra:member"] == []
    assert "hydra:next" not in body["hydra:view"]


@pytest.mark.parametrize("params", [{"page": "x"}, {"page": 0}, {"itemsPerPage": "many"}])
def test_bad_paging_parameters_are_400(http: httpx.Client, params: dict[str, Any]) -> None:
    response = http.get("/counterparties", params=params)
    assert response.status_code == 400
    assert "must be" in response.json()["detail"]


def test_items_per_page_is_capped(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(1500))
    with authed(sandbox) as http:
        body = http.get("/counterparties", params={"itemsPerPage": 5000}).json()
    assert len(body["hydra:member"]) == 1000


def test_filters_match_exact_values(http: httpx.Client) -> None:
    body = http.get("/counterparties", params={"tinCountry": "PL", "itemsPerPage": 1}).json()
    assert body["hydra:totalItems"] == 2
    assert [m["id"] for m in body["hydra:member"]] == [1]
    assert body["hydra:view"]["hydra:next"] == "/counterparties?tinCountry=PL&itemsPerPage=1&page=2"


def test_exists_filter(http: httpx.Client) -> None:
    without = http.get("/counterparties", params={"exists[corporateWebsiteUrl]": "false"}).json()
    with_site = http.get("/counterparties", params={"exists[corporateWebsiteUrl]": "true"}).json()
    assert [m["id"] for m in without["hydra:member"]] == [2, 4, 5]
    assert [m["id"] for m in with_site["hydra:member"]] == [1, 3]


def test_paging_is_by_slicing_and_survives_deletes(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(100_000))
    with authed(sandbox) as http:
        started = time.perf_counter()
        last = http.get("/counterparties", params={"page": 1000, "itemsPerPage": 100}).json()
        elapsed = time.perf_counter() - started
        assert [m["id"] for m in last["hydra:member"]][-1] == 100_000
        assert elapsed < 1.0  # a deep page costs what the first does: no scan
        assert http.delete("/counterparties/2").status_code == 204
        first = http.get("/counterparties", params={"itemsPerPage": 3}).json()
    assert [m["id"] for m in first["hydra:member"]] == [1, 3, 4]
    assert first["hydra:totalItems"] == 99_999


def test_clients_collection(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, clients=[{"id": 7, "name": "Client Seven", "tin": "123"}])
    with authed(sandbox) as http:
        body = http.get("/clients").json()
        item = http.get("/clients/7").json()
    assert body["hydra:totalItems"] == 1
    assert item["@id"] == "/clients/7" and item["@type"] == "Client" and item["name"] == "Client Seven"


# ---------------------------------------------------------------- items


def test_item_is_json_ld(http: httpx.Client) -> None:
    response = http.get("/counterparties/3")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(LD)
    body = response.json()
    assert body["@context"] == "/contexts/Counterparty"
    assert body["@id"] == "/counterparties/3"
    assert body["@type"] == "Counterparty"
    assert body["id"] == 3 and body["name"] == "Globex GmbH" and body["logoUrl"] is None


def test_unknown_item_is_404(http: httpx.Client) -> None:
    response = http.get("/counterparties/999")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_post_creates_with_the_next_id(small: Sandbox, http: httpx.Client) -> None:
    response = http.post("/counterparties", json={"name": "Hooli", "id": 1, "@id": "/counterparties/1"})
    assert response.status_code == 201
    assert response.json()["@id"] == "/counterparties/6"
    assert small.store.counterparties.get(6) == {"name": "Hooli", "id": 6}
    assert small.store.counterparties.get(1)["name"] == "Acme Sp. z o.o."  # type: ignore[index]


def test_post_needs_json(http: httpx.Client) -> None:
    assert (
        http.post("/counterparties", content=b"name=x", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
    response = http.post("/counterparties", content=b"{not json", headers={"Content-Type": LD})
    assert response.status_code == 400
    assert http.post("/counterparties", json=["a", "list"]).status_code == 400


def test_patch_is_merge_patch(small: Sandbox, http: httpx.Client) -> None:
    small.store.counterparties.patch(5, {"meta": {"a": 1, "b": 2}})
    response = http.patch(
        "/counterparties/5",
        json={"displayName": "Initech", "cyclic": None, "meta": {"b": 3}, "id": 77},
        headers={"Content-Type": MERGE_PATCH},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == 5  # ids are read-only
    assert body["displayName"] == "Initech"
    assert body["cyclic"] is None
    assert body["name"] == "Initech B.V."  # absent fields stay
    assert body["meta"] == {"a": 1, "b": 3}  # objects merge recursively
    assert small.store.patches_applied == 1


@pytest.mark.parametrize("ctype", ["application/json", LD, None])
def test_patch_without_merge_patch_is_415(small: Sandbox, http: httpx.Client, ctype: str | None) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    response = http.patch("/counterparties/5", content=b'{"name": "x"}', headers=headers)
    assert response.status_code == 415
    assert small.store.counterparties.get(5)["name"] == "Initech B.V."  # type: ignore[index]


def test_patch_body_that_is_not_json_is_400(http: httpx.Client) -> None:
    response = http.patch("/counterparties/5", content=b"{", headers={"Content-Type": MERGE_PATCH})
    assert response.status_code == 400


def test_patch_unknown_is_404(http: httpx.Client) -> None:
    response = http.patch("/counterparties/99", json={}, headers={"Content-Type": MERGE_PATCH})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"logoUrl": "javascript:alert(1)"}, "logoUrl"),
        ({"logoUrl": "not a url"}, "logoUrl"),
        ({"corporateWebsiteUrl": "ftp://files.example"}, "corporateWebsiteUrl"),
        ({"name": 12}, "name"),
        ({"type": "spaceship"}, "type"),
        ({"cyclic": "yes"}, "cyclic"),
    ],
)
def test_invalid_values_are_422_with_violations(
    small: Sandbox, http: httpx.Client, patch: dict[str, Any], path: str
) -> None:
    response = http.patch("/counterparties/1", json=patch, headers={"Content-Type": MERGE_PATCH})
    assert response.status_code == 422
    body = response.json()
    assert [v["propertyPath"] for v in body["violations"]] == [path]
    assert body["violations"][0]["message"]
    assert small.store.patches_applied == 0


def test_valid_urls_and_types_pass(http: httpx.Client) -> None:
    response = http.patch(
        "/counterparties/1",
        json={
            "logoUrl": "https://cdn.acme.example/logo.svg?v=2",
            "corporateWebsiteUrl": "",
            "type": "person",
        },
        headers={"Content-Type": MERGE_PATCH},
    )
    assert response.status_code == 200


def test_types_found_in_the_data_are_accepted(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory([{"id": 1, "type": "supplier"}])
    with authed(sandbox) as http:
        response = http.post("/counterparties", json={"type": "supplier"})
    assert response.status_code == 201


def test_delete(small: Sandbox, http: httpx.Client) -> None:
    assert http.delete("/counterparties/4").status_code == 204
    assert http.get("/counterparties/4").status_code == 404
    assert http.delete("/counterparties/4").status_code == 404
    assert small.store.deletes_applied == 1


# ---------------------------------------------------------------- merge


def test_merge(small: Sandbox, http: httpx.Client) -> None:
    response = http.post("/counterparties/1/merge", json={"counterparty": "/counterparties/2"})
    assert response.status_code == 200
    body = response.json()
    assert body["@id"] == "/counterparties/1"
    assert body["addressCity"] == "Warszawa"  # kept
    assert body["tin"] == "5260250274"  # kept
    assert body["addressPhoneNumber"] == "+48 22 123 45 67"  # gained
    assert http.get("/counterparties/2").status_code == 404
    assert small.store.merge_log == [(1, 2)]
    assert small.store.merges_applied == 1


def test_merge_into_itself_is_409(http: httpx.Client) -> None:
    assert http.post("/counterparties/3/merge", json={"counterparty": "/counterparties/3"}).status_code == 409


@pytest.mark.parametrize(("survivor", "source"), [(1, 99), (99, 1)])
def test_merge_with_unknown_ids_is_404(
    small: Sandbox, http: httpx.Client, survivor: int, source: int
) -> None:
    response = http.post(
        f"/counterparties/{survivor}/merge", json={"counterparty": f"/counterparties/{source}"}
    )
    assert response.status_code == 404
    assert len(small.store.counterparties) == 5


def test_merge_without_a_source_is_422(http: httpx.Client) -> None:
    response = http.post("/counterparties/1/merge", json={"other": 2})
    assert response.status_code == 422
    assert response.json()["violations"][0]["propertyPath"] == "counterparty"


# ---------------------------------------------------------------- auth and login


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic c2FuZGJveDp4", "Bearer"])
def test_requests_without_the_token_are_401(small: Sandbox, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    with httpx.Client(base_url=small.url, timeout=10) as http:
        for method, path in [
            ("GET", "/counterparties"),
            ("GET", "/counterparties/1"),
            ("GET", "/_sandbox/stats"),
        ]:
            response = http.request(method, path, headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
        response = http.delete("/counterparties/1", headers=headers)
        assert response.status_code == 401
    assert len(small.store.counterparties) == 5


def test_login(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token="tok-123", credentials={"ana": "pa55"})
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        ok = http.post("/api/login", json={"username": "ana", "password": "pa55"})
        assert ok.status_code == 200 and ok.json() == {"token": "tok-123"}
        assert http.post("/api/login", json={"username": "ana", "password": "x"}).status_code == 401
        assert http.post("/api/login", json={"username": "bob", "password": "pa55"}).status_code == 401
        assert http.post("/api/login", content=b"nope", headers={"Content-Type": LD}).status_code == 400


def test_login_is_off_without_credentials(small: Sandbox) -> None:
    with httpx.Client(base_url=small.url, timeout=10) as http:
        assert http.post("/api/login", json={"username": "", "password": ""}).status_code == 401


def test_path_prefix(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(4), prefix="api/", hydra_prefix=False)
    with authed(sandbox) as http:
        body = http.get("/api/counterparties", params={"itemsPerPage": 2}).json()
        assert http.get("/counterparties").status_code == 404
        merged = http.post("/api/counterparties/1/merge", json={"counterparty": "/api/counterparties/2"})
    assert body["@id"] == "/api/counterparties"
    assert body["member"][0]["@id"] == "/api/counterparties/1"
    assert body["view"]["next"] == "/api/counterparties?itemsPerPage=2&page=2"
    assert merged.status_code == 200 and merged.json()["@id"] == "/api/counterparties/1"


# ---------------------------------------------------------------- faults and admin


def test_faults_admin_endpoints(small: Sandbox, http: httpx.Client) -> None:
    assert http.get("/_sandbox/faults").json()["rate_429"] == 0.0
    response = http.put("/_sandbox/faults", json={"burst_429": 1, "retry_after": 2})
    assert response.status_code == 200 and response.json()["burst_429"] == 1
    assert small.faults.retry_after == 2
    limited = http.get("/counterparties/1")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert http.get("/counterparties/1").status_code == 200  # the burst is spent
    assert http.get("/_sandbox/faults").status_code == 200  # admin endpoints are never faulted
    stats = http.get("/_sandbox/stats").json()
    assert stats["faults_injected"] == {"429": 1}
    assert stats["requests"]["GET /counterparties/{id}"] == 2
    assert stats["requests"]["PUT /_sandbox/faults"] == 1
    assert stats["records"] == {"counterparties": 5, "clients": 0, "client-contacts": 0, "client-notes": 0}


@pytest.mark.parametrize(
    "change",
    [{"rate_429": 2}, {"rate_500": "half"}, {"nonsense": 1}, {"burst_500": -1}, {"retry_after_date": "yes"}],
)
def test_bad_fault_switches_are_422_and_change_nothing(
    small: Sandbox, http: httpx.Client, change: dict[str, Any]
) -> None:
    before = http.get("/_sandbox/faults").json()
    response = http.put("/_sandbox/faults", json={"delay": 0.5, **change})
    assert response.status_code == 422
    assert http.get("/_sandbox/faults").json() == before


def test_fault_rates_are_seeded_shares(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"rate_500": 0.25, "seed": 3})
    with authed(sandbox) as http:
        statuses = [http.get("/counterparties/1").status_code for _ in range(200)]
    assert set(statuses) == {200, 500}
    assert 25 <= statuses.count(500) <= 75
    assert sandbox.store.faults_injected["500"] == statuses.count(500)


def test_retry_after_as_http_date(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(
        SMALL_REGISTER, faults={"rate_429": 1.0, "retry_after": 30, "retry_after_date": True}
    )
    with authed(sandbox) as http:
        response = http.get("/counterparties")
    assert response.status_code == 429
    when = parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert 25 <= when - time.time() <= 31


def test_delay_slows_responses(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"delay": 0.2})
    with authed(sandbox) as http:
        started = time.perf_counter()
        assert http.get("/counterparties/1").status_code == 200
        assert time.perf_counter() - started >= 0.2
        sandbox.faults.delay = 0.0  # switched at run time, from the test's thread
        started = time.perf_counter()
        http.get("/counterparties/1")
        assert time.perf_counter() - started < 0.2


def test_unknown_route_and_method(http: httpx.Client) -> None:
    assert http.get("/invoices").status_code == 404
    assert http.put("/counterparties/1", json={}).status_code == 405
