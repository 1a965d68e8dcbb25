"""Talking to Flowtly: record models, the API client, and the local sandbox server."""

from enricher.flowtly.client import ClientStats, FlowtlyClient
from enricher.flowtly.connect import connect
from enricher.flowtly.hydra import HydraKeys, members, next_link, total_items
from enricher.flowtly.retry import Backoff, parse_retry_after
from enricher.flowtly.sandbox import Faults, Sandbox, build_sandbox, running_sandbox
from enricher.records import Client, ClientContact, ClientNote, Counterparty, RecordId, iri_to_id, record_iri

__all__ = [
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
]
