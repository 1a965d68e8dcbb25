"""Sample clients: reproducible, realistic contacts, planted duplicates, overlap with counterparties."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from enricher.cli import main
from enricher.sample import (
    BUNDLED_CLIENTS,
    BUNDLED_SEED,
    bundled_clients_path,
    bundled_sample_path,
    generate_clients,
    write_clients,
)


def test_the_bundled_clients_are_what_the_generator_makes(tmp_path: Path) -> None:
    again = tmp_path / "clients.jsonl"
    truth = tmp_path / "truth.csv"
    count = write_clients(
        again, BUNDLED_CLIENTS, seed=BUNDLED_SEED, counterparties=bundled_sample_path(), truth_path=truth
    )
    assert count == BUNDLED_CLIENTS
    assert again.read_bytes() == bundled_clients_path().read_bytes()
    assert truth.read_bytes() == (bundled_clients_path().parent / "sample_clients_truth.csv").read_bytes()


def test_clients_carry_contacts_duplicates_and_counterparty_copies() -> None:
    parties = [json.loads(line) for line in bundled_sample_path().read_text("utf-8").splitlines()]
    clients = list(generate_clients(300, seed=3, counterparties=parties, overlap=0.2))
    assert [c["id"] for c, _ in clients] == list(range(1, 301))
    entities = Counter(e for _, e in clients)
    assert sum(1 for n in entities.values() if n > 1) >= 20  # planted duplicates
    copies = [(c, e) for c, e in clients if e.startswith("counterparty:")]
    assert 30 <= len(copies) <= 90
    by_id = {p["id"]: p for p in parties}
    for client, entity in copies:
        assert client["name"] == by_id[int(entity.split(":")[1])]["name"]
    for client, _ in clients:
        assert 1 <= len(client["clientContacts"]) <= 2
        assert all("@" in c["email"] and c["name"] for c in client["clientContacts"])
        assert client["currency"] and client["status"] in ("active", "inactive")
    assert list(generate_clients(50, seed=3)) == list(generate_clients(50, seed=3))


def test_sample_generate_writes_clients_beside_the_records(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    assert main(["sample", "generate", "--count", "200", "--clients", "40", "--output", str(out),
                 "--truth", str(tmp_path / "truth.csv")]) == 0  # fmt: skip
    clients = (tmp_path / "records.clients.jsonl").read_text("utf-8").splitlines()
    assert len(clients) == 40
    assert (tmp_path / "truth.clients.csv").read_text("utf-8").startswith("id,entity\n1,")
