"""The public register, read without signing in, on real PostgreSQL with the real
projector: only what the NPM published, filtered as asked, cacheable, and never a draft
nor an internal field. The privacy test builds recommendations that between them store
every recommendation event type, with a marker of its own in every field of every event
(and in every reason), then walks each event's fields: a field the split does not publish
for that event must appear in neither the JSON nor the CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.attachments import Supports
from domain.letters import LetterKind
from domain.publication import PUBLISHABLE_EVENTS, PUBLISHABLE_FIELDS
from domain.recommendation import Recommendation
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    PlaceType,
    Position,
    RecommendationKind,
    ReportKind,
)
from projections.engine.catchup import wait_until_caught_up
from services.application.commands import recommendations as rec
from services.application.commands import registry
from services.application.commands.letters import GenerateLetter
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.builders import Commander, authority
from tests.fast.test_event_classes import stored_event_classes

DAY = date.today() - timedelta(days=60)
REGISTER = "/public/v1/register"


def secret(name: str) -> str:
    return f"secret{name.replace('_', '')}x"


def everything(run: Commander, authority_id: UUID, place_id: UUID, earlier: UUID) -> list[UUID]:
    """Recommendations that between them store every event type, each field marked."""

    def act(command: Any, target: UUID, on: date = DAY) -> None:
        run(command.model_copy(update={"reason": secret(type(command).__name__)}), target, on=on)

    draft = rec.DraftRecommendation(
        kind=RecommendationKind.VISIT,
        text="Give every detainee an hour outdoors",
        authority_id=authority_id,
        place_id=place_id,
        staff=[secret("staffname")],
        external_id=secret("externalid"),
        tags=rec.Tags(themes=["outdoor time"], keywords=[secret("keyword")]),
    )
    full = run(draft, on=DAY).aggregate_id
    act(
        rec.RecordReview(
            criteria=dict.fromkeys(DOUBLE_SMART_CRITERIA, True),
            notes={DOUBLE_SMART_CRITERIA[0]: secret("reviewnote")},
        ),
        full,
    )
    act(rec.Reiterate(earlier_id=earlier), full)
    act(rec.Reformulate(text="Give every detainee an hour outdoors each day"), full)
    act(rec.IssueRecommendation(issued_on=DAY), full)
    act(rec.RecordReplyReminder(due_on=DAY + timedelta(days=30)), full)
    act(rec.RecordReplyDeadlineMissed(due_on=DAY + timedelta(days=30)), full)
    # a letter (the recommendation's own: it is in no report), its reason a secret
    run(
        GenerateLetter(
            kind=LetterKind.DEADLINE_MISSED,
            recommendation_ids=[full],
            reason=secret("letterreason"),
        ),
        on=DAY + timedelta(days=31),
    )
    act(
        rec.RecordEscalation(
            level=1,
            action=secret("escalationaction"),
            addressee=secret("addressee"),
            obligation_id=secret("wf"),
        ),
        full,
    )
    act(rec.ExtendReplyDeadline(new_due=DAY + timedelta(days=40)), full)
    act(
        rec.RecordResponse(
            received_on=DAY + timedelta(days=35),
            position=Position.ACCEPTED,
            text="The yard opens daily from March",
            agreed_implementation_date=DAY + timedelta(days=50),
        ),
        full,
    )
    act(rec.RecordFollowUp(kind=FollowUpKind.LETTER, summary=secret("followupsummary")), full)
    act(
        rec.AttachEvidence(
            sha256="e" * 64,
            filename=secret("filename") + ".pdf",
            media_type="application/pdf",
            size=10,
            supports=Supports.RESPONSE,
            index=0,
        ),
        full,
    )
    act(rec.MapStakeholder(actor=secret("stakeholder"), power=Level.HIGH, interest=Level.LOW), full)
    act(
        rec.ChangeTags(tags=rec.Tags(themes=["outdoor time"], keywords=[secret("newkeyword")])),
        full,
    )
    act(rec.RecordOrigin(source="cpt", recommending_bodies=["CPT"], sdgs=["16.3"]), full)
    act(rec.AddComment(text=secret("commenttext")), full)
    act(rec.RecordImplementationOverdue(due_on=DAY + timedelta(days=50)), full)
    act(
        rec.AssessImplementation(
            status=ImplementationStatus.PARTIALLY_IMPLEMENTED,
            non_implementation_reason=NonImplementationReason.BUDGET,
        ),
        full,
    )
    act(rec.VerifyImplementation(method=secret("verificationmethod")), full)
    act(rec.PublishRecommendation(), full)
    act(rec.CloseRecommendation(reason="x"), full)

    report = run(
        registry.RegisterReport(
            kind=ReportKind.VISIT_REPORT, title="Visit to Prison A", report_date=DAY
        ),
        on=DAY,
    ).aggregate_id
    clocked = run(draft.model_copy(update={"report_id": report, "issued_on": DAY}), on=DAY)
    act(registry.SendReport(authority_id=authority_id, sent_on=DAY + timedelta(days=1)), report)
    act(rec.PublishRecommendation(), clocked.aggregate_id)

    withdrawn = run(draft.model_copy(update={"issued_on": DAY}), on=DAY).aggregate_id
    act(rec.PublishRecommendation(), withdrawn)
    act(rec.WithdrawRecommendation(reason=secret("withdrawalreason")), withdrawn)
    return [full, clocked.aggregate_id, withdrawn]


@pytest.fixture
def published(run: Commander, app: Rectrack, runtime: Runtime) -> dict[str, Any]:
    ministry = authority(run)
    other = authority(run, name="Ministry of Health")
    prison = run(
        registry.RegisterPlace(name="Prison A", place_type=PlaceType.PRISON, authority_id=ministry),
        on=DAY,
    ).aggregate_id
    earlier = run(
        rec.DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="An earlier one",
            authority_id=ministry,
            issued_on=DAY,
        ),
        on=DAY,
    )
    ids = everything(run, ministry, prison, earlier.aggregate_id)
    unpublished = run(
        rec.DraftRecommendation(
            kind=RecommendationKind.THEMATIC,
            text=secret("unpublishedtext"),
            authority_id=other,
            issued_on=DAY,
        ),
        on=DAY,
    )
    draft = run(
        rec.DraftRecommendation(
            kind=RecommendationKind.THEMATIC, text=secret("drafttext"), authority_id=other
        ),
        on=DAY,
    )
    last = app.recorder.max_notification_id() or 0
    wait_until_caught_up(runtime.database_url, runtime.settings.database_schema, last, timeout=30)
    return {
        "ministry": ministry,
        "ids": ids,
        "hidden": [unpublished.aggregate_id, draft.aggregate_id],
    }


def test_no_internal_field_of_any_event_reaches_the_register(
    client: TestClient, app: Rectrack, published: dict[str, Any]
) -> None:
    json_body = client.get(REGISTER).text
    csv_body = client.get(f"{REGISTER}.csv").text
    items = client.get(REGISTER).json()["items"]
    assert {UUID(i["recommendation_id"]) for i in items} == set(published["ids"])
    for item in items:
        assert set(item) <= PUBLISHABLE_FIELDS, set(item) - PUBLISHABLE_FIELDS

    seen: set[type] = set()
    walked = 0
    for rec_id in [*published["ids"], *published["hidden"]]:
        for event in app.events.get(rec_id):
            seen.add(type(event))
            hidden = rec_id in published["hidden"]
            shown = set() if hidden else PUBLISHABLE_EVENTS.get(type(event), frozenset())
            if not hidden and isinstance(event, Recommendation.Drafted):
                # the draft's own fields become the recommendation's (text, reference...)
                shown = PUBLISHABLE_FIELDS
            for name, value in vars(event).items():
                if name in shown or name in ("originator_id", "originator_version", "timestamp"):
                    continue
                for text in _strings(value):
                    walked += 1
                    if text.startswith("secret"):
                        assert text not in json_body, (type(event).__name__, name)
                        assert text not in csv_body, (type(event).__name__, name)
    assert seen >= stored_event_classes(Recommendation), "an event type is not walked"
    assert walked > 40
    assert "The yard opens daily from March" in json_body and "The yard opens" in csv_body


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + [str(k) for k in value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if hasattr(value, "__dict__"):
        return _strings(vars(value))
    return []


def test_filters_status_and_cache_headers(client: TestClient, published: dict[str, Any]) -> None:
    full, clocked, withdrawn = published["ids"]
    answer = client.get(REGISTER)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=300"
    by_id = {i["recommendation_id"]: i for i in answer.json()["items"]}
    assert by_id[str(full)]["status"] == "closed"
    assert by_id[str(withdrawn)]["status"] == "withdrawn"
    assert by_id[str(full)]["responses"][0]["position"] == "accepted"
    assert by_id[str(full)]["place_type"] == "prison"
    assert answer.json()["authorities"] == [
        {"authority_id": str(published["ministry"]), "authority_name": "Ministry of Justice"}
    ]
    unchanged = client.get(REGISTER, headers={"If-None-Match": answer.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content

    def ids(**query: object) -> set[str]:
        return {i["recommendation_id"] for i in client.get(REGISTER, params=query).json()["items"]}

    assert ids(theme="Outdoor time") == {str(full), str(clocked), str(withdrawn)}
    assert ids(theme="solitary confinement") == set()
    assert ids(place_type="prison") == {str(full), str(clocked), str(withdrawn)}
    assert ids(place_type="police_custody") == set()
    assert ids(year=DAY.year) == {str(full), str(clocked), str(withdrawn)}
    assert ids(year=DAY.year - 5) == set()
    assert ids(authority_id=str(published["ministry"])) == {str(full), str(clocked), str(withdrawn)}
    assert client.get(REGISTER, params={"year": "soon"}).json()["field"] == "year"
    csv_answer = client.get(f"{REGISTER}.csv", params={"place_type": "prison"})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert len(csv_answer.text.strip().splitlines()) == 4  # the header and three rows
