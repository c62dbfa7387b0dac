"""Which action a recommendation may take from which status, how its tags are cleaned and
what a Double-SMART review must judge.

Kept apart from the aggregate so that the table the error messages are generated from can
be read (and imported by the web and API layers) without the event machinery.
"""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.values import DOUBLE_SMART_CRITERIA, NatureOfProblem, Status

OPEN = frozenset({Status.ISSUED, Status.RESPONDED, Status.ASSESSED})
LIVE = OPEN | {Status.DRAFT}

# Which status each action may start from. Error messages are generated from this table,
# so what the error says is allowed is exactly what the code allows.
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "record_review": frozenset({Status.DRAFT}),
    "issue": frozenset({Status.DRAFT}),
    "reformulate": LIVE,
    "reiterate": frozenset({Status.DRAFT, Status.ISSUED}),
    "record_response": OPEN,
    "extend_reply_deadline": frozenset({Status.ISSUED, Status.RESPONDED}),
    "record_follow_up": OPEN,
    "assess_implementation": OPEN,
    "verify_implementation": frozenset({Status.ASSESSED}),
    "map_stakeholder": LIVE,
    "change_tags": LIVE,
    "record_origin": LIVE,
    "record_reply_reminder": frozenset({Status.ISSUED}),
    "record_reply_deadline_missed": frozenset({Status.ISSUED}),
    "record_escalation": OPEN,
    "record_implementation_overdue": OPEN,
    "withdraw": LIVE,
    "close": OPEN,
    # evidence supports a reply (or a follow-up or assessment after one)
    "attach_evidence": frozenset({Status.RESPONDED, Status.ASSESSED}),
    "add_comment": LIVE,
    "publish": OPEN,
}

TAG_FIELDS = ("themes", "keywords", "vulnerable_groups", "detention_practices", "problem_natures")


def allowed_actions(status: Status) -> list[str]:
    return [action for action, statuses in ALLOWED_FROM.items() if status in statuses]


#: the natures a problem may have, as tags (asked by every draft)
_NATURES = frozenset(n.value for n in NatureOfProblem)


def clean_tags(field: str, values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        tag = value.strip().lower()
        if not tag:
            raise InvalidInput(field, "tags must not be empty")
        if tag not in cleaned:
            cleaned.append(tag)
    if field == "problem_natures":
        known = _NATURES
        for tag in cleaned:
            if tag not in known:
                raise InvalidInput(
                    field,
                    "{value} is not one of {allowed}",
                    value=repr(tag),
                    allowed=", ".join(sorted(known)),
                )
    return cleaned


def check_review(criteria: dict[str, bool], notes: dict[str, str]) -> None:
    """A Double-SMART review judges every criterion, and only those, and notes only those."""
    missing = [c for c in DOUBLE_SMART_CRITERIA if c not in criteria]
    unknown = [c for c in criteria if c not in DOUBLE_SMART_CRITERIA]
    if unknown:
        raise InvalidInput(
            "criteria", "unknown Double-SMART criteria: {names}", names=", ".join(unknown)
        )
    if missing:
        raise InvalidInput(
            "criteria",
            "every Double-SMART criterion must be judged; missing: {names}",
            names=", ".join(missing),
        )
    bad_notes = [c for c in notes if c not in DOUBLE_SMART_CRITERIA]
    if bad_notes:
        raise InvalidInput(
            "notes", "notes for unknown criteria: {names}", names=", ".join(bad_notes)
        )
