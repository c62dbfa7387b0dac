"""Historic records (domain/origin.py deadline_is_history, asked by the relay): an
imported recommendation whose reply or implementation period ended before its import
starts no deadline workflow, so it is never reminded of nor escalated for those past
dates, however many are imported at once; a deadline after the import still counts, and
the same record without the mark escalates. Time-skipping server, real relay and worker,
real PostgreSQL."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.recommendation import Recommendation
from domain.values import Position, RecommendationKind
from services.application.commands.recommendations import (
    DraftRecommendation,
    ExtendReplyDeadline,
)
from tests.builders import reply
from tests.workflows.conftest import Deadlines

D = date
IMPORTED = D(2030, 4, 1)  # the day of the import: the test server's today


def imported(
    deadlines: Deadlines, authority_id: UUID, issued_on: date, *, historic: bool, text: str
) -> UUID:
    command = DraftRecommendation(
        kind=RecommendationKind.VISIT,
        text=text,
        authority_id=authority_id,
        issued_on=issued_on,
        historic_before=IMPORTED if historic else None,
    )
    return deadlines.run(command, on=IMPORTED).aggregate_id


async def started(deadlines: Deadlines, workflow_id: str) -> bool:
    try:
        await deadlines.client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def test_historic_records_never_escalate_for_past_dates(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30)
    long_ago = D(2029, 6, 4)  # reply due 2029-07-04: the whole ladder is long past
    silent = [
        imported(deadlines, authority_id, long_ago, historic=True, text=f"Historic {n}")
        for n in range(40)
    ]
    accepted = imported(deadlines, authority_id, long_ago, historic=True, text="Accepted")
    reply(
        deadlines.run,
        accepted,
        D(2029, 6, 20),
        position=Position.ACCEPTED,
        agreed_implementation_date=D(2029, 12, 1),  # before the import as well
    )
    control = imported(deadlines, authority_id, long_ago, historic=False, text="Not historic")
    recent = imported(deadlines, authority_id, D(2030, 3, 20), historic=True, text="Recent")

    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 6, 1))
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 6, 2))

    for rec in [*silent, accepted]:
        assert deadlines.decisions(rec) == []
        assert not await started(deadlines, f"obligation-recommendation-{rec}")
    assert not await started(deadlines, f"implementation-{accepted}")
    # the same record without the mark escalates at once, with its real dates
    assert deadlines.decisions(control)[:2] == [
        ("ReplyDeadlineMissed", D(2029, 7, 5), {"due_on": D(2029, 7, 4)}),
        ("Escalated", D(2029, 7, 19), {"level": 2, "addressee": "ministry"}),
    ]
    # a historic record's deadline after its import still counts: due 2030-04-23 (after
    # the Easter holidays), reminded a week before and missed the day after
    due = deadlines.app.get(Recommendation, recent).reply_due
    assert due == D(2030, 4, 23)
    assert deadlines.decisions(recent)[:2] == [
        ("ReplyReminderSent", D(2030, 4, 16), {"due_on": due}),
        ("ReplyDeadlineMissed", D(2030, 4, 24), {"due_on": due}),
    ]


async def test_a_historic_deadline_extended_past_the_import_counts_again(
    deadlines: Deadlines,
) -> None:
    authority_id = deadlines.authority(period=30)
    still_past = imported(deadlines, authority_id, D(2029, 6, 4), historic=True, text="Past")
    moved = imported(deadlines, authority_id, D(2029, 6, 4), historic=True, text="Moved")
    deadlines.run(ExtendReplyDeadline(new_due=D(2029, 9, 1)), still_past, on=IMPORTED)
    deadlines.run(ExtendReplyDeadline(new_due=D(2030, 5, 2)), moved, on=IMPORTED)
    await deadlines.relay_all()
    await deadlines.skip_to(D(2030, 6, 1))
    assert deadlines.decisions(still_past) == []
    assert not await started(deadlines, f"obligation-recommendation-{still_past}")
    assert deadlines.decisions(moved)[:2] == [
        ("ReplyReminderSent", D(2030, 4, 25), {"due_on": D(2030, 5, 2)}),
        ("ReplyDeadlineMissed", D(2030, 5, 3), {"due_on": D(2030, 5, 2)}),
    ]


@pytest.mark.parametrize("historic", [True, False])
async def test_the_relay_routes_nothing_for_a_past_deadline_of_a_historic_record(
    deadlines: Deadlines, historic: bool
) -> None:
    """The one rule, as the relay applies it (and reconciliation, which routes the log
    through the same `route`)."""
    authority_id = deadlines.authority(period=30)
    rec = imported(deadlines, authority_id, D(2029, 6, 4), historic=historic, text="One")
    events = list(deadlines.app.events.get(rec))
    routed = [d for event in events for d in deadlines.relay.route(event)]
    assert (routed == []) is historic
