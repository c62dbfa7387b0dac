"""Bringing an NPM's existing spreadsheet of recommendations into rectrack.

Most NPMs start from a spreadsheet: one row per recommendation, with the authority's
reply and the implementation status in later columns. `rectrack import FILE.csv` turns
each row into the events that row describes (drafted and issued, response received,
implementation assessed), with the row's own dates as business dates, through the same
command models and handlers as every command (staged by the executor, not saved one by
one), so the API's shape checks and the domain's rules hold for imported history too.

All or nothing: every row is read, validated and built in memory first, and every
problem is reported (row, column, rule) before anything is stored; a file with one bad
row imports no row. Only then are the recommendations saved, many per transaction (the
batched path of the event store). The command ids derive from the file's SHA-256, so
importing the same file again appends nothing, and a run interrupted between two
batches, run again, stores only what is missing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import psycopg
import structlog
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.errors import DomainError, InvalidInput
from domain.origin import Source
from domain.recommendation import Recommendation
from domain.reference import ReferenceSequence
from domain.values import (
    ImplementationStatus,
    NonImplementationReason,
    Position,
    RecommendationKind,
)
from services.application.commands.base import Command, Name, NoNul, Text
from services.application.commands.recommendations import (
    Bodies,
    DraftRecommendation,
    Sdgs,
    Short,
    Tags,
)
from services.application.executor import Caller, Executor
from services.application.references import save_numbers
from services.application.store import Rectrack
from services.spreadsheet_history import RowGroups, later_row, stage_what_happened

log = structlog.get_logger(__name__)

MAX_ROWS = 200_000
LIST_SEPARATOR = ";"
ListCell = list[Annotated[str, NoNul]]


class ImportRow(BaseModel):
    """One spreadsheet row. Empty cells are absent values; list cells are separated by
    semicolons. `authority` and `place` are names as registered (or ids)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: Name | None = None
    kind: RecommendationKind = RecommendationKind.VISIT
    text: Text
    authority: Name
    place: Name | None = None
    issued_on: date | None = None
    themes: ListCell = Field(default_factory=list)
    keywords: ListCell = Field(default_factory=list)
    vulnerable_groups: ListCell = Field(default_factory=list)
    detention_practices: ListCell = Field(default_factory=list)
    problem_natures: ListCell = Field(default_factory=list)
    staff: ListCell = Field(default_factory=list)
    response_received_on: date | None = None
    response_position: Position | None = None
    response_text: Text | None = None
    agreed_implementation_date: date | None = None
    implementation: ImplementationStatus | None = None
    non_implementation_reason: NonImplementationReason | None = None
    verified: bool = False
    verification_method: Name | None = None
    assessed_on: date | None = None
    # other mechanisms (domain/origin.py) and what happened later (spreadsheet_history.py)
    source: Source | None = None
    recommending_bodies: Bodies = Field(default_factory=list)
    session: Short | None = None
    cycle: Short | None = None
    sdgs: Sdgs = Field(default_factory=list)
    closed_on: date | None = None
    closure_reason: Name | None = None

    @field_validator(
        "themes",
        "keywords",
        "vulnerable_groups",
        "detention_practices",
        "problem_natures",
        "staff",
        "recommending_bodies",
        "sdgs",
        mode="before",
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        return value


COLUMNS = tuple(ImportRow.model_fields)
REQUIRED_COLUMNS = tuple(
    name for name, info in ImportRow.model_fields.items() if info.is_required()
)


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str
    rule: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "header"
        return f"{where}, column {self.column}: {self.rule}"


class ImportRejected(Exception):
    """The file cannot be imported as it is; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported")


@dataclass
class ImportPlan:
    digest: str
    recommendations: list[Recommendation] = field(default_factory=list)
    #: the reference sequences the rows drew their numbers from, shared by every row
    sequences: dict[UUID, Aggregate] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        """Events the plan would append."""
        return sum(len(r.pending_events) for r in self.recommendations)


class _RowError(Exception):
    """What is wrong with one row: (column, rule) pairs."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(f"{column}: {rule}" for column, rule in problems))
        self.problems = problems


class Directory:
    """Authorities and places by name (case-insensitive) or id, from the status view."""

    def __init__(self, authorities: dict[str, list[str]], places: dict[str, list[str]]) -> None:
        self.authorities = authorities
        self.places = places

    @classmethod
    def load(cls, database_url: str, schema: str) -> Directory:
        def index(rows: list[tuple[Any, Any]]) -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for item_id, name in rows:
                found.setdefault(str(name).strip().lower(), []).append(str(item_id))
                found.setdefault(str(item_id), []).append(str(item_id))
            return found

        with psycopg.connect(database_url, autocommit=True) as conn:
            authorities = conn.execute(
                f'SELECT authority_id, name FROM "{schema}".status_authorities'
            ).fetchall()
            places = conn.execute(f'SELECT place_id, name FROM "{schema}".status_places').fetchall()
        return cls(index(authorities), index(places))

    def resolve(self, kind: str, value: str) -> UUID:
        """The id of the authority or place (`kind`, which is also the row's column)."""
        table = self.authorities if kind == "authority" else self.places
        matches = table.get(value.strip().lower(), [])
        if not matches:
            raise _RowError((kind, f"no {kind} is registered under this name or id: {value!r}"))
        count = len(set(matches))
        if count > 1:
            raise _RowError(
                (kind, f"{count} {kind} records are named {value!r}: give the id instead")
            )
        return UUID(matches[0])


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_rows(content: bytes) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header (normalised: lower case, spaces as underscores) and the data rows with
    their spreadsheet row numbers. Spreadsheet programs write UTF-8 with a BOM."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRejected(
            [Problem(0, "file", f"is not UTF-8 text (byte {error.start}); save it as CSV UTF-8")]
        ) from None
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):  # not sniffable: plain comma-separated
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    reader = csv.reader(io.StringIO(text), dialect)
    header = [cell.strip().lower().replace(" ", "_") for cell in next(reader, [])]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            yield (
                number,
                dict(zip(header, cells, strict=False))
                | ({"__extra__": "x"} if len(cells) > len(header) else {}),
            )

    return header, rows()


