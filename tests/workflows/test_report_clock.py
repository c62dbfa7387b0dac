"""The reply clock of a report's recommendations starts at the report's sending, on the
time-skipping server: the obligation reminds and misses on the report-based due date,
not on one counted from the recommendations' issue."""

from __future__ import annotations

from datetime import date

from domain.recommendation import Recommendation
from domain.values import ReportKind
from services.application.commands.registry import RegisterReport, SendReport
from tests.builders import issued_recommendation
from tests.workflows.conftest import Deadlines
from workflows.obligation import ReplyObligationWorkflow

D = date


async def test_the_obligation_runs_from_the_sending_not_the_issue(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30, ladder=[])
    issued = D(2030, 4, 1)
    report_id = deadlines.run(
        RegisterReport(kind=ReportKind.VISIT_REPORT, title="Visit to Prison A", report_date=issued),
        on=issued,
    ).aggregate_id
    rec = issued_recommendation(deadlines.run, authority_id, issued, report_id=report_id)
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle_for(
        ReplyObligationWorkflow.run, f"obligation-{report_id}-{authority_id}"
    )
    waiting = await deadlines.state(handle)
    assert waiting["due_on"] is None and waiting["pending"] == [str(rec)]

    # Counted from the issue, the reply would be due 2 May (1 May is Labour Day) and the
    # reminder would go on 25 April: the report is only sent on 20 April.
    sent = D(2030, 4, 20)
    await deadlines.skip_to(sent)
    deadlines.run(SendReport(authority_id=authority_id, sent_on=sent), report_id, on=sent)
    assert deadlines.app.get(Recommendation, rec).reply_due == D(2030, 5, 20)
    await deadlines.relay_all()

    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    assert deadlines.decisions(rec) == [
        ("ReplyReminderSent", D(2030, 5, 13), {"due_on": D(2030, 5, 20)}),
        ("ReplyDeadlineMissed", D(2030, 5, 21), {"due_on": D(2030, 5, 20)}),
    ]
