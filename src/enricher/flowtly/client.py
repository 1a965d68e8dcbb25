"""The Flowtly API client: bearer auth (or a login that fetches a token), Hydra paging, retries, typed errors.

Every call has a timeout. 429, 5xx and network failures are retried with :class:`~enricher.flowtly.retry.
Backoff` (``Retry-After`` honoured), a bounded number of times, then raise ``TransientError``. POSTs that
create records are retried only when the server surely did nothing (429, 503, connection refused), so a
retry can never create a record twice. Other statuses map to the tree in :mod:`enricher.errors`. The token
is kept in a :class:`_Secret` and never appears in reprs, logs or error messages.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Self, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from enricher.config import Settings
from enricher.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    ConflictError,
    FlowtlyError,
    NotFoundError,
    RecordError,
    TransientError,
    ValidationError,
    Violation,
)
from enricher.flowtly import responses
from enricher.flowtly.contract import (
    BULK_ENRICH_MAX,
    CLIENT_CONTACTS,
    CLIENT_NOTES,
    CLIENT_SEARCH_PARAM,
    CLIENTS,
    COUNTERPARTIES,
    LD_JSON,
    LEGACY_PATCH_JSON,
    LOGIN_PATH,
    LOGIN_TOKEN_KEY,
    MERGE_PATCH_JSON,
    bulk_enrich_body,
    bulk_enrich_path,
    client_note_body,
    enrich_branding_path,
    legacy_path,
    login_body,
    merge_body,
    merge_path,
)
from enricher.flowtly.hydra import members, next_link, total_items
from enricher.flowtly.responses import ClientStats
from enricher.flowtly.retry import Backoff, parse_retry_after
from enricher.metrics import FLOWTLY_REQUESTS, FLOWTLY_RETRIES
from enricher.records import Client, ClientContact, ClientNote, Counterparty, IdError, RecordId, canonical_id

__all__ = ["ClientStats", "FlowtlyClient"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

_CONNECT_PHASE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Network failures that happen before the request reached the server: always safe to retry."""

_USER_AGENT = "enricher/0.1 (flowtly client)"


