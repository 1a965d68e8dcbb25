"""Duplicate detection for counterparty registers: pure functions, no I/O.

normalise (:mod:`.normalize`, :mod:`.records`) -> block (:mod:`.blocking`) -> compare
(:mod:`.features`) -> score (:mod:`.scoring`, Fellegi–Sunter with EM-learnt weights) -> band and
cluster (:mod:`.cluster`) -> band (:mod:`.bands`); people's answers teach it (:mod:`.learning`);
:func:`match` runs it all, :class:`MatchIndex` answers for one record at a time, :mod:`.fanout`
splits a full match over processes by slices of its pairs.
"""

from enricher.matching import decisions, fanout
from enricher.matching.bands import MERGE_THRESHOLD, REVIEW_THRESHOLD
from enricher.matching.batches import no_gc
from enricher.matching.cluster import Link, cluster_links, survivor
from enricher.matching.contacts import (
    ClientLink,
    ContactKeys,
    contact_keys,
    is_free_mail,
    link_clients,
    match_clients,
)
from enricher.matching.decisions import DecisionMemory, InMemoryDecisions, Judgement
from enricher.matching.engine import match
from enricher.matching.index import MatchIndex, learn
from enricher.matching.learning import Calibration, Label, LabelError, LearnedModel, check_labels
from enricher.matching.records import Prepared, prepare
from enricher.matching.results import (
    Band,
    Candidate,
    Cluster,
    Evidence,
    MatchResult,
    counts_text,
    stages_text,
)
from enricher.records import pair_key

__all__ = [
    "MERGE_THRESHOLD",
    "REVIEW_THRESHOLD",
    "Band",
    "Calibration",
    "Candidate",
    "ClientLink",
    "Cluster",
    "ContactKeys",
    "DecisionMemory",
    "Evidence",
    "InMemoryDecisions",
    "Judgement",
    "Label",
    "LabelError",
    "LearnedModel",
    "Link",
    "MatchIndex",
    "MatchResult",
    "Prepared",
    "check_labels",
    "cluster_links",
    "contact_keys",
    "counts_text",
    "decisions",
    "fanout",
    "is_free_mail",
    "learn",
    "link_clients",
    "match",
    "match_clients",
    "no_gc",
    "pair_key",
    "prepare",
    "stages_text",
    "survivor",
]
