"""A local Flowtly-compatible server with fault injection: the tests' and the demo's Flowtly."""

from enricher.flowtly.sandbox.app import SandboxApp, build_app
from enricher.flowtly.sandbox.faults import Faults
from enricher.flowtly.sandbox.loader import (
    bundled_clients_path,
    bundled_records_path,
    read_records,
    write_records,
)
from enricher.flowtly.sandbox.server import (
    DEFAULT_TOKEN,
    RecordSource,
    Sandbox,
    build_sandbox,
    running_sandbox,
    serve_forever,
)
from enricher.flowtly.sandbox.store import Collection, SandboxStore

__all__ = [
    "DEFAULT_TOKEN",
    "Collection",
    "Faults",
    "RecordSource",
    "Sandbox",
    "SandboxApp",
    "SandboxStore",
    "build_app",
    "build_sandbox",
    "bundled_clients_path",
    "bundled_records_path",
    "read_records",
    "running_sandbox",
    "serve_forever",
    "write_records",
]
