"""Settings: names fixed by DESIGN.md, documented in README, bad values named in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from enricher.config import Settings, load_settings
from enricher.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"ENRICHER_{name.upper()}"
        for name in Settings.model_fields
        if f"ENRICHER_{name.upper()}" not in readme
    ]
    assert missing == []


def test_fixed_environment_names_exist() -> None:
    for name in ("flowtly_url", "flowtly_token", "redis_url", "webhook_secret", "fetch_allow_hosts"):
        assert name in Settings.model_fields


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", "https://api.flowtly.eu/api/")
    monkeypatch.setenv("ENRICHER_FETCH_ALLOW_HOSTS", "sites.test, 10.0.0.0/8")
    settings = load_settings()
    assert settings.flowtly_url == "https://api.flowtly.eu/api"
    assert settings.allow_hosts == ["sites.test", "10.0.0.0/8"]
    assert settings.embedded


def test_bad_value_names_variable_and_expectation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICHER_REDIS_URL", "localhost:6379")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.variable == "ENRICHER_REDIS_URL"
    assert "redis://" in str(info.value)


def test_bad_number_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICHER_FLOWTLY_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="ENRICHER_FLOWTLY_TIMEOUT"):
        load_settings()


def test_secret_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", "tok-very-secret-123")
    settings = load_settings()
    assert "tok-very-secret-123" not in repr(settings)
    assert "tok-very-secret-123" not in str(settings.model_dump())


def test_cli_reports_bad_config_in_one_line(tmp_path: Path) -> None:
    env = {"ENRICHER_FLOWTLY_URL": "ftp://nope", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "enricher", "report"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "ENRICHER_FLOWTLY_URL" in lines[0] and "http" in lines[0]
