"""What a person said about a pair: read by matching (it learns from answers) and kept by the state."""

from __future__ import annotations

import enum

__all__ = ["Judgement"]


class Judgement(enum.Enum):
    """What a person said about a pair."""

    APPROVED = "approved"
    REJECTED = "rejected"
