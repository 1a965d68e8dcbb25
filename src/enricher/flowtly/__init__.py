"""Talking to Flowtly: record models, the API client, and the local sandbox server."""

from enricher.flowtly.models import Client, Counterparty, RecordId, iri_to_id, record_iri

__all__ = ["Client", "Counterparty", "RecordId", "iri_to_id", "record_iri"]
