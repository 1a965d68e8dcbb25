"""FlowtlyClient against a real sandbox over loopback HTTP."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from enricher.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ConflictError,
    FlowtlyError,
    NotFoundError,
    RecordError,
    TransientError,
    ValidationError,
)
from enricher.flowtly import Backoff, Counterparty, FlowtlyClient, Sandbox
from enricher.flowtly.testing import SMALL_REGISTER, fast_backoff, make_records

SandboxFactory = Callable[..., Sandbox]

pytestmark = pytest.mark.integration

TOKEN = "s3cr3t-token-value-XYZ"


def client_for(sandbox: Sandbox, **options: Any) -> FlowtlyClient:
    options.setdefault("backoff", fast_backoff())
    options.setdefault("token", sandbox.token)
    return FlowtlyClient(sandbox.api_url, timeout=10.0, **options)


class Recorder:
    """A sleep that records what it was asked to wait, without waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


# ---------------------------------------------------------------- paging


@pytest.mark.parametrize("hydra_prefix", [True, False], ids=["hydra-prefixed", "apip4-plain"])
def test_pages_through_every_record_in_both_key_styles(
    sandbox_factory: SandboxFactory, hydra_prefix: bool
) -> None:
    sandbox = sandbox_factory(make_records(70), hydra_prefix=hydra_prefix)
    with client_for(sandbox, page_size=30) as client:
        ids = [c.id for c in client.iter_counterparties()]
    assert ids == list(range(1, 71))
    assert sandbox.store.requests["GET /counterparties"] == 3  # 30 + 30 + 10


def test_paging_is_lazy(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(100))
    with client_for(sandbox, page_size=10) as client:
        records = client.iter_counterparties()
        assert sandbox.store.requests["GET /counterparties"] == 0
        first = [next(records) for _ in range(15)]
        assert [c.id for c in first] == list(range(1, 16))
        assert sandbox.store.requests["GET /counterparties"] == 2


def test_paging_memory_stays_flat(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(4000))
    with client_for(sandbox, page_size=100) as client:
        tracemalloc.start()
        try:
            seen = 0
            sizes = []
            for record in client.iter_counterparties():
                seen += 1
                if seen % 1000 == 50:
                    sizes.append(tracemalloc.get_traced_memory()[0])
                assert isinstance(record, Counterparty)
        finally:
            tracemalloc.stop()
    assert seen == 4000
    # Holding the 3000 records read between the first and last probe would take megabytes; one page
    # at a time keeps the traced memory (client and in-process server together) within noise.
    assert sizes[-1] - sizes[0] < 1_000_000


def test_params_are_sent_as_filters(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(40))
    with client_for(sandbox, page_size=5) as client:
        found = list(client.iter_counterparties(name="Company 17"))
    assert [c.id for c in found] == [17]


def test_path_prefix_base_url_resolves_next_links(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(25), prefix="/api")
    assert sandbox.api_url.endswith("/api")
    with client_for(sandbox, page_size=10) as client:
        assert client.base_url == sandbox.api_url
        records = list(client.iter_counterparties())
        assert [c.id for c in records] == list(range(1, 26))
        assert records[0].iri == "/api/counterparties/1"
        assert client.get_counterparty("/api/counterparties/7").name == "Company 7"
        merged = client.merge_counterparties(1, 2)
    assert merged.id == 1
    assert sandbox.store.merge_log == [(1, 2)]
    assert sandbox.store.requests["GET /counterparties"] == 3


def test_url_resolution_rules() -> None:
    client = FlowtlyClient("https://api.example/api/", token="t")
    assert client.url("/counterparties") == "https://api.example/api/counterparties"
    assert client.url("/api/counterparties?page=2") == "https://api.example/api/counterparties?page=2"
    assert client.url("counterparties/3") == "https://api.example/api/counterparties/3"
    assert (
        client.url("/counterparties?next=https://x.example")
        == "https://api.example/api/counterparties?next=https://x.example"
    )
    assert client.url("https://api.example/api/clients?page=3") == "https://api.example/api/clients?page=3"
    with pytest.raises(FlowtlyError, match="another host"):
        client.url("https://evil.example/api/counterparties?page=2")
    plain = FlowtlyClient("https://api.example", token="t")
    assert plain.url("/counterparties?page=2") == "https://api.example/counterparties?page=2"
    assert plain.login_url == "https://api.example/api/login"
    client.close()
    plain.close()


