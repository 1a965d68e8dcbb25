"""Typed records of the Flowtly API beyond the domain's own :class:`~enricher.records.Counterparty`."""

from __future__ import annotations

from enricher.records import Counterparty

__all__ = ["Client"]


class Client(Counterparty):
    """A Flowtly client record: the same identity fields as a counterparty."""
