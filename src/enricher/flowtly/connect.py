"""``connect(settings)``: a client to the configured Flowtly, or to an embedded sandbox when none is set."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

from enricher.config import Settings
from enricher.flowtly.client import FlowtlyClient
from enricher.flowtly.sandbox import bundled_clients_path, bundled_records_path, running_sandbox

__all__ = ["connect"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def connect(settings: Settings) -> Iterator[FlowtlyClient]:
    """A client for ``settings``; with ``ENRICHER_FLOWTLY_URL`` unset, an embedded sandbox on the
    bundled sample and its clients (or ``ENRICHER_SANDBOX_DATA`` and ``ENRICHER_SANDBOX_CLIENTS``) runs
    for the duration of the ``with`` block."""
    if settings.flowtly_url is not None:
        with FlowtlyClient.from_settings(settings) as client:
            yield client
        return
    data = settings.sandbox_data or bundled_records_path()
    clients = settings.sandbox_clients or (bundled_clients_path() if settings.sandbox_data is None else None)
    token = secrets.token_urlsafe(24)
    with running_sandbox(Path(data), clients=clients, token=token) as sandbox:
        log.info("no ENRICHER_FLOWTLY_URL: serving %s from an embedded sandbox at %s", data, sandbox.api_url)
        with FlowtlyClient(
            sandbox.api_url,
            token=token,
            timeout=settings.flowtly_timeout,
            retries=settings.flowtly_retries,
            page_size=settings.flowtly_page_size,
            legacy_writes=settings.flowtly_legacy_writes,
        ) as client:
            yield client
