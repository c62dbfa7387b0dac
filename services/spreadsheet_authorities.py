"""Authorities an import registers: from a file of authorities (`--authorities FILE`, one
row each) or, for any other unknown name, with defaults (`--create-authorities
--jurisdiction XX`). Either way through RegisterAuthority, the API's command model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from services.application.commands.registry import RegisterAuthority
from services.spreadsheet_columns import header_name
from services.spreadsheet_problems import ImportRejected, Problem
from services.spreadsheet_reading import Sheet

#: the reply periods of an authority registered with defaults (change them afterwards
#: with `ChangeReplyPolicy`, in the registry page or the API)
DEFAULT_REPLY_DAYS = 60
DEFAULT_URGENT_REPLY_DAYS = 14
AUTHORITY_COLUMNS = (
    "name",
    "kind",
    "jurisdiction",
    "reply_period_days",
    "urgent_reply_period_days",
    "day_kind",
    "reply_clock_starts",
)


def default_authority(jurisdiction: str | None) -> Callable[[str], RegisterAuthority]:
    """The registration of an authority known only by its name in the file."""

    def register(name: str) -> RegisterAuthority:
        return RegisterAuthority.model_validate(
            {
                "name": name,
                "kind": "authority",
                "jurisdiction": (jurisdiction or "").upper(),
                "reply_period_days": DEFAULT_REPLY_DAYS,
                "urgent_reply_period_days": DEFAULT_URGENT_REPLY_DAYS,
                "reason": "registered by an import (--create-authorities)",
            }
        )

    return register


def read_authorities(sheet: Sheet, jurisdiction: str | None) -> dict[str, RegisterAuthority]:
    """The file's authorities by name (lower case); every problem by row and column."""
    names = [header_name(cell) for cell in sheet.header]
    problems = [
        Problem(0, name, "is not a column of the authorities file")
        for name in names
        if name and name not in AUTHORITY_COLUMNS
    ]
    if "name" not in names:
        problems.append(Problem(0, "name", "is required and missing"))
    if problems:
        raise ImportRejected(problems)
    found: dict[str, RegisterAuthority] = {}
    for number, cells in sheet.rows():
        values: dict[str, Any] = {
            name: str(cell).strip()
            for name, cell in zip(names, cells, strict=False)
            if name and str(cell).strip()
        }
        values.setdefault("kind", "authority")
        values.setdefault("reply_period_days", DEFAULT_REPLY_DAYS)
        values.setdefault("urgent_reply_period_days", DEFAULT_URGENT_REPLY_DAYS)
        if jurisdiction:
            values.setdefault("jurisdiction", jurisdiction)
        if "jurisdiction" in values:
            values["jurisdiction"] = str(values["jurisdiction"]).upper()
        values["reason"] = f"registered by an import (authorities file, row {number})"
        try:
            command = RegisterAuthority.model_validate(values)
        except ValidationError as error:
            problems += [
                Problem(number, str(e["loc"][0]) if e["loc"] else "row", e["msg"])
                for e in error.errors()
            ]
            continue
        found[command.name.lower()] = command
    if problems:
        raise ImportRejected(problems)
    return found


def authority_command_id(name: str) -> str:
    digest = hashlib.sha256(name.strip().lower().encode("utf-8")).hexdigest()[:40]
    return f"import:authority:{digest}"


def unknown_authorities(unknown: dict[str, list[int]]) -> Problem:
    listed = "; ".join(
        f"{name!r} (row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
        f"{', ...' if len(rows) > 5 else ''})"
        for name, rows in sorted(unknown.items(), key=lambda item: item[1][0])
    )
    return Problem(
        0,
        "file",
        f"column authority names {len(unknown)} "
        f"authorit{'y' if len(unknown) == 1 else 'ies'} not registered: "
        f"{listed}. Register them first, or import with --create-authorities "
        "--jurisdiction XX (or --authorities FILE)",
    )
