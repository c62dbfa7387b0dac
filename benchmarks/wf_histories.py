"""What the dev server recorded for a burst: every workflow's history tallied by event
type and workflow kind, and one history of each kind written out as JSON. The dev
server's CPU per escalation follows its history events and workflow tasks, so the tally
says where it goes (an extra workflow task, a timed-out sticky task, a signal) (#16).

Used by bench_workflows with RECTRACK_BENCH_HISTORIES=DIR, after the measured windows.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


def kind_of(workflow_id: str) -> str:
    """The workflow's kind, from its business key's prefix."""
    for prefix in ("obligation", "letters-reply", "implementation"):
        if workflow_id.startswith(prefix):
            return prefix
    return workflow_id.split("-")[0]


async def tally(client: Client, out: Path) -> dict[str, Counter[str]]:
    """Event counts per workflow kind (with `runs` the number of runs); writes the first
    and the longest history of each kind to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Counter[str]] = {}
    longest: dict[str, int] = {}
    async for execution in client.list_workflows():
        kind = kind_of(execution.id)
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        count = counts.setdefault(kind, Counter())
        count["runs"] += 1
        for event in history.events:
            count[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += 1
        size = len(history.events)
        if kind not in longest:
            (out / f"{kind}-first.json").write_text(history.to_json())
        if size > longest.get(kind, -1):
            longest[kind] = size
            (out / f"{kind}-longest.json").write_text(history.to_json())
    (out / "tally.json").write_text(json.dumps({k: dict(v) for k, v in counts.items()}, indent=1))
    return counts


def print_tally(counts: dict[str, Counter[str]]) -> None:
    for kind, count in sorted(counts.items()):
        runs = count["runs"]
        print(f"{kind}: {runs} runs")
        for name, n in count.most_common():
            if name != "runs":
                print(f"  {name:50s} {n:8d}  {n / runs:6.2f}/run")
