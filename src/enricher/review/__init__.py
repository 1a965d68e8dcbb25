"""The review step: the report a person decides on, the decisions file, and applying merges (audited)."""

from enricher.review.apply import (
    APPLY_LOCK,
    APPLY_LOCK_TTL,
    ApplySummary,
    MergeClient,
    MergeOutcome,
    apply_merges,
)
from enricher.review.audit import AuditLog, default_audit_path
from enricher.review.decisions_file import (
    DECISIONS_FORMAT,
    DECISIONS_VERSION,
    Decision,
    DecisionsFile,
    DecisionsFileError,
    RecordSnapshot,
    load_decisions,
)
from enricher.review.fingerprint import IDENTITY_FIELDS, changed_fields, fingerprint, identity
from enricher.review.health import branding_health, logo_reasons, read_enrichment_summary
from enricher.review.model import ReportData, build_report_data, pick_survivor
from enricher.review.render import ReportPaths, render_csv, render_html, render_json, write_report

__all__ = [
    "APPLY_LOCK",
    "APPLY_LOCK_TTL",
    "DECISIONS_FORMAT",
    "DECISIONS_VERSION",
    "IDENTITY_FIELDS",
    "ApplySummary",
    "AuditLog",
    "Decision",
    "DecisionsFile",
    "DecisionsFileError",
    "MergeClient",
    "MergeOutcome",
    "RecordSnapshot",
    "ReportData",
    "ReportPaths",
    "apply_merges",
    "branding_health",
    "build_report_data",
    "changed_fields",
    "default_audit_path",
    "fingerprint",
    "identity",
    "load_decisions",
    "logo_reasons",
    "pick_survivor",
    "read_enrichment_summary",
    "render_csv",
    "render_html",
    "render_json",
    "write_report",
]
