"""As-of on the business date: imported or back-dated records (a business date in 2024,
recorded today) answer their state on a past date by what had happened by then
(`basis=business`, the default) or by what had been recorded by then
(`basis=recorded`), for one recommendation and for the status counts alike; and the
history reads in business-date order with the recording time beside each entry."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.values import FollowUpKind, Role
from services.application.commands.recommendations import RecordFollowUp
from services.application.executor import Executor
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation, reply

ISSUED = date(2024, 3, 1)
FOLLOWED_UP = date(2024, 4, 1)
ANSWERED = date(2024, 3, 20)


@pytest.fixture
def backdated(run: Commander) -> UUID:
    """Issued on 1 March 2024, a follow-up letter on 1 April, and the authority's reply
    of 20 March typed in after the letter: all recorded today."""
    ministry = authority(run, on=ISSUED)
    rec = issued_recommendation(run, ministry, ISSUED)
    run(
        RecordFollowUp(kind=FollowUpKind.LETTER, summary="Wrote to the director"),
        rec,
        on=FOLLOWED_UP,
    )
    reply(run, rec, ANSWERED, text="We agree.")
    return rec


@pytest.fixture
def auditor(executor: Executor) -> dict[str, str]:
    return bearer(make_user(executor, "aude", Role.AUDITOR))


def test_one_recommendation_as_of_a_business_date_before_it_was_recorded(
    client: TestClient, backdated: UUID, auditor: dict[str, str]
) -> None:
    path = f"/api/v1/recommendations/{backdated}"
    by_default = client.get(f"{path}?as_of=2024-03-10", headers=auditor)
    assert by_default.status_code == 200, by_default.text
    assert by_default.json()["status"] == "issued"
    assert by_default.json()["issued_on"] == "2024-03-01"
    assert by_default.json()["as_of"] == "2024-03-10"
    assert by_default.json()["basis"] == "business"

    business = client.get(f"{path}?as_of=2024-06-01&basis=business", headers=auditor)
    assert business.status_code == 200, business.text
    assert business.json()["status"] == "responded"
    assert [r["text"] for r in business.json()["responses"]] == ["We agree."]

    before_issue = client.get(f"{path}?as_of=2024-02-28&basis=business", headers=auditor)
    assert before_issue.status_code == 404
    recorded = client.get(f"{path}?as_of=2024-06-01&basis=recorded", headers=auditor)
    assert recorded.status_code == 404
    assert recorded.json()["code"] == "not_found"
    today = client.get(f"{path}?as_of={date.today()}&basis=recorded", headers=auditor)
    assert today.status_code == 200
    assert today.json()["basis"] == "recorded"

    unknown = client.get(f"{path}?as_of=2024-06-01&basis=sometimes", headers=auditor)
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["field"] == "basis"


def test_status_counts_as_of_default_to_the_business_date(
    client: TestClient, backdated: UUID, auditor: dict[str, str]
) -> None:
    path = "/api/v1/stats/status-as-of?date=2024-06-01"
    by_default = client.get(path, headers=auditor).json()
    assert by_default["basis"] == "business"
    assert by_default["counts"] == {"responded": 1}
    assert client.get(f"{path}&basis=recorded", headers=auditor).json()["counts"] == {}


def test_history_is_in_business_date_order_with_the_recording_time(
    client: TestClient, backdated: UUID, auditor: dict[str, str]
) -> None:
    response = client.get(f"/api/v1/recommendations/{backdated}/history", headers=auditor)
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    assert [(e["event"], e["business_date"]) for e in events] == [
        ("Drafted", "2024-03-01"),
        ("Issued", "2024-03-01"),
        ("ResponseReceived", "2024-03-20"),
        ("FollowUpRecorded", "2024-04-01"),
    ]
    # Recorded in another order, today: each entry says when.
    assert [e["version"] for e in events] == [1, 2, 4, 3]
    recorded = [datetime.fromisoformat(e["recorded_at"]).date() for e in events]
    assert set(recorded) == {date.today()}
