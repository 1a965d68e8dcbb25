"""Typed records of the Flowtly API.

Field names are the API's own (camelCase) so a record maps 1:1 to its JSON. Every field is optional,
nulls are accepted, unknown fields are kept (``extra="allow"``) and written back untouched.
Ids arrive as ints, strings or IRIs (``"/counterparties/12"``); IRIs become their last segment.
``RecordId`` and the one comparison of ids (:func:`enricher.ids.canonical_id`) live in ``enricher.ids``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from enricher.ids import RecordId

__all__ = ["Client", "ClientContact", "ClientNote", "Counterparty", "RecordId", "iri_to_id", "record_iri"]

_IRI = re.compile(r"^/(?:api/)?[a-z_-]+/([^/?#]+)$")


def iri_to_id(value: Any) -> RecordId | None:
    """Return the id of an IRI (``/counterparties/12`` -> 12), or the value itself if it is no IRI."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = _IRI.match(text)
        if match:
            last = match.group(1)
            return int(last) if last.isdigit() else last
        return text or None
    raise TypeError(f"an id must be an int, a string or an IRI, not {type(value).__name__}")


def record_iri(collection: str, record_id: RecordId) -> str:
    """The IRI of a record: ``record_iri("counterparties", 12) == "/counterparties/12"``."""
    return f"/{collection}/{record_id}"


class _Record(BaseModel):
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


class Counterparty(_Record):
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


class ClientContact(_Record):
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


class ClientNote(_Record):
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
