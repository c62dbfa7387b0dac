"""What every command shares: the reason, the business-date convention, the field types.

The business date of a command (the day the fact refers to, kept on its events beside the
recording time) follows one convention: a command whose fact carries its own date names
that field in `dated_by`, and the executor takes it when it is given; otherwise the fact
is dated today."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class RuleBroken(ValueError):
    """A validator's refusal as pydantic wants it (a ValueError), keeping its rule as a msgid
    and values, as InvalidInput does: the API says it in the caller's language (pydantic's
    error keeps the exception in its `ctx`); its text is the rule in English."""

    def __init__(self, rule: str, **values: object) -> None:
        self.rule_id = rule
        self.values = values
        super().__init__(rule.format(**values) if values else rule)


def _no_nul(value: str) -> str:
    # The views keep text in PostgreSQL text columns, which cannot hold NUL: one such
    # character let into an event would stop every projection at that event.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


NoNul = AfterValidator(_no_nul)
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), NoNul
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
RequiredReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul
]
Days = Annotated[int, Field(ge=1, le=3650)]


class Command(BaseModel):
    """A request to change the record. `reason` is the free-text why, kept on the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: whether the command acts on an existing aggregate (its id comes from the URL/CLI)
    targeted: ClassVar[bool] = False
    #: the log field that names the aggregate the command acts on
    subject: ClassVar[str] = "aggregate_id"
    #: the field holding the business date of the fact, when the command has one
    dated_by: ClassVar[str | None] = None

    reason: Reason | None = None


class TargetedCommand(Command):
    """A command on an existing aggregate, whose id arrives beside the body."""

    targeted: ClassVar[bool] = True
