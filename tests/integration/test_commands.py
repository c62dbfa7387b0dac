"""Commands against a real PostgreSQL: rejected commands store nothing, retries are
idempotent, concurrent commands never lose an update, and deadlines follow the policy in
force on the day."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from uuid import UUID

import psycopg
import pytest

from domain.errors import ConcurrencyConflict, IllegalTransition, InvalidInput, NotFound
from domain.recommendation import Recommendation
from domain.values import DayKind, FollowUpKind, Position, RecommendationKind, Status
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack
from tests.conftest import MetaFactory
from tests.integration.helpers import (
    assert_chain_intact,
    authority,
    issued_recommendation,
    row_counts,
)


def test_rejected_command_appends_nothing(
    app: Rectrack, meta: MetaFactory, database_url: str, schema: str
) -> None:
    authority_id = authority(app, meta)
    draft = app.draft_recommendation(
        meta(), kind=RecommendationKind.VISIT, text="Repair cell windows", authority_id=authority_id
    ).aggregate_id
    before = row_counts(database_url, schema)

    with pytest.raises(IllegalTransition) as error:
        app.record_response(
            meta(), draft, received_on=date(2026, 2, 1), position=Position.ACCEPTED, text="ok"
        )
    assert f"recommendation {draft} is draft" in str(error.value)
    assert "issue" in str(error.value)
    with pytest.raises(InvalidInput) as invalid:
        app.draft_recommendation(
            meta(), kind=RecommendationKind.VISIT, text="   ", authority_id=authority_id
        )
    assert invalid.value.field == "text"
    with pytest.raises(NotFound):
        app.draft_recommendation(
            meta(), kind=RecommendationKind.VISIT, text="x", authority_id=uuid.uuid4()
        )
    assert row_counts(database_url, schema) == before
    assert app.get_recommendation(draft).status == Status.DRAFT


def test_retried_command_returns_first_result_and_appends_nothing(
    app: Rectrack, meta: MetaFactory, database_url: str, schema: str
) -> None:
    authority_id = authority(app, meta)
    draft_meta = meta(command_id="draft-once")
    first = app.draft_recommendation(
        draft_meta, kind=RecommendationKind.VISIT, text="Hire doctors", authority_id=authority_id
    )
    counts = row_counts(database_url, schema)
    again = app.draft_recommendation(
        draft_meta, kind=RecommendationKind.VISIT, text="Hire doctors", authority_id=authority_id
    )
    assert again.aggregate_id == first.aggregate_id
    assert again.version == first.version
    assert again.notification_id == first.notification_id
    assert again.replayed and not first.replayed
    assert row_counts(database_url, schema) == counts

    issue_meta = meta(command_id="issue-once")
    issued = app.issue_recommendation(issue_meta, first.aggregate_id, issued_on=date(2026, 1, 5))
    # The state moved on (it is issued now), yet the retry is recognised, not rejected.
    retried = app.issue_recommendation(issue_meta, first.aggregate_id, issued_on=date(2026, 1, 5))
    assert (retried.version, retried.replayed) == (issued.version, True)

    follow_meta = meta(command_id="letter-once")
    one = app.record_follow_up(
        follow_meta, first.aggregate_id, kind=FollowUpKind.LETTER, summary="Letter sent"
    )
    two = app.record_follow_up(
        follow_meta, first.aggregate_id, kind=FollowUpKind.LETTER, summary="Letter sent"
    )
    assert one.version == two.version
    assert len(app.get_recommendation(first.aggregate_id).follow_ups) == 1


class RacingRectrack(Rectrack):
    """Lets two threads load the same version before either saves."""

    name = "rectrack"  # same store as the application under test
    barrier: threading.Barrier

    def _load(self, cls, kind, aggregate_id):  # type: ignore[no-untyped-def]
        aggregate = super()._load(cls, kind, aggregate_id)
        if cls is Recommendation:
            self.barrier.wait(timeout=10)
        return aggregate


def test_concurrent_commands_never_lose_an_update(
    settings: Settings, database_url: str, meta: MetaFactory
) -> None:
    setup = Rectrack(env=eventsourcing_env(settings, database_url))
    authority_id = authority(setup, meta)
    rec_id = issued_recommendation(setup, meta, authority_id)
    racing = RacingRectrack(env=eventsourcing_env(settings, database_url))
    racing.barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def respond(name: str, position: Position) -> None:
        try:
            outcomes[name] = racing.record_response(
                meta(date(2026, 1, 20)),
                rec_id,
                received_on=date(2026, 1, 20),
                position=position,
                text=name,
            )
        except ConcurrencyConflict as conflict:
            outcomes[name] = conflict

    threads = [
        threading.Thread(target=respond, args=("a", Position.ACCEPTED)),
        threading.Thread(target=respond, args=("b", Position.REJECTED)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    conflicts = [o for o in outcomes.values() if isinstance(o, ConcurrencyConflict)]
    assert len(outcomes) == 2 and len(conflicts) == 1
    assert str(rec_id) in str(conflicts[0]) and "changed by another command" in str(conflicts[0])
    winner = next(name for name, o in outcomes.items() if not isinstance(o, ConcurrencyConflict))
    stored = setup.get_recommendation(rec_id)
    assert [r["text"] for r in stored.responses] == [winner]
    assert stored.version == 3
    racing.close()
    setup.close()


def test_expected_version_gives_optimistic_concurrency(app: Rectrack, meta: MetaFactory) -> None:
    rec_id = issued_recommendation(app, meta, authority(app, meta))
    current = app.get_recommendation(rec_id).version
    with pytest.raises(ConcurrencyConflict) as error:
        app.record_follow_up(
            meta(), rec_id, kind=FollowUpKind.MEETING, summary="x", expected_version=current - 1
        )
    assert f"expected version {current - 1}" in str(error.value)
    done = app.record_follow_up(
        meta(),
        rec_id,
        kind=FollowUpKind.MEETING,
        summary="Met the director",
        expected_version=current,
    )
    assert done.version == current + 1


def test_reply_due_uses_policy_in_force_on_issue_date(app: Rectrack, meta: MetaFactory) -> None:
    authority_id = authority(app, meta, period=30)
    app.change_reply_policy(
        meta(),
        authority_id,
        effective_from=date(2026, 3, 1),
        period_days=20,
        day_kind=DayKind.WORKING,
        urgent_period_days=3,
    )
    before = issued_recommendation(app, meta, authority_id, date(2026, 1, 5))
    after = issued_recommendation(app, meta, authority_id, date(2026, 3, 25))
    assert app.get_recommendation(before).reply_due == date(2026, 2, 4)
    # 20 working days from 25 Mar 2026 in DE, skipping Good Friday and Easter Monday.
    assert app.get_recommendation(after).reply_due == date(2026, 4, 24)
    urgent = app.draft_recommendation(
        meta(),
        kind=RecommendationKind.URGENT,
        text="Stop the use of restraint beds",
        authority_id=authority_id,
        issued_on=date(2026, 3, 25),
    ).aggregate_id
    assert app.get_recommendation(urgent).reply_due == date(2026, 3, 30)
    with pytest.raises(InvalidInput) as error:
        app.change_reply_policy(
            meta(),
            authority_id,
            effective_from=date(2026, 2, 1),
            period_days=10,
            day_kind=DayKind.CALENDAR,
            urgent_period_days=2,
        )
    assert error.value.field == "effective_from"


def test_recorded_closure_day_moves_the_deadline(app: Rectrack, meta: MetaFactory) -> None:
    authority_id = authority(app, meta, period=30)
    app.record_closure_day(meta(), "DE", date(2026, 2, 4), "Office closed: building evacuated")
    rec_id = issued_recommendation(app, meta, authority_id, date(2026, 1, 5))
    assert app.get_recommendation(rec_id).reply_due == date(2026, 2, 5)


def test_state_at_any_past_version(app: Rectrack, meta: MetaFactory) -> None:
    rec_id = issued_recommendation(app, meta, authority(app, meta))
    app.record_response(
        meta(), rec_id, received_on=date(2026, 1, 20), position=Position.ACCEPTED, text="ok"
    )
    assert app.get_recommendation(rec_id, version=2).status == Status.ISSUED
    assert app.get_recommendation(rec_id).status == Status.RESPONDED


def test_batched_import_saves_many_aggregates_in_one_transaction(
    app: Rectrack, meta: MetaFactory, database_url: str, schema: str
) -> None:
    authority_id = authority(app, meta)
    batch = []
    for n in range(50):
        rec = Recommendation(
            meta=meta(date(2025, 3, 1)),
            kind="visit",
            text=f"Imported recommendation {n}",
            authority_id=str(authority_id),
            report_id=None,
            place_id=None,
            visit_id=None,
            tags={},
            staff=[],
        )
        rec.issue(meta(date(2025, 3, 1)), date(2025, 3, 1), date(2025, 3, 31))
        batch.append(rec)
    before = row_counts(database_url, schema)
    assert app.save_batch(batch, command_id="import-1") == 100
    assert app.save_batch(batch, command_id="import-1") == 0
    after = row_counts(database_url, schema)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (100, 100, 1)


def test_parallel_import_keeps_every_event_chained_and_in_log_order(
    app: Rectrack, meta: MetaFactory, database_url: str, schema: str
) -> None:
    authority_id = authority(app, meta)

    def batch(n: int) -> list[Recommendation]:
        recs = []
        for i in range(20):
            rec = Recommendation(
                meta=meta(date(2025, 3, 1)),
                kind="visit",
                text=f"Imported recommendation {n}-{i}",
                authority_id=str(authority_id),
                report_id=None,
                place_id=None,
                visit_id=None,
                tags={},
                staff=[],
            )
            rec.issue(meta(date(2025, 3, 1)), date(2025, 3, 1), date(2025, 3, 31))
            recs.append(rec)
        return recs

    batches = [(f"import-{n}", batch(n)) for n in range(8)]
    assert list(app.save_batches(batches, workers=3)) == [40] * 8
    # A later command on an imported aggregate extends its chain from the stored hash.
    first = batches[0][1][0].id
    app.record_response(
        meta(), first, received_on=date(2025, 3, 20), position=Position.ACCEPTED, text="ok"
    )
    assert assert_chain_intact(database_url, schema) == 1 + 8 * 40 + 1
    with psycopg.connect(database_url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                f'SELECT notification_id FROM "{schema}".rectrack_events ORDER BY notification_id'
            )
        ]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_a_held_lock_fails_fast_instead_of_hanging(
    settings: Settings, database_url: str, schema: str, meta: MetaFactory
) -> None:
    import psycopg
    from eventsourcing.persistence import OperationalError

    quick = settings.model_copy(update={"lock_timeout_seconds": 1})
    app = Rectrack(env=eventsourcing_env(quick, database_url))
    authority_id = authority(app, meta)
    with psycopg.connect(database_url) as blocker:
        blocker.execute(f'LOCK TABLE "{schema}".rectrack_events IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            app.draft_recommendation(
                meta(), kind=RecommendationKind.VISIT, text="x", authority_id=authority_id
            )
        # Not a speed target: the command gives up after its one configured timeout
        # instead of retrying it (the library's default is ten attempts, ~12 s).
        assert time.monotonic() - started < 5
        blocker.rollback()
    app.close()


def test_unknown_ids_are_named(app: Rectrack, meta: MetaFactory) -> None:
    missing = UUID(int=7)
    with pytest.raises(NotFound) as error:
        app.close_recommendation(meta(), missing)
    assert str(missing) in str(error.value)


def test_every_pooled_connection_carries_the_configured_timeouts(
    settings: Settings, database_url: str
) -> None:
    configured = settings.model_copy(
        update={
            "lock_timeout_seconds": 3,
            "statement_timeout_seconds": 40,
            "idle_in_transaction_timeout_seconds": 7,
        }
    )
    app = Rectrack(env=eventsourcing_env(configured, database_url))
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        shown = {
            name: conn.execute(f"SHOW {name}").fetchone()[name]
            for name in (
                "lock_timeout",
                "statement_timeout",
                "idle_in_transaction_session_timeout",
            )
        }
    assert shown == {
        "lock_timeout": "3s",
        "statement_timeout": "40s",
        "idle_in_transaction_session_timeout": "7s",
    }
    app.close()


def test_an_exhausted_pool_fails_after_its_timeout_instead_of_hanging(
    settings: Settings, database_url: str, meta: MetaFactory
) -> None:
    from eventsourcing.persistence import OperationalError
    from psycopg_pool import PoolTimeout

    small = settings.model_copy(
        update={"pool_size": 2, "pool_max_overflow": 0, "pool_timeout_seconds": 1}
    )
    app = Rectrack(env=eventsourcing_env(small, database_url))
    authority_id = authority(app, meta)
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    started = time.monotonic()
    with (
        datastore.get_connection(),
        datastore.get_connection(),
        pytest.raises(OperationalError) as raised,
    ):
        app.draft_recommendation(
            meta(), kind=RecommendationKind.VISIT, text="x", authority_id=authority_id
        )
    assert isinstance(raised.value.__cause__, PoolTimeout)
    assert time.monotonic() - started < 5  # one pool timeout, not ten
    app.close()


def test_a_retry_its_rules_still_allow_is_answered_from_the_command_log(
    app: Rectrack, meta: MetaFactory, database_url: str, schema: str
) -> None:
    # Tags can be changed any number of times, so only the command log can tell that the
    # second call is the first one retried (e.g. after a lost connection).
    rec_id = issued_recommendation(app, meta, authority(app, meta))
    retried = meta(command_id="tags-once")
    first = app.change_tags(retried, rec_id, tags={"themes": ["food"]})
    before = row_counts(database_url, schema)
    again = app.change_tags(retried, rec_id, tags={"themes": ["food"]})
    assert (again.aggregate_id, again.version, again.replayed) == (rec_id, first.version, True)
    assert again.notification_id == first.notification_id
    assert row_counts(database_url, schema) == before
