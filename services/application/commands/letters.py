"""The command that writes a letter to an authority: by a deadline workflow's activity
(the reminder, the missed deadline, each ladder level, the report's transmittal) or by a
caseworker by hand. One command for both, so both are rendered and recorded alike."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from domain.letters import LetterKind
from domain.values import Language
from services.application.commands.base import Command


class GenerateLetter(Command):
    """Render the letter (PDF and DOCX), store both and record `LetterGenerated`: on the
    report when `report_id` is given (its transmittal, and the letters of its reply
    obligation), else on each recommendation named (an urgent one's, or one letter per
    authority and day naming many)."""

    kind: LetterKind
    report_id: UUID | None = Field(None, description="the report the letter is about")
    authority_id: UUID | None = Field(
        None, description="the authority written to; default: the recommendations' authority"
    )
    recommendation_ids: list[UUID] = Field(
        default_factory=list, max_length=500, description="the recommendations it names"
    )
    due_on: date | None = Field(
        None, description="the reply due date it names; default: the earliest of theirs"
    )
    level: int | None = Field(
        None, ge=1, le=20, description="an escalation letter: the level of the ladder"
    )
    language: Language | None = Field(None, description="default: the authority's language")
