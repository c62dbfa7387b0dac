"""The spreadsheet's columns, in one table: what each column holds and which command field
it feeds. The import reads by this table and the export writes by it, so the two agree.

A cell is parsed by its column's kind (a date, a list, one of an enum's values, ...) into
the plain value the command's field takes; the command models themselves (the ones the
API validates with) then check it, so the limits are the same from the file and from the
API. To add a column, add a row to COLUMNS naming the step and the command field it
feeds: the reading, the checking, the error messages and the export follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any

from domain.origin import Source
from domain.values import (
    ImplementationStatus,
    NonImplementationReason,
    Position,
    RecommendationKind,
)
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
    DraftRecommendation,
    RecordResponse,
)

#: list cells (themes, staff, ...) hold their items separated by this character
LIST_SEPARATOR = ";"
#: the one date format of a date cell (XLSX cells may also hold real dates)
DATE_FORMAT = "YYYY-MM-DD"


class Step(StrEnum):
    """The commands one row becomes, in the order they are run."""

    DRAFT = "draft"
    RESPONSE = "response"
    ASSESS = "assess"
    CLOSE = "close"


#: the command each step runs (the same models the API validates its bodies with)
STEP_COMMANDS: dict[Step, type[Command]] = {
    Step.DRAFT: DraftRecommendation,
    Step.RESPONSE: RecordResponse,
    Step.ASSESS: AssessImplementation,
    Step.CLOSE: CloseRecommendation,
}


class Kind(StrEnum):
    """How a cell is read."""

    TEXT = "text"
    DATE = "date"
    LIST = "list"
    ENUM = "enum"
    BOOL = "bool"
    #: a registered record named by its name (or id): authority, place
    NAME = "name"


@dataclass(frozen=True)
class Column:
    #: the header's name (compared in lower case, spaces read as underscores)
    name: str
    step: Step
    #: the command field it feeds; a dotted path for a nested model ("tags.themes")
    field: str
    kind: Kind = Kind.TEXT
    #: the accepted values of an ENUM column
    enum: type[Enum] | None = None
    required: bool = False
    #: the value of an empty cell, when it is not "absent"
    default: Any = None
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("external_id", Step.DRAFT, "external_id", help="the record's id in its source"),
    Column(
        "kind",
        Step.DRAFT,
        "kind",
        Kind.ENUM,
        RecommendationKind,
        default=RecommendationKind.VISIT,
    ),
    Column("text", Step.DRAFT, "text", required=True),
    Column("authority", Step.DRAFT, "authority_id", Kind.NAME, required=True),
    Column("place", Step.DRAFT, "place_id", Kind.NAME),
    Column("issued_on", Step.DRAFT, "issued_on", Kind.DATE),
    Column("themes", Step.DRAFT, "tags.themes", Kind.LIST),
    Column("keywords", Step.DRAFT, "tags.keywords", Kind.LIST),
    Column("vulnerable_groups", Step.DRAFT, "tags.vulnerable_groups", Kind.LIST),
    Column("detention_practices", Step.DRAFT, "tags.detention_practices", Kind.LIST),
    Column("problem_natures", Step.DRAFT, "tags.problem_natures", Kind.LIST),
    Column("staff", Step.DRAFT, "staff", Kind.LIST),
    # where it comes from (domain/origin.py): other mechanisms' recommendations
    Column("source", Step.DRAFT, "source", Kind.ENUM, Source),
    Column("recommending_bodies", Step.DRAFT, "recommending_bodies", Kind.LIST),
    Column("session", Step.DRAFT, "session"),
    Column("cycle", Step.DRAFT, "cycle"),
    Column("sdgs", Step.DRAFT, "sdgs", Kind.LIST, help="SDG goals and targets: 16; 16.3"),
    Column("response_received_on", Step.RESPONSE, "received_on", Kind.DATE),
    Column("response_position", Step.RESPONSE, "position", Kind.ENUM, Position),
    Column("response_text", Step.RESPONSE, "text"),
    Column("agreed_implementation_date", Step.RESPONSE, "agreed_implementation_date", Kind.DATE),
    Column("implementation", Step.ASSESS, "status", Kind.ENUM, ImplementationStatus),
    Column(
        "non_implementation_reason",
        Step.ASSESS,
        "non_implementation_reason",
        Kind.ENUM,
        NonImplementationReason,
    ),
    Column("verified", Step.ASSESS, "verified", Kind.BOOL),
    Column("verification_method", Step.ASSESS, "verification_method"),
    Column("assessed_on", Step.ASSESS, "assessed_on", Kind.DATE),
    # the closure: the day is the event's business date, the reason its reason
    Column("closed_on", Step.CLOSE, "closed_on", Kind.DATE),
    Column("closure_reason", Step.CLOSE, "reason"),
)

BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(BY_NAME)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)


def header_name(cell: str) -> str:
    """A header cell as a column name: "Issued on" -> "issued_on"."""
    return "_".join(cell.strip().lower().replace("-", " ").split())


def column_of(step: Step, loc: tuple[int | str, ...]) -> str | None:
    """The column a command model's error location (("tags", "themes", 3)) is about: the
    longest field path of the step's columns the location starts with."""
    path = [str(part) for part in loc]
    best: tuple[int, str] | None = None
    for column in COLUMNS:
        if column.step != step:
            continue
        parts = column.field.split(".")
        if path[: len(parts)] == parts and (best is None or len(parts) > best[0]):
            best = (len(parts), column.name)
    return best[1] if best else None


# --- cells ---------------------------------------------------------------------------------

TRUE = frozenset({"true", "yes", "y", "1", "x"})
FALSE = frozenset({"false", "no", "n", "0"})


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message is the rule."""


def parse_cell(column: Column, raw: object) -> Any:
    """The value a non-empty cell holds, as the command field takes it (a date, a list of
    strings, an enum member, a bool, a string). XLSX cells may arrive as dates, numbers
    or booleans already."""
    if column.kind is Kind.DATE:
        return _date(raw)
    if column.kind is Kind.BOOL:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE:
            return True
        if word in FALSE:
            return False
        raise CellError("must be true or false (also accepted: yes/no, 1/0)")
    text = cell_text(raw)
    if column.kind is Kind.LIST:
        return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
    if column.kind is Kind.ENUM:
        assert column.enum is not None
        wanted = "_".join(text.lower().replace("-", " ").split())
        member = _members(column.enum).get(wanted)
        if member is not None:
            return member
        accepted = ", ".join(str(member.value) for member in column.enum)
        raise CellError(f"{text!r} is not one of the accepted values: {accepted}")
    return text


@lru_cache(maxsize=64)
def _members(enum: type[Enum]) -> dict[str, Enum]:
    """An enum's members by their value and their name, in lower case."""
    found: dict[str, Enum] = {}
    for member in enum:
        found[member.name.lower()] = member
        found[str(member.value).lower()] = member
    return found


def cell_text(raw: object) -> str:
    """A cell as text: XLSX numbers that are whole print without ".0"."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not _ISO_DATE.fullmatch(text):
        return _bad_date(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{text!r} is not a day of the calendar ({DATE_FORMAT})") from None


def _bad_date(text: str) -> date:
    raise CellError(f"{text!r} is not a date in the format {DATE_FORMAT} (e.g. 2024-03-31)")


def normalised(column: Column, value: Any) -> str:
    """A parsed value as the one text the identity digest and the export use."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)
