"""``connect(settings)``: the configured API, or the embedded sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from enricher.config import Settings
from enricher.errors import ConfigError
from enricher.flowtly import Sandbox, connect
from enricher.flowtly.testing import SMALL_REGISTER, bundled_sample

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ENRICHER_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_configured_url_and_token(sandbox_factory: Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token="conf-token", prefix="/api")
    with connect(settings(flowtly_url=sandbox.api_url + "/", flowtly_token="conf-token")) as client:
        assert client.base_url == sandbox.api_url
        assert len(list(client.iter_counterparties())) == 5


def test_configured_login(sandbox_factory: Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(SMALL_REGISTER, token="tok", credentials={"ana": "pw"})
    with connect(
        settings(flowtly_url=sandbox.url, flowtly_username="ana", flowtly_password="pw", flowtly_page_size=2)
    ) as client:
        assert [c.id for c in client.iter_counterparties()] == [1, 2, 3, 4, 5]
    assert sandbox.store.requests["GET /counterparties"] == 3


def test_embedded_sandbox_on_given_data(tmp_path: Path) -> None:
    data = tmp_path / "register.json"
    data.write_text(json.dumps(SMALL_REGISTER))
    with connect(settings(sandbox_data=data)) as client:
        assert client.base_url.startswith("http://127.0.0.1:")
        assert client.merge_counterparties(1, 2).id == 1
        assert [c.id for c in client.iter_counterparties()] == [1, 3, 4, 5]
    assert json.loads(data.read_text()) == SMALL_REGISTER  # the embedded sandbox never writes back


def test_embedded_sandbox_on_the_bundled_sample() -> None:
    path = bundled_sample()
    if path is None:
        with pytest.raises(ConfigError, match="ENRICHER_FLOWTLY_URL"), connect(settings()):
            pass
        return
    with connect(settings()) as client:
        assert client.count_counterparties() == sum(
            1 for line in path.read_text().splitlines() if line.strip()
        )
