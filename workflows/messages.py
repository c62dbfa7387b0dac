"""What travels between the relay, the workflows and their activities.

Plain dataclasses, serialised into Temporal's history: a history recorded today must
still decode after the code has moved on, so these shapes only ever gain fields with
defaults (the patching rules are in the module docstring of workflows/obligation.py).
Dates are `datetime.date` and kinds are string enums in Python; on the wire they are the
ISO-date strings and plain strings they always were (workflows/converter.py), so the
histories recorded before they were typed decode unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.letters import LetterKind
from domain.task import TaskKind
from domain.values import Role


@dataclass
class Level:
    """One rung of the authority's escalation ladder, as in force on the due date."""

    action: str
    addressee: str
    wait_days: int


class Fact(StrEnum):
    """What a relayed event tells a deadline workflow."""

    SENT = "sent"  # a report reached the authority: due_on
    JOINED = "joined"  # a recommendation was issued under this obligation: due_on
    ANSWERED = "answered"
    EXTENDED = "extended"  # due_on
    RELEASED = "released"  # withdrawn or closed
    AGREED = "agreed"  # an implementation date was agreed: due_on
    ASSESSED = "assessed"  # status, verified
    VERIFIED = "verified"
    TASK_COMPLETED = "task_completed"  # task_id, outcome
    TASK_CANCELLED = "task_cancelled"  # task_id
    LETTER_GENERATED = "letter_generated"  # to be e-mailed (workflows/mail_workflows.py)
    STEP_RECORDED = "step_recorded"  # a step's decision, for its letter's batch


@dataclass
class Relayed:
    """A fact from the event store, delivered at least once; `event_id` de-duplicates.
    `on` is the business date of the event."""

    event_id: str
    kind: Fact
    on: date
    recommendation_id: str | None = None
    due_on: date | None = None
    task_id: str | None = None
    outcome: str | None = None
    status: str | None = None
    verified: bool = False


@dataclass
class ObligationStart:
    """`fire_at_seconds`: when in its day (seconds after 00:00 UTC) a step dated that day
    fires. 0 in production: the reply is missed at the first moment of the day after the
    due date. Benchmarks set it to bunch many due times close together."""

    obligation_id: str
    authority_id: str
    reminder_days: int
    fire_at_seconds: int = 0


@dataclass
class ObligationState:
    """Everything the obligation knows; carried over on continue-as-new."""

    due_on: date | None = None
    due_known_since: date | None = None
    pending: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reminded: bool = False
    missed_on: date | None = None
    ladder: list[Level] = field(default_factory=list)
    levels_done: int = 0
    open_tasks: list[str] = field(default_factory=list)
    completed_tasks: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    phase: str = "waiting for the report to be sent"
    # Each pending recommendation's own reply due date (its reply_due in the domain, moved
    # by extensions); the obligation runs on the earliest of them.
    dues: dict[str, date] = field(default_factory=dict)
    # Patch settle-then-confirm-decisions: the recommendations the missed deadline was
    # recorded on, the recommendations each task names, why each was resolved ("reply
    # received on ..."), and the day the workflow last settled before catching up.
    missed_recs: list[str] = field(default_factory=list)
    task_recs: dict[str, list[str]] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)
    settled_on: date | None = None
    # Patch letters: the day the report was sent (the transmittal's date), and whether
    # the transmittal was written.
    sent_on: date | None = None
    transmitted: bool = False


@dataclass
class ImplementationStart:
    recommendation_id: str
    authority_id: str
    fire_at_seconds: int = 0


@dataclass
class ImplementationState:
    agreed_on: date | None = None
    verify_task: str | None = None
    overdue_on: date | None = None
    ladder: list[Level] = field(default_factory=list)
    levels_done: int = 0
    implemented: bool = False
    verified: bool = False
    released: bool = False
    open_tasks: list[str] = field(default_factory=list)
    completed_tasks: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    phase: str = "waiting for the agreed implementation date"
    implemented_on: date | None = None  # the business date it was assessed implemented
    settled_on: date | None = None


class DecisionKind(StrEnum):
    """What a workflow appends to a recommendation's history."""

    REMINDER = "reminder"
    MISSED = "missed"
    ESCALATION = "escalation"
    IMPLEMENTATION_OVERDUE = "implementation_overdue"


@dataclass
class Decision:
    """A decision to append to the recommendations' histories, at most once per step."""

    workflow_id: str
    step: str
    kind: DecisionKind
    recommendation_ids: list[str]
    business_date: date
    due_on: date
    level: int = 0
    action: str = ""
    addressee: str = ""
    #: a reminder under patch letters-per-authority-day: the relay writes its letter (#16)
    letters_batched: bool = False


@dataclass
class TaskRequest:
    workflow_id: str
    step: str
    kind: TaskKind
    title: str
    role: Role
    business_date: date
    due_on: date
    recommendation_ids: list[str]


@dataclass
class LetterRequest:
    """A letter to write at a step (patch `letters`, workflows/obligation.py): the
    activity records it once, under the command id `<workflow id>:<step>:letter`."""

    workflow_id: str
    step: str
    kind: LetterKind
    authority_id: str
    recommendation_ids: list[str]
    business_date: date
    due_on: date | None = None
    level: int | None = None
    #: a batch's letter (workflows/letter_batch.py): the one obligation its requests came
    #: from, if one (its letter is then its report's, as a single step's is)
    origin: str | None = None


@dataclass
class EscalationStep:
    """A ladder step recorded by one command (patch `one-command-escalation`,
    workflows/casework.py): the deadline that passed, when `deadline` is set, then the
    next level of the authority's ladder and the task that sends its letter."""

    workflow_id: str
    step: str
    authority_id: str
    recommendation_ids: list[str]
    due_on: date
    missed_on: date
    today: date
    levels_done: int
    task_kind: TaskKind
    task_title: str  # {action}, {addressee}, {level} and {count} are filled in
    deadline: DecisionKind | None = None  # MISSED or IMPLEMENTATION_OVERDUE
    awaiting_reply: bool = False
    #: patch letters-per-authority-day: the relay writes the step's letters (#16)
    letters_batched: bool = False


@dataclass
class EscalationStepDone:
    """What the step recorded: the ladder in force on the due date, the recommendations
    the deadline and the level were recorded on, the level (0: none) and its task."""

    ladder: list[Level]
    deadline_on: list[str]
    level: int
    escalated: list[str]
    task_id: str | None = None


LETTERS_SUFFIX = "-letters"


def letters_queue(task_queue: str) -> str:
    """The task queue of the steps' letters beside a worker's queue (patch
    one-command-escalation): its own worker renders them one at a time. The letters'
    queue is its own (a letter batch runs there, workflows/letter_batch.py)."""
    if task_queue.endswith(LETTERS_SUFFIX):
        return task_queue
    return f"{task_queue}{LETTERS_SUFFIX}"
