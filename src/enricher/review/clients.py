"""Duplicate clients in the report, and the one write they allow: a note on each approved duplicate.

Flowtly has no client merge, so the report proposes and the decisions file records (its
``clientDecisions``: ``{"a": ID, "b": ID, "decision": "approve"|"reject"|"skip"}``, written by the
report's client section and ignored by ``merges apply``). :func:`leave_client_notes` leaves, for
each approved pair, a note on both clients naming the other (``POST /client-notes``), once: a note
carries a marker that a rerun finds, so running again writes nothing new. Every note is audited like
a merge (``client-note.attempt`` / ``.applied`` / ``.failed`` / ``.skipped``), and the decisions are
remembered in the client decision store, so a rejected pair is not proposed again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from enricher.errors import FlowtlyError
from enricher.flowtly.contract import CLIENT_NOTES_FILTER, note_text
from enricher.matching import ClientLink, DecisionMemory, Judgement, link_clients, match_clients
from enricher.records import Client, ClientContact, ClientNote, Counterparty, IdError, RecordId, canonical_id
from enricher.review.audit import AuditLog
from enricher.review.decisions_file import DecisionsFileError

__all__ = [
    "ClientData",
    "ClientNoteApi",
    "NoteOutcome",
    "NotesSummary",
    "build_client_section",
    "client_section",
    "fetch_clients",
    "leave_client_notes",
    "load_client_decisions",
    "note_marker",
    "render_clients_csv",
]

_SHOWN = ("name", "tin", "vatNumber", "addressCity", "country", "addressPhoneNumber", "corporateWebsiteUrl")


def _order(rid: RecordId) -> tuple[bool, int, str]:
    return (isinstance(rid, str), rid if isinstance(rid, int) else 0, str(rid))


def _key(a: RecordId, b: RecordId) -> tuple[RecordId, RecordId]:
    """A pair in a fixed order (ids as the API reads them), so (a, b) and (b, a) are one pair."""
    ca, cb = canonical_id(a), canonical_id(b)
    return (ca, cb) if _order(ca) <= _order(cb) else (cb, ca)


def _same(a: RecordId | None, b: RecordId) -> bool:
    try:
        return a is not None and canonical_id(a) == canonical_id(b)
    except IdError:
        return False


def note_marker(a: RecordId, b: RecordId) -> str:
    """The marker both notes of one approved pair carry (order-free), so a rerun finds them."""
    first, second = _key(a, b)
    return f"enricher:duplicate-client:{first}+{second}"


def client_section(
    result: Any,
    clients: Sequence[Client],
    contacts: Iterable[ClientContact],
    links: Sequence[ClientLink],
    counterparties: Mapping[RecordId, Counterparty],
) -> dict[str, Any]:
    """The report's client section: clients, candidate pairs with evidence, links to counterparties."""
    by_id = {canonical_id(c.id): c for c in clients if c.id is not None}
    people: dict[RecordId, list[str]] = {}
    for contact in contacts:
        if contact.client is None:
            continue
        text = " · ".join(str(v) for v in (contact.name, contact.email, contact.phone) if v)
        if text:
            people.setdefault(canonical_id(contact.client), []).append(text)
    records: list[dict[str, Any]] = []
    index: dict[RecordId, int] = {}

    def record_index(rid: RecordId) -> int:
        key = canonical_id(rid)
        if key not in index:
            client = by_id.get(key)
            data = client.api_dict() if client else {}
            entry: dict[str, Any] = {
                "id": rid,
                "f": {k: data[k] for k in _SHOWN if data.get(k) not in (None, "")},
            }
            if people.get(key):
                entry["contacts"] = people[key]
            index[key] = len(records)
            records.append(entry)
        return index[key]

    pairs = []
    for cand in result.candidates:
        first, second = _key(cand.a, cand.b)
        pairs.append(
            {
                "key": f"{first}+{second}",
                "a": record_index(cand.a),
                "b": record_index(cand.b),
                "score": round(cand.score, 4),
                "band": cand.band,
                "ev": [[e.feature, e.result, round(e.weight, 2), e.explanation] for e in cand.evidence],
            }
        )
    shown_links = []
    for link in links:
        party = counterparties.get(link.counterparty)
        shown_links.append(
            {
                **link.to_dict(),
                "clientName": by_id[canonical_id(link.client)].name
                if canonical_id(link.client) in by_id
                else None,
                "counterpartyName": party.name if party is not None else None,
            }
        )
    return {
        "records": records,
        "pairs": pairs,
        "clusters": [c.to_contract() for c in result.clusters],
        "links": shown_links,
        "stats": {
            "clients": len(by_id),
            "contacts": int(result.stats.get("contacts", 0)),
            "pairs": len(pairs),
            "links": len(shown_links),
        },
    }


