"""Recorded workflow histories replayed against today's workflow code: a change that
would make a running workflow take a different path without `workflow.patched` fails
here. Re-record with RECTRACK_RECORD_HISTORIES=1 (only when a change is meant to be
incompatible and no running workflow needs the old path)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.converter import DATA_CONVERTER
from workflows.worker import LETTER_WORKFLOWS, WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    recorded = {"reply_obligation_ladder", "reply_obligation_back_dated", "implementation_overdue"}
    stems = {h.stem for h in HISTORIES}
    # Each scenario as recorded now, and as recorded before the patches of
    # workflows/obligation.py (suffix _v1: before patches 1 and 2; _v2: before patch 3;
    # _v3: before the settle-and-confirm patch):
    # all must replay on today's code.
    assert stems >= recorded | {f"{name}_v1" for name in recorded}
    assert stems >= {
        "reply_obligation_ladder_v2",
        "reply_obligation_back_dated_v2",
        "reply_after_escalation",
        "reply_after_escalation_v2",
        "reply_obligation_extension_for_one",
    }
    # _v3: recorded before patch settle-then-confirm-decisions (workflows/casework.py).
    assert stems >= {
        f"{name}_v3"
        for name in recorded | {"reply_after_escalation", "reply_obligation_extension_for_one"}
    }
    # _v4: the reply obligation recorded before patch letters (workflows/obligation.py).
    assert stems >= {
        f"{name}_v4"
        for name in (
            "reply_obligation_ladder",
            "reply_obligation_back_dated",
            "reply_after_escalation",
            "reply_obligation_extension_for_one",
        )
    }
    # _v5: the implementation follow-up recorded before patch implementation-overdue-letter
    # (workflows/implementation_letter.py).
    assert "implementation_overdue_v5" in stems

    # _v5: recorded before patch one-command-escalation (workflows/casework.py).
    assert stems >= {f"{name}_v5" for name in v5}
    # _v6: the reply obligation recorded before patch letters-per-authority-day
    # (workflows/letter_batch.py); letter_batch: a batch that wrote one letter.
    assert stems >= {f"{name}_v6" for name in v6} | {"letter_batch"}
    # _v7: the reply obligation recorded before patch wait-for-tasks-settled-at-start
    # (workflows/casework.py TASKS_AWAITED): its last ladder step recorded a patch.
    assert stems >= {f"{name}_v7" for name in v6}


# The histories recorded before and after patch one-command-escalation: the old ones climb
# the ladder with separate activities, the new ones with one per step.
v5 = (
    "reply_obligation_ladder",
    "reply_obligation_back_dated",
    "reply_after_escalation",
    "reply_obligation_extension_for_one",
    "implementation_overdue",
)


# The reply obligation's histories recorded before and after patch
# letters-per-authority-day: the old ones write each step's letter, the new ones hand it
# to the authority's batch of the day.
v6 = (
    "reply_obligation_ladder",
    "reply_obligation_back_dated",
    "reply_after_escalation",
    "reply_obligation_extension_for_one",
)


def activities_of(name: str) -> list[str]:
    """The activities a recorded history ran, local ones (markers) included."""
    history = json.loads((Path(__file__).parent / "histories" / f"{name}.json").read_text())
    names = []
    for event in history["events"]:
        if "activityTaskScheduledEventAttributes" in event:
            names.append(event["activityTaskScheduledEventAttributes"]["activityType"]["name"])
        marker = event.get("markerRecordedEventAttributes", {})
        if marker.get("markerName") == "core_local_activity":
            data = marker["details"]["data"]["payloads"][0]["data"]
            names.append(json.loads(base64.b64decode(data))["activity_type"])
    return names


@pytest.mark.parametrize("name", v5)
def test_the_old_and_new_histories_climb_the_ladder_differently(name: str) -> None:
    assert "record_escalation_step" not in activities_of(f"{name}_v5")
    assert "open_task" in activities_of(f"{name}_v5")
    assert "record_escalation_step" in activities_of(name)
    assert "escalation_ladder" not in activities_of(name)


# (the back-dated report's steps are past the letters' horizon: no letter either way)
@pytest.mark.parametrize("name", [n for n in v6 if n != "reply_obligation_back_dated"])
def test_the_old_and_new_histories_write_their_letters_differently(name: str) -> None:
    old, new = activities_of(f"{name}_v6"), activities_of(name)
    assert "generate_letter" in old
    # only the report's transmittal is still written by the obligation itself; the
    # relay hands the steps' letters to their batches
    assert new.count("generate_letter") < old.count("generate_letter")
    assert "request_letters" not in new


def test_a_batch_writes_one_letter() -> None:
    assert activities_of("letter_batch") == ["generate_letter"]


@pytest.mark.parametrize("path", HISTORIES, ids=[h.stem for h in HISTORIES])
async def test_recorded_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await Replayer(
        workflows=[*WORKFLOWS, *LETTER_WORKFLOWS], data_converter=DATA_CONVERTER
    ).replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
