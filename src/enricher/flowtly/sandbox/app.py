"""The sandbox's ASGI app: a Flowtly-compatible API (API Platform flavour) over an in-memory store.

Every API route goes through :meth:`SandboxApp.guarded`, which counts the request, adds the configured
delay, checks the bearer token and injects faults, in that order. Admin routes (``/_sandbox/...``, also
under the path prefix if one is set) need the token too but are never faulted, so a test can always
reach them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from enricher.errors import Violation
from enricher.flowtly.contract import (
    BULK_ENRICH_MAX,
    CLIENT_CONTACTS,
    CLIENT_NOTES,
    CLIENT_SEARCH_PARAM,
    CLIENTS,
    COUNTERPARTIES,
    DEFAULT_PAGE_SIZE,
    LD_JSON,
    LEGACY_COUNTERPARTY,
    LOGIN_PATH,
    LOGIN_TOKEN_KEY,
    MAX_PAGE_SIZE,
    MERGE_PATCH_JSON,
    bulk_enrich_body,
    bulk_enrich_ids,
    bulk_enrich_path,
    enrich_branding_path,
    merge_source,
)
from enricher.flowtly.hydra import HydraKeys
from enricher.flowtly.sandbox.faults import Faults
from enricher.flowtly.sandbox.loader import write_records
from enricher.flowtly.sandbox.simulate import ai_branding
from enricher.flowtly.sandbox.store import Collection, SandboxStore, normalize_id
from enricher.flowtly.sandbox.validation import (
    BLANK,
    DEFAULT_TYPES,
    validate_contact,
    validate_note,
    validate_record,
)

__all__ = ["SandboxApp", "build_app"]

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]

_TYPES = {
    COUNTERPARTIES: "Counterparty",
    CLIENTS: "Client",
    CLIENT_CONTACTS: "ClientContact",
    CLIENT_NOTES: "ClientNote",
}
_PAGING = ("page", "itemsPerPage", "pagination")
_JSON_TYPES = (LD_JSON, "application/json")
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class _HttpError(Exception):
    def __init__(self, status: int, detail: str, violations: list[Violation] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.violations = violations or []


@dataclass
class SandboxApp:
    """Configuration and state of one sandbox; :meth:`asgi` builds the Starlette app over it."""

    store: SandboxStore
    token: str
    faults: Faults = field(default_factory=Faults)
    hydra_prefix: bool = True
    prefix: str = ""
    """Path prefix of the API routes and IRIs (``/api`` like older Flowtly docs), or ``""``."""
    credentials: Mapping[str, str] | None = None
    """username -> password accepted by ``POST /api/login``; None: login always fails."""
    write_back: Mapping[str, Path] | None = None
    """collection name -> file, written on shutdown."""
    types: set[str] = field(default_factory=lambda: set(DEFAULT_TYPES))
    access_log: Path | None = None
    """JSON lines file: one ``{"method", "path", "status", "body"}`` per request (login bodies hidden)."""

    def __post_init__(self) -> None:
        self._contacts_of: dict[Any, list[Any]] = {}
        self._contacts_generation = -1
        self.keys = HydraKeys(self.hydra_prefix)
        self.prefix = "/" + self.prefix.strip("/") if self.prefix.strip("/") else ""
        for coll in self.store.collections.values():
            self.types.update(t for t in coll.distinct("type") if isinstance(t, str))

    # ----------------------------------------------------------------- JSON-LD shapes

    def iri(self, collection: str, record_id: Any) -> str:
        return f"{self.prefix}/{collection}/{record_id}"

    def item(self, collection: str, record: dict[str, Any], *, context: bool = True) -> dict[str, Any]:
        head: dict[str, Any] = {}
        if context:
            head["@context"] = f"{self.prefix}/contexts/{_TYPES[collection]}"
        head["@id"] = self.iri(collection, record["id"])
        head["@type"] = _TYPES[collection]
        if collection == CLIENTS:  # the contacts point at the client; the client lists them as IRIs
            contacts = self.contacts_of().get(normalize_id(record["id"]), [])
            record = record | {"clientContacts": [self.iri(CLIENT_CONTACTS, c) for c in contacts]}
        return head | record

    def contacts_of(self) -> dict[Any, list[Any]]:
        """Client id -> its contacts' ids, rebuilt only after a contact was written."""
        contacts = self.store.contacts
        if contacts.generation != self._contacts_generation:
            index: dict[Any, list[Any]] = {}
            for contact in contacts:
                index.setdefault(normalize_id(contact.get("client")), []).append(contact["id"])
            self._contacts_of, self._contacts_generation = index, contacts.generation
        return self._contacts_of

    def client_with_contacts(self, client: dict[str, Any]) -> dict[str, Any]:
        contacts = self.contacts_of().get(normalize_id(client["id"]), [])
        if not contacts:
            return client
        embedded = []
        for cid in contacts:
            contact = self.store.contacts.get(cid)
            if contact is not None:
                embedded.append({k: v for k, v in contact.items() if k != "client"})
        return client | {"clientContacts": embedded}

    def client_exists(self, value: Any) -> bool:
        if isinstance(value, str) and value.startswith("/"):
            return value.removeprefix(self.prefix).startswith(f"/{CLIENTS}/") and (
                normalize_id(value) in self.store.clients
            )
        return normalize_id(value) in self.store.clients

    def error(self, status: int, detail: str, violations: list[Violation] | None = None) -> JSONResponse:
        k = self.keys.key
        body: dict[str, Any] = {
            "@context": f"{self.prefix}/contexts/{'ConstraintViolationList' if violations else 'Error'}",
            "@type": "ConstraintViolationList" if violations else k("Error"),
            k("title"): "An error occurred",
            k("description"): detail,
            "title": "An error occurred",
            "detail": detail,
            "status": status,
        }
        if violations:
            body["violations"] = [{"propertyPath": v.property_path, "message": v.message} for v in violations]
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)

    def ld(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, media_type=LD_JSON)

    # ----------------------------------------------------------------- guards

    def authorised(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())

    def fault_response(self, status: int) -> JSONResponse:
        self.store.faults_injected[str(status)] += 1
        if status == 429:
            seconds = self.faults.retry_after
            if self.faults.retry_after_date:
                value = formatdate(time.time() + seconds, usegmt=True)
            else:
                value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
            response = self.error(429, "Too many requests (sandbox fault)")
            response.headers["Retry-After"] = value
            return response
        return self.error(500, "Internal server error (sandbox fault)")

    def guarded(self, label: str, endpoint: Endpoint, *, api: bool = True) -> Endpoint:
        """Wrap an endpoint: count it, delay it, check the token, inject faults, map errors."""

        async def handler(request: Request) -> Response:
            response = await answer(request)
            if self.access_log is not None:
                await self.log_access(request, response.status_code)
            return response

        async def answer(request: Request) -> Response:
            self.store.requests[f"{request.method} {label}"] += 1
            if api and self.faults.delay > 0:
                await asyncio.sleep(self.faults.delay)
            if not self.authorised(request):
                return self.error(401, "Full authentication is required: send a valid bearer token.")
            write = api and request.method in _WRITES
            if api:
                status = self.faults.draw()
                if status is None and write:
                    status = self.faults.draw_write()
                if status is not None:
                    return self.fault_response(status)
            try:
                response = await endpoint(request)
            except _HttpError as exc:
                return self.error(exc.status, exc.detail, exc.violations)
            if write and response.status_code < 400 and self.faults.draw_reply_lost():
                self.store.faults_injected["reply_lost"] += 1
                return self.error(502, "Bad gateway: the write was applied, its reply lost (sandbox fault)")
            return response

        return handler

    async def log_access(self, request: Request, status: int) -> None:
        """One JSON line per request; a login's body (a password) is never written."""
        path = request.url.path
        body: Any = None
        if request.method in _WRITES:
            raw = await request.body()  # Starlette caches it: the endpoint already read it
            try:
                body = json.loads(raw) if raw else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = raw[:2000].decode("utf-8", "replace")
            if path.endswith(LOGIN_PATH):
                body = "(hidden)"
        line = json.dumps({"method": request.method, "path": path, "status": status, "body": body})
        assert self.access_log is not None
        with self.access_log.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    # ----------------------------------------------------------------- helpers

    def collection(self, request: Request) -> Collection:
        return self.store.collections[request.url.path.removeprefix(self.prefix).split("/")[1]]

    async def body(self, request: Request, *, allowed: tuple[str, ...]) -> dict[str, Any]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in allowed:
            shown = ctype or "(none)"
            supported = ", ".join(allowed)
            raise _HttpError(415, f'The content-type "{shown}" is not supported. Supported: {supported}.')
        raw = await request.body()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _HttpError(400, "Syntax error: the body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise _HttpError(400, "The body must be a JSON object.")
        return data

    @staticmethod
    def _int(request: Request, name: str, default: int, *, low: int = 1) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise _HttpError(400, f'Query parameter "{name}" must be an integer, got "{raw}".') from None
        if value < low:
            raise _HttpError(400, f'Query parameter "{name}" must be at least {low}.')
        return value

    # ----------------------------------------------------------------- endpoints

    async def list_records(self, request: Request) -> Response:
        coll = self.collection(request)
        return self.hydra_page(request, coll, f"{self.prefix}/{coll.name}")

    def hydra_page(
        self,
        request: Request,
        coll: Collection,
        path: str,
        rows_of: Callable[[int, int], tuple[int, list[dict[str, Any]]]] | None = None,
    ) -> Response:
        """One page of ``coll`` (or of what ``rows_of(offset, limit)`` selects) as a Hydra collection."""
        page = self._int(request, "page", 1)
        size = min(self._int(request, "itemsPerPage", DEFAULT_PAGE_SIZE, low=0), MAX_PAGE_SIZE)
        offset = (page - 1) * size
        if rows_of is not None:
            total, rows = rows_of(offset, size)
        else:
            filters = {k: v for k, v in request.query_params.items() if k not in _PAGING}
            if filters:
                total, rows = coll.filtered(filters, offset, size)
            else:
                total, rows = len(coll), coll.page(offset, size)
        k = self.keys.key
        body: dict[str, Any] = {
            "@context": f"{self.prefix}/contexts/{_TYPES[coll.name]}",
            "@id": path,
            "@type": self.keys.collection_type,
            k("totalItems"): total,
            k("member"): [self.item(coll.name, r, context=False) for r in rows],
        }
        if size:
            last = max(1, math.ceil(total / size))
            kept = [(key, v) for key, v in request.query_params.multi_items() if key != "page"]

            def link(n: int) -> str:
                return f"{path}?{urlencode([*kept, ('page', str(n))])}"

            view: dict[str, Any] = {"@id": link(page), "@type": self.keys.view_type}
            view[k("first")] = link(1)
            view[k("last")] = link(last)
            if page > 1:
                view[k("previous")] = link(min(page - 1, last))
            if page < last:
                view[k("next")] = link(page + 1)
            body[k("view")] = view
        return self.ld(body)

    def check_for(self, coll: Collection, body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        """Validate a body for ``coll``; the body as stored (a contact's or note's client as an IRI)."""
        data = {k: v for k, v in body.items() if not k.startswith("@")}
        if coll.name == CLIENT_CONTACTS:
            violations = validate_contact(data, client_exists=self.client_exists, creating=creating)
        elif coll.name == CLIENT_NOTES:
            violations = validate_note(data, client_exists=self.client_exists)
        else:
            violations = validate_record(data, types=self.types)
            data.pop("clientContacts", None)  # computed from the contacts, never stored
        if violations:
            raise _HttpError(422, "; ".join(str(v) for v in violations), violations)
        if "client" in data:
            data["client"] = self.iri(CLIENTS, normalize_id(data["client"]))
        return data

    async def create_record(self, request: Request) -> Response:
        coll = self.collection(request)
        data = self.check_for(coll, await self.body(request, allowed=_JSON_TYPES), creating=True)
        record = coll.create(data)
        self.store.creates_applied += 1
        return self.ld(self.item(coll.name, record), 201)

    def _get_or_404(self, coll: Collection, record_id: str) -> dict[str, Any]:
        record = coll.get(record_id)
        if record is None:
            raise _HttpError(404, f"{_TYPES[coll.name]} {record_id} not found.")
        return record

    async def get_record(self, request: Request) -> Response:
        coll = self.collection(request)
        return self.ld(self.item(coll.name, self._get_or_404(coll, request.path_params["id"])))

    async def patch_record(self, request: Request) -> Response:
        coll = self.collection(request)
        rid = request.path_params["id"]
        self._get_or_404(coll, rid)
        data = self.check_for(coll, await self.body(request, allowed=(MERGE_PATCH_JSON,)), creating=False)
        record = coll.patch(rid, data)
        if record is None:
            raise _HttpError(404, f"{_TYPES[coll.name]} {rid} not found.")
        self.store.patches_applied += 1
        self.store.patches_by_record[str(normalize_id(rid) or rid)] += 1
        return self.ld(self.item(coll.name, record))

    async def delete_record(self, request: Request) -> Response:
        coll = self.collection(request)
        rid = request.path_params["id"]
        if not coll.delete(rid):
            raise _HttpError(404, f"{_TYPES[coll.name]} {rid} not found.")
        self.store.deletes_applied += 1
        return Response(status_code=204)

    async def merge_records(self, request: Request) -> Response:
        coll = self.store.counterparties
        survivor = request.path_params["id"]
        self._get_or_404(coll, survivor)
        data = await self.body(request, allowed=_JSON_TYPES)
        source = merge_source(data)
        if source is None:
            blank = Violation("counterparty", "This value should not be blank.")
            raise _HttpError(422, str(blank), [blank])
        if normalize_id(source) == normalize_id(survivor):
            raise _HttpError(409, "A counterparty cannot be merged into itself.")
        try:
            record = coll.merge(survivor, source)
        except KeyError:
            raise _HttpError(404, f"Counterparty {source} not found.") from None
        self.store.merges_applied += 1
        self.store.merge_log.append((normalize_id(survivor) or survivor, normalize_id(source) or source))
        return self.ld(self.item(coll.name, record))

    async def search_clients(self, request: Request) -> Response:
        text = (request.query_params.get(CLIENT_SEARCH_PARAM) or "").strip().casefold()
        if not text:
            raise _HttpError(400, f'Query parameter "{CLIENT_SEARCH_PARAM}" is required.')
        coll = self.store.clients

        def rows(offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
            hits = [
                r
                for r in coll
                if any(text in str(r.get(f) or "").casefold() for f in ("name", "tin", "vatNumber"))
            ]
            return len(hits), hits[offset : offset + limit]

        return self.hydra_page(request, coll, f"{self.prefix}/{CLIENTS}/search", rows)

    async def client_documents(self, request: Request) -> Response:
        rid = request.path_params["id"]
        self._get_or_404(self.store.clients, rid)
        # The sandbox holds no documents: an empty collection, paged like the others.
        return self.hydra_page(
            request,
            self.store.clients,
            f"{self.prefix}/{CLIENTS}/{rid}/documents",
            lambda offset, limit: (0, []),
        )

    def _ai_enrich(self, rid: Any) -> dict[str, Any]:
        coll = self.store.counterparties
        record = self._get_or_404(coll, rid)
        patch = ai_branding(record)
        self.store.ai_enriched[normalize_id(rid) or rid] += 1
        if patch:
            record = coll.patch(rid, patch) or record
            self.store.patches_applied += 1
        return record

    async def enrich_branding_ai(self, request: Request) -> Response:
        rid = request.path_params["id"]
        self._get_or_404(self.store.counterparties, rid)
        await self.body(request, allowed=_JSON_TYPES)  # an empty object (contract.py)
        return self.ld(self.item(COUNTERPARTIES, self._ai_enrich(rid)))

    async def enrich_branding_ai_bulk(self, request: Request) -> Response:
        ids = bulk_enrich_ids(await self.body(request, allowed=_JSON_TYPES))
        if not ids:
            violation = Violation("counterparties", BLANK)
            raise _HttpError(422, str(violation), [violation])
        if len(ids) > BULK_ENRICH_MAX:
            violation = Violation(
                "counterparties", f"This collection should contain {BULK_ENRICH_MAX} elements or less."
            )
            raise _HttpError(422, str(violation), [violation])
        missing = [
            Violation(f"counterparties[{n}]", f'Item not found for "{i}".')
            for n, i in enumerate(ids)
            if i not in self.store.counterparties
        ]
        if missing:
            raise _HttpError(422, "; ".join(str(v) for v in missing), missing)
        for rid in ids:
            self._ai_enrich(rid)
        return self.ld(bulk_enrich_body(ids, prefix=self.prefix), 202)

    async def legacy_create(self, request: Request) -> Response:
        coll = self.store.counterparties
        data = self.check_for(coll, await self.body(request, allowed=_JSON_TYPES), creating=True)
        record = coll.create(data)
        self.store.creates_applied += 1
        return self.ld(self.item(coll.name, record), 201)

    async def legacy_patch(self, request: Request) -> Response:
        coll = self.store.counterparties
        rid = request.path_params["id"]
        self._get_or_404(coll, rid)
        body = await self.body(request, allowed=(*_JSON_TYPES, MERGE_PATCH_JSON))
        record = coll.patch(rid, self.check_for(coll, body, creating=False))
        if record is None:
            raise _HttpError(404, f"Counterparty {rid} not found.")
        self.store.patches_applied += 1
        return self.ld(self.item(coll.name, record))

    async def login(self, request: Request) -> Response:
        self.store.requests[f"POST {LOGIN_PATH}"] += 1
        try:
            data = await self.body(request, allowed=_JSON_TYPES)
        except _HttpError as exc:
            return self.error(exc.status, exc.detail)
        user, password = data.get("username"), data.get("password")
        expected = (self.credentials or {}).get(user) if isinstance(user, str) else None
        if (
            expected is None
            or not isinstance(password, str)
            or not hmac.compare_digest(password.encode(), expected.encode())
        ):
            return JSONResponse({"code": 401, "message": "Invalid credentials."}, status_code=401)
        return JSONResponse({LOGIN_TOKEN_KEY: self.token})

    async def get_faults(self, request: Request) -> Response:
        return JSONResponse(self.faults.as_dict())

    async def put_faults(self, request: Request) -> Response:
        data = await self.body(request, allowed=(*_JSON_TYPES, MERGE_PATCH_JSON))
        try:
            self.faults.update(data)
        except ValueError as exc:
            raise _HttpError(422, str(exc), [Violation("", str(exc))]) from None
        return JSONResponse(self.faults.as_dict())

    async def get_stats(self, request: Request) -> Response:
        return JSONResponse(self.store.stats())

    # ----------------------------------------------------------------- app

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        self.write_back_now()

    def write_back_now(self) -> None:
        """Write the collections to their files (``--write-back``); called on shutdown."""
        for name, path in (self.write_back or {}).items():
            records: Any = self.store.collections[name]
            if name == CLIENTS:  # contacts go back embedded, as they came
                records = (self.client_with_contacts(r) for r in records)
            count = write_records(path, records)
            log.info("sandbox wrote %d %s back to %s", count, name, path)

    def asgi(self) -> Starlette:
        """The Starlette app serving this sandbox."""
        g, p = self.guarded, self.prefix
        routes = [
            Route(LOGIN_PATH, self.login, methods=["POST"]),
            Route(
                f"{p}{bulk_enrich_path()}",
                g(bulk_enrich_path(), self.enrich_branding_ai_bulk),
                methods=["POST"],
            ),
            Route(
                f"{p}{enrich_branding_path('{id}')}",
                g(enrich_branding_path("{id}"), self.enrich_branding_ai),
                methods=["POST"],
            ),
            Route(f"{p}/{CLIENTS}/search", g(f"/{CLIENTS}/search", self.search_clients), methods=["GET"]),
            Route(
                f"{p}/{CLIENTS}/{{id}}/documents",
                g(f"/{CLIENTS}/{{id}}/documents", self.client_documents),
                methods=["GET"],
            ),
            Route(
                f"{p}/{LEGACY_COUNTERPARTY}",
                g(f"/{LEGACY_COUNTERPARTY}", self.legacy_create),
                methods=["POST"],
            ),
            Route(
                f"{p}/{LEGACY_COUNTERPARTY}/{{id}}",
                g(f"/{LEGACY_COUNTERPARTY}/{{id}}", self.legacy_patch),
                methods=["PATCH"],
            ),
            Route(
                f"{p}/{COUNTERPARTIES}/{{id}}/merge",
                g(f"/{COUNTERPARTIES}/{{id}}/merge", self.merge_records),
                methods=["POST"],
            ),
        ]
        # Admin routes at the root and, with a prefix, under it too (a client's paths are prefixed).
        for root in sorted({"", p}):
            routes += [
                Route(
                    f"{root}/_sandbox/faults",
                    g("/_sandbox/faults", self.get_faults, api=False),
                    methods=["GET"],
                ),
                Route(
                    f"{root}/_sandbox/faults",
                    g("/_sandbox/faults", self.put_faults, api=False),
                    methods=["PUT"],
                ),
                Route(
                    f"{root}/_sandbox/stats", g("/_sandbox/stats", self.get_stats, api=False), methods=["GET"]
                ),
            ]
        for name in (COUNTERPARTIES, CLIENTS, CLIENT_CONTACTS, CLIENT_NOTES):
            routes += [
                Route(f"{p}/{name}", g(f"/{name}", self.list_records), methods=["GET"]),
                Route(f"{p}/{name}", g(f"/{name}", self.create_record), methods=["POST"]),
                Route(f"{p}/{name}/{{id}}", g(f"/{name}/{{id}}", self.get_record), methods=["GET"]),
                Route(f"{p}/{name}/{{id}}", g(f"/{name}/{{id}}", self.patch_record), methods=["PATCH"]),
                Route(f"{p}/{name}/{{id}}", g(f"/{name}/{{id}}", self.delete_record), methods=["DELETE"]),
            ]
        return Starlette(routes=routes, lifespan=self.lifespan)


def build_app(sandbox: SandboxApp) -> Starlette:
    """The ASGI app of ``sandbox`` (for uvicorn or ``httpx.ASGITransport``)."""
    return sandbox.asgi()
