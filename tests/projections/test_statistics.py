"""Every published figure, recomputed from the events: each recommendation is replayed
from its own events (the aggregate, and its Escalated events), the figures are counted
in Python, and compared with what the statistics query reads from the views, in all,
for a year range, per filter and per breakdown."""

from __future__ import annotations

import random
import statistics as pystats
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.recommendation import Recommendation
from domain.recommendation_rules import LIVE
from domain.values import ImplementationStatus, NonImplementationReason, PlaceType, Position
from projections.engine.catchup import log_position, wait_until_caught_up
from projections.engine.runner import Projector
from projections.events import Recommendation as Events
from projections.views.figures import FIGURES
from projections.views.statistics import Filters, figures, statistics
from projections.views.statistics_cells import refresh as refresh_cells
from projections.views.statistics_cells import usable as cells_usable
from services.adapters.settings import Settings
from services.application.commands.registry import RegisterPlace
from services.application.store import Rectrack
from tests.builders import Commander, authority, import_meta, issued_recommendation, lifecycle

Replayed = dict[str, Any]
STATES = ["France", "Chile", "Costa Rica", "Denmark"]


def statistics_store(app: Rectrack, run: Commander) -> dict[str, Any]:
    """Two authorities, a prison and a clinic, 240 recommendations over ten years with
    random lifecycles, some escalated, noted or repeating another; most of those still
    live come from the UPR (made by one to three states) or the CPT."""
    ministry = authority(run, name="Ministry of Justice")
    health = authority(run, name="Ministry of Health")
    prison = run(
        RegisterPlace(name="Prison A", place_type=PlaceType.PRISON, authority_id=ministry)
    ).aggregate_id
    clinic = run(
        RegisterPlace(
            name="Clinic B", place_type=PlaceType.PSYCHIATRIC_INSTITUTION, authority_id=health
        )
    ).aggregate_id
    rng = random.Random(13)
    origins = random.Random(7)  # its own, so the lifecycles stay those of seed 13
    batch: list[Recommendation] = []
    for _ in range(240):
        owner, where = rng.choice(((ministry, prison), (health, clinic)))
        rec = lifecycle(rng, str(owner), (str(where), str(owner)) if rng.random() < 0.7 else None)
        if rec.issued_on is not None and rec.status.value in ("issued", "responded"):
            for level in range(1, rng.choice((1, 1, 2, 3))):
                rec.record_escalation(import_meta(rec.issued_on), level, "letter", "minister", "o")
        if rec.issued_on is not None and rec.status.value == "issued" and rng.random() < 0.4:
            # the batch's lifecycle never notes: some replies only take note
            replied = rec.issued_on + timedelta(days=rng.randrange(10, 50))
            rec.record_response(import_meta(replied), replied, Position.NOTED, "Noted", None)
        if batch and rec.status.value in ("draft", "issued") and rng.random() < 0.2:
            rec.reiterate(import_meta(rec.drafted_on), rng.choice(batch).id)
        if rec.status in LIVE and origins.random() < 0.7:
            upr = origins.random() < 0.6
            bodies = origins.sample(STATES, origins.choice((1, 1, 2, 3))) if upr else ["CPT"]
            changes = {"source": "upr" if upr else "cpt", "recommending_bodies": bodies}
            rec.record_origin(import_meta(rec.drafted_on), changes)
        batch.append(rec)
    app.save_batch(batch, command_id=str(uuid.uuid4()))
    return {
        "ministry": ministry,
        "place_types": {str(prison): "prison", str(clinic): "psychiatric_institution"},
        "ids": [rec.id for rec in batch],
    }


@pytest.fixture
def world(
    app: Rectrack, run: Commander, settings: Settings, database_url: str, schema: str
) -> Iterator[tuple[dict[str, Any], list[Replayed]]]:
    built = statistics_store(app, run)
    projector = Projector(settings, database_url)
    projector.start()
    try:
        with psycopg.connect(database_url) as conn:
            last = log_position(conn, schema)
        wait_until_caught_up(database_url, schema, last, timeout=180)
        yield built, [_replay(app, rec_id, built["place_types"]) for rec_id in built["ids"]]
    finally:
        projector.stop()


