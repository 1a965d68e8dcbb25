"""``enricher brand``: the fixed command-line contract, run as a real process."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
TABLE: list[dict[str, Any]] = json.loads((PAGES / "expected.json").read_text("utf-8"))["pages"]


def enricher(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enricher", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_html_mode_prints_the_contract() -> None:
    row = next(r for r in TABLE if r["file"] == "traps.html")
    proc = enricher("brand", "--html", str(PAGES / row["file"]), "--url", row["url"])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["url"] == row["url"]
    assert out["displayName"] == row["displayName"]
    assert out["logoUrl"] == row["logoUrl"] == out["candidates"][0]["url"]
    assert out["candidates"][-1]["source"] == "favicon.ico"


def test_html_mode_with_known_name_and_encoding(tmp_path: Path) -> None:
    raw = (PAGES / "windows-1250.html").read_bytes().replace(b"charset=windows-1250", b"")
    page = tmp_path / "bare.html"
    page.write_bytes(raw)
    proc = enricher("brand", "--html", str(page), "--url", "https://zml-lodz.pl/", "--encoding", "cp1250")
    assert json.loads(proc.stdout)["displayName"] == "Zakłady Mięsne Łódź"
    proc = enricher("brand", "--html", str(PAGES / "known-name.html"), "--url", "https://example.com/",
                    "--name", "Okna-Bud Sp. z o.o.")  # fmt: skip
    assert json.loads(proc.stdout)["displayName"] == "Okna-Bud"


def test_batch_mode_keeps_order_and_reports_bad_lines(tmp_path: Path) -> None:
    rows = TABLE[:6]
    lines = [json.dumps({"html": str(PAGES / r["file"]), "url": r["url"]}) for r in rows]
    lines.insert(2, "{not json")
    lines.insert(4, json.dumps({"html": str(tmp_path / "missing.html"), "url": "https://gone.com/"}))
    lines.insert(5, json.dumps({"html": str(PAGES / "traps.html")}))
    lines.insert(6, json.dumps({"html": str(PAGES / "traps.html"), "url": "notaurl"}))
    lines.append(
        json.dumps({"html": "traps.html", "url": "https://debowydwor.pl/"})
    )  # next to the batch file
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "traps.html").write_bytes((PAGES / "traps.html").read_bytes())
    batch = folder / "in.jsonl"
    batch.write_text("\n".join(lines) + "\n", "utf-8")
    proc = enricher("brand", "--batch", str(batch), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    errors = [o["error"].split(":")[0] for o in out[2:7] if "error" in o]
    assert errors == ["line 3", "line 5", "line 6", "line 7"]
    assert "No such file" in out[4]["error"] or "cannot read" in out[4]["error"]
    for failed in (o for o in out if "error" in o):  # same keys as a good line, empty
        assert failed["logoUrl"] is None and failed["candidates"] == [] and "html" in failed
    good = [o for o in out if "error" not in o]
    assert [o["url"] for o in good[:-1]] == [r["url"] for r in rows]
    for o, r in zip(good, rows, strict=False):
        assert o["html"] == str(PAGES / r["file"])
        assert o["displayName"] == r["displayName"]
    # A relative html path is read next to the batch file when it is not in the working directory.
    assert good[-1]["html"] == "traps.html"
    assert good[-1]["logoUrl"] == "https://debowydwor.pl/img/debowy-dwor.png"


def test_batch_output_file(tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text(json.dumps({"html": str(PAGES / "og-logo.html"), "url": "https://sunfieldsolar.com/"}))
    target = tmp_path / "out.jsonl"
    proc = enricher("brand", "--batch", str(batch), "--output", str(target))
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(target.read_text("utf-8"))["logoUrl"] == "https://sunfieldsolar.com/brand/sunfield.png"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["brand"], 2, "exactly one of"),
        (["brand", "--html", "x.html"], 2, "--html needs --url"),
        (["brand", "--url", "https://a.com/"], 2, "--url goes with --html"),
        (["brand", "https://a.com/", "--batch", "b.jsonl"], 2, "exactly one of"),
        (["brand", "--html", "/nonexistent/page.html", "--url", "https://a.com/"], 1, "cannot read"),
        (["brand", "--html", str(PAGES / "traps.html"), "--url", "debowydwor.pl"], 1, "absolute http"),
        (["brand", "--batch", "/nonexistent/batch.jsonl"], 1, "cannot read"),
    ],
)
def test_bad_usage_and_unreadable_input(args: list[str], code: int, message: str) -> None:
    proc = enricher(*args)
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def page_server() -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGES))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_online_mode_fetches_through_the_safe_fetcher(page_server: str) -> None:
    # The saved pages served on loopback; the fetcher may reach 127.0.0.1 only because we allow it.
    proc = enricher("brand", f"{page_server}/msapplication.html",
                    env={"ENRICHER_FETCH_ALLOW_HOSTS": "127.0.0.1"})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["url"] == f"{page_server}/msapplication.html"
    assert out["displayName"] == "Harbor Freight Partners"
    assert {"url", "displayName", "logoUrl", "candidates"} <= set(out)
    # Without the allowance the SSRF guard refuses loopback: reported in the JSON, nothing extracted.
    refused = enricher("brand", f"{page_server}/msapplication.html", env={"ENRICHER_FETCH_ALLOW_HOSTS": ""})
    blocked = json.loads(refused.stdout)
    assert blocked["logoUrl"] is None and blocked["candidates"] == [] and blocked.get("error")


def test_offline_brand_loads_neither_matching_nor_the_online_half() -> None:
    """Start-up is most of a one-page ``enricher brand``: it imports its own command module only."""
    script = (
        "import sys\nfrom enricher.cli import main\n"
        f"main(['brand', '--html', {str(PAGES / 'og-logo.html')!r}, '--url', 'https://acme.pl/'])\n"
        "heavy = ('enricher.matching', 'numpy', 'httpx', 'enricher.branding.online', 'enricher.cli.enrich')\n"
        "print([m for m in heavy if m in sys.modules], file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["logoUrl"]
    assert proc.stderr.strip() == "[]"
    help_text = enricher("--help").stdout
    assert all(command in help_text for command in ("brand", "dedupe", "merges", "jobs"))
