"""Running the sandbox in a thread: data sources, write-back, start failures, reprs."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from enricher.errors import EnricherError
from enricher.flowtly import running_sandbox
from enricher.flowtly.testing import SMALL_REGISTER

pytestmark = pytest.mark.integration


def test_write_back_on_exit(tmp_path: Path) -> None:
    data = tmp_path / "register.json"
    data.write_text(json.dumps({"hydra:member": SMALL_REGISTER}))
    clients = tmp_path / "clients.jsonl"
    clients.write_text('{"id": 1, "name": "C"}\n')
    with running_sandbox(data, clients=str(clients), write_back=True) as sandbox:
        sandbox.store.counterparties.delete(1)
        sandbox.store.clients.patch(1, {"name": "Changed"})
    assert [r["id"] for r in json.loads(data.read_text())] == [2, 3, 4, 5]  # written as a JSON list
    assert json.loads(clients.read_text()) == {"id": 1, "name": "Changed"}


def test_records_from_a_generator() -> None:
    with running_sandbox({"id": i} for i in range(3)) as sandbox:
        assert sandbox.store.counterparties.ids() == [0, 1, 2]


def test_repr_hides_the_token() -> None:
    with running_sandbox(SMALL_REGISTER, token="very-secret-token") as sandbox:
        assert "very-secret-token" not in repr(sandbox)
        assert sandbox.url in repr(sandbox)


def test_busy_port_is_an_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        with pytest.raises(EnricherError, match="cannot listen"), running_sandbox(port=busy.getsockname()[1]):
            pass


def test_empty_token_is_refused() -> None:
    with pytest.raises(EnricherError, match="token"), running_sandbox(token=""):
        pass


def test_server_stops_with_the_block() -> None:
    with running_sandbox(SMALL_REGISTER) as sandbox:
        url = sandbox.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/counterparties", timeout=2)


def test_sandbox_client_helper() -> None:
    with (
        running_sandbox(SMALL_REGISTER, prefix="/api", token="helper-token") as sandbox,
        sandbox.client() as client,
    ):
        assert client.base_url == sandbox.api_url
        assert [c.id for c in client.iter_counterparties()] == [1, 2, 3, 4, 5]
        client.merge_counterparties(1, 2)
        assert client.get("/_sandbox/stats")["merge_log"] == [[1, 2]]  # admin routes under the prefix too
        assert httpx.get(
            f"{sandbox.url}/_sandbox/stats", headers={"Authorization": "Bearer helper-token"}
        ).is_success
