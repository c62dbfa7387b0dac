"""The relay's loop pauses after a round that handed requests to letter batches (BATCH_PAUSE,
workflows/relay_letters.py): in a burst, its half-second polls made a signal and a batch
workflow task per poll and batch key, a third as many as the escalations (#16)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from workflows import relay as relay_module
from workflows.messages import Fact, Relayed
from workflows.relay import Delivery, Relay, Target

TO_BATCH = Delivery(
    Target.BATCH,
    "letters-reply-a-2030-05-03-deadline_missed",
    Relayed("r:3", Fact.STEP_RECORDED, date(2030, 5, 3)),
)


class Counting(Relay):
    """The loop alone: each round counts, and the rounds named hand a page to a batch."""

    position = 0  # type: ignore[assignment]

    def __init__(self, batch_rounds: set[int]) -> None:
        self.concurrency = 4
        self.delivered = 0
        self.handed_to_batch = False
        self.rounds = 0
        self.batch_rounds = batch_rounds

    async def deliver_pending(self, page: int = 500) -> int:
        self.rounds += 1
        if self.rounds in self.batch_rounds:
            await self._deliver_page([TO_BATCH])
        return 0

    async def _deliver(self, delivery: Delivery) -> None:
        return None


async def rounds_in(relay: Counting, seconds: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.create_task(relay.run(stop, poll_seconds=0.01))
    await asyncio.sleep(seconds)
    stop.set()
    await loop
    return relay.rounds


async def test_a_round_that_fed_a_batch_is_followed_by_the_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(relay_module, "BATCH_PAUSE", 60.0, raising=False)
    assert await rounds_in(Counting({1}), 0.3) == 1
    # without a batch fed, it polls at its own pace; after a batch round it waits once
    assert await rounds_in(Counting(set()), 0.3) > 5
    assert await rounds_in(Counting({3}), 0.3) == 3