def test_count_counterparties(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(42), hydra_prefix=False)
    with client_for(sandbox) as client:
        assert client.count_counterparties() == 42


def test_malformed_record_is_skipped_and_reported(sandbox_factory: SandboxFactory) -> None:
    records = make_records(3)
    records[1]["name"] = {"not": "a string"}
    sandbox = sandbox_factory(records)
    errors: list[RecordError] = []
    with client_for(sandbox) as client:
        ids = [c.id for c in client.iter_counterparties(on_error=errors.append)]
    assert ids == [1, 3]
    assert len(errors) == 1
    assert "name" in str(errors[0]) and errors[0].record_id == 2


def test_records_accept_nulls_unknown_fields_and_iri_ids(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(
        [{"id": "/counterparties/9", "name": None, "brandNewField": {"x": 1}, "country": "/countries/PL"}]
    )
    with client_for(sandbox) as client:
        (record,) = list(client.iter_counterparties())
    assert record.id == 9
    assert record.name is None
    assert record.country == "PL"
    assert record.api_dict()["brandNewField"] == {"x": 1}


# ---------------------------------------------------------------- writes


def test_get_create_patch_delete(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client:
        assert client.get_counterparty(3).name == "Globex GmbH"
        created = client.create_counterparty({"name": "Hooli Inc.", "type": "company"})
        assert created.id == 6
        assert sandbox.store.counterparties.get(6)["name"] == "Hooli Inc."  # type: ignore[index]
        patched = client.patch_counterparty(3, {"logoUrl": "https://globex.example/logo.png"})
        assert patched.logoUrl == "https://globex.example/logo.png"
        assert patched.name == "Globex GmbH"  # merge-patch: untouched fields stay
        client.delete_counterparty(4)
        with pytest.raises(NotFoundError):
            client.get_counterparty(4)
    assert sandbox.store.patches_applied == 1
    assert sandbox.store.counterparties.get(3)["logoUrl"] == "https://globex.example/logo.png"  # type: ignore[index]


def test_patch_sends_merge_patch_content_type(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    seen: list[str] = []

    def on_request(request: httpx.Request) -> None:
        seen.append(f"{request.method} {request.headers.get('content-type')} {request.headers.get('accept')}")

    http = httpx.Client(event_hooks={"request": [on_request]})
    with client_for(sandbox, http=http) as client:
        client.patch_counterparty(1, {"displayName": "Acme"})
    http.close()
    assert seen == ["PATCH application/merge-patch+json application/ld+json"]


def test_merge_applies_and_returns_survivor(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client:
        survivor = client.merge_counterparties(1, 2)
        assert survivor.id == 1
        assert survivor.addressCity == "Warszawa"  # the survivor keeps its values
        assert survivor.addressPhoneNumber == "+48 22 123 45 67"  # and gains the source's missing ones
        with pytest.raises(NotFoundError):
            client.get_counterparty(2)
    assert 2 not in sandbox.store.counterparties
    assert sandbox.store.merges_applied == 1


def test_merge_errors(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    client = client_for(sandbox)
    with client, pytest.raises(ConflictError) as conflict:
        client.merge_counterparties(1, 1)
        assert conflict.value.status == 409
        with pytest.raises(NotFoundError):
            client.merge_counterparties(1, 999)
        with pytest.raises(NotFoundError):
            client.merge_counterparties(999, 1)
    assert sandbox.store.merges_applied == 0


@pytest.mark.parametrize("alias", [1, "1", " 1 ", "001", "/counterparties/1", "/api/counterparties/1"])
def test_merging_a_record_into_itself_sends_nothing(sandbox_factory: SandboxFactory, alias: Any) -> None:
    """Issue 11: every way of writing record 1 is record 1; a self-merge is refused before any request."""
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client, pytest.raises(ConflictError, match="into itself"):
        client.merge_counterparties(1, alias)
    assert not [k for k in sandbox.store.requests if k.startswith("POST")]
    assert sandbox.store.merges_applied == 0


def test_ids_written_other_ways_address_the_same_record(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client:
        assert client.get_counterparty(" 2 ").id == 2
        assert client.get_counterparty("/counterparties/2").id == 2
        assert client.merge_counterparties("/counterparties/1", " 2 ").id == 1
    assert sandbox.store.merge_log == [(1, 2)]


def test_merge_retried_after_a_lost_answer_returns_the_survivor(sandbox_factory: SandboxFactory) -> None:
    """If the first merge went through but its answer was lost (500), the retry's 404 is success."""
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client:
        sandbox.store.counterparties.merge(1, 2)  # what the lost first attempt did
        sandbox.faults.burst_500 = 1
        survivor = client.merge_counterparties(1, 2)
    assert survivor.id == 1


def test_patch_whose_reply_was_lost_is_not_applied_twice(sandbox_factory: SandboxFactory) -> None:
    """The sandbox applies the PATCH and answers 502 (``reply_lost``): the client reads the record,
    finds the change there and does not send it again."""
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"reply_lost": 1.0})
    with client_for(sandbox) as client:
        record = client.patch_counterparty(4, {"displayName": "Kowalski"})
    assert record.displayName == "Kowalski"
    stats = sandbox.store.stats()
    assert stats["patches_by_record"] == {"4": 1}
    assert stats["faults_injected"] == {"reply_lost": 1}


def test_patch_failed_unapplied_is_sent_again(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"burst_500": 2})
    with client_for(sandbox) as client:
        assert client.patch_counterparty(4, {"displayName": "Kowalski"}).displayName == "Kowalski"
    assert sandbox.store.stats()["patches_by_record"] == {"4": 1}


def test_delete_missing_is_not_found(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client, pytest.raises(NotFoundError) as error:
        client.delete_counterparty(404)
    assert error.value.status == 404


def test_validation_error_carries_violations(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    client = client_for(sandbox)
    with client, pytest.raises(ValidationError) as error:
        client.patch_counterparty(1, {"logoUrl": "not a url", "name": 42})
        paths = {v.property_path: v.message for v in error.value.violations}
        assert set(paths) == {"logoUrl", "name"}
        assert "valid URL" in paths["logoUrl"]
        assert error.value.status == 422
        with pytest.raises(ValidationError, match="type"):
            client.create_counterparty({"name": "X", "type": "spaceship"})
    assert sandbox.store.counterparties.get(1)["name"] == "Acme Sp. z o.o."  # type: ignore[index]


def test_unsupported_content_type_is_bad_request(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox) as client:
        response = (
            client._send(  # the client itself always sends merge-patch; force a wrong type
                "PATCH", client.url("/counterparties/1"), body={"name": "x"}, content_type="application/json"
            )
            if False
            else None
        )
        assert response is None
        with pytest.raises(BadRequestError) as error:
            client._send(
                "PATCH", client.url("/counterparties/1"), body={"name": "x"}, content_type="application/json"
            )
    assert error.value.status == 415


# ---------------------------------------------------------------- retries


def test_429_is_retried_honouring_retry_after(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"burst_429": 2, "retry_after": 3})
    slept = Recorder()
    backoff = Backoff(retries=3, base=0.001, cap=0.01, retry_after_cap=60.0, sleep=slept)
    with client_for(sandbox, backoff=backoff) as client:
        assert client.get_counterparty(1).id == 1
    assert slept.calls == [3.0, 3.0]  # the server's Retry-After, not the tiny backoff
    assert sandbox.store.faults_injected["429"] == 2


def test_retry_after_as_http_date_is_honoured_and_capped(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(
        SMALL_REGISTER, faults={"burst_429": 1, "retry_after": 120, "retry_after_date": True}
    )
    slept = Recorder()
    backoff = Backoff(retries=2, base=0.001, cap=0.01, retry_after_cap=30.0, sleep=slept)
    with client_for(sandbox, backoff=backoff) as client:
        assert client.get_counterparty(2).id == 2
    assert slept.calls == [30.0]  # 120 s asked, capped at 30


def test_repeated_500_ends_in_a_clear_error(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"rate_500": 1.0})
    slept = Recorder()
    client = client_for(sandbox, backoff=Backoff(retries=4, base=0.01, cap=0.05, sleep=slept))
    with client, pytest.raises(TransientError) as error:
        client.get_counterparty(1)
    assert sandbox.store.requests["GET /counterparties/{id}"] == 5  # 1 + 4 retries
    assert error.value.status == 500
    assert "gave up after 4 retries" in str(error.value)
    assert "/counterparties/1" in str(error.value)
    assert len(slept.calls) == 4
    assert all(0 <= s <= 0.05 for s in slept.calls)  # jittered exponential backoff under the cap


def test_some_500s_are_ridden_out_while_paging(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(make_records(200), faults={"rate_500": 0.3, "rate_429": 0.2, "retry_after": 0})
    with client_for(sandbox, page_size=20, backoff=fast_backoff(retries=10)) as client:
        ids = [c.id for c in client.iter_counterparties()]
        stats = client.stats.as_dict()
    assert ids == list(range(1, 201))
    injected = sandbox.store.faults_injected
    assert injected["429"] > 0 and injected["500"] > 0
    # The client's own account matches the server's: every fault was answered by a retry.
    assert stats["responses"] == {"200": 10, "429": injected["429"], "500": injected["500"]}
    assert stats["retries"] == injected["429"] + injected["500"]


def test_create_is_not_retried_after_a_500(sandbox_factory: SandboxFactory) -> None:
    """A 500 on POST may have created the record: retrying could create it twice."""
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"burst_500": 1})
    with client_for(sandbox) as client, pytest.raises(TransientError):
        client.create_counterparty({"name": "Once Only"})
    assert sandbox.store.requests["POST /counterparties"] == 1


def test_create_is_retried_after_a_429(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"burst_429": 1, "retry_after": 0})
    with client_for(sandbox) as client:
        created = client.create_counterparty({"name": "Once Only"})
    assert created.id == 6
    assert len(sandbox.store.counterparties) == 6


def test_network_error_is_retried_then_transient() -> None:
    slept = Recorder()
    # A port nothing listens on: connection refused every time.
    client = FlowtlyClient("http://127.0.0.1:9", token="t", backoff=Backoff(retries=2, sleep=slept))
    with client, pytest.raises(TransientError, match="network error after 2 retries"):
        client.get_counterparty(1)
    assert len(slept.calls) == 2


def test_timeout_is_applied(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, faults={"delay": 0.5})
    client = FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=0.1, backoff=fast_backoff(1))
    with client, pytest.raises(TransientError, match="ReadTimeout"):
        client.get_counterparty(1)


# ---------------------------------------------------------------- auth


def test_wrong_token_is_auth_error(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER)
    with client_for(sandbox, token="wrong") as client, pytest.raises(AuthError) as error:
        list(client.iter_counterparties())
    assert error.value.status == 401
    assert sandbox.store.requests["GET /counterparties"] == 1  # no retries for auth


def test_login_fetches_a_token(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token=TOKEN, credentials={"ana": "pa55"})
    with FlowtlyClient(sandbox.api_url, username="ana", password="pa55", backoff=fast_backoff()) as client:
        assert repr(client) == f"FlowtlyClient(base_url={sandbox.api_url!r}, auth='login')"
        assert len(list(client.iter_counterparties())) == 5
        assert client.get_counterparty(5).cyclic is True
    assert sandbox.store.requests["POST /api/login"] == 1  # logged in once, token reused


def test_login_again_when_the_token_stops_working(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token=TOKEN, credentials={"ana": "pa55"})
    with FlowtlyClient(sandbox.api_url, username="ana", password="pa55", backoff=fast_backoff()) as client:
        client.get_counterparty(1)
        sandbox.app.token = TOKEN + "-rotated"
        assert client.get_counterparty(2).id == 2
    assert sandbox.store.requests["POST /api/login"] == 2


def test_stale_token_falls_back_to_the_login(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token=TOKEN, credentials={"ana": "pa55"})
    client = FlowtlyClient(
        sandbox.api_url, token="stale", username="ana", password="pa55", backoff=fast_backoff()
    )
    with client:
        assert client.get_counterparty(1).id == 1
    assert sandbox.store.requests["GET /counterparties/{id}"] == 2
    assert sandbox.store.requests["POST /api/login"] == 1


def test_login_with_wrong_password_is_auth_error(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token=TOKEN, credentials={"ana": "pa55"})
    client = FlowtlyClient(sandbox.api_url, username="ana", password="nope", backoff=fast_backoff())
    with client, pytest.raises(AuthError) as error:
        client.get_counterparty(1)
    assert "nope" not in str(error.value)
    assert error.value.url.endswith("/api/login")


def test_token_never_shows(sandbox_factory: SandboxFactory, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token=TOKEN, faults={"burst_500": 2, "burst_429": 1})
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    with client_for(sandbox, token=TOKEN) as client:
        messages.append(repr(client))
        messages.append(str(client.__dict__))
        client.get_counterparty(1)  # retried through a 429 and two 500s, all logged
        calls: list[Callable[[], object]] = [
            lambda: client.get_counterparty(999),
            lambda: client.patch_counterparty(1, {"logoUrl": "bad"}),
            lambda: client.merge_counterparties(1, 1),
        ]
        for call in calls:
            with pytest.raises(FlowtlyError) as error:
                call()
            messages += [str(error.value), repr(error.value), repr(error.value.__dict__)]
    with client_for(sandbox, token=TOKEN + "x") as wrong, pytest.raises(AuthError) as auth:
        wrong.get_counterparty(1)
    messages += [str(auth.value), repr(wrong)]
    messages += [r.getMessage() for r in caplog.records]
    assert any("retry" in m for m in messages)  # the retries were logged
    for message in messages:
        assert TOKEN not in message


def test_from_settings_needs_a_url() -> None:
    from enricher.config import Settings

    with pytest.raises(ConfigError, match="ENRICHER_FLOWTLY_URL"):
        FlowtlyClient.from_settings(Settings(_env_file=None))


def test_bad_base_url_is_config_error() -> None:
    with pytest.raises(ConfigError, match="ftp://x"):
        FlowtlyClient("ftp://x")
    with pytest.raises(ConfigError, match="credentials in the URL") as error:
        FlowtlyClient("https://ana:hunter2@api.example")
    assert "hunter2" not in str(error.value)


def test_a_next_link_that_loops_is_an_error() -> None:
    """A misbehaving server (not the sandbox: it cannot loop) whose pages point back at each other."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        other = 2 if page == 1 else 1
        body = {"member": [{"id": page}], "view": {"next": f"/counterparties?page={other}"}}
        return httpx.Response(200, json=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with FlowtlyClient("http://flowtly.test", token="t", http=http) as client:
        records = client.iter_counterparties()
        with pytest.raises(FlowtlyError, match="loops back"):
            list(records)
    http.close()


def test_a_next_link_to_another_host_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "hydra:member": [],
            "hydra:view": {"hydra:next": "https://elsewhere.test/counterparties?page=2"},
        }
        return httpx.Response(200, json=body)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with FlowtlyClient("http://flowtly.test", token="t", http=http) as client, pytest.raises(FlowtlyError):
        list(client.iter_counterparties())
    http.close()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (403, AuthError),
        (405, BadRequestError),
        (409, ConflictError),
        (410, BadRequestError),
    ],
)
def test_statuses_map_to_the_error_tree(status: int, error: type[FlowtlyError]) -> None:
    """Statuses the sandbox never sends, from a stand-in server."""
    body = {"hydra:description": f"reason {status}"}
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)))
    with FlowtlyClient("http://flowtly.test", token="t", http=http) as client, pytest.raises(error) as raised:
        client.get_counterparty(1)
    http.close()
    assert raised.value.status == status
    assert f"reason {status}" in str(raised.value)
    assert "GET http://flowtly.test/counterparties/1" in str(raised.value)


def test_redirects_are_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "flowtly.test"  # never sent to the redirect target
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/login"})

    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    client = FlowtlyClient("http://flowtly.test", token="t", http=http)
    with client, pytest.raises(FlowtlyError, match=r"unexpected redirect \(HTTP 302\) to https://elsewhere"):
        client.get_counterparty(1)
    http.close()
