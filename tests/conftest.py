"""Shared fixtures: a real sandbox server on loopback and a client to it.

``sandbox`` serves the bundled sample (or ``SMALL_REGISTER`` until the sample exists);
``sandbox_factory(records, **options)`` starts sandboxes with any ``running_sandbox`` options;
``flowtly_client`` talks to ``sandbox`` with millisecond backoff, so retry tests stay fast.
Record factories and the fast retry policy live in :mod:`enricher.flowtly.testing`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from enricher.flowtly import FlowtlyClient, Sandbox, running_sandbox
from enricher.flowtly.testing import SMALL_REGISTER, bundled_sample, fast_backoff

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes: ``sandbox_factory(records, **running_sandbox_options)``; all stop after the test."""
    with contextlib.ExitStack() as stack:

        def start(records: Any = None, **options: Any) -> Sandbox:
            return stack.enter_context(running_sandbox(records, **options))

        yield start


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> Sandbox:
    """A sandbox on the bundled sample, or on SMALL_REGISTER while the sample does not exist."""
    return sandbox_factory(bundled_sample() or SMALL_REGISTER)


@pytest.fixture
def flowtly_client(sandbox: Sandbox) -> Iterator[FlowtlyClient]:
    """A client to ``sandbox`` with millisecond backoff."""
    with FlowtlyClient(sandbox.api_url, token=sandbox.token, timeout=10.0, backoff=fast_backoff()) as client:
        yield client
