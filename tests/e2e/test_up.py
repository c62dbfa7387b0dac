"""`rectrack up` end to end, over HTTP only: a fresh data directory, the embedded
PostgreSQL, a Temporal dev server, the worker, relay, projector and API as real child
processes. A report sent 40 days ago under a 30-day reply period must show the missed
deadline and open a task; after a restart everything is still there."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from tests.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.temporal]

T = TypeVar("T")
START_TIMEOUT = 180.0
CLI = "import sys; from services.cli import main; sys.exit(main())"


def eventually(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Polls until `check` returns something truthy; fails naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        threading.Event().wait(0.5)


STEP_LETTERS = ("deadline_missed", "escalation")
"""The letters of the one ladder step the first recommendation reaches, by kind, sorted."""


def history_of(http: httpx.Client, recommendation_id: str) -> list[dict[str, Any]]:
    response = http.get(f"/api/v1/recommendations/{recommendation_id}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["events"]
    return entries


def is_letter(entry: dict[str, Any]) -> bool:
    return bool(entry["event"] == "LetterGenerated")


def letters_in(entries: list[dict[str, Any]]) -> set[str]:
    return {str(e["data"]["letter"]["kind"]) for e in entries if is_letter(e)}


def own_events(entries: list[dict[str, Any]]) -> list[str]:
    """The recommendation's own events (not its tasks' nor its report's letters)."""
    return [e["event"] for e in entries if e["task_id"] is None and e["about_id"] is None]


def identity(entry: dict[str, Any]) -> tuple[str, int, str | None, str | None]:
    """What makes a history entry one event: its kind, its aggregate and its version."""
    return entry["event"], entry["version"], entry["task_id"], entry["about_id"]


def up_environment(
    data_dir: Path,
    api_port: int | None = None,
    temporal_port: int | None = None,
    health_port: int | None = None,
) -> dict[str, str]:
    """The environment of a `rectrack up` child of a test: this one's, but its own data
    directory and ports (free ones when not given) and no database or Temporal of the
    test's, so that `up` starts its own; logs as JSON lines."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RECTRACK_DATABASE_URL", "RECTRACK_TEMPORAL_ADDRESS")
    }
    env.update(
        RECTRACK_DATA_DIR=str(data_dir),
        RECTRACK_API_PORT=str(api_port or free_port()),
        RECTRACK_TEMPORAL_DEV_PORT=str(temporal_port or free_port()),
        RECTRACK_LOG_FORMAT="json",
    )
    if health_port is not None:
        env["RECTRACK_HEALTH_PORT"] = str(health_port)
    return env


class Up:
    """One `rectrack up` child process, with its printed URL and one-time sign-in link."""

    def __init__(
        self, data_dir: Path, api_port: int, temporal_port: int, health_port: int | None = None
    ) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLI, "up"],
            env=up_environment(data_dir, api_port, temporal_port, health_port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.url, self.link = self._banner()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _banner(self) -> tuple[str, str]:
        deadline = time.monotonic() + START_TIMEOUT
        url = link = None
        expect_link = False
        while link is None:
            if self.process.poll() is not None and self.lines.empty():
                pytest.fail("rectrack up exited:\n" + "".join(self.output[-50:]))
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("no banner from rectrack up:\n" + "".join(self.output[-50:]))
            if "rectrack is running at " in line:
                url = line.split("running at ")[1].split()[0]
            elif line.startswith("sign in as admin with this one-time link"):
                expect_link = True
            elif expect_link and line.strip():
                link = line.strip()
        assert url is not None
        return url, link

    def signed_in(self) -> httpx.Client:
        """A client signed in as admin through the link, as the browser would be: the
        session cookie and, on writes, the session's CSRF token."""
        token = self.link.rsplit("/", 1)[1]
        answer = httpx.post(f"{self.url}/api/v1/session/link", json={"token": token}, timeout=30)
        assert answer.status_code == 200, answer.text
        cookie = answer.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        session = cookie.split(";", 1)[0]
        headers = {"Cookie": session, "X-CSRF-Token": answer.json()["csrf_token"]}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=90)