class _Secret:
    """A string that does not show itself: ``repr``/``str`` print stars."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "_Secret('********')"

    __str__ = __repr__


class FlowtlyClient:
    """A synchronous client for the Flowtly API (or the sandbox). Use it as a context manager.

    ``base_url`` may carry a path prefix (``https://host/api``); server links are resolved against it.
    Pass ``http`` to share a connection pool or inject a transport; ``backoff`` to tune the retries.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        login_path: str = LOGIN_PATH,
        timeout: float = 30.0,
        retries: int = 5,
        page_size: int = 100,
        http: httpx.Client | None = None,
        backoff: Backoff | None = None,
        legacy_writes: bool = False,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.username is not None or parts.password is not None:
            # Said without echoing the URL: it holds a secret.
            raise ConfigError(
                "ENRICHER_FLOWTLY_URL", "credentials in the URL are not supported (use the token or login)"
            )
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError("ENRICHER_FLOWTLY_URL", f"expected an http(s) URL, got {base_url!r}")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")
        self.base_url = self.origin + self.prefix
        self.page_size = page_size
        self.legacy_writes = legacy_writes
        """Create and patch counterparties through the legacy ``/counterparty`` endpoints."""
        self.timeout = httpx.Timeout(timeout)
        self.backoff = backoff if backoff is not None else Backoff(retries=retries)
        self.login_url = urljoin(self.origin, login_path)
        self._token = _Secret(token) if token else None
        self._login = (username, _Secret(password)) if username and password is not None else None
        self._token_from_login = False
        self._lock = threading.Lock()
        self.stats = ClientStats()
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(headers={"User-Agent": _USER_AGENT})

    @classmethod
    def from_settings(cls, settings: Settings, *, http: httpx.Client | None = None) -> FlowtlyClient:
        """A client for ``ENRICHER_FLOWTLY_URL`` with the configured auth, timeout, retries and page size."""
        if settings.flowtly_url is None:
            raise ConfigError(
                "ENRICHER_FLOWTLY_URL", "not set (use enricher.flowtly.connect() for the embedded sandbox)"
            )
        return cls(
            settings.flowtly_url,
            token=settings.flowtly_token.get_secret_value() if settings.flowtly_token else None,
            username=settings.flowtly_username,
            password=settings.flowtly_password.get_secret_value() if settings.flowtly_password else None,
            login_path=settings.flowtly_login_path,
            timeout=settings.flowtly_timeout,
            retries=settings.flowtly_retries,
            page_size=settings.flowtly_page_size,
            http=http,
            legacy_writes=settings.flowtly_legacy_writes,
        )

    def __repr__(self) -> str:
        auth = "token" if self._token and not self._token_from_login else "login" if self._login else "none"
        return f"FlowtlyClient(base_url={self.base_url!r}, auth={auth!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_http:
            self._http.close()

    # ------------------------------------------------------------------ URLs

    def url(self, path: str) -> str:
        """An absolute URL for an API path, an IRI or a server link.

        Absolute paths from the server (``/api/counterparties?page=2``) already carry the prefix; paths
        without it (``/counterparties``) get the base URL's prefix; full URLs must be on our origin,
        so the token is never sent elsewhere.
        """
        if urlsplit(path).scheme:
            if not path.startswith(self.origin + "/") and path != self.origin:
                raise FlowtlyError(f"refusing to follow a link to another host: {path}")
            return path
        if not path.startswith("/"):
            return urljoin(self.base_url + "/", path)
        if self.prefix and (path == self.prefix or path.startswith((self.prefix + "/", self.prefix + "?"))):
            return self.origin + path
        return self.base_url + path

    @staticmethod
    def _id(record_id: RecordId) -> RecordId:
        try:
            return canonical_id(record_id)
        except IdError as exc:
            raise ValueError(f"not a record id ({exc})") from None

    def _record_path(self, collection: str, record_id: RecordId) -> str:
        return f"/{collection}/{quote(str(self._id(record_id)), safe='')}"

    # ------------------------------------------------------------------ auth

    def _authorization(self) -> str | None:
        with self._lock:
            if self._token is None and self._login is not None:
                self._token = self._fetch_token(*self._login)
                self._token_from_login = True
            return f"Bearer {self._token.reveal()}" if self._token else None

    def _fetch_token(self, username: str, password: _Secret) -> _Secret:
        response = self._send(
            "POST",
            self.login_url,
            body=login_body(username, password.reveal()),
            content_type="application/json",
            idempotent=False,
            auth=False,
        )
        try:
            token = response.json().get(LOGIN_TOKEN_KEY)
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise AuthError(
                f"login answered without a {LOGIN_TOKEN_KEY!r}", method="POST", url=self.login_url
            )
        log.info("logged in to Flowtly as %s", username)
        return _Secret(token)

    # ------------------------------------------------------------------ transport

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        idempotent: bool = True,
        auth: bool = True,
        pass_404_after_retry: bool = False,
    ) -> httpx.Response:
        """One API call with retries; raises the mapped error for any failure status."""
        content = None if body is None else json.dumps(body).encode()
        attempt = 0
        relogged = False
        while True:
            headers = {"Accept": LD_JSON}
            if content_type:
                headers["Content-Type"] = content_type
            if auth:
                authorization = self._authorization()
                if authorization:
                    headers["Authorization"] = authorization
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=self.timeout,
                    follow_redirects=False,  # even when the injected client would
                )
            except httpx.TransportError as exc:
                self.stats.network_errors += 1
                FLOWTLY_REQUESTS.labels(method, "network").inc()
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if (idempotent or isinstance(exc, _CONNECT_PHASE)) and attempt < self.backoff.retries:
                    self._pause(method, url, attempt, reason, None)
                    attempt += 1
                    continue
                raise TransientError(
                    f"network error after {attempt} retries: {reason}", method=method, url=url
                ) from exc
            status = response.status_code
            log.debug("%s %s -> %d", method, url, status)
            self.stats.count(status)
            FLOWTLY_REQUESTS.labels(method, str(status)).inc()
            if status < 300:
                return response
            if status < 400:  # redirects are not followed: the token must not travel to a new place
                where = response.headers.get("location", "?")
                raise FlowtlyError(
                    f"unexpected redirect (HTTP {status}) to {where}", method=method, url=url, status=status
                )
            if status == 404 and pass_404_after_retry and attempt > 0:
                return response
            if status == 401 and auth and self._login is not None and not relogged:
                # The token (given, or from an earlier login) may have expired: log in again, once.
                with self._lock:
                    self._token = None
                relogged = True
                continue
            if status == 429 or status >= 500:
                retriable = idempotent or status in (429, 503)
                if retriable and attempt < self.backoff.retries:
                    wait = parse_retry_after(response.headers.get("retry-after"))
                    self._pause(method, url, attempt, f"HTTP {status}", wait)
                    attempt += 1
                    continue
                detail = responses.detail(response)
                raise TransientError(
                    f"Flowtly answered HTTP {status} and gave up after {attempt} retries"
                    + (f": {detail}" if detail else ""),
                    method=method,
                    url=url,
                    status=status,
                )
            raise self._error(method, url, response)

    def _pause(self, method: str, url: str, attempt: int, reason: str, retry_after: float | None) -> None:
        self.stats.retries += 1
        FLOWTLY_RETRIES.labels(reason if reason.startswith("HTTP ") else "network").inc()
        seconds = self.backoff.delay(attempt, retry_after)
        log.info(
            "%s %s failed (%s); retry %d/%d in %.2fs",
            *(method, url, reason, attempt + 1, self.backoff.retries, seconds),
        )
        if seconds > 0:
            self.backoff.sleep(seconds)

    @staticmethod
    def _error(method: str, url: str, response: httpx.Response) -> FlowtlyError:
        status = response.status_code
        detail = responses.detail(response)
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            what = "not authenticated" if status == 401 else "not allowed"
            message = f"Flowtly refused the credentials (HTTP {status}, {what}){suffix}"
            return AuthError(message, method=method, url=url, status=status)
        if status == 404:
            return NotFoundError(f"not found (HTTP 404){suffix}", method=method, url=url, status=status)
        if status == 409:
            return ConflictError(f"conflict (HTTP 409){suffix}", method=method, url=url, status=status)
        if status == 422:
            found = responses.violations(response) or [Violation("", detail)]
            return ValidationError(found, method=method, url=url, status=status)
        message = f"Flowtly refused the request (HTTP {status}){suffix}"
        return BadRequestError(message, method=method, url=url, status=status)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise FlowtlyError(
                "Flowtly answered with a body that is not JSON",
                method=response.request.method,
                url=str(response.request.url),
                status=response.status_code,
            ) from None

    # ------------------------------------------------------------------ generic verbs

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a path (or IRI/link) below the base URL; the decoded JSON."""
        return self._json(self._send("GET", self.url(path), params=params))

    def post(self, path: str, data: Mapping[str, Any], *, idempotent: bool = False) -> Any:
        """POST JSON-LD; retried on 5xx/timeouts only when ``idempotent``."""
        return self._json(
            self._send("POST", self.url(path), body=dict(data), content_type=LD_JSON, idempotent=idempotent)
        )

    def patch(self, path: str, patch: Mapping[str, Any], *, content_type: str = MERGE_PATCH_JSON) -> Any:
        """PATCH with ``application/merge-patch+json`` (idempotent, so retried)."""
        response = self._send("PATCH", self.url(path), body=dict(patch), content_type=content_type)
        return self._json(response)

    def delete(self, path: str) -> None:
        """DELETE; a 404 on a retry means an earlier attempt went through, which counts as success."""
        self._send("DELETE", self.url(path), pass_404_after_retry=True)

    # ------------------------------------------------------------------ collections

    def iter_collection(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every member of a Hydra collection, page by page, following ``next`` to the end.

        Lazy, one page in memory at a time. Either key spelling (``hydra:member``/``member``) is read.
        """
        query: dict[str, Any] | None = {"itemsPerPage": self.page_size, **(params or {})}
        url: str | None = self.url(path)
        recent: deque[str] = deque(maxlen=16)  # loop guard with constant memory
        while url is not None:
            page = self._json(self._send("GET", url, params=query))
            if not isinstance(page, dict):
                raise FlowtlyError("a collection page must be a JSON object", method="GET", url=url)
            try:
                items = members(page)
            except ValueError as exc:
                raise FlowtlyError(str(exc), method="GET", url=url) from None
            link = next_link(page)
            del page
            yield from (item for item in items if isinstance(item, dict))
            del items
            if link is None:
                return
            url, query = self.url(link), None
            if url in recent:
                raise FlowtlyError(f"the collection's next link loops back to {link}", method="GET", url=url)
            recent.append(url)

    def count(self, path: str, params: Mapping[str, Any] | None = None) -> int | None:
        """``totalItems`` of a collection (one tiny page), or None when the server does not say."""
        page = self.get(path, {**(params or {}), "itemsPerPage": 1})
        return total_items(page) if isinstance(page, dict) else None

    def _iter_models(
        self,
        collection: str,
        model: type[M],
        params: Mapping[str, Any],
        on_error: Callable[[RecordError], None] | None,
    ) -> Iterator[M]:
        for index, item in enumerate(self.iter_collection(f"/{collection}", params)):
            try:
                yield model.model_validate(item)
            except PydanticValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "record"
                error = RecordError(
                    f"{field}: {first['msg']}",
                    where=f"{collection} #{index} ({item.get('@id', item.get('id'))})",
                    record_id=item.get("id"),
                )
                if on_error is None:
                    log.warning("skipped a malformed record: %s", error)
                else:
                    on_error(error)

    def iter_counterparties(
        self, *, on_error: Callable[[RecordError], None] | None = None, **params: Any
    ) -> Iterator[Counterparty]:
        """All counterparties (``params`` are query filters), lazily; malformed ones are skipped and
        reported to ``on_error`` (default: a warning in the log)."""
        return self._iter_models(COUNTERPARTIES, Counterparty, params, on_error)

    def iter_clients(
        self, *, on_error: Callable[[RecordError], None] | None = None, **params: Any
    ) -> Iterator[Client]:
        """All clients, lazily, like :meth:`iter_counterparties`."""
        return self._iter_models(CLIENTS, Client, params, on_error)

    def count_counterparties(self, **params: Any) -> int | None:
        """How many counterparties there are (for progress bars), when the server says."""
        return self.count(f"/{COUNTERPARTIES}", params)

    # ------------------------------------------------------------------ counterparties

    def _counterparty(self, data: Any, method: str, path: str) -> Counterparty:
        try:
            return Counterparty.model_validate(data)
        except PydanticValidationError as exc:
            raise FlowtlyError(
                f"unreadable counterparty in the response: {exc.errors()[0]['msg']}", method=method, url=path
            ) from None

    def get_counterparty(self, record_id: RecordId) -> Counterparty:
        """One counterparty; NotFoundError when it does not exist."""
        path = self._record_path(COUNTERPARTIES, record_id)
        return self._counterparty(self.get(path), "GET", path)

    def create_counterparty(self, data: Mapping[str, Any]) -> Counterparty:
        """Create a counterparty; the created record (with its new id). Legacy endpoint when configured."""
        path = legacy_path() if self.legacy_writes else f"/{COUNTERPARTIES}"
        return self._counterparty(self.post(path, data), "POST", path)

    def patch_counterparty(self, record_id: RecordId, patch: Mapping[str, Any]) -> Counterparty:
        """Merge-patch a counterparty (only the given fields change); the record after the change.
        With ``legacy_writes`` it goes to ``PATCH /counterparty/{id}`` as plain JSON (contract.py).

        A PATCH whose answer was a 5xx or a broken connection may have been applied all the same (a
        proxy lost the reply). Before sending it again the record is read: one that already holds
        every patched value is the answer, so a change is never applied twice.
        """
        if self.legacy_writes:
            path = legacy_path(quote(str(self._id(record_id)), safe=""))
            content_type = LEGACY_PATCH_JSON
        else:
            path = self._record_path(COUNTERPARTIES, record_id)
            content_type = MERGE_PATCH_JSON
        url = self.url(path)
        attempt = 0
        while True:
            try:
                response = self._send(
                    "PATCH", url, body=dict(patch), content_type=content_type, idempotent=False
                )
                return self._counterparty(self._json(response), "PATCH", path)
            except TransientError:
                if attempt >= self.backoff.retries:
                    raise
                current = self.get_counterparty(record_id)
                if all(current.api_dict().get(k) == v for k, v in patch.items()):
                    return current
                self._pause("PATCH", url, attempt, "failed, not applied", None)
                attempt += 1

    # ------------------------------------------------------------------ Flowtly's AI branding

    def enrich_branding_ai(self, record_id: RecordId) -> Counterparty:
        """Ask Flowtly's AI to brand one counterparty, then re-read it (the answer's shape is a guess)."""
        path = enrich_branding_path(quote(str(self._id(record_id)), safe=""))
        # Branding twice fills nothing new, so the call is retried like an idempotent one.
        self.post(path, {}, idempotent=True)
        return self.get_counterparty(record_id)

    def enrich_branding_ai_bulk(self, record_ids: list[RecordId]) -> None:
        """Ask Flowtly's AI to brand many counterparties, :data:`BULK_ENRICH_MAX` per request.
        The caller re-reads the records to see what changed."""
        ids = [self._id(i) for i in record_ids]
        for start in range(0, len(ids), BULK_ENRICH_MAX):
            batch = ids[start : start + BULK_ENRICH_MAX]
            self.post(bulk_enrich_path(), bulk_enrich_body(batch, prefix=self.prefix), idempotent=True)

    # ------------------------------------------------------------------ clients

    def _model(self, model: type[M], data: Any, method: str, path: str) -> M:
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            what = model.__name__
            raise FlowtlyError(
                f"unreadable {what} in the response: {exc.errors()[0]['msg']}", method=method, url=path
            ) from None

    def get_client(self, record_id: RecordId) -> Client:
        """One client; NotFoundError when it does not exist."""
        path = self._record_path(CLIENTS, record_id)
        return self._model(Client, self.get(path), "GET", path)

    def create_client(self, data: Mapping[str, Any]) -> Client:
        """Create a client; the created record."""
        path = f"/{CLIENTS}"
        return self._model(Client, self.post(path, data), "POST", path)

    def patch_client(self, record_id: RecordId, patch: Mapping[str, Any]) -> Client:
        """Merge-patch a client; the record after the change."""
        path = self._record_path(CLIENTS, record_id)
        return self._model(Client, self.patch(path, patch), "PATCH", path)

    def search_clients(self, text: str) -> Iterator[Client]:
        """Clients the API's search finds for ``text`` (``GET /clients/search``; parameter in contract.py)."""
        for item in self.iter_collection(f"/{CLIENTS}/search", {CLIENT_SEARCH_PARAM: text}):
            yield self._model(Client, item, "GET", f"/{CLIENTS}/search")

    def iter_client_documents(self, record_id: RecordId) -> Iterator[dict[str, Any]]:
        """The documents of one client, as the API gives them (not read by enricher so far)."""
        return self.iter_collection(f"{self._record_path(CLIENTS, record_id)}/documents")

    def iter_client_contacts(
        self, *, on_error: Callable[[RecordError], None] | None = None, **params: Any
    ) -> Iterator[ClientContact]:
        """All client contacts (``client="/clients/3"`` narrows to one client), lazily."""
        return self._iter_models(CLIENT_CONTACTS, ClientContact, params, on_error)

    def create_client_contact(self, data: Mapping[str, Any]) -> ClientContact:
        """Create a contact (``client`` as an IRI or id)."""
        body = dict(data)
        if body.get("client") is not None and not str(body["client"]).startswith("/"):
            body["client"] = f"{self.prefix}/{CLIENTS}/{self._id(body['client'])}"
        path = f"/{CLIENT_CONTACTS}"
        return self._model(ClientContact, self.post(path, body), "POST", path)

    def iter_client_notes(
        self, *, on_error: Callable[[RecordError], None] | None = None, **params: Any
    ) -> Iterator[ClientNote]:
        """Client notes (``client="/clients/3"`` narrows to one client), lazily."""
        return self._iter_models(CLIENT_NOTES, ClientNote, params, on_error)

    def create_client_note(self, client_id: RecordId, employee: str, note: str) -> ClientNote:
        """Leave a note on a client. Not retried once the server may have taken it (no double notes)."""
        path = f"/{CLIENT_NOTES}"
        body = client_note_body(self._id(client_id), employee, note, prefix=self.prefix)
        return self._model(ClientNote, self.post(path, body), "POST", path)

    def client_iri(self, client_id: RecordId) -> str:
        """The IRI the API uses for a client (with the base URL's prefix), e.g. for filters."""
        return f"{self.prefix}/{CLIENTS}/{self._id(client_id)}"

    def delete_counterparty(self, record_id: RecordId) -> None:
        """Delete a counterparty; NotFoundError when it was not there."""
        self.delete(self._record_path(COUNTERPARTIES, record_id))

    def merge_counterparties(self, survivor_id: RecordId, source_id: RecordId) -> Counterparty:
        """Merge ``source_id`` into ``survivor_id``; the survivor after the merge.

        The request shape is the assumption in :mod:`enricher.flowtly.contract`. A merge is retried like
        an idempotent call: if a retry finds the source gone while the survivor stands, the first
        attempt went through, and the survivor is returned.
        """
        survivor, source = self._id(survivor_id), self._id(source_id)
        if survivor == source:
            # 1, "1", " 1 " and "/counterparties/1" are one record: never ask the API to merge it into itself.
            raise ConflictError(f"cannot merge record {survivor!r} into itself", method="POST")
        path = merge_path(quote(str(survivor), safe=""))
        url = self.url(path)
        response = self._send(
            "POST",
            url,
            body=merge_body(source, prefix=self.prefix),
            content_type=LD_JSON,
            pass_404_after_retry=True,
        )
        if response.status_code == 404:
            record = self.get_counterparty(survivor)
            try:
                self.get_counterparty(source)
            except NotFoundError:
                return record
            raise self._error("POST", url, response)
        return self._counterparty(self._json(response), "POST", path)
