"""``enricher sandbox serve`` as a real process: ready line, token sources, write-back on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from enricher.errors import AuthError
from enricher.flowtly import FlowtlyClient
from enricher.flowtly.testing import SMALL_REGISTER, bundled_sample, fast_backoff

pytestmark = pytest.mark.integration


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, err


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    return env | extra


def start(args: list[str], cwd: Path, **env: str) -> Served:
    proc = subprocess.Popen(
        [sys.executable, "-m", "enricher", "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=_env(**env),
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""))
    reader.start()
    reader.join(30)
    host = args[args.index("--host") + 1] if "--host" in args else "127.0.0.1"
    if not line or not line[0].startswith(f"sandbox listening on http://{host}:"):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"no ready line: {line!r}; stderr: {err}")
    return Served(proc, line[0].split()[-1])


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "register.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in SMALL_REGISTER))
    return path


@pytest.fixture
def cleanup() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.communicate(timeout=10)


def test_serve_write_back_and_clean_sigterm(tmp_path: Path, data_file: Path, cleanup: list[Served]) -> None:
    served = start(
        ["--data", str(data_file), "--token", "cli-token", "--write-back", "--no-hydra-prefix"], tmp_path
    )
    cleanup.append(served)
    with FlowtlyClient(served.url, token="cli-token", backoff=fast_backoff()) as client:
        assert [c.id for c in client.iter_counterparties()] == [1, 2, 3, 4, 5]
        client.patch_counterparty(3, {"logoUrl": "https://globex.example/logo.svg"})
        client.merge_counterparties(1, 2)
        stats = client.get("/_sandbox/stats")
    assert stats["merges_applied"] == 1 and stats["patches_applied"] == 1
    code, err = served.stop()
    assert code == 0, err
    written = [json.loads(line) for line in data_file.read_text().splitlines()]
    assert [r["id"] for r in written] == [1, 3, 4, 5]
    assert written[1]["logoUrl"] == "https://globex.example/logo.svg"
    assert written[0]["addressPhoneNumber"] == "+48 22 123 45 67"


def test_without_write_back_the_file_is_untouched(
    tmp_path: Path, data_file: Path, cleanup: list[Served]
) -> None:
    before = data_file.read_text()
    served = start(["--data", str(data_file), "--token", "t"], tmp_path)
    cleanup.append(served)
    with FlowtlyClient(served.url, token="t", backoff=fast_backoff()) as client:
        client.delete_counterparty(1)
    assert served.stop()[0] == 0
    assert data_file.read_text() == before


def test_sequential_requests_do_not_stall(tmp_path: Path, data_file: Path, cleanup: list[Served]) -> None:
    """Responses leave in two writes: on a plain asyncio loop without TCP_NODELAY each request waited
    ~40 ms for the peer's delayed ACK, which made a 100k-record stream take minutes."""
    served = start(["--data", str(data_file), "--token", "t"], tmp_path)
    cleanup.append(served)
    with httpx.Client(base_url=served.url, headers={"Authorization": "Bearer t"}, timeout=10) as http:
        started = time.perf_counter()
        for _ in range(100):
            assert http.get("/counterparties/1").status_code == 200
        elapsed = time.perf_counter() - started
    assert elapsed < 2.5  # ~0.1 s normally, over 4 s with the stall
    assert served.stop()[0] == 0


def test_bundled_sample_by_default(tmp_path: Path, cleanup: list[Served]) -> None:
    sample = bundled_sample()
    if sample is None:
        pytest.skip("the bundled sample is not in this checkout")
    served = start(["--token", "t"], tmp_path)
    cleanup.append(served)
    with FlowtlyClient(served.url, token="t", backoff=fast_backoff()) as client:
        count = client.count_counterparties()
    assert count == len([line for line in sample.read_text().splitlines() if line.strip()])
    with FlowtlyClient(served.url, token="t", backoff=fast_backoff()) as client:
        assert len(list(client.iter_clients())) == 150  # the bundled sample's clients come along
        assert len(list(client.iter_client_contacts())) > 150
    assert served.stop()[0] == 0


def test_host_for_a_container_network(tmp_path: Path, data_file: Path, cleanup: list[Served]) -> None:
    served = start(["--data", str(data_file), "--token", "t", "--host", "0.0.0.0"], tmp_path)
    cleanup.append(served)
    port = served.url.rsplit(":", 1)[1]
    with FlowtlyClient(f"http://127.0.0.1:{port}", token="t", backoff=fast_backoff()) as client:
        assert client.count_counterparties() == len(SMALL_REGISTER)
        assert list(client.iter_clients()) == []  # --data given without --clients: no clients
    assert served.stop()[0] == 0


