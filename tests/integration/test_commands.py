"""Commands against a real PostgreSQL: rejected commands store nothing, retries are
idempotent, concurrent commands never lose an update, and deadlines follow the policy in
force on the day."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from domain.errors import ConcurrencyConflict, IllegalTransition, InvalidInput, NotFound
from domain.recommendation import Recommendation
from domain.values import DayKind, FollowUpKind, Position, RecommendationKind, Status
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    ChangeTags,
    CloseRecommendation,
    DraftRecommendation,
    IssueRecommendation,
    RecordFollowUp,
    RecordResponse,
    Tags,
)
from services.application.commands.registry import ChangeReplyPolicy, RecordClosureDay
from services.application.executor import Executor
from services.application.store import A, Rectrack
from tests.builders import (
    Commander,
    authority,
    drafted_recommendation,
    issued_recommendation,
    reply,
    unsaved_issued_recommendation,
)
from tests.integration.stored_rows import assert_versions_contiguous, row_counts


def test_rejected_command_appends_nothing(
    app: Rectrack, run: Commander, database_url: str, schema: str
) -> None:
    authority_id = authority(run)
    draft = drafted_recommendation(run, authority_id, text="Repair cell windows")
    before = row_counts(database_url, schema)

    with pytest.raises(IllegalTransition) as error:
        reply(run, draft, date(2026, 2, 1))
    assert f"recommendation {draft} is draft" in str(error.value)
    assert "issue" in str(error.value)
    # Blank text is a shape error now, refused by the command model before the domain.
    with pytest.raises(ValidationError) as invalid:
        DraftRecommendation(kind=RecommendationKind.VISIT, text="   ", authority_id=authority_id)
    assert {e["loc"] for e in invalid.value.errors()} == {("text",)}
    with pytest.raises(InvalidInput) as unknown:
        run(DraftRecommendation(kind=RecommendationKind.VISIT, text="x", authority_id=uuid.uuid4()))
    assert unknown.value.field == "authority_id"
    assert row_counts(database_url, schema) == before
    assert app.get(Recommendation, draft).status == Status.DRAFT


def test_retried_command_returns_first_result_and_appends_nothing(
    app: Rectrack, run: Commander, database_url: str, schema: str
) -> None:
    authority_id = authority(run)
    draft = DraftRecommendation(
        kind=RecommendationKind.VISIT, text="Hire doctors", authority_id=authority_id
    )
    first = run(draft, command_id="draft-once")
    counts = row_counts(database_url, schema)
    again = run(draft, command_id="draft-once")
    assert again.aggregate_id == first.aggregate_id
    assert again.version == first.version
    assert again.notification_id == first.notification_id
    assert again.replayed and not first.replayed
    assert row_counts(database_url, schema) == counts

    issue = IssueRecommendation(issued_on=date(2026, 1, 5))
    issued = run(issue, first.aggregate_id, command_id="issue-once")
    # The state moved on (it is issued now), yet the retry is recognised, not rejected.
    retried = run(issue, first.aggregate_id, command_id="issue-once")
    assert (retried.version, retried.replayed) == (issued.version, True)

    letter = RecordFollowUp(kind=FollowUpKind.LETTER, summary="Letter sent")
    one = run(letter, first.aggregate_id, command_id="letter-once")
    two = run(letter, first.aggregate_id, command_id="letter-once")
    assert one.version == two.version
    assert len(app.get(Recommendation, first.aggregate_id).follow_ups) == 1


class RacingRectrack(Rectrack):
    """Lets two threads load the same version before either saves (on each thread's first
    load; a command run again after losing loads alone)."""

    name = "rectrack"  # same store as the application under test
    barrier: threading.Barrier

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.raced: set[int] = set()

    def get(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        aggregate = super().get(cls, aggregate_id, version)
        if cls is Recommendation and threading.get_ident() not in self.raced:
            self.raced.add(threading.get_ident())
            self.barrier.wait(timeout=10)
        return aggregate


def test_concurrent_commands_without_a_version_both_land(
    settings: Settings, database_url: str
) -> None:
    """Neither names the version it expects: the loser is run again on the new state."""
    setup = Rectrack(env=eventsourcing_env(settings, database_url))
    setup_run = Commander(Executor(setup))
    rec_id = issued_recommendation(setup_run, authority(setup_run))
    racing = RacingRectrack(env=eventsourcing_env(settings, database_url))
    racing.barrier = threading.Barrier(2)
    racing_run = Commander(Executor(racing))
    outcomes: dict[str, object] = {}

    def respond(name: str) -> None:
        outcomes[name] = reply(racing_run, rec_id, text=name)

    threads = [threading.Thread(target=respond, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    stored = setup.get(Recommendation, rec_id)
    assert sorted(r["text"] for r in stored.responses) == ["a", "b"]
    assert stored.version == 4
    racing.close()
    setup.close()


def test_concurrent_commands_never_lose_an_update(settings: Settings, database_url: str) -> None:
    """Both name the version they saw: one wins, the other is refused."""
    setup = Rectrack(env=eventsourcing_env(settings, database_url))
    setup_run = Commander(Executor(setup))
    authority_id = authority(setup_run)
    rec_id = issued_recommendation(setup_run, authority_id)
    racing = RacingRectrack(env=eventsourcing_env(settings, database_url))
    racing.barrier = threading.Barrier(2)
    racing_run = Commander(Executor(racing))
    outcomes: dict[str, object] = {}
    seen = setup.get(Recommendation, rec_id).version

    def respond(name: str, position: Position) -> None:
        answer = RecordResponse(received_on=date(2026, 1, 20), position=position, text=name)
        try:
            outcomes[name] = racing_run(answer, rec_id, expected_version=seen)
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
    stored = setup.get(Recommendation, rec_id)
    assert [r["text"] for r in stored.responses] == [winner]
    assert stored.version == 3
    racing.close()
    setup.close()


def test_expected_version_gives_optimistic_concurrency(app: Rectrack, run: Commander) -> None:
    rec_id = issued_recommendation(run, authority(run))
    current = app.get(Recommendation, rec_id).version
    with pytest.raises(ConcurrencyConflict) as error:
        run(
            RecordFollowUp(kind=FollowUpKind.MEETING, summary="x"),
            rec_id,
            expected_version=current - 1,
        )
    assert f"expected version {current - 1}" in str(error.value)
    done = run(
        RecordFollowUp(kind=FollowUpKind.MEETING, summary="Met the director"),
        rec_id,
        expected_version=current,
    )
    assert done.version == current + 1


def policy(effective_from: date, period: int, day_kind: DayKind, urgent: int) -> ChangeReplyPolicy:
    return ChangeReplyPolicy(
        effective_from=effective_from,
        period_days=period,
        day_kind=day_kind,
        urgent_period_days=urgent,
    )


def test_reply_due_uses_policy_in_force_on_issue_date(app: Rectrack, run: Commander) -> None:
    authority_id = authority(run, period=30)
    run(policy(date(2026, 3, 1), 20, DayKind.WORKING, 3), authority_id)
    before = issued_recommendation(run, authority_id, date(2026, 1, 5))
    after = issued_recommendation(run, authority_id, date(2026, 3, 25))
    assert app.get(Recommendation, before).reply_due == date(2026, 2, 4)
    # 20 working days from 25 Mar 2026 in DE, skipping Good Friday and Easter Monday.
    assert app.get(Recommendation, after).reply_due == date(2026, 4, 24)
    urgent = issued_recommendation(
        run,
        authority_id,
        date(2026, 3, 25),
        kind=RecommendationKind.URGENT,
        text="Stop the use of restraint beds",
    )
    assert app.get(Recommendation, urgent).reply_due == date(2026, 3, 30)
    with pytest.raises(InvalidInput) as error:
        run(policy(date(2026, 2, 1), 10, DayKind.CALENDAR, 2), authority_id)
    assert error.value.field == "effective_from"


def test_recorded_closure_day_moves_the_deadline(app: Rectrack, run: Commander) -> None:
    authority_id = authority(run, period=30)
    run(
        RecordClosureDay(
            jurisdiction="DE", day=date(2026, 2, 4), description="Office closed: building evacuated"
        )
    )
    rec_id = issued_recommendation(run, authority_id, date(2026, 1, 5))
    assert app.get(Recommendation, rec_id).reply_due == date(2026, 2, 5)


def test_state_at_any_past_version(app: Rectrack, run: Commander) -> None:
    rec_id = issued_recommendation(run, authority(run))
    reply(run, rec_id, date(2026, 1, 20))
    assert app.get(Recommendation, rec_id, version=2).status == Status.ISSUED
    assert app.get(Recommendation, rec_id).status == Status.RESPONDED


def imported(authority_id: UUID, name: str) -> Recommendation:
    """A recommendation as the import builds it: issued on 1 March 2025, not saved."""
    return unsaved_issued_recommendation(
        authority_id,
        date(2025, 3, 1),
        text=f"Imported recommendation {name}",
        reply_due=date(2025, 3, 31),
    )


def test_batched_import_saves_many_aggregates_in_one_transaction(
    app: Rectrack, run: Commander, database_url: str, schema: str
) -> None:
    authority_id = authority(run)
    batch = [imported(authority_id, str(n)) for n in range(50)]
    before = row_counts(database_url, schema)
    assert app.save_batch(batch, command_id="import-1") == 100
    assert app.save_batch(batch, command_id="import-1") == 0
    after = row_counts(database_url, schema)
    assert (after[0] - before[0], after[1] - before[1]) == (100, 1)


def test_parallel_import_keeps_every_event_and_the_log_order(
    app: Rectrack, run: Commander, database_url: str, schema: str
) -> None:
    authority_id = authority(run)

    def batch(n: int) -> list[Recommendation]:
        return [imported(authority_id, f"{n}-{i}") for i in range(20)]

    batches = [(f"import-{n}", batch(n)) for n in range(8)]
    assert list(app.save_batches(batches, workers=3)) == [40] * 8
    # A later command on an imported aggregate continues its versions.
    first = batches[0][1][0].id
    reply(run, first, date(2025, 3, 20))
    assert assert_versions_contiguous(database_url, schema) == 1 + 8 * 40 + 1
    with psycopg.connect(database_url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                f'SELECT notification_id FROM "{schema}".rectrack_events ORDER BY notification_id'
            )
        ]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_a_held_lock_fails_fast_instead_of_hanging(
    settings: Settings, database_url: str, schema: str
) -> None:
    from eventsourcing.persistence import OperationalError

    quick = settings.model_copy(update={"lock_timeout_seconds": 1})
    app = Rectrack(env=eventsourcing_env(quick, database_url))
    run = Commander(Executor(app))
    authority_id = authority(run)
    with psycopg.connect(database_url) as blocker:
        blocker.execute(f'LOCK TABLE "{schema}".rectrack_events IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            run(
                DraftRecommendation(
                    kind=RecommendationKind.VISIT, text="x", authority_id=authority_id
                )
            )
        # Not a speed target: the command gives up after its one configured timeout
        # instead of retrying it (the library's default is ten attempts, ~12 s).
        assert time.monotonic() - started < 5
        blocker.rollback()
    app.close()


def test_unknown_ids_are_named(run: Commander) -> None:
    missing = UUID(int=7)
    with pytest.raises(NotFound) as error:
        run(CloseRecommendation(reason="done"), missing)
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
    settings: Settings, database_url: str
) -> None:
    from eventsourcing.persistence import OperationalError
    from psycopg_pool import PoolTimeout

    small = settings.model_copy(
        update={"pool_size": 2, "pool_max_overflow": 0, "pool_timeout_seconds": 1}
    )
    app = Rectrack(env=eventsourcing_env(small, database_url))
    run = Commander(Executor(app))
    authority_id = authority(run)
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    started = time.monotonic()
    with (
        datastore.get_connection(),
        datastore.get_connection(),
        pytest.raises(OperationalError) as raised,
    ):
        run(DraftRecommendation(kind=RecommendationKind.VISIT, text="x", authority_id=authority_id))
    assert isinstance(raised.value.__cause__, PoolTimeout)
    assert time.monotonic() - started < 5  # one pool timeout, not ten
    app.close()


def test_a_retry_its_rules_still_allow_is_answered_from_the_command_log(
    run: Commander, database_url: str, schema: str
) -> None:
    # Tags can be changed any number of times, so only the command log can tell that the
    # second call is the first one retried (e.g. after a lost connection).
    rec_id = issued_recommendation(run, authority(run))
    retried = ChangeTags(tags=Tags(themes=["food"]))
    first = run(retried, rec_id, command_id="tags-once")
    before = row_counts(database_url, schema)
    again = run(retried, rec_id, command_id="tags-once")
    assert (again.aggregate_id, again.version, again.replayed) == (rec_id, first.version, True)
    assert again.notification_id == first.notification_id
    assert row_counts(database_url, schema) == before
