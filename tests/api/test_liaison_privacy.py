"""What a liaison sees: the publishable split (domain/publication.py), walked route by
route. An authority liaison sees only recommendations issued to its own authority, only
publishable fields, and a history of publishable events; staff see everything."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from domain.values import DOUBLE_SMART_CRITERIA, Role
from services.application.executor import Executor
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation

CASEWORKER, LIAISON = Role.CASEWORKER, Role.AUTHORITY_LIAISON

# --- what a liaison sees: the publishable split, walked route by route -------------------

# Written by hand (not imported from domain/publication.py), like the matrix above: keys
# that must never appear in a liaison's answer, at any depth.
INTERNAL_KEYS = {
    "staff",
    "review",
    "review_met",
    "criteria",
    "notes",
    "reason",
    "command_id",
    "stakeholders",
    "tags",
    "themes",
    "keywords",
    "follow_ups",
    "escalation_level",
    "reminders",
    "reply_deadline_missed_on",
    "non_implementation_reason",
    "verification_method",
    "last_action",
    "last_actor",
    "drafted_on",
    "drafted_by",
    "visit_id",
}
# Words that exist only in internal fields and internal events of the world below.
SECRETS = (
    "Stefan Staffmember",
    "EARLY-DRAFT-WORDING",
    "SECRET-REVIEW-NOTE",
    "hidden-theme",
    "Mayor Hidden",
    "SECRET-FOLLOW-UP",
    "SECRET-FOLLOW-UP-REASON",
    "SECRET-RESPONSE-REASON",
    "raise in the annual report to parliament",
    "DRAFT-NOT-ISSUED",
    "OTHER-AUTHORITY",
    "Reply reminder sent",
    "Escalated",
)


def _internal_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {k for k in value if k in INTERNAL_KEYS}
        for item in value.values():
            found |= _internal_keys(item)
        return found
    if isinstance(value, list):
        return set().union(*(_internal_keys(item) for item in value)) if value else set()
    return set()


@pytest.fixture
def secrets(executor: Executor, run: Commander) -> dict[str, str]:
    """An issued recommendation with every kind of internal record on it, a draft, and
    another authority's recommendation; a liaison of the first authority."""
    from services.application.commands.recommendations import (
        AssessImplementation,
        DraftRecommendation,
        IssueRecommendation,
        MapStakeholder,
        RecordEscalation,
        RecordFollowUp,
        RecordReplyDeadlineMissed,
        RecordReplyReminder,
        RecordResponse,
        RecordReview,
        Reformulate,
    )
    from services.application.executor import Caller
    from tests.builders import place

    workflow = Caller("obligation-workflow", Role.SYSTEM.value)
    start = date.today() - timedelta(days=90)
    own = authority(run, on=start, name="Ministry of Justice")
    prison = place(run, own, name="Prison Nord", on=start)
    rec = run(
        DraftRecommendation(
            kind="visit",
            text="EARLY-DRAFT-WORDING",
            authority_id=own,
            place_id=prison,
            staff=["Stefan Staffmember"],
            tags={"themes": ["hidden-theme"]},
        ),
        on=start,
    ).aggregate_id
    criteria = dict.fromkeys(DOUBLE_SMART_CRITERIA, True)
    run(RecordReview(criteria=criteria, notes={"specific": "SECRET-REVIEW-NOTE"}), rec, on=start)
    run(Reformulate(text="Ensure daily access to fresh air"), rec, on=start)
    run(IssueRecommendation(issued_on=start), rec, on=start)
    run(MapStakeholder(actor="Mayor Hidden", power="high", interest="low"), rec, on=start)
    run(
        RecordFollowUp(kind="letter", summary="SECRET-FOLLOW-UP", reason="SECRET-FOLLOW-UP-REASON"),
        rec,
        on=start + timedelta(days=5),
    )
    due = start + timedelta(days=30)
    run(RecordReplyReminder(due_on=due), rec, on=due - timedelta(days=7), caller=workflow)
    run(RecordReplyDeadlineMissed(due_on=due), rec, on=due + timedelta(days=1), caller=workflow)
    run(
        RecordEscalation(
            level=2,
            action="raise in the annual report to parliament",
            addressee="parliament",
            obligation_id="obligation-1",
        ),
        rec,
        on=due + timedelta(days=1),
        caller=workflow,
    )
    answered = due + timedelta(days=10)
    run(
        RecordResponse(
            received_on=answered,
            position="accepted",
            text="We agree and will build a yard.",
            agreed_implementation_date=answered + timedelta(days=20),
            reason="SECRET-RESPONSE-REASON",
        ),
        rec,
        on=answered,
    )
    run(
        AssessImplementation(
            status="not_implemented", non_implementation_reason="budget", reason="SECRET-REASON"
        ),
        rec,
        on=answered + timedelta(days=30),
    )
    draft = run(
        DraftRecommendation(kind="visit", text="DRAFT-NOT-ISSUED", authority_id=own), on=start
    ).aggregate_id
    other_authority = authority(run, on=start, name="Ministry of Health")
    other = issued_recommendation(run, other_authority, start)
    run(Reformulate(text="OTHER-AUTHORITY"), other, on=start)
    token = make_user(executor, "lia", LIAISON, authority_id=own)
    last = run(Reformulate(text="OTHER-AUTHORITY again"), other, on=start)
    return {
        "token": token,
        "rec": str(rec),
        "draft": str(draft),
        "other": str(other),
        "other_authority": str(other_authority),
        "notification_id": str(last.notification_id),
    }


