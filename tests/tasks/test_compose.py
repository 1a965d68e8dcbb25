"""docker-compose.yml: valid for ``docker compose config`` where Compose exists, structurally checked always.

``scripts/test.sh`` installs Debian's docker-compose (``config`` needs no engine); the file keeps to
what both Compose v1 and v2 accept. The structural tests check, with or without Compose, what
``docker compose config`` would refuse (unknown services in depends_on/network_mode, undeclared
volumes, network_mode with ports or networks) plus what this product needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from enricher.cli import build_parser

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
NEEDED = {"redis", "worker", "beat", "webhooks", "flower", "sandbox"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.parametrize("profile", [None, "demo"], ids=["production", "demo"])
def test_docker_compose_config_accepts_both_shapes(profile: str | None) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose here (checked: `docker compose version`, `docker-compose`)")
    env = {**os.environ, "ENRICHER_WEBHOOK_SECRET": "whsec_dGVzdA=="}
    chosen = ["--profile", profile] if profile else []
    result = subprocess.run(
        [*cli, "-f", str(COMPOSE), *chosen, "config"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    # What `up` starts: services without a profile, and those of the chosen one (Compose v1 lists
    # every service in `config`, v2 only the active ones: both are read the same way here).
    running = {
        name
        for name, svc in resolved["services"].items()
        if not svc.get("profiles") or profile in svc["profiles"]
    }
    assert running >= {"redis", "worker", "worker-scrape", "beat", "webhooks", "flower"}
    assert ("sandbox" in running) == (profile == "demo")
    for name in running:
        assert "network_mode" not in resolved["services"][name], name
        assert "backend" in resolved["services"][name]["networks"], name


def test_services_present(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= NEEDED


def test_production_shape_does_not_live_in_the_sandbox(compose: dict[str, Any]) -> None:
    """Only demo services sit under a profile; nothing shares or waits for the sandbox."""
    services = compose["services"]
    assert services["sandbox"]["profiles"] == ["demo"]
    command = services["sandbox"]["command"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable on the compose network
    for name, svc in services.items():
        assert "network_mode" not in svc, name
        assert "sandbox" not in (svc.get("depends_on") or {}), name
        assert "backend" in (svc.get("networks") or []), name
        if name != "sandbox":
            assert "profiles" not in svc, name
    assert "127.0.0.1:8080:8080" in services["webhooks"]["ports"]
    assert (
        services["worker"]["environment"]["ENRICHER_FLOWTLY_URL"]
        == "${ENRICHER_FLOWTLY_URL:-http://sandbox:8000}"
    )


def test_references_resolve(compose: dict[str, Any]) -> None:
    services = compose["services"]
    volumes = set(compose.get("volumes") or {})
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        assert "command" in svc, name
        for dep in svc.get("depends_on") or {}:
            assert dep in services and dep != name, (name, dep)
        mode = svc.get("network_mode", "")
        if mode.startswith("service:"):
            owner = mode.split(":", 1)[1]
            assert owner in services and owner in (svc.get("depends_on") or {}), name
            assert "ports" not in svc and "networks" not in svc, f"{name}: ports/networks with network_mode"
        for mount in svc.get("volumes") or []:
            source = mount.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in volumes, (name, source)


def test_redis_is_durable_and_never_evicts(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert compose["services"]["redis"]["healthcheck"]


def test_enricher_commands_parse(compose: dict[str, Any]) -> None:
    """Every ``enricher ...`` command in the file is accepted by the real CLI parser."""
    parser = build_parser()
    for name, svc in compose["services"].items():
        command = svc["command"]
        if command[0] == "enricher":
            args = parser.parse_args(command[1:])
            assert callable(args.func), name


def test_workers_share_the_redis_and_secret(compose: dict[str, Any]) -> None:
    for name in ("worker", "beat", "webhooks"):
        env = compose["services"][name]["environment"]
        assert env["ENRICHER_REDIS_URL"] == "redis://redis:6379/0"
        assert env["ENRICHER_WEBHOOK_SECRET"].startswith("${ENRICHER_WEBHOOK_SECRET:?")
    queues = {
        q
        for name in ("worker", "worker-scrape")
        for q in compose["services"][name]["command"][
            compose["services"][name]["command"].index("--queues") + 1
        ].split(",")
    }
    assert queues == {"enricher.api", "enricher.scrape"}
