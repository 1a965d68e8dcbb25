"""Hydra collection keys in both spellings: API Platform 3 (``hydra:member``) and 4 (``member``).

The client reads either spelling with :func:`members`, :func:`next_link` and :func:`total_items`;
the sandbox writes one of them, chosen by :class:`HydraKeys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HydraKeys", "members", "next_link", "total_items"]


@dataclass(frozen=True)
class HydraKeys:
    """The key names of one Hydra spelling (``prefixed``: API Platform 3's ``hydra:`` keys)."""

    prefixed: bool = True

    def key(self, name: str) -> str:
        """``key("member")`` is ``hydra:member`` in the prefixed spelling, ``member`` otherwise."""
        return f"hydra:{name}" if self.prefixed else name

    @property
    def collection_type(self) -> str:
        return self.key("Collection")

    @property
    def view_type(self) -> str:
        return self.key("PartialCollectionView")


def _either(data: Mapping[str, Any], name: str) -> Any:
    value = data.get(f"hydra:{name}")
    return data.get(name) if value is None else value


def members(page: Mapping[str, Any]) -> list[Any]:
    """The members of a collection page (``hydra:member`` or ``member``); [] when there are none."""
    value = _either(page, "member")
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"collection members must be a list, not {type(value).__name__}")
    return value


def next_link(page: Mapping[str, Any]) -> str | None:
    """The next page's link (``hydra:view``/``view`` -> ``hydra:next``/``next``), or None at the end."""
    view = _either(page, "view")
    if not isinstance(view, Mapping):
        return None
    link = _either(view, "next")
    return link if isinstance(link, str) and link else None


def total_items(page: Mapping[str, Any]) -> int | None:
    """``hydra:totalItems``/``totalItems`` when the server sent it."""
    value = _either(page, "totalItems")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