def check_header(header: Sequence[str]) -> list[Problem]:
    problems = [Problem(0, name, "is not a known column") for name in header if name not in COLUMNS]
    problems += [
        Problem(0, name, "is required and missing")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    duplicates = {name for name in header if header.count(name) > 1}
    problems += [Problem(0, name, "appears more than once") for name in sorted(duplicates)]
    if not header:
        problems.append(Problem(0, "file", "is empty: the first row must name the columns"))
    return problems


def plan_import(
    executor: Executor,
    directory: Directory,
    content: bytes,
    *,
    actor_id: str,
    actor_role: str,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Validates every row and builds its recommendation in memory; raises ImportRejected
    listing every problem when any row is bad."""
    digest = file_digest(content)
    header, rows = read_rows(content)
    problems = check_header(header)
    if problems:
        raise ImportRejected(problems)
    plan = ImportPlan(digest=digest)
    caller = Caller(actor_id, actor_role)
    groups = RowGroups()  # the rows of one recommendation, by external id
    today = executor.clock()
    count = 0
    for number, cells in rows:
        count += 1
        if count > MAX_ROWS:
            raise ImportRejected([Problem(number, "file", f"has more than {MAX_ROWS} rows")])
        if cells.pop("__extra__", None):
            problems.append(Problem(number, "row", "has more cells than the header has columns"))
            continue
        values = {k: v.strip() for k, v in cells.items() if v.strip()}
        first = groups.of(values)
        if first is not None:
            values, differing = later_row(first, values)
            problems += [
                Problem(number, column, f"differs from row {first.number}, the first row of "
                        f"external id {values['external_id']!r}: give it there, or leave it empty")
                for column in differing
            ]  # fmt: skip
            if differing:
                continue
        try:
            row = ImportRow.model_validate(values)
        except ValidationError as error:
            problems += [
                Problem(number, str(e["loc"][0]) if e["loc"] else "row", e["msg"])
                for e in error.errors()
            ]
            continue
        try:
            if first is not None:  # a later reply (assessment, closure) of a recommendation
                stage = _RowStager(executor, caller, f"import:{digest}:row-{number}")
                stage.pending[first.recommendation.id] = first.recommendation
                why = f"imported from {source}, row {number}"
                stage_what_happened(stage, row, first.recommendation.id, why)
            else:
                recommendation = _build(
                    executor, directory, row, number, digest, caller, source, plan.sequences, today
                )
                plan.recommendations.append(recommendation)
                groups.remember(number, values, recommendation)
        except _RowError as error:
            problems += [Problem(number, column, rule) for column, rule in error.problems]
        except InvalidInput as error:
            problems.append(Problem(number, error.field, error.rule))
        if progress is not None:
            progress(count)
    if count == 0 and not problems:
        problems.append(Problem(0, "file", "has no data rows"))
    if problems:
        log.warning("import rejected", command_id=f"import:{digest}", problems=len(problems))
        raise ImportRejected(problems)
    return plan


# Which column an error at each step is about, when the error names no field of ours.
_STEP_COLUMNS = {
    "draft": "issued_on",
    "response": "response_received_on",
    "assess": "implementation",
    "close": "closed_on",
}
# The commands' and the domain's field names that differ from the spreadsheet's.
_FIELD_COLUMNS = {
    "received_on": "response_received_on",
    "position": "response_position",
    "text": "text",
    "reason": "non_implementation_reason",
    "status": "implementation",
    "authority_id": "authority",
    "place_id": "place",
}


def _column(step: str, named: str | None) -> str:
    """The spreadsheet column an error at `step` naming the field `named` is about."""
    if step == "response" and named == "text":
        return "response_text"
    if step == "close" and named == "reason":
        return "closure_reason"
    return _FIELD_COLUMNS.get(named or "", named) or _STEP_COLUMNS[step]


@dataclass
class _RowStager:
    """Stages one row's commands through the executor on the row's recommendation, under
    the row's command id, and turns what refuses them (the command model's shape checks,
    the domain's rules) into the row's problems, so that a bad row is reported, not raised."""

    executor: Executor
    caller: Caller
    command_id: str
    pending: dict[UUID, Aggregate] = field(default_factory=dict)

    def __call__(
        self,
        step: str,
        build: Callable[[], Command],
        target_id: UUID | None = None,
        today: date | None = None,
    ) -> Recommendation:
        try:
            command = build()
        except ValidationError as error:
            raise _RowError(
                *(
                    (_column(step, str(e["loc"][0]) if e["loc"] else None), e["msg"])
                    for e in error.errors()
                )
            ) from None
        try:
            staged = self.executor.stage(
                command,
                self.caller,
                command_id=self.command_id,
                target_id=target_id,
                today=today,
                pending=self.pending,
            )
        except DomainError as error:
            named = getattr(error, "field", None)
            raise _RowError(
                (_column(step, named), getattr(error, "rule", None) or str(error))
            ) from None
        recommendation = staged[0]
        assert isinstance(recommendation, Recommendation)
        return recommendation


def _build(
    executor: Executor,
    directory: Directory,
    row: ImportRow,
    number: int,
    digest: str,
    caller: Caller,
    source: str,
    sequences: dict[UUID, Aggregate],
    today: date,
) -> Recommendation:
    # Every row numbers its recommendation from the same reference sequences.
    pending: dict[UUID, Aggregate] = dict(sequences)
    stage = _RowStager(executor, caller, f"import:{digest}:row-{number}", pending)
    reason = f"imported from {source}, row {number}"
    authority_id = directory.resolve("authority", row.authority)
    place_id = directory.resolve("place", row.place) if row.place else None
    recommendation = stage(
        "draft",
        lambda: DraftRecommendation(
            kind=row.kind,
            text=row.text,
            authority_id=authority_id,
            place_id=place_id,
            # Built here rather than passed as a dict, so that its errors name the column.
            tags=Tags(
                themes=row.themes,
                keywords=row.keywords,
                vulnerable_groups=row.vulnerable_groups,
                detention_practices=row.detention_practices,
                problem_natures=row.problem_natures,
            ),
            staff=row.staff,
            issued_on=row.issued_on,
            external_id=row.external_id,
            source=row.source,
            recommending_bodies=row.recommending_bodies,
            session=row.session,
            cycle=row.cycle,
            sdgs=row.sdgs,
            historic_before=today,
            reason=reason,
        ),
    )
    sequences.update((k, a) for k, a in pending.items() if isinstance(a, ReferenceSequence))
    stage_what_happened(stage, row, recommendation.id, reason)
    return recommendation


def _save_references(store: Rectrack, plan: ImportPlan) -> int:
    try:
        return save_numbers(store, plan.sequences.values(), f"import:{plan.digest}:references")
    except DomainError as error:
        raise ImportRejected([Problem(0, "file", getattr(error, "rule", str(error)))]) from None


def save_plan(
    store: Rectrack,
    plan: ImportPlan,
    *,
    batch_size: int = 500,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Stores the planned recommendations, `batch_size` per transaction. Returns how many
    events were appended (0 when this file was imported before)."""
    recommendations = plan.recommendations
    batches = [
        (f"import:{plan.digest}:batch-{index}", recommendations[start : start + batch_size])
        for index, start in enumerate(range(0, len(recommendations), batch_size))
    ]
    appended = 0
    done = 0
    bound = log.bind(command_id=f"import:{plan.digest}")
    if not all(store.applied(command_id) for command_id, _ in batches):
        numbered = _save_references(store, plan)
        bound.info("import numbered", reference_events=numbered)
    saved = store.save_batches(batches, workers=workers)
    for command_id, batch in batches:
        try:
            appended += next(saved)
        except Exception:
            # What was saved stays saved; running the same file again stores the rest.
            bound.exception(
                "import batch failed",
                batch=command_id,
                recommendation_id=str(batch[0].id),
                saved_recommendations=done,
            )
            raise
        done += len(batch)
        if progress is not None:
            progress(done, len(recommendations))
    bound.info("import saved", recommendations=len(recommendations), events=appended)
    return appended