@pytest.fixture
def stack_dir(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    yield tmp_path / "data", free_port(), free_port()


def test_up_end_to_end_and_resume(stack_dir: tuple[Path, int, int]) -> None:
    data_dir, api_port, temporal_port = stack_dir
    today = date.today()
    sent_on = today - timedelta(days=40)
    up = Up(data_dir, api_port, temporal_port)
    try:
        assert up.link.startswith(f"{up.url}/ui/#/link/")
        http = up.signed_in()

        def post(path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
            response = http.post(f"/api/v1{path}", json=body)
            assert response.status_code == status, response.text
            result: dict[str, Any] = response.json()
            return result

        authority = post(
            "/authorities",
            {
                "name": "Ministry of Justice",
                "kind": "ministry",
                "jurisdiction": "DE",
                "reply_period_days": 30,
                "urgent_reply_period_days": 5,
                "escalation_ladder": [
                    {"action": "reminder", "addressee": "head of institution", "wait_days": 7},
                    {"action": "escalation letter", "addressee": "ministry", "wait_days": 14},
                ],
            },
            201,
        )["id"]
        place = post(
            "/places",
            {"name": "Karsk Prison", "place_type": "prison", "authority_id": authority},
            201,
        )["id"]
        report = post(
            "/reports",
            {"kind": "visit_report", "title": "Visit to Karsk", "report_date": str(sent_on)},
            201,
        )["id"]
        post(f"/reports/{report}/sending", {"authority_id": authority, "sent_on": str(sent_on)})
        recommendations = [
            post(
                "/recommendations",
                {
                    "kind": "visit",
                    "text": text,
                    "authority_id": authority,
                    "report_id": report,
                    "place_id": place,
                    "issued_on": str(sent_on),
                },
                201,
            )["id"]
            for text in ("Provide outdoor exercise daily", "Install call bells in all cells")
        ]

        # The processes run as the restricted runtime role; the owner's tables stay its own.
        pid_file = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
        port, socket_dir = int(pid_file[3]), pid_file[4] or "127.0.0.1"
        with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="rectrack") as db:
            roles = db.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'rectrack' "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchall()
            assert roles == [("rectrack_runtime",)]
            owner = db.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'rectrack_events'"
            ).fetchone()
            assert owner == ("rectrack_owner",)

        def missed() -> bool:
            # The workflow records the missed deadline, or (catching up on a deadline long
            # past) the escalation rung reached since.
            shown = [http.get(f"/api/v1/recommendations/{r}").json() for r in recommendations]
            return all(
                r["overdue"] and (r["reply_deadline_missed_on"] or r["escalation_level"] > 0)
                for r in shown
            )

        eventually(missed, 120, "the missed reply deadlines")
        overdue = http.get("/api/v1/recommendations", params={"overdue": "true"}).json()
        assert {item["recommendation_id"] for item in overdue["items"]} >= set(recommendations)

        def escalation_task() -> dict[str, Any] | None:
            tasks = http.get("/api/v1/tasks", params={"state": "open"}).json()["items"]
            return next((t for t in tasks if recommendations[0] in t["recommendation_ids"]), None)

        task = eventually(escalation_task, 120, "an escalation task")

        post(
            f"/recommendations/{recommendations[0]}/responses",
            {"received_on": str(today), "position": "accepted", "text": "We agree."},
        )
        post(f"/tasks/{task['task_id']}/claim", {})
        post(f"/tasks/{task['task_id']}/complete", {"outcome": "reminder sent"})

        # The step's letters are written on their own task queue, so they land in the
        # history (by business date, between the step's events) some moments after the
        # step; wait for them, and for the task's completion, rather than read the history
        # while they may be missing.
        def settled() -> list[dict[str, Any]] | None:
            entries = history_of(http, recommendations[0])
            completed = any(
                e["task_id"] == task["task_id"] and e["event"] == "Completed" for e in entries
            )
            return entries if completed and set(STEP_LETTERS) <= letters_in(entries) else None

        entries = eventually(settled, 120, "the step's letters and the completed task")
        assert own_events(entries) == [
            "Drafted",
            "Issued",
            "ReplyDeadlineMissed",
            "Escalated",
            "ResponseReceived",
        ]
        assert [e["event"] for e in entries if e["task_id"] == task["task_id"]] == [
            "Opened",
            "Claimed",
            "Completed",
        ]
        assert sorted(e["data"]["letter"]["kind"] for e in entries if is_letter(e)) == list(
            STEP_LETTERS
        ), "each of the step's letters once"
        before = http.get(f"/api/v1/recommendations/{recommendations[0]}").json()
        http.close()
    finally:
        code = up.stop()
    assert code == 0, "".join(up.output[-30:])

    again = Up(data_dir, api_port, temporal_port)
    try:
        assert again.link != up.link
        # The first start's link was used up; no start left a lasting token behind.
        used = httpx.post(
            f"{again.url}/api/v1/session/link", json={"token": up.link.rsplit("/", 1)[1]}
        )
        assert used.status_code == 400 and used.json()["code"] == "link_invalid"
        http = again.signed_in()
        assert http.get("/api/v1/me").json()["tokens"] == []
        after = http.get(f"/api/v1/recommendations/{recommendations[0]}").json()
        assert after["status"] == "responded"
        assert after["version"] >= before["version"]
        assert after["responses"] == before["responses"]
        # Nothing lost, nothing doubled, nothing new: the same entries, in the same order.
        again_entries = history_of(http, recommendations[0])
        assert [identity(e) for e in again_entries] == [identity(e) for e in entries]

        def completed() -> bool:
            # the inbox view may still be catching up on the completion after the restart
            done = http.get("/api/v1/tasks", params={"state": "completed"}).json()["items"]
            return task["task_id"] in {t["task_id"] for t in done}

        eventually(completed, 120, "the completed task in the inbox")
        http.close()
    finally:
        assert again.stop() == 0
