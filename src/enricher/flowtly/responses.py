"""What a Flowtly response says beyond its status (the error's reason, the violated fields), and what
a client's requests came to (responses by status, retries), for run summaries."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from enricher.errors import Violation

__all__ = ["ClientStats", "detail", "violations"]


def detail(response: httpx.Response) -> str:
    """A short human reason from an error body (Hydra, RFC 7807 or Lexik JWT shapes)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text.strip().replace("\n", " ")
        return text[:200]
    if isinstance(body, dict):
        for key in ("hydra:description", "description", "detail", "message", "hydra:title", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return ""


def violations(response: httpx.Response) -> list[Violation]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    raw = body.get("violations") if isinstance(body, dict) else None
    found: list[Violation] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            found.append(Violation(str(item.get("propertyPath") or ""), str(item.get("message") or "")))
    return found


@dataclass
class ClientStats:
    """What one client did, for run summaries: responses by status, retries, network failures."""

    responses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    network_errors: int = 0

    def count(self, status: int) -> None:
        self.responses[status] += 1

    @property
    def requests(self) -> int:
        """Requests that got an answer."""
        return sum(self.responses.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "responses": {str(k): v for k, v in sorted(self.responses.items())},
            "retries": self.retries,
            "network_errors": self.network_errors,
        }
