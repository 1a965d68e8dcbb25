"""The merge audit log: one JSON object per line, appended and fsynced before and after each merge.

Events (``event`` key):

* ``merge.attempt``: written *before* the API call, with both records' full pre-merge state, so a
  crash between the call and its answer still leaves the state a person needs to undo it by hand;
* ``merge.applied``: the API confirmed; the same pre-merge states plus ``response`` (the survivor as
  the API returned it after the merge);
* ``merge.failed``: the API refused or failed; ``error`` says how. A re-run tries again.

Every line carries ``at`` (UTC), ``decisionsFile`` (absolute path), ``reportId``, ``survivor`` and
``source``. To undo a merge: recreate ``sourcePreMerge`` and restore ``survivorPreMerge``'s fields.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enricher.config import Settings
from enricher.errors import StateError

__all__ = ["AUDIT_FILE", "AuditLog", "default_audit_path"]

AUDIT_FILE = "merge-audit.jsonl"


class AuditLog:
    """Appends audit events to a JSON-lines file (created with its directory on first write)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one event and fsync it: the line is on disk before the caller goes on."""
        entry = {
            "event": event,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        entry.update(fields)
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND: concurrent writers never interleave within a line of this size.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StateError(f"cannot write the audit log {self.path}: {exc.strerror or exc}") from exc
        return entry

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every readable event in order; a torn last line (crash mid-write) is left out."""
        try:
            handle = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        """The events, all or of one kind."""
        return [e for e in self if event is None or e.get("event") == event]


def default_audit_path(settings: Settings) -> Path:
    """``<ENRICHER_STATE_DIR>/merge-audit.jsonl``: next to the decision store, which it must outlive with.

    Not under ``out/``: reports there are rewritten every run, the audit log is kept for good.
    """
    return Path(settings.state_dir) / AUDIT_FILE
