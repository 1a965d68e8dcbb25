"""The records: the domain's vocabulary (counterparties, clients), read by matching, branding, the report
and the API client.

Field names are the API's own (camelCase) so a record maps 1:1 to its JSON. Every field is optional,
nulls are accepted, unknown fields are kept (``extra="allow"``) and written back untouched.
Ids arrive as ints, strings or IRIs (``"/counterparties/12"``); IRIs become their last segment, other
ids are kept as written (:func:`~enricher.records.ids.iri_to_id`). :func:`record_id` is the one check
of a record's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from enricher.records.ids import RecordId, canonical_id, iri_to_id

__all__ = ["Client", "ClientContact", "ClientNote", "Counterparty", "Record", "record_id"]


class Record(BaseModel):
    """Any API record: an ``id`` (from ``@id`` when only the IRI is given), unknown fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    id: RecordId | None = None
    iri: str | None = Field(default=None, alias="@id")

    @model_validator(mode="before")
    @classmethod
    def _json_ld(cls, data: Any) -> Any:
        # "@type"/"@context" describe the response, not the record: not kept. A member that carries
        # only its IRI gets its id from "@id".
        if not isinstance(data, dict):
            return data
        if "@type" in data or "@context" in data:
            data = {k: v for k, v in data.items() if k not in ("@type", "@context")}
        if data.get("id") is None and isinstance(data.get("@id"), str):
            data = {**data, "id": data["@id"]}
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> RecordId | None:
        return iri_to_id(value)

    def api_dict(self) -> dict[str, Any]:
        """The record as the API would carry it: camelCase names, unknown fields kept, no JSON-LD keys."""
        data = self.model_dump(by_alias=True, exclude_none=False)
        for key in ("@id", "@type", "@context"):
            data.pop(key, None)
        return data


class Counterparty(Record):
    """A supplier, contractor or client that invoices and costs point at."""

    type: str | None = None
    name: str | None = None
    displayName: str | None = None
    logoUrl: str | None = None
    corporateWebsiteUrl: str | None = None
    requireAttachment: bool | None = None
    cyclic: bool | None = None
    budgetNeutral: bool | None = None
    costGroupIcon: str | None = None
    tin: str | None = None
    tinType: str | None = None
    tinCountry: str | None = None
    vatNumber: str | None = None
    country: str | None = None
    addressStreetLine: str | None = None
    addressBuildingNumber: str | None = None
    addressLocaleNumber: str | None = None
    addressPostCode: str | None = None
    addressCity: str | None = None
    addressCountry: str | None = None
    addressPhoneNumber: str | None = None
    email: str | None = None

    @field_validator("country", "addressCountry", "tinCountry", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        # "/countries/PL" -> "PL"; plain codes pass through.
        if isinstance(value, str) and value.startswith("/"):
            return str(iri_to_id(value))
        return value

    @property
    def country_code(self) -> str | None:
        """Best guess of the ISO country: tinCountry, then address country, then country."""
        for value in (self.tinCountry, self.addressCountry, self.country):
            if value and len(value.strip()) == 2:
                return value.strip().upper()
        return None


class Client(Counterparty):
    """A Flowtly client record: the same identity fields as a counterparty, plus its contacts."""

    currency: str | None = None
    status: str | None = None
    clientContacts: list[Any] | None = None
    """IRIs (or embedded contacts) of the client's contact people, as the API gives them."""


class ClientContact(Record):
    """A person or mailbox at a client (``/client-contacts``); ``client`` is the client's id."""

    client: RecordId | None = None
    type: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    title: str | None = None
    position: str | None = None

    @field_validator("client", mode="before")
    @classmethod
    def _client(cls, value: Any) -> RecordId | None:
        if isinstance(value, dict):  # embedded client
            value = value.get("@id", value.get("id"))
        return iri_to_id(value)


class ClientNote(Record):
    """A note on a client (``/client-notes``): ``client`` is an id, ``employee`` the author's IRI."""

    client: RecordId | None = None
    employee: str | None = None
    note: str | None = None

    @field_validator("client", mode="before")
    @classmethod
    def _client(cls, value: Any) -> RecordId | None:
        if isinstance(value, dict):
            value = value.get("@id", value.get("id"))
        return iri_to_id(value)

    @field_validator("employee", mode="before")
    @classmethod
    def _employee(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value.get("@id")
        return value


def record_id(record: Counterparty | Mapping[str, Any]) -> RecordId:
    """The record's id exactly as given (echoed in outputs): its ``id``, else the id its ``@id`` IRI
    names. IdError when the API could not read it (:func:`~enricher.records.ids.canonical_id`: none,
    blank, ``true``, a float, a list, over-long...)."""
    if isinstance(record, Counterparty):
        value: Any = record.id
    else:
        value = record.get("id")
        if value is None and isinstance(record.get("@id"), str):
            value = iri_to_id(record["@id"])  # an API member without "id": its IRI says it
    canonical_id(value)
    assert isinstance(value, int | str)  # canonical_id refuses everything else
    return value
