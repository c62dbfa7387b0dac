"""Reports and the statutory clock (issue 10): registering and sending a report is one
command, all or nothing; the reply clock of a report's recommendations starts at its
sending (or its receipt, per the authority's policy); an urgent one runs from its issue."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.authority import Authority
from domain.errors import InvalidInput
from domain.recommendation import Recommendation
from domain.report import Report
from domain.values import ClockStart, DayKind, RecommendationKind, ReportKind
from services.application.commands.registry import (
    ChangeReplyPolicy,
    RegisterAuthority,
    RegisterReport,
    SendReport,
)
from services.application.store import Rectrack
from tests.builders import Commander, authority, issued_recommendation, register_authority_command

ISSUED = date(2026, 1, 5)
SENT = date(2026, 2, 1)


def _events(store: Rectrack) -> int:
    return len(store.recorder.select_notifications(start=1, limit=10_000))


def _report(run: Commander, **fields: object) -> UUID:
    body = {"kind": ReportKind.VISIT_REPORT, "title": "Visit to Prison A"}
    body.setdefault("report_date", ISSUED)
    command = RegisterReport.model_validate({**body, **fields})
    return run(command, on=ISSUED).aggregate_id


# --- one command, all or nothing --------------------------------------------------------


def test_a_report_is_registered_and_sent_in_one_command(run: Commander, store: Rectrack) -> None:
    ministry = authority(run)
    report_id = _report(run, send_to=[str(ministry)], sent_on=SENT)
    report = store.get(Report, report_id)
    sending = report.sending_to(str(ministry))
    assert sending is not None
    assert (sending.sent_on, sending.reply_due) == (SENT, date(2026, 3, 3))
    assert report.version == 2  # registered and sent, one save


def test_a_failed_sending_leaves_no_report_and_no_event(run: Commander, store: Rectrack) -> None:
    ministry = authority(run)
    before = _events(store)
    with pytest.raises(InvalidInput) as refused:
        _report(run, send_to=[str(ministry), str(uuid4())], sent_on=SENT)
    assert refused.value.field == "send_to[1]"
    assert _events(store) == before


def test_a_sending_before_the_report_date_leaves_no_report(run: Commander, store: Rectrack) -> None:
    ministry = authority(run)
    before = _events(store)
    with pytest.raises(InvalidInput) as refused:
        _report(run, send_to=[str(ministry)], sent_on=date(2026, 1, 1))
    assert refused.value.field == "sent_on"
    assert _events(store) == before


def test_a_retry_with_the_same_command_id_appends_nothing(run: Commander, store: Rectrack) -> None:
    ministry = authority(run)
    command = RegisterReport(
        kind=ReportKind.VISIT_REPORT,
        title="Visit to Prison A",
        report_date=ISSUED,
        send_to=[ministry],
        sent_on=SENT,
    )
    first = run(command, on=ISSUED, command_id="register-and-send-1")
    after_first = _events(store)
    again = run(command, on=ISSUED, command_id="register-and-send-1")
    assert again.aggregate_id == first.aggregate_id
    assert again.replayed
    assert _events(store) == after_first


def test_an_existing_report_can_be_sent_to_another_authority(
    run: Commander, store: Rectrack
) -> None:
    ministry = authority(run)
    police = authority(run, name="Police", period=60)
    report_id = _report(run, send_to=[str(ministry)], sent_on=SENT)
    run(SendReport(authority_id=police, sent_on=date(2026, 2, 10)), report_id)
    sendings = store.get(Report, report_id).sendings
    assert sendings[str(police)].reply_due == date(2026, 4, 13)  # 04-11 is a Saturday
    with pytest.raises(InvalidInput) as twice:
        run(SendReport(authority_id=police, sent_on=date(2026, 2, 11)), report_id)
    assert twice.value.field == "authority_id"


# --- the reply clock --------------------------------------------------------------------


def test_a_recommendation_issued_before_the_sending_is_due_from_the_sending(
    run: Commander, store: Rectrack
) -> None:
    ministry = authority(run)
    report_id = _report(run)
    rec_id = issued_recommendation(run, ministry, ISSUED, report_id=report_id)
    assert store.get(Recommendation, rec_id).reply_due is None  # the clock waits
    run(SendReport(authority_id=ministry, sent_on=SENT), report_id, on=SENT)
    # 2026-02-01 + 30 calendar days = 2026-03-03 (a Tuesday, a working day in DE)
    assert store.get(Recommendation, rec_id).reply_due == date(2026, 3, 3)


def test_a_recommendation_issued_after_the_sending_is_due_from_the_sending(
    run: Commander, store: Rectrack
) -> None:
    ministry = authority(run)
    report_id = _report(run, report_date=ISSUED, send_to=[str(ministry)], sent_on=SENT)
    early = issued_recommendation(run, ministry, ISSUED, report_id=report_id)
    late = issued_recommendation(run, ministry, date(2026, 2, 5), report_id=report_id)
    assert store.get(Recommendation, early).reply_due == date(2026, 3, 3)
    assert store.get(Recommendation, late).reply_due == date(2026, 3, 9)  # 03-07 is a Sat


def test_an_urgent_recommendation_runs_from_its_issue(run: Commander, store: Rectrack) -> None:
    ministry = authority(run)
    report_id = _report(run)
    urgent = issued_recommendation(
        run, ministry, ISSUED, report_id=report_id, kind=RecommendationKind.URGENT
    )
    run(SendReport(authority_id=ministry, sent_on=SENT), report_id, on=SENT)
    assert store.get(Recommendation, urgent).reply_due == date(2026, 1, 12)  # 01-10 is a Sat


def test_the_clock_starts_at_receipt_where_the_policy_says_so(
    run: Commander, store: Rectrack
) -> None:
    body = register_authority_command().model_dump()
    command = RegisterAuthority.model_validate({**body, "reply_clock_starts": "receipt"})
    ministry = run(command).aggregate_id
    report_id = _report(run)
    rec_id = issued_recommendation(run, ministry, ISSUED, report_id=report_id)
    before = _events(store)
    with pytest.raises(InvalidInput) as refused:
        run(SendReport(authority_id=ministry, sent_on=SENT), report_id, on=SENT)
    assert refused.value.field == "received_on"
    assert _events(store) == before
    received = date(2026, 2, 4)
    run(SendReport(authority_id=ministry, sent_on=SENT, received_on=received), report_id)
    assert store.get(Recommendation, rec_id).reply_due == date(2026, 3, 6)


def test_a_policy_change_keeps_the_clock_start_unless_given(
    run: Commander, store: Rectrack
) -> None:
    ministry = authority(run)
    change = ChangeReplyPolicy(
        effective_from=SENT, period_days=20, day_kind=DayKind.CALENDAR, urgent_period_days=3
    )
    run(change, ministry)
    assert store.get(Authority, ministry).policy_on(SENT).clock_starts == ClockStart.SENDING
    run(change.model_copy(update={"clock_starts": ClockStart.RECEIPT}), ministry)
    assert store.get(Authority, ministry).policy_on(SENT).clock_starts == ClockStart.RECEIPT
