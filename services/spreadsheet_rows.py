"""One spreadsheet row: its cells read by the column table, its identity, and the commands
it stands for, staged through the executor on the row's new recommendation.

Every problem of a row is collected (cell by cell, then what the command models and the
domain refuse), each named by row and column, so that one pass reports them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import ValidationError

from domain.errors import DomainError
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
from services.spreadsheet_directory import Directory
from services.spreadsheet_problems import Problem, RowError

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
#: the kinds whose few texts repeat down a file (dates, enums, yes/no): each read once,
#: its value (immutable) and its one text kept by column and text
_READ_ONCE = frozenset({Kind.DATE, Kind.ENUM, Kind.BOOL})
_read: dict[tuple[str, str], tuple[Any, str]] = {}
_READ_MAX = 20_000
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
            if column.kind in _READ_ONCE:
                key = (column.name, raw)
                read = _read.get(key)
                if read is None:
                    try:
                        value = parse_cell(column, raw)
                    except CellError as error:
                        problems.append(Problem(number, column.name, str(error)))
                        continue
                    read = (value, normalised(column, value))
                    if len(_read) >= _READ_MAX:
                        _read.clear()
                    _read[key] = read
                if read[0] is not False:  # "no" where no is the default: as an empty cell
                    values[column.name], texts[column.name] = read
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


def later_commands(
    row: Row, reason: str, steps: Sequence[Step] | None = None
) -> tuple[list[Staged], list[tuple[str, str]]]:
    """The response, assessment and closure the row records (`steps`, when the caller
    has them), built (not staged), and the problems of building them."""
    commands: list[Staged] = []
    problems: list[tuple[str, str]] = []
    if steps is None:
        steps = [s for s in LATER_STEPS if row.given(s)]
    for step in steps:
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
    later, found = later_commands(row, reason, steps)
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
