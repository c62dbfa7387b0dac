"""Time as both deadline workflows see it: the instant a step dated D fires (00:00 UTC
on D plus the deployment's `fire_at_seconds`), the business day of an instant, and the
one way they wait: on a durable timer until a step's day, cut short by a relayed event.

Only Temporal's clock (`workflow.now()`) and timers are used, so a replayed workflow
waits exactly as it did the first time."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from temporalio import workflow


def fire_time(day: date, fire_at_seconds: int = 0) -> datetime:
    """The instant a step dated `day` fires."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(seconds=fire_at_seconds)


def step_day(now: datetime, fire_at_seconds: int = 0) -> date:
    """The business day whose steps are due at `now`: the inverse of fire_time."""
    return (now - timedelta(seconds=fire_at_seconds)).date()


class Wakeup:
    """Sleeps until a step's day or until `ring()` (a relayed event changed the picture),
    whichever comes first."""

    def __init__(self, fire_at_seconds: int) -> None:
        self.fire_at_seconds = fire_at_seconds
        self.rung = False

    def ring(self) -> None:
        self.rung = True

    def today(self) -> date:
        """The business day whose steps are due now."""
        return step_day(workflow.now(), self.fire_at_seconds)

    async def at(self, day: date | None) -> None:
        """Until the steps of `day` fire; with no day, until the next relayed event."""
        if day is None:
            await self.within(None)
        else:
            await self.within(fire_time(day, self.fire_at_seconds) - workflow.now())

    async def within(self, timeout: timedelta | None) -> None:
        self.rung = False
        if timeout is None:
            await workflow.wait_condition(lambda: self.rung)
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.rung, timeout=timeout)
