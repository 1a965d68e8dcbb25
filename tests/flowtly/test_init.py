"""The public face of ``enricher.flowtly``: names that other parts import must not drift."""

from __future__ import annotations

import enricher.flowtly as flowtly
import enricher.flowtly.sandbox as sandbox

PUBLIC = {
    "Backoff",
    "Client",
    "ClientContact",
    "ClientNote",
    "ClientStats",
    "Counterparty",
    "Faults",
    "FlowtlyClient",
    "HydraKeys",
    "RecordId",
    "Sandbox",
    "build_sandbox",
    "connect",
    "iri_to_id",
    "members",
    "next_link",
    "parse_retry_after",
    "record_iri",
    "running_sandbox",
    "total_items",
}


def test_public_names() -> None:
    assert set(flowtly.__all__) == PUBLIC
    for name in flowtly.__all__:
        assert getattr(flowtly, name) is not None


def test_sandbox_names_resolve() -> None:
    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None
