"""Which records of a file are already in the store, and what changed since their import.

Each row is a record with an identity: its `external_id`, or (when the file has none) its
text, authority, place and issue date. The import writes one command-log entry per
record, in the transaction that stores it, keyed by the identity, naming the
recommendation it became and keeping the digest of the row's cells. Importing the same
records again, whatever the file's bytes, finds the same digest and appends nothing; a
row whose cells changed finds another digest and is reported as changed, with the
changes that `--update` records through the executor (its last command keyed by the
identity and the new digest, so the updated row is then unchanged too).

A record drafted here (through the API or the web UI) with an `external_id` has no such
entry: a row whose external id finds no entry is looked up in the status view and in
the log after the view's position (`Directory.find_external_ids`: a record drafted
moments before, not yet projected, is found too), and compared with the stored record
itself.

The rows after a record's first (one per reply, joined by external id) are its later
history. A reply row the stored record does not hold yet, received on or after its last
reply, is new information, not a change: it is appended without `--update`, as the
later replies of an export from another store are. The first row, and a reply row dated
before the record's last reply, are existing content: what differs is a change that
`--update` records. An assessment the record lacks, or dated on or after its last, and
the closure of an open record, are new information on any row; a closure on another day
is a change no command makes. Each later row's digest is kept in the command log too, so a
re-import finds it without loading the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.recommendation import TAG_FIELDS, Recommendation, clean_tags
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    ChangeTags,
    CloseRecommendation,
    IssueRecommendation,
    RecordResponse,
    Reformulate,
    Tags,
)
from services.application.store import Rectrack
from services.spreadsheet_columns import Step
from services.spreadsheet_problems import RowError
from services.spreadsheet_rows import Row, build, later_commands, payload


class State(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    #: no import entry, but a record with the row's external id is stored: compare them
    STORED = "stored"
    #: several records are stored with the row's external id
    AMBIGUOUS = "ambiguous"


FindExternalIds = Callable[[Sequence[str]], dict[str, list[UUID]]]


def identity_key(row: Row) -> str:
    return _identity_key(row.identity)


def content_key(row: Row) -> str:
    return f"{_identity_key(row.identity)}@{row.content[:40]}"


@lru_cache(maxsize=4096)
def _identity_key(identity: str) -> str:
    return "import:" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:40]


def states(
    store: Rectrack, rows: Sequence[Row], find: FindExternalIds | None = None
) -> dict[int, tuple[State, UUID | None]]:
    """Each row's state by its row number, with the recommendation it became: one query
    for all the rows given, and one more (`find`, the status view) for the external ids
    of the rows no import entry names. A record's identity entry keeps the digest of the
    row it was imported from; an update adds an entry for the row it was updated from."""
    keyed = [(row, identity_key(row), content_key(row)) for row in rows]
    known = store.known_commands([k for _, *keys in keyed for k in keys])
    found: dict[int, tuple[State, UUID | None]] = {}
    unknown: dict[str, list[int]] = {}
    for row, identity, content in keyed:
        imported = known.get(identity)
        updated = known.get(content)
        if updated is not None:
            found[row.number] = (State.UNCHANGED, updated[0])
        elif imported is not None:
            same = imported[1] == row.content
            found[row.number] = (State.UNCHANGED if same else State.CHANGED, imported[0])
        else:
            found[row.number] = (State.NEW, None)
            if "external_id" in row.texts:
                unknown.setdefault(row.texts["external_id"], []).append(row.number)
    if unknown and find is not None:
        for external_id, ids in find(list(unknown)).items():
            state = State.STORED if len(set(ids)) == 1 else State.AMBIGUOUS
            for number in unknown.get(external_id, []):
                found[number] = (state, ids[0])
    return found


def known_rows(store: Rectrack, rows: Sequence[Row]) -> set[str]:
    """Which of these later rows of records (one per reply) were imported before, by
    their content keys."""
    return set(store.known_commands([content_key(row) for row in rows])) if rows else set()


@dataclass
class Change:
    """How a row differs from the recommendation it became."""

    row: int
    recommendation_id: UUID
    reference: str | None
    #: the row's content key: the command id of the last command that records the change
    key: str = ""
    columns: list[str] = field(default_factory=list)
    #: the commands that record the change (run by `--update`, in this order)
    commands: list[Command] = field(default_factory=list)
    #: what no command can change (column, rule)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    #: new information (replies after the record's last, an assessment after its last,
    #: a closure of an open record), appended without `--update`
    additions: list[Command] = field(default_factory=list)
    #: the day of the closure among the commands or additions (a closure command
    #: carries only its reason; the day is its business date)
    closed_on: date | None = None

    def __str__(self) -> str:
        name = self.reference or str(self.recommendation_id)
        return f"row {self.row} ({name}) changed since its import: {', '.join(self.columns)}"


def _fixed(column: str, was: Any, now: Any) -> tuple[str, str]:
    return (column, f"cannot be changed by an import (it was {was!r}, the file says {now!r})")


def change_of(
    row: Row, recommendation: Recommendation, resolved: dict[str, Any], reason: str
) -> Change:
    """The differences between the row and the stored recommendation, as commands (the
    same command models the API takes) or as fixed values no command changes."""
    change = Change(row.number, recommendation.id, recommendation.reference)
    values = row.values
    for name, was, now in (
        ("kind", recommendation.kind, values.get("kind")),
        ("authority", recommendation.authority_id, str(resolved.get("authority"))),
        ("place", recommendation.place_id, _str(resolved.get("place"))),
        ("staff", recommendation.staff, values.get("staff", [])),
    ):
        if was != now:
            change.columns.append(name)
            change.fixed.append(_fixed(name, was, values.get(name)))
    if recommendation.text != values["text"]:
        change.columns.append("text")
        change.commands.append(Reformulate(text=values["text"], reason=reason))
    tags = {f: clean_tags(f, values.get(f, [])) for f in TAG_FIELDS}
    if any(recommendation.tags.get(f, []) != tags[f] for f in TAG_FIELDS):
        change.columns += [f for f in TAG_FIELDS if recommendation.tags.get(f, []) != tags[f]]
        change.commands.append(ChangeTags(tags=Tags(**tags), reason=reason))
    issued_on = values.get("issued_on")
    if recommendation.issued_on != issued_on:
        change.columns.append("issued_on")
        if recommendation.issued_on is None and issued_on is not None:
            change.commands.append(IssueRecommendation(issued_on=issued_on, reason=reason))
        else:
            change.fixed.append(_fixed("issued_on", recommendation.issued_on, issued_on))
    _later_changes(row, recommendation, reason, change, first=True)
    return change


def later_row_change(row: Row, recommendation: Recommendation, reason: str) -> Change:
    """What a record's later row (a reply row after its first) adds to the stored
    record: a reply it does not hold, received on or after its last, as an addition; a
    reply before that as a change (the assessment and closure: `_later_changes`)."""
    change = Change(row.number, recommendation.id, recommendation.reference)
    _later_changes(row, recommendation, reason, change, first=False)
    return change


def _later_changes(
    row: Row, recommendation: Recommendation, reason: str, change: Change, *, first: bool
) -> None:
    if row.given(Step.RESPONSE):
        try:
            response = build(
                Step.RESPONSE, payload(row, Step.RESPONSE, {}) | {"reason": reason}, row
            )
        except RowError as error:
            change.fixed += list(error.problems)
        else:
            assert isinstance(response, RecordResponse)
            said = {
                "received_on": response.received_on,
                "position": response.position.value if response.position else None,
                "text": response.text,
                "agreed_implementation_date": response.agreed_implementation_date,
            }
            replies = recommendation.responses
            later = not replies or replies[-1]["received_on"] <= said["received_on"]
            if said in replies:
                pass  # held already (any of its replies, not only the last)
            elif later and not first:
                change.additions.append(response)
            else:
                change.columns += row.given(Step.RESPONSE)
                change.commands.append(response)
    if row.given(Step.ASSESS):
        try:
            assess = build(Step.ASSESS, payload(row, Step.ASSESS, {}) | {"reason": reason}, row)
        except RowError as error:
            change.fixed += list(error.problems)
        else:
            assert isinstance(assess, AssessImplementation)
            stored = (
                recommendation.implementation,
                recommendation.non_implementation_reason,
                recommendation.verified,
                recommendation.verification_method,
                recommendation.assessed_on,
            )
            said_assess = (
                assess.status,
                assess.non_implementation_reason,
                assess.verified,
                assess.verification_method if assess.verified else None,
                assess.assessed_on,
            )
            # A first assessment, or one dated on or after the stored one (undated: the
            # import day), is new information on any row; an earlier one is a change.
            last = recommendation.assessed_on
            later = last is None or assess.assessed_on is None or assess.assessed_on >= last
            if stored == said_assess:
                pass
            elif later:
                change.additions.append(assess)
            else:
                change.columns += row.given(Step.ASSESS)
                change.commands.append(assess)
    if row.given(Step.CLOSE):
        _closure_change(row, recommendation, reason, change)


def _closure_change(row: Row, recommendation: Recommendation, reason: str, change: Change) -> None:
    """A closure the stored record lacks is new information (any row); one on another
    day than the stored closure's is a change no command makes."""
    commands, problems = later_commands(row, reason)
    change.fixed += [p for p in problems if p[0] in ("closed_on", "closure_reason")]
    for step, command, day in commands:
        if step is not Step.CLOSE:
            continue
        assert isinstance(command, CloseRecommendation)
        if recommendation.closed_on is None:
            change.additions.append(command)
            change.closed_on = day
        elif recommendation.closed_on != day:
            change.columns.append("closed_on")
            change.fixed.append(_fixed("closed_on", recommendation.closed_on, day))


def _str(value: object) -> str | None:
    return None if value is None else str(value)