@dataclass
class ClientData:
    """The clients of a register and their contacts, as fetched."""

    clients: list[Client]
    contacts: list[ClientContact]


def fetch_clients(api: Any) -> ClientData:
    """Every client and every client contact (two paged reads). Contacts a client embeds as objects
    (``clientContacts``; the sandbox gives IRIs) count too, unless the listing already had them."""
    clients = list(api.iter_clients())
    contacts = list(api.iter_client_contacts())
    listed = {canonical_id(c.id) for c in contacts if c.id is not None}
    for client in clients:
        for embedded in client.clientContacts or []:
            if not isinstance(embedded, dict) or client.id is None:
                continue
            contact = ClientContact.model_validate({**embedded, "client": client.id})
            if contact.id is None or canonical_id(contact.id) not in listed:
                contacts.append(contact)
    return ClientData(clients, contacts)


def build_client_section(
    data: ClientData,
    counterparties: Mapping[RecordId, Counterparty],
    *,
    decisions: DecisionMemory | None = None,
    merge_threshold: float | None = None,
    review_threshold: float | None = None,
) -> dict[str, Any]:
    """Match the clients (with contact evidence), link them to counterparties, and shape the section.
    ``decisions``: people's earlier answers on client pairs (a rejected pair is not proposed again)."""
    result = match_clients(
        data.clients,
        data.contacts,
        decisions=decisions,
        merge_threshold=merge_threshold,
        review_threshold=review_threshold,
    )
    links = link_clients(data.clients, list(counterparties.values()))
    return client_section(result, data.clients, data.contacts, links, counterparties)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_clients_csv(section: Mapping[str, Any]) -> str:
    """One row per duplicate client pair, then one per client<->counterparty link (``kind`` says which)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["kind", "a", "b", "score", "band", "a_name", "b_name", "evidence"])
    recs = section["records"]
    for pair in section["pairs"]:
        a, b = recs[pair["a"]], recs[pair["b"]]
        evidence = " | ".join(e[3] for e in pair["ev"] if e[3])
        row = ["client-duplicate", a["id"], b["id"], f"{pair['score']:.4f}", pair["band"]]
        writer.writerow([_csv_cell(x) for x in [*row, a["f"].get("name"), b["f"].get("name"), evidence]])
    for link in section["links"]:
        row = ["client-counterparty", link["client"], link["counterparty"], f"{link['score']:.4f}", ""]
        names = [link.get("clientName"), link.get("counterpartyName"), link["reason"]]
        writer.writerow([_csv_cell(x) for x in [*row, *names]])
    return buf.getvalue()


ClientDecision = Literal["approve", "reject", "skip"]


def load_client_decisions(path: Path) -> list[tuple[RecordId, RecordId, ClientDecision]]:
    """The ``clientDecisions`` of a decisions file (none: []); DecisionsFileError when malformed."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise DecisionsFileError(f"{path}: cannot read the decisions file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DecisionsFileError(f"{path}: not a JSON decisions file: {exc}") from None
    items = raw.get("clientDecisions", []) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise DecisionsFileError(f"{path}: clientDecisions must be a list")
    out: list[tuple[RecordId, RecordId, ClientDecision]] = []
    for number, item in enumerate(items, start=1):
        where = f"{path}: clientDecisions #{number}:"
        if not isinstance(item, dict):
            raise DecisionsFileError(f"{where} expected an object")
        decision = item.get("decision")
        if decision not in ("approve", "reject", "skip"):
            raise DecisionsFileError(f"{where} decision must be approve, reject or skip, not {decision!r}")
        try:
            a, b = canonical_id(item.get("a")), canonical_id(item.get("b"))
        except IdError as exc:
            raise DecisionsFileError(f"{where} {exc}") from None
        if a == b:
            raise DecisionsFileError(f"{where} a client cannot be a duplicate of itself ({a!r})")
        out.append((a, b, decision))
    return out


