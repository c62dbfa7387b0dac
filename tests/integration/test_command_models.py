"""Commands arrive as pydantic models: bad shape is refused naming the field before the
domain is touched; good ones run as the actor, on the business date they name."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.errors import IllegalTransition
from domain.recommendation import Recommendation
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordResponse,
    RecordReview,
    WithdrawRecommendation,
)
from services.application.commands.registry import RegisterAuthority
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.builders import Commander, authority, issued_recommendation
from tests.integration.stored_rows import row_counts


def _error_fields(error: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.errors()}


def test_bad_shapes_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterAuthority.model_validate(
            {
                "name": " ",
                "kind": "ministry",
                "jurisdiction": "Germany",
                "reply_period_days": 0,
                "urgent_reply_period_days": 5,
                "colour": "blue",
            }
        )
    assert _error_fields(caught.value) == {"name", "jurisdiction", "reply_period_days", "colour"}

    with pytest.raises(ValidationError) as caught:
        RecordResponse.model_validate(
            {"received_on": "2026-02-30", "position": "maybe", "text": "ok"}
        )
    assert _error_fields(caught.value) == {"received_on", "position"}

    with pytest.raises(ValidationError, match="unknown criteria: punctual"):
        RecordReview.model_validate({"criteria": {"specific": True, "punctual": False}})

    with pytest.raises(ValidationError) as caught:
        WithdrawRecommendation.model_validate({})
    assert _error_fields(caught.value) == {"reason"}


def test_execute_records_actor_business_date_and_reason(
    app: Rectrack, executor: Executor, run: Commander
) -> None:
    authority_id = authority(run)
    draft = DraftRecommendation.model_validate(
        {
            "kind": "visit",
            "text": "Provide interpreters at admission",
            "authority_id": str(authority_id),
            "issued_on": "2026-03-02",
            "tags": {"themes": ["Language"]},
        }
    )
    user_7 = Caller("user-7", "caseworker")
    created = executor.execute(draft, user_7, command_id=str(uuid.uuid4()), today=date(2026, 3, 10))
    response = RecordResponse.model_validate(
        {
            "received_on": "2026-03-20",
            "position": "accepted",
            "text": "Interpreters will be hired",
            "reason": "letter of 18 March",
        }
    )
    executor.execute(
        response,
        user_7,
        command_id="cmd-response",
        today=date(2026, 3, 25),
        target_id=created.aggregate_id,
    )
    recommendation = app.get(Recommendation, created.aggregate_id)
    assert recommendation.tags["themes"] == ["language"]
    # Our events all carry `meta`; the library's event protocol does not say so.
    events: list[Any] = list(app.events.get(created.aggregate_id))
    issued, responded = events[1], events[2]
    assert [type(e).__name__ for e in events] == ["Drafted", "Issued", "ResponseReceived"]
    assert issued.meta.business_date == date(2026, 3, 2)
    assert responded.meta.business_date == date(2026, 3, 20)
    assert responded.meta.actor_id == "user-7"
    assert responded.meta.reason == "letter of 18 March"


def test_refused_command_appends_nothing(
    executor: Executor, run: Commander, database_url: str, schema: str
) -> None:
    recommendation_id = issued_recommendation(run, authority(run))
    before = row_counts(database_url, schema)
    with pytest.raises(IllegalTransition, match="is issued: cannot record review"):
        executor.execute(
            RecordReview.model_validate({"criteria": {"specific": True}}),
            Caller("u", "caseworker"),
            command_id="c2",
            today=date(2026, 1, 6),
            target_id=recommendation_id,
        )
    assert row_counts(database_url, schema) == before
