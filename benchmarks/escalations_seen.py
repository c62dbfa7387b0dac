"""The burst's decisions (missed deadlines, escalations) as bench-workflows sees them
recorded: on the store's subscription, with the store itself as the fallback."""

from __future__ import annotations

import threading
from typing import Any

from benchmarks.harness import Progress
from services.application.store import Rectrack

MISSED = "Recommendation.ReplyDeadlineMissed"
ESCALATED = "Recommendation.Escalated"


def stored_decisions(app: Rectrack, after: int) -> dict[str, list[Any]]:
    """The missed-deadline and escalation events recorded after notification `after`,
    read from the store."""
    found: dict[str, list[Any]] = {MISSED: [], ESCALATED: []}
    topics = [f"domain.recommendation:{name}" for name in found]
    position = after
    while page := app.recorder.select_notifications(
        position, 1000, topics=topics, inclusive_of_start=False
    ):
        for notification in page:
            found[notification.topic.rpartition(":")[2]].append(
                app.mapper.to_domain_event(notification)
            )
        position = page[-1].id
    return found


def decisions(
    app: Rectrack, after: int, n: int, timeout: float
) -> tuple[dict[str, list[Any]], bool]:
    """Wait (on the store's LISTEN/NOTIFY subscription) until n escalations were recorded
    after notification `after`; return the missed-deadline and escalation events, and
    whether all were seen so. When the starts outlast the lead (a loaded machine), the
    first obligations fire before `after` is taken and the subscription never sees them
    (at 10,000 under load ~300, and it waited 38 min): when it has seen none for a while,
    the store is asked for all of the scratch schema's decisions, and answers once all n
    are there."""
    found: dict[str, list[Any]] = {MISSED: [], ESCALATED: []}
    with app.recorder.subscribe(gt=after) as subscription:
        timer = threading.Timer(timeout, subscription.stop)
        timer.start()
        done = threading.Event()
        stored: list[dict[str, list[Any]]] = []

        def ask_the_store() -> None:
            seen = -1
            while not done.wait(10):
                if len(found[ESCALATED]) == seen:
                    answer = stored_decisions(app, 0)
                    if len(answer[ESCALATED]) >= n:
                        stored.append(answer)
                        subscription.stop()
                        return
                seen = len(found[ESCALATED])

        watchdog = threading.Thread(target=ask_the_store, daemon=True)
        watchdog.start()
        progress = Progress("escalations recorded", n, "events")
        try:
            for notification in subscription:
                name = notification.topic.rpartition(":")[2]
                if name in found:
                    found[name].append(app.mapper.to_domain_event(notification))
                    if name == ESCALATED:
                        progress.advance()
                        if len(found[ESCALATED]) >= n:
                            break
        finally:
            done.set()
            timer.cancel()
            watchdog.join()
    return (stored[0], False) if stored else (found, True)