def _replay(app: Rectrack, rec_id: UUID, place_types: dict[str, str]) -> Replayed:
    """A recommendation as its events make it, with the levels it was escalated to."""
    rec = app.get(Recommendation, rec_id)
    events = list(app.repository.event_store.get(rec_id))
    return {
        "rec": rec,
        "year": rec.issued_on.year if rec.issued_on else None,
        "place_type": place_types.get(str(rec.place_id)) if rec.place_id else None,
        "escalations": [e.level for e in events if isinstance(e, Events.Escalated)],
    }


def _expected(chosen: list[Replayed]) -> dict[str, Any]:
    """Every figure of FIGURES for these replayed recommendations, counted in Python."""
    recs = [c["rec"] for c in chosen]
    first = [r.responses[0]["received_on"] if r.responses else None for r in recs]
    days = [(f - r.issued_on).days for f, r in zip(first, recs, strict=True) if f is not None]
    found: dict[str, Any] = {
        "issued": len(recs),
        "replied_on_time": sum(
            1
            for f, r in zip(first, recs, strict=True)
            if f is not None and (r.reply_due is None or f <= r.reply_due)
        ),
        "replied_late": sum(
            1
            for f, r in zip(first, recs, strict=True)
            if f is not None and r.reply_due is not None and f > r.reply_due
        ),
        "not_replied": sum(1 for f in first if f is None),
        # to one decimal, a half away from zero (as PostgreSQL rounds a numeric)
        "average_reply_days": float(
            (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        )
        if days
        else None,
        "median_reply_days": round(float(pystats.median(days)), 1) if days else None,
        "verified": sum(1 for r in recs if r.verified),
        "repeated": sum(1 for r in recs if r.repeats_id is not None),
    }
    for p in Position:
        found[p.value] = sum(1 for r in recs if r.position == p)
    for s in ImplementationStatus:
        found[s.value] = sum(1 for r in recs if r.implementation == s)
    for reason in NonImplementationReason:
        found[f"not_implemented_{reason.value}"] = sum(
            1
            for r in recs
            if r.implementation == ImplementationStatus.NOT_IMPLEMENTED
            and r.non_implementation_reason == reason
        )
    assert set(found) == {f.key for f in FIGURES}, "a figure without its recomputation"
    return found


def _only_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {f.key: row[f.key] for f in FIGURES}


def _issued(replayed: list[Replayed], keep: Callable[[Replayed], bool]) -> list[Replayed]:
    return [c for c in replayed if c["rec"].issued_on is not None and keep(c)]


def test_every_figure_equals_its_recomputation_from_the_events(
    world: tuple[dict[str, Any], list[Replayed]], database_url: str, schema: str
) -> None:
    built, replayed = world
    with psycopg.connect(database_url) as conn:
        assert not cells_usable(conn, schema, None)
        _compare_with_the_events(conn, schema, built, replayed)  # from the views
    # The same questions from the statistics cells, built from the caught-up views.
    assert refresh_cells(database_url, schema)
    assert not refresh_cells(database_url, schema)  # current: nothing to build
    with psycopg.connect(database_url) as conn:
        assert cells_usable(conn, schema, None)
        _compare_with_the_events(conn, schema, built, replayed)
    # one store for both: building it takes most of the time
    _check_rates_and_bad_filters(database_url, schema)


def _compare_with_the_events(
    conn: psycopg.Connection[Any],
    schema: str,
    built: dict[str, Any],
    replayed: list[Replayed],
) -> None:
    ministry = str(built["ministry"])
    cases: list[tuple[Filters, Callable[[Replayed], bool]]] = [
        (Filters(), lambda c: True),
        (Filters(year_from=2018, year_to=2020), lambda c: 2018 <= c["year"] <= 2020),
        (Filters(authority_id=ministry), lambda c: c["rec"].authority_id == ministry),
        (Filters(theme="health care"), lambda c: "health care" in c["rec"].tags["themes"]),
        (Filters(place_type="prison"), lambda c: c["place_type"] == "prison"),
        (Filters(source="upr"), lambda c: c["rec"].origin.get("source") == "upr"),
        (
            Filters(kind="thematic", year_from=2021),
            lambda c: c["rec"].kind.value == "thematic" and c["year"] >= 2021,
        ),
        (
            Filters(authority_id=ministry, kind="visit"),
            lambda c: c["rec"].authority_id == ministry and c["rec"].kind.value == "visit",
        ),
        (
            Filters(theme="health care", year_from=2019, place_type="prison"),
            lambda c: (
                "health care" in c["rec"].tags["themes"]
                and c["year"] >= 2019
                and c["place_type"] == "prison"
            ),
        ),
    ]
    for filters, keep in cases:
        chosen = _issued(replayed, keep)
        assert chosen, f"the scenario has nothing for {filters}"
        found = statistics(conn, schema, filters)
        assert _only_figures(found["totals"]) == _expected(chosen), filters
        follow_ups = Counter(f["kind"] for c in chosen for f in c["rec"].follow_ups)
        assert found["follow_ups"] == dict(follow_ups), filters
        escalations = Counter(str(level) for c in chosen for level in c["escalations"])
        assert found["escalations"] == dict(escalations), filters
    # A figure that is never zero everywhere: the scenario exercises each of them.
    everything = statistics(conn, schema, Filters())
    zero = [f.key for f in FIGURES if not everything["totals"][f.key]]
    assert not zero, f"the scenario never exercises {zero}"
    assert everything["escalations"].get("2"), "no escalation to level 2 in the scenario"

    groupings: dict[str, Callable[[Replayed], list[str]]] = {
        "year": lambda c: [str(c["year"])],
        "authority": lambda c: [c["rec"].authority_id],
        "theme": lambda c: list(c["rec"].tags["themes"]),
        "place_type": lambda c: [c["place_type"]],
        "kind": lambda c: [c["rec"].kind.value],
        "source": lambda c: [c["rec"].origin.get("source")],
        "recommending_body": lambda c: list(c["rec"].origin.get("recommending_bodies") or []),
    }
    for by, groups_of in groupings.items():
        rows = figures(conn, schema, Filters(), by=by)  # type: ignore[arg-type]
        expected: dict[Any, list[Replayed]] = {}
        for c in _issued(replayed, lambda c: True):
            for group in groups_of(c):
                expected.setdefault(group, []).append(c)
        found_groups = {r["group"]: _only_figures(r) for r in rows}
        assert set(found_groups) == set(expected), by
        for group, members in expected.items():
            want = _expected(members)
            wrong = {k: (v, want[k]) for k, v in found_groups[group].items() if v != want[k]}
            assert not wrong, f"{by} {group}: (view, events) {wrong}"
        if by == "authority":
            assert {r["name"] for r in rows} == {"Ministry of Justice", "Ministry of Health"}


def test_stale_cells_are_read_only_when_the_caller_allows_their_age(
    world: tuple[dict[str, Any], list[Replayed]],
    run: Commander,
    database_url: str,
    schema: str,
) -> None:
    built, _ = world
    assert refresh_cells(database_url, schema)
    with psycopg.connect(database_url) as conn:
        before = statistics(conn, schema, Filters())["totals"]["issued"]
    issued_recommendation(run, built["ministry"])
    with psycopg.connect(database_url) as conn:
        wait_until_caught_up(database_url, schema, log_position(conn, schema), timeout=60)
        assert not cells_usable(conn, schema, None)
        # Exact by default: the views are ahead of the cells, so the views answer.
        assert statistics(conn, schema, Filters())["totals"]["issued"] == before + 1
        # A caller that accepts a minute-old answer gets the cells as they were built.
        assert statistics(conn, schema, Filters(), max_age=60)["totals"]["issued"] == before
    assert refresh_cells(database_url, schema)
    with psycopg.connect(database_url) as conn:
        assert statistics(conn, schema, Filters(), max_age=60)["totals"]["issued"] == before + 1


def _check_rates_and_bad_filters(database_url: str, schema: str) -> None:
    from domain.errors import InvalidInput

    with psycopg.connect(database_url) as conn:
        totals = statistics(conn, schema, Filters())["totals"]
        positioned = sum(totals[p.value] for p in Position)
        accepted = totals["accepted"] + totals["partially_accepted"]
        assert totals["acceptance_rate"] == round(100 * accepted / positioned, 1)
        assert totals["implementation_rate"] == round(
            100 * totals["implemented"] / totals["issued"], 1
        )
        empty = statistics(conn, schema, Filters(year_from=1990, year_to=1990))["totals"]
        assert empty["issued"] == 0 and empty["acceptance_rate"] is None
        with pytest.raises(InvalidInput) as bad:
            statistics(conn, schema, Filters(year_from=2021, year_to=2020))
        assert bad.value.field == "year_from"
        with pytest.raises(InvalidInput) as unknown:
            statistics(conn, schema, Filters(authority_id="not-an-id"))
        assert unknown.value.field == "authority_id"
