"""One spreadsheet row: its cells read by the column table, its identity, and the commands
it stands for, staged through the executor on the row's new recommendation.

Every problem of a row is collected (cell by cell, then what the command models and the
domain refuse), each named by row and column, so that one pass reports them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from domain.authority import Authority
from domain.errors import DomainError
from domain.place import Place
from domain.recommendation import Recommendation
from services.application.commands.base import Command
from services.application.executor import Caller, Executor
from services.spreadsheet_columns import (
    BY_NAME,
    COLUMNS,
    REQUIRED_COLUMNS,
    STEP_COMMANDS,
    CellError,
    Column,
    Kind,
    Step,
    column_of,
    header_name,
    normalised,
    parse_cell,
)

#: what names a record when the file gives no external_id: the same recommendation to
#: the same authority (and place) issued on the same day is the same record
IDENTITY_COLUMNS = ("text", "authority", "place", "issued_on")
_STEP_NOUNS = {Step.RESPONSE: "a response", Step.ASSESS: "an assessment", Step.CLOSE: "a closure"}
#: the steps a row may add to a record (its own, or the record of the rows before it)
LATER_STEPS = (Step.RESPONSE, Step.ASSESS, Step.CLOSE)
#: each step's column names, in the table's order (asked several times per row)
_STEP_COLUMNS = {step: tuple(c.name for c in COLUMNS if c.step == step) for step in Step}
#: the kinds whose cells are their text
_AS_WRITTEN = frozenset({Kind.TEXT, Kind.NAME})
_NAME_COLUMNS = tuple(c.name for c in COLUMNS if c.kind is Kind.NAME)
#: the columns with a default, and it (a row's empty cell takes it)
_DEFAULTS = tuple((c.name, c.default) for c in COLUMNS if c.default is not None)
#: each step's columns as (name, the field's parent models, the field)
_STEP_FIELDS = {
    step: tuple(
        (c.name, tuple(c.field.split(".")[:-1]), c.field.split(".")[-1])
        for c in COLUMNS
        if c.step == step
    )
    for step in Step
}


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number: the header is row 1; 0 for the file
    column: str
    rule: str

    def __str__(self) -> str:
        if self.column == "file":
            return f"row {self.row}: {self.rule}" if self.row else f"file: {self.rule}"
        where = f"row {self.row}" if self.row else "header"
        return f"{where}, column {self.column}: {self.rule}"


class ImportRejected(Exception):
    """The file cannot be imported as it is; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported")


