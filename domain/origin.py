"""Where a recommendation comes from (the mechanism, the recommending bodies, the session
or cycle), which Sustainable Development Goals it serves, and the historic-record rule.

An NPM tracks more than its own recommendations: those of the SPT, CPT and the UN treaty
bodies, of the Universal Periodic Review (where one recommendation may come from a dozen
states), of inspectorates and accident investigators. These fields say which; they are
checked here, apart from the aggregate, so that the import, the API and the domain apply
the same rules.

Historic records: an imported recommendation whose reply or implementation period ended
before its import must not be reminded of, nor escalated, for those past dates (a
thousand records imported at once would otherwise all escalate that day).
`deadline_is_history` is that rule, the one place the relay asks.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput


class Source(StrEnum):
    """The mechanism a recommendation comes from."""

    NPM = "npm"
    SPT = "spt"
    CPT = "cpt"
    CAT = "cat"
    CCPR = "ccpr"  # the Human Rights Committee
    CESCR = "cescr"
    CEDAW = "cedaw"
    CRC = "crc"
    CERD = "cerd"
    CMW = "cmw"
    CRPD = "crpd"
    CED = "ced"
    UPR = "upr"
    SPECIAL_PROCEDURES = "special_procedures"
    INSPECTORATE = "inspectorate"
    ACCIDENT_INVESTIGATION = "accident_investigation"
    OTHER = "other"

    @classmethod
    def _missing_(cls, value: object) -> Source | None:
        # Spreadsheets write "UPR", "CCPR/HRC", "Special procedures": accept any case,
        # spaces or hyphens for underscores, and the Committee's other name.
        text = re.sub(r"[\s-]+", "_", str(value).strip().lower())
        text = _ALIASES.get(text, text)
        for member in cls:
            if member.value == text:
                return member
        return None


_ALIASES = {
    "hrc": "ccpr",
    "ccpr/hrc": "ccpr",
    "hrc/ccpr": "ccpr",
    "special_procedure": "special_procedures",
}

MAX_BODIES = 100
MAX_BODY_LENGTH = 200
MAX_SESSION_LENGTH = 100
MAX_SDGS = 50

# How many numbered targets each goal has (1.1 ... 1.5) and up to which letter its
# means-of-implementation targets run (1.a, 1.b): the 169 targets of the 2030 Agenda.
SDG_TARGETS: dict[int, tuple[int, str | None]] = {
    1: (5, "b"),
    2: (5, "c"),
    3: (9, "d"),
    4: (7, "c"),
    5: (6, "c"),
    6: (6, "b"),
    7: (3, "b"),
    8: (10, "b"),
    9: (5, "c"),
    10: (7, "c"),
    11: (7, "c"),
    12: (8, "c"),
    13: (3, "b"),
    14: (7, "c"),
    15: (9, "c"),
    16: (10, "b"),
    17: (19, None),
}
_SDG = re.compile(r"^(\d{1,2})(?:\.(\d{1,2}|[a-z]))?$")

SDG_RULE = "an SDG goal (1 to 17, e.g. 16) or one of its targets (e.g. 16.3 or 16.a)"


def _not_a_target(field: str, value: str, goal: int) -> InvalidInput:
    numbered, lettered = SDG_TARGETS[goal]
    last = f"{goal}.{numbered}"
    if lettered:
        return InvalidInput(
            field,
            "{value} is not a target of goal {goal}, which has {first} to {last} "
            "and {first_letter} to {last_letter}",
            value=repr(value),
            goal=goal,
            first=f"{goal}.1",
            last=last,
            first_letter=f"{goal}.a",
            last_letter=f"{goal}.{lettered}",
        )
    return InvalidInput(
        field,
        "{value} is not a target of goal {goal}, which has {first} to {last}",
        value=repr(value),
        goal=goal,
        first=f"{goal}.1",
        last=last,
    )


def check_sdg(value: str, field: str = "sdgs") -> str:
    """The SDG goal or target id, normalised ("16", "16.3", "16.a"), or InvalidInput
    naming the field (`sdgs`) and the rule."""
    text = value.strip().lower()
    match = _SDG.match(text)
    if match is None:
        # SDG_RULE, written out: a msgid is one literal
        raise InvalidInput(
            field,
            "{value} is not an SDG goal (1 to 17, e.g. 16) or one of its targets "
            "(e.g. 16.3 or 16.a)",
            value=repr(value),
        )
    goal = int(match.group(1))
    if goal not in SDG_TARGETS:
        raise InvalidInput(
            field, "{value}: there are 17 goals, numbered 1 to 17", value=repr(value)
        )
    target = match.group(2)
    if target is None:
        return str(goal)
    numbered, lettered = SDG_TARGETS[goal]
    if target.isdigit():
        valid = 1 <= int(target) <= numbered
        target = str(int(target))
    else:
        valid = lettered is not None and "a" <= target <= lettered
    if not valid:
        raise _not_a_target(field, value, goal)
    return f"{goal}.{target}"


def clean_sdgs(values: list[str]) -> list[str]:
    """The SDG ids checked, normalised, without repeats, in goal and target order."""
    if len(values) > MAX_SDGS:
        raise InvalidInput("sdgs", "at most {count} goals and targets", count=MAX_SDGS)
    cleaned = {check_sdg(v) for v in values}
    return sorted(cleaned, key=_sdg_order)


def _sdg_order(sdg: str) -> tuple[int, int, str]:
    goal, _, target = sdg.partition(".")
    number = int(target) if target.isdigit() else (100 if target else 0)
    return (int(goal), number, target)


def clean_bodies(values: list[str]) -> list[str]:
    """The recommending bodies' names, trimmed, without repeats (ignoring case), in the
    order given."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values:
        name = " ".join(value.split())
        if not name:
            raise InvalidInput("recommending_bodies", "a recommending body must have a name")
        if len(name) > MAX_BODY_LENGTH:
            raise InvalidInput(
                "recommending_bodies",
                "a name has at most {count} characters",
                count=MAX_BODY_LENGTH,
            )
        if name.lower() not in seen:
            seen.add(name.lower())
            cleaned.append(name)
    if len(cleaned) > MAX_BODIES:
        raise InvalidInput(
            "recommending_bodies", "at most {count} recommending bodies", count=MAX_BODIES
        )
    return cleaned