def test_token_from_the_environment(tmp_path: Path, data_file: Path, cleanup: list[Served]) -> None:
    served = start(["--data", str(data_file)], tmp_path, ENRICHER_FLOWTLY_TOKEN="env-token")
    cleanup.append(served)
    with httpx.Client(timeout=10) as http:
        assert http.get(
            f"{served.url}/counterparties/1", headers={"Authorization": "Bearer env-token"}
        ).is_success
        assert (
            http.get(f"{served.url}/counterparties/1", headers={"Authorization": "Bearer x"}).status_code
            == 401
        )
    assert served.stop()[0] == 0


def test_login_and_faults_from_the_command_line(
    tmp_path: Path, data_file: Path, cleanup: list[Served]
) -> None:
    served = start(
        [
            "--data",
            str(data_file),
            "--token",
            "t",
            "--login",
            "ana:pa:ss",
            "--faults",
            '{"burst_429": 1, "retry_after": 0}',
        ],
        tmp_path,
    )
    cleanup.append(served)
    with FlowtlyClient(served.url, username="ana", password="pa:ss", backoff=fast_backoff()) as client:
        assert client.get_counterparty(4).name == "Jan Kowalski"
        assert client.get("/_sandbox/stats")["faults_injected"] == {"429": 1}
    assert served.stop()[0] == 0


def test_login_from_the_environment(tmp_path: Path, data_file: Path, cleanup: list[Served]) -> None:
    env = {
        "ENRICHER_FLOWTLY_USERNAME": "ana",
        "ENRICHER_FLOWTLY_PASSWORD": "pw",
        "ENRICHER_FLOWTLY_TOKEN": "tk",
    }
    served = start(["--data", str(data_file)], tmp_path, **env)
    cleanup.append(served)
    with FlowtlyClient(served.url, username="ana", password="pw", backoff=fast_backoff()) as client:
        assert client.get_counterparty(1).id == 1
    wrong = FlowtlyClient(served.url, username="ana", password="nope", backoff=fast_backoff())
    with wrong, pytest.raises(AuthError):
        wrong.get_counterparty(1)
    assert served.stop()[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "absent.jsonl"], "no such file"),
        (["--faults", "{oops"], "--faults"),
        (["--faults", '{"rate_429": 7}'], "between 0 and 1"),
        (["--login", "nocolon"], "USER:PASSWORD"),
    ],
)
def test_bad_usage_exits_2_with_one_line(
    tmp_path: Path, data_file: Path, args: list[str], message: str
) -> None:
    if "--data" not in args:
        args = ["--data", str(data_file), *args]
    result = subprocess.run(
        [sys.executable, "-m", "enricher", "sandbox", "serve", "--port", "0", "--token", "t", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_port_is_a_clear_error(tmp_path: Path, data_file: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "enricher",
                "sandbox",
                "serve",
                "--data",
                str(data_file),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=_env(ENRICHER_FLOWTLY_TOKEN="t"),
            timeout=30,
        )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_fault_switch() -> None:
    from enricher.cli.sandbox import SWITCHES
    from enricher.flowtly import Faults

    assert set(SWITCHES) == set(Faults().as_dict())
    out = subprocess.run(
        [sys.executable, "-m", "enricher", "sandbox", "serve", "--help"],
        capture_output=True,
        text=True,
        env=_env(COLUMNS="400"),
        check=True,
    ).stdout
    assert all(name in out for name in SWITCHES), out


def test_access_log_and_write_faults_from_the_command_line(
    tmp_path: Path, data_file: Path, cleanup: list[Served]
) -> None:
    log = tmp_path / "access.jsonl"
    served = start(
        ["--data", str(data_file), "--token", "t", "--access-log", str(log), "--faults", '{"reply_lost": 1}'],
        tmp_path,
    )
    cleanup.append(served)
    auth = {"Authorization": "Bearer t"}
    with httpx.Client(base_url=served.url, headers=auth, timeout=10) as http:
        patch = {
            "headers": {"Content-Type": "application/merge-patch+json"},
            "content": b'{"displayName": "X"}',
        }
        lost = http.patch("/counterparties/4", **patch)
        assert lost.status_code == 502 and "applied" in lost.json()["detail"]
        assert http.get("/counterparties/4").json()["displayName"] == "X"  # applied all the same
        http.patch("/counterparties/4", **patch)  # the client's retry: applied a second time
        http.put("/_sandbox/faults", json={"reply_lost": 0, "write_rate_500": 1})
        failed = http.patch("/counterparties/5", **patch)
        assert failed.status_code == 500
        assert http.get("/counterparties/5").json().get("displayName") != "X"  # not applied
        stats = http.get("/_sandbox/stats").json()
    assert stats["patches_by_record"] == {"4": 2}
    assert stats["faults_injected"] == {"reply_lost": 2, "500": 1}
    assert served.stop()[0] == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0] == {
        "method": "PATCH", "path": "/counterparties/4", "status": 502, "body": {"displayName": "X"}
    }  # fmt: skip
    assert [(e["method"], e["status"]) for e in lines] == [
        ("PATCH", 502), ("GET", 200), ("PATCH", 502), ("PUT", 200), ("PATCH", 500), ("GET", 200),
        ("GET", 200),
    ]  # fmt: skip
