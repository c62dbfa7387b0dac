"""The letter of an overdue implementation: when the implementation follow-up records that
an agreed implementation date passed without a verified implementation, it also has a
letter written to the authority (LetterKind.IMPLEMENTATION_OVERDUE, in the authority's
language, recorded on the recommendation as LetterGenerated), as the reply obligation
does for a missed reply.

Behind patch IMPLEMENTATION_LETTER: a follow-up that recorded its overdue step before
the patch replays without the letter (tests/workflows/histories/implementation_overdue_v5).
Kept apart from workflows/implementation.py so the step itself stays as it was."""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.letters import LetterKind
    from workflows import casework
    from workflows.messages import LetterRequest
    from workflows.obligation import LETTER_HORIZON

IMPLEMENTATION_LETTER = "implementation-overdue-letter"


async def write_overdue_letter(
    authority_id: str,
    recommendation_ids: list[str],
    agreed: date,
    on: date,
    today: date,
    *,
    own_queue: bool = False,
) -> None:
    """The letter for the overdue step of `agreed`, under the command id
    `<workflow id>:overdue-<agreed>:letter`; none for a step caught up long after its day
    (an import, the demo), nor when the overdue was recorded on nothing. With `own_queue`
    (patch ONE_COMMAND_STEP), on the letters' own task queue, as the reply's letters."""
    if not workflow.patched(IMPLEMENTATION_LETTER):
        return
    if not recommendation_ids or on < today - LETTER_HORIZON:
        return
    await casework.write_letter(
        LetterRequest(
            workflow.info().workflow_id,
            f"overdue-{agreed}",
            LetterKind.IMPLEMENTATION_OVERDUE,
            authority_id,
            sorted(recommendation_ids),
            on,
            agreed,
        ),
        own_queue=own_queue,
    )