def _short(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > MAX_SESSION_LENGTH:
        raise InvalidInput(field, "has at most {count} characters", count=MAX_SESSION_LENGTH)
    return text or None


ORIGIN_FIELDS = ("source", "recommending_bodies", "session", "cycle", "sdgs")


def blank_origin() -> dict[str, Any]:
    """The origin of a recommendation drafted before these fields existed: nothing said."""
    return {"source": None, "recommending_bodies": [], "session": None, "cycle": None, "sdgs": []}


def clean_origin(given: dict[str, Any]) -> dict[str, Any]:
    """A whole origin, checked and normalised, as it is stored on an event (plain
    strings and lists). Fields not given are empty."""
    unknown = sorted(set(given) - set(ORIGIN_FIELDS))
    if unknown:
        raise InvalidInput("origin", "unknown fields: {names}", names=", ".join(unknown))
    source = given.get("source")
    if source is not None:
        try:
            source = Source(source).value
        except ValueError:
            accepted = ", ".join(s.value for s in Source)
            raise InvalidInput(
                "source", "{value} is not one of {allowed}", value=repr(source), allowed=accepted
            ) from None
    return {
        "source": source,
        "recommending_bodies": clean_bodies(list(given.get("recommending_bodies") or [])),
        "session": _short("session", given.get("session")),
        "cycle": _short("cycle", given.get("cycle")),
        "sdgs": clean_sdgs(list(given.get("sdgs") or [])),
    }


def changed_origin(
    current: dict[str, Any], external_id: str | None, changes: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The origin and external id after `changes` (only the fields given change; an
    `external_id` among them changes the id); InvalidInput when nothing would change."""
    changes = dict(changes)
    new_id = changes.pop("external_id", external_id)
    if new_id is not None:
        new_id = " ".join(str(new_id).split()) or None
    new = clean_origin({**current, **changes})
    if new == current and new_id == external_id:
        raise InvalidInput("origin", "is unchanged")
    return new, new_id


def deadline_is_history(historic_before: date | None, due_on: date | None) -> bool:
    """Whether a deadline of a recommendation is history: it fell before the day the
    recommendation was imported as a historic record, so no reminder, missed deadline
    or escalation is ever due for it."""
    return historic_before is not None and due_on is not None and due_on < historic_before
