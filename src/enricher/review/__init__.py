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
from enricher.review.clients import (
    ClientData,
    NotesSummary,
    build_client_section,
    client_section,
    fetch_clients,
    leave_client_notes,
    load_client_decisions,
    note_marker,
    render_clients_csv,
)
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
from enricher.review.render import (
    CLIENTS_CSV,
    ReportPaths,
    render_csv,
    render_html,
    render_json,
    write_report,
)

__all__ = [
    "APPLY_LOCK",
    "APPLY_LOCK_TTL",
    "CLIENTS_CSV",
    "DECISIONS_FORMAT",
    "DECISIONS_VERSION",
    "IDENTITY_FIELDS",
    "ApplySummary",
    "AuditLog",
    "ClientData",
    "Decision",
    "DecisionsFile",
    "DecisionsFileError",
    "MergeClient",
    "MergeOutcome",
    "NotesSummary",
    "RecordSnapshot",
    "ReportData",
    "ReportPaths",
    "apply_merges",
    "branding_health",
    "build_client_section",
    "build_report_data",
    "changed_fields",
    "client_section",
    "default_audit_path",
    "fetch_clients",
    "fingerprint",
    "identity",
    "leave_client_notes",
    "load_client_decisions",
    "load_decisions",
    "logo_reasons",
    "note_marker",
    "pick_survivor",
    "read_enrichment_summary",
    "render_clients_csv",
    "render_csv",
    "render_html",
    "render_json",
    "write_report",
]