def test_a_liaison_sees_only_publishable_fields_of_issued_recommendations(
    client: TestClient, secrets: dict[str, str], runtime: object
) -> None:
    from services.api.writes import wait_for_views

    assert wait_for_views(runtime, int(secrets["notification_id"]))  # type: ignore[arg-type]
    liaison = bearer(secrets["token"])
    rec, draft, other = secrets["rec"], secrets["draft"], secrets["other"]
    today = date.today().isoformat()
    long_ago = (date.today() - timedelta(days=20)).isoformat()
    seen: dict[str, object] = {}

    def read(path: str, status: int = 200) -> object:
        response = client.get(f"/api/v1{path}", headers=liaison)
        assert response.status_code == status, (path, response.text)
        seen[path] = response.json()
        leaked = [s for s in SECRETS if s in response.text]
        assert not leaked, (path, leaked)
        assert not _internal_keys(response.json()), (path, _internal_keys(response.json()))
        return response.json()

    # Lists: only the issued one, whatever the filter.
    listed = read("/recommendations")
    assert [i["recommendation_id"] for i in listed["items"]] == [rec]  # type: ignore[index]
    for query in (
        "?status=draft",
        f"?authority_id={secrets['other_authority']}",
        "?q=DRAFT",
        "?theme=hidden-theme",
    ):
        assert read(f"/recommendations{query}")["items"] == []  # type: ignore[index]
    # One, now and as of a past date on both bases.
    one = read(f"/recommendations/{rec}")
    assert one["text"] == "Ensure daily access to fresh air"  # type: ignore[index]
    assert one["responses"][0]["text"] == "We agree and will build a yard."  # type: ignore[index]
    assert one["implementation"] == "not_implemented"  # type: ignore[index]
    for basis in ("business", "recorded"):
        read(f"/recommendations/{rec}?as_of={today}&basis={basis}")
    read(f"/recommendations/{rec}?as_of={long_ago}")
    # History and timeline: publishable events from the issue on, without reasons.
    history = read(f"/recommendations/{rec}/history")
    assert [e["event"] for e in history["events"]] == [  # type: ignore[index]
        "Issued",
        "ResponseReceived",
        "ImplementationAssessed",
    ]
    timeline = read(f"/recommendations/{rec}/timeline")
    assert [e["event"] for e in timeline["entries"]] == [  # type: ignore[index]
        "Issued",
        "ResponseReceived",
        "ImplementationAssessed",
    ]
    # A draft, another authority's, or none at all: the same 404.
    for hidden in (draft, other, str(uuid4())):
        for path in ("", "/history", "/timeline", f"?as_of={today}"):
            body = read(f"/recommendations/{hidden}{path}", 404)
            assert body["code"] == "not_found"  # type: ignore[index]
    # Statistics are scoped to its authority and hold no internal field (the walk is in
    # tests/api/test_liaison_statistics.py); tasks stay refused.
    for path in (
        "/stats/authorities",
        "/stats/themes",
        f"/stats/status-as-of?date={today}",
        "/stats/figures?by=year",
        "/stats/figures?by=theme",
    ):
        read(path)
    pack = client.get("/api/v1/stats/annual-report?year=2026&format=html", headers=liaison)
    assert pack.status_code == 200
    assert not [s for s in SECRETS if s in pack.text]
    read("/tasks", 403)
    # A liaison cannot answer a draft of its own authority either: it does not exist.
    answer = client.post(
        f"/api/v1/recommendations/{draft}/responses",
        json={"received_on": today, "position": "accepted", "text": "Agreed."},
        headers=liaison,
    )
    assert answer.status_code == 404


def test_staff_still_see_everything(
    client: TestClient, secrets: dict[str, str], executor: Executor
) -> None:
    staff = bearer(make_user(executor, "carla", CASEWORKER))
    one = client.get(f"/api/v1/recommendations/{secrets['rec']}", headers=staff).json()
    assert one["staff"] == ["Stefan Staffmember"]
    assert "Mayor Hidden" in one["stakeholders"]
    history = client.get(f"/api/v1/recommendations/{secrets['rec']}/history", headers=staff)
    assert "raise in the annual report to parliament" in history.text
    assert "SECRET-RESPONSE-REASON" in history.text
    draft = client.get(f"/api/v1/recommendations/{secrets['draft']}", headers=staff)
    assert draft.status_code == 200