class ClientNoteApi(Protocol):
    """What leaving notes needs from the Flowtly client."""

    def get_client(self, record_id: RecordId) -> Client: ...

    def iter_client_notes(self, **params: Any) -> Iterable[ClientNote]: ...

    def create_client_note(self, client_id: RecordId, employee: str, note: str) -> ClientNote: ...

    def client_iri(self, client_id: RecordId) -> str: ...


@dataclass(frozen=True)
class NoteOutcome:
    """What happened to one note: ``planned`` (dry run), ``written``, ``already`` there, or ``failed``."""

    client: RecordId
    other: RecordId
    status: Literal["planned", "written", "already", "failed"]
    detail: str = ""


@dataclass
class NotesSummary:
    """All note outcomes of one run."""

    execute: bool
    outcomes: list[NoteOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(o.status == "failed" for o in self.outcomes)

    def lines(self) -> list[str]:
        counts = {
            s: sum(1 for o in self.outcomes if o.status == s)
            for s in ("planned", "written", "already", "failed")
        }
        if self.execute:
            head = f"client notes: {counts['written']} written, {counts['failed']} failed"
        else:
            head = f"client notes (dry run): {counts['planned']} would be written"
        head += f", {counts['already']} already there"
        detail = [
            f"  client {o.client}: {o.status} (duplicate of {o.other}){': ' + o.detail if o.detail else ''}"
            for o in self.outcomes
        ]
        return [head, *detail]


class JudgementStore(Protocol):
    """Where client decisions are remembered (a :class:`~enricher.state.decisions.DecisionStore`)."""

    def record(self, a: RecordId, b: RecordId, judgement: Judgement, *, source: str | None = None) -> Any: ...


def leave_client_notes(
    client: ClientNoteApi,
    decisions_path: Path,
    *,
    employee: str | None,
    execute: bool,
    audit_path: Path,
    store: JudgementStore | None = None,
) -> NotesSummary:
    """For each approved client pair, a note on both clients naming the other (once; audited).

    With ``execute`` and a ``store``, every approval and rejection is remembered there, so the next
    report does not propose a rejected pair again (and learns from both)."""
    if execute and not employee:
        from enricher.errors import ConfigError

        raise ConfigError("ENRICHER_FLOWTLY_EMPLOYEE", "the employee IRI notes are written as is not set")
    summary = NotesSummary(execute=execute)
    audit = AuditLog(audit_path)
    decided = load_client_decisions(decisions_path)
    if execute and store is not None:
        source = f"clients-notes:{Path(decisions_path).name}"
        for a, b, d in decided:
            if d != "skip":
                store.record(
                    a, b, Judgement.APPROVED if d == "approve" else Judgement.REJECTED, source=source
                )
    approved = [(a, b) for a, b, d in decided if d == "approve"]
    seen: set[tuple[RecordId, RecordId]] = set()
    for a, b in approved:
        if _key(a, b) in seen:
            continue
        seen.add(_key(a, b))
        marker = note_marker(a, b)
        for this, other in ((a, b), (b, a)):
            summary.outcomes.append(
                _one_note(client, this, other, marker, employee or "", execute, audit, decisions_path)
            )
    return summary


def _one_note(
    client: ClientNoteApi,
    this: RecordId,
    other: RecordId,
    marker: str,
    employee: str,
    execute: bool,
    audit: AuditLog,
    decisions_path: Path,
) -> NoteOutcome:
    context = {
        "client": this,
        "other": other,
        "marker": marker,
        "decisionsFile": str(Path(decisions_path).resolve()),
    }
    try:
        # The filter is an assumption (contract.py): each note's own client is checked as well, since
        # both notes of a pair carry the same marker.
        existing = client.iter_client_notes(**{CLIENT_NOTES_FILTER: client.client_iri(this)})
        if any(marker in (n.note or "") and _same(n.client, this) for n in existing):
            if execute:
                audit.write("client-note.skipped", **context, reason="already there")
            return NoteOutcome(this, other, "already")
        if not execute:
            return NoteOutcome(this, other, "planned")
        try:
            other_name = client.get_client(other).name
        except FlowtlyError:
            other_name = None
        text = note_text(other, other_name, marker)
        audit.write("client-note.attempt", **context, employee=employee, note=text)
        note = client.create_client_note(this, employee, text)
        audit.write("client-note.applied", **context, noteId=note.id)
        return NoteOutcome(this, other, "written")
    except FlowtlyError as exc:
        if execute:
            audit.write("client-note.failed", **context, error=str(exc))
        return NoteOutcome(this, other, "failed", str(exc))