class RowError(Exception):
    """What is wrong with one row: (column, rule) pairs."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(f"{column}: {rule}" for column, rule in problems))
        self.problems = problems


class Directory:
    """Authorities and places by name (case-insensitive) or id, read once per import from
    the status view, and their aggregates loaded once each: checking a row reads nothing
    from the database."""

    def __init__(
        self,
        authorities: dict[str, list[str]],
        places: dict[str, list[str]],
        load: Callable[[type[Aggregate], UUID], Aggregate] | None = None,
        find_external_ids: Callable[[Sequence[str]], dict[str, list[UUID]]] | None = None,
    ) -> None:
        self.names = {"authority": authorities, "place": places}
        self._load = load
        #: the stored records with these external ids (the status view), whoever drafted
        #: them: how an import finds a record made through the API
        self.find_external_ids = find_external_ids
        #: the aggregates rows refer to, loaded on first use (and authorities staged by
        #: --create-authorities): every row's staging sees them first
        self.loaded: dict[UUID, Aggregate] = {}
        #: each name's or id's one record, as resolved (a row names one of a few)
        self._resolved: dict[tuple[str, str], UUID] = {}

    @classmethod
    def load(
        cls,
        database_url: str,
        schema: str,
        load: Callable[[type[Aggregate], UUID], Aggregate] | None = None,
        unprojected: Callable[[int], dict[UUID, str | None]] | None = None,
    ) -> Directory:
        """The names of the status view; the external ids from the view, and from the
        log after the view's position (`unprojected`, read once: records drafted moments
        before, or given another external id, that the view has not projected yet)."""
        with psycopg.connect(database_url, autocommit=True) as conn:
            authorities = conn.execute(
                f'SELECT authority_id, name FROM "{schema}".status_authorities'
            ).fetchall()
            places = conn.execute(f'SELECT place_id, name FROM "{schema}".status_places').fetchall()
            # before the view is read: what the view projects meanwhile is in both
            tracked = conn.execute(
                f'SELECT max(notification_id) FROM "{schema}".status_tracking'
            ).fetchone()
        position = int(tracked[0] or 0) if tracked else 0
        tail: dict[UUID, str | None] | None = None

        def find_external_ids(external_ids: Sequence[str]) -> dict[str, list[UUID]]:
            nonlocal tail
            with psycopg.connect(database_url, autocommit=True) as conn:
                found = conn.execute(
                    f"SELECT external_id, recommendation_id "
                    f'FROM "{schema}".status_recommendations WHERE external_id = ANY(%s)',
                    (list(external_ids),),
                ).fetchall()
            if tail is None:
                tail = unprojected(position) if unprojected is not None else {}
            by_id: dict[str, list[UUID]] = {}
            for external_id, recommendation_id in found:
                record = UUID(str(recommendation_id))
                if tail.get(record, external_id) == external_id:  # not since given another
                    by_id.setdefault(str(external_id), []).append(record)
            wanted = set(external_ids)
            for record, now in tail.items():
                if now is not None and now in wanted:
                    ids = by_id.setdefault(now, [])
                    if record not in ids:
                        ids.append(record)
            return by_id

        return cls(_index(authorities), _index(places), load, find_external_ids)

    def add(self, kind: str, name: str, aggregate: Aggregate) -> None:
        """A record registered (or staged) during this import."""
        for key in (name.strip().lower(), str(aggregate.id)):
            self.names[kind].setdefault(key, []).append(str(aggregate.id))
        self.loaded[aggregate.id] = aggregate
        self._resolved.clear()  # a name resolved before may name two records now

    def knows(self, kind: str, value: str) -> bool:
        return bool(self.names[kind].get(value.strip().lower()))

    def resolve(self, kind: str, value: str) -> UUID:
        """The id of the authority or place (`kind`, which is also the row's column)."""
        found = self._resolved.get((kind, value))
        if found is not None:
            return found
        matches = self.names[kind].get(value.strip().lower(), [])
        if not matches:
            raise RowError((kind, f"no {kind} is registered under this name or id: {value!r}"))
        count = len(set(matches))
        if count > 1:
            raise RowError((kind, f"{count} {kind} records are named {value!r}: give the id"))
        found = UUID(matches[0])
        if found not in self.loaded and self._load is not None:
            self.loaded[found] = self._load(Authority if kind == "authority" else Place, found)
        self._resolved[kind, value] = found
        return found


def _index(rows: Iterable[tuple[Any, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item_id, name in rows:
        found.setdefault(str(name).strip().lower(), []).append(str(item_id))
        found.setdefault(str(item_id), []).append(str(item_id))
    return found


@dataclass
class Row:
    """A row's cells, each read as its column's kind (absent when empty)."""

    number: int
    values: dict[str, Any]
    #: the column each given value came from, as its one text (for identity and diffs)
    texts: dict[str, str]

    @cached_property
    def identity(self) -> str:
        """The record this row is: its external id, or its identifying cells."""
        if "external_id" in self.texts:
            return "external_id\x1f" + self.texts["external_id"]
        return "\x1e".join(f"{name}\x1f{self._key(name)}" for name in IDENTITY_COLUMNS)

    def _key(self, name: str) -> str:
        text = self.texts.get(name, "")
        return text.lower() if name in ("authority", "place") else text

    @cached_property
    def content(self) -> str:
        """A digest of every cell as read: the same records give the same digest whatever
        the file's bytes (line ends, byte-order mark, CSV or XLSX)."""
        text = "\x1e".join(f"{name}\x1f{value}" for name, value in sorted(self.texts.items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def given(self, step: Step) -> list[str]:
        values = self.values
        return [name for name in _STEP_COLUMNS[step] if name in values]


def read_row(
    number: int, header: Sequence[Column | None], cells: Sequence[Any]
) -> tuple[Row | None, list[Problem]]:
    """The row's values, or every problem of its cells."""
    problems: list[Problem] = []
    if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
        problems.append(
            Problem(
                number,
                "row",
                f"has {len(cells)} cells, the header has {len(header)} columns (a cell that "
                "holds the separator or a line break must be in double quotes)",
            )
        )
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for column, raw in zip(header, cells, strict=False):
        if column is None or raw is None:
            continue
        if isinstance(raw, str):
            if "\r" in raw:
                raw = raw.replace("\r\n", "\n").replace("\r", "\n")
            raw = raw.strip()
            if not raw:
                continue
            if column.kind in _AS_WRITTEN:  # as parse_cell and normalised read it, sooner
                values[column.name] = texts[column.name] = raw
                continue
        try:
            value = parse_cell(column, raw)
        except CellError as error:
            problems.append(Problem(number, column.name, str(error)))
            continue
        if value == [] or value is False:
            continue  # an empty list, or "no" where no is the default: as an empty cell
        values[column.name] = value
        texts[column.name] = normalised(column, value)
    if problems:
        return None, problems
    for name, default in _DEFAULTS:
        if name not in values:
            values[name] = default
    return Row(number, values, texts), []


def payload(row: Row, step: Step, resolved: Mapping[str, Any]) -> dict[str, Any]:
    """The body of the step's command, from the row's values by the column table."""
    body: dict[str, Any] = {}
    values = row.values
    for name, parents, last in _STEP_FIELDS[step]:
        if name not in values:
            continue
        target = body
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = resolved.get(name, values[name])
    return body


def build(step: Step, body: dict[str, Any], row: Row) -> Command:
    """The step's command model from the body: its refusals become the row's problems,
    named by the column each is about."""
    try:
        return STEP_COMMANDS[step].model_validate(body)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            loc = tuple(e["loc"])
            name = column_of(step, loc) or (str(loc[0]) if loc else "row")
            rule = e["msg"]
            if e["type"] == "missing" and step in _STEP_NOUNS:
                rule = f"is required when the row records {_STEP_NOUNS[step]}"
            problems.append((name, rule))
        raise RowError(*problems) from None


@dataclass
class RowStager:
    """Stages one row's commands through the executor on the row's recommendation and
    turns what refuses them (the command models' shape checks, the domain's rules) into
    the row's problems, so that a bad row is reported, not raised."""

    executor: Executor
    caller: Caller
    command_id: str
    pending: dict[UUID, Aggregate] = field(default_factory=dict)

    def __call__(
        self,
        step: Step,
        command: Command,
        target_id: UUID | None = None,
        today: date | None = None,
    ) -> Aggregate:
        try:
            staged = self.executor.stage(
                command,
                self.caller,
                command_id=self.command_id,
                target_id=target_id,
                pending=self.pending,
                today=today,
            )
        except DomainError as error:
            named = getattr(error, "field", None)
            column = column_of(step, tuple(str(named).split("."))) if named else None
            if column is None:
                column = {
                    "draft": "issued_on",
                    "response": "response_received_on",
                    "close": "closed_on",
                }.get(step.value, "implementation")
            raise RowError((column, getattr(error, "rule", None) or str(error))) from None
        return staged[0]


Staged = tuple[Step, Command, date | None]  # a command, and the business day it is dated


def later_commands(row: Row, reason: str) -> tuple[list[Staged], list[tuple[str, str]]]:
    """The response, assessment and closure the row records, built (not staged), and
    the problems of building them."""
    commands: list[Staged] = []
    problems: list[tuple[str, str]] = []
    for step in (s for s in LATER_STEPS if row.given(s)):
        body = payload(row, step, {}) | {"reason": reason}
        day: date | None = None
        if step is Step.CLOSE:
            day = body.pop("closed_on", None)
            if day is None:
                problems.append(("closed_on", "is required when the row gives a closure_reason"))
                continue
            if "closure_reason" in row.values:
                body["reason"] = row.values["closure_reason"]
            else:
                body["reason"] = f"closed on {day.isoformat()} ({reason})"
        try:
            commands.append((step, build(step, body, row), day))
        except RowError as error:
            problems += error.problems
    return commands, problems


def stage_row(
    executor: Executor,
    directory: Directory,
    row: Row,
    caller: Caller,
    command_id: str,
    reason: str,
    shared: dict[UUID, Aggregate],
) -> Recommendation:
    """The row's new recommendation with every event the row describes, staged (not
    saved). `shared` holds the reference sequences every row numbers from. Every
    imported record is historic as of the import day (domain/origin.py): a date of it
    already past starts no reminder or escalation."""
    resolved: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name in _NAME_COLUMNS:
        if name in row.values:
            try:
                resolved[name] = directory.resolve(name, row.values[name])
            except RowError as error:
                problems += error.problems
    steps = [s for s in LATER_STEPS if row.given(s)]
    if steps and "issued_on" not in row.values:
        problems.append(("issued_on", f"is required when the row records {_STEP_NOUNS[steps[0]]}"))
    draft: Command | None = None
    try:
        body = payload(row, Step.DRAFT, resolved)
        body |= {"reason": reason, "historic_before": executor.clock()}
        draft = build(Step.DRAFT, body, row)
    except RowError as error:
        # A name that did not resolve is reported once, not again as a bad id.
        named = {column for column, _ in problems}
        problems += [p for p in error.problems if p[0] not in named]
    later, found = later_commands(row, reason)
    problems += found
    if problems or draft is None:
        raise RowError(*problems)
    pending: dict[UUID, Aggregate] = dict(directory.loaded) | shared
    stage = RowStager(executor, caller, command_id, pending)
    today = body["historic_before"]  # the clock read once for the row's commands
    recommendation = stage(Step.DRAFT, draft, today=today)
    assert isinstance(recommendation, Recommendation)
    for step, command, day in later:
        stage(step, command, recommendation.id, day or today)
    if len(pending) > len(directory.loaded) + len(shared) + 1:
        # the row staged more than its recommendation (a year's first reference
        # sequence): shared with the next rows. Else nothing to look at (a UUID's hash
        # is a Python call, nine a row).
        shared.update(
            (k, a)
            for k, a in pending.items()
            if k not in directory.loaded and k != recommendation.id
        )
    return recommendation


def stage_joined(
    executor: Executor,
    row: Row,
    first: Row,
    caller: Caller,
    command_id: str,
    reason: str,
    recommendation: Recommendation,
) -> None:
    """A later row of the same record (the same external id, on the next line): its
    response, assessment or closure, staged on the record the first row made. A cell of
    the record itself it gives must say what the first row said."""
    differing = differs_from_first(row, first)
    later, problems = later_commands(row, reason)
    if differing or problems:
        raise RowError(*differing, *problems)
    stage = RowStager(executor, caller, command_id, {recommendation.id: recommendation})
    for step, command, day in later:
        stage(step, command, recommendation.id, day)


def differs_from_first(row: Row, first: Row) -> list[tuple[str, str]]:
    """The record's own cells a later row of it gives otherwise than its first row."""
    ext = first.values.get("external_id")
    return [
        (name, f"differs from row {first.number}, the first row of external id {ext!r}")
        for name in row.given(Step.DRAFT)
        if name in first.values and row.texts.get(name) != first.texts.get(name)
    ]


def header_columns(header: Sequence[str]) -> tuple[list[Column | None], list[Problem]]:
    """The header's columns, and its problems (unknown, missing, repeated columns)."""
    names = [header_name(cell) for cell in header]
    problems: list[Problem] = []
    if not any(names):
        return [], [Problem(0, "file", "is empty: the first row must name the columns")]
    for name in names:
        if name and name not in BY_NAME:
            problems.append(Problem(0, name, "is not a known column"))
    problems += [
        Problem(0, name, "is required and missing")
        for name in REQUIRED_COLUMNS
        if name not in names
    ]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    problems += [Problem(0, name, "appears more than once") for name in repeated]
    if len(names) == 1 and any(sep in header[0] for sep in ";\t|"):
        sep = next(sep for sep in ";\t|" if sep in header[0])
        shown = "tab" if sep == "\t" else sep
        problems.append(
            Problem(
                0,
                "file",
                f"has one column only, and its header holds {shown!r}: if the file is "
                f"separated by {shown!r}, give --delimiter '{shown}'",
            )
        )
    return [BY_NAME.get(name) for name in names], problems
