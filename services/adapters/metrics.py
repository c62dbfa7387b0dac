"""The Prometheus metrics every rectrack process exports on /metrics (one registry per
process: prometheus-client's default). Defined in one place so the names stay one set:
the API counts requests, the executor command outcomes, the projector and relay their
lag behind the event log, the projector the open obligations and escalations, the worker
the e-mails it sent, `rectrack up` which of its processes run and how often it restarted
them."""

from __future__ import annotations

import time
from collections import deque
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "rectrack_commands_total",
    "Commands run by the executor, by command and outcome "
    "(applied, replayed, refused, conflict, error).",
    ["command", "outcome"],
)


@cache
def _command_outcome(command: str, outcome: str) -> Counter:
    return COMMANDS.labels(command=command, outcome=outcome)


def count_command(command: str, outcome: str) -> None:
    """One command's outcome (each label pair's child is looked up once per process: the
    executor counts every command)."""
    _command_outcome(command, outcome).inc()


REQUESTS = Counter(
    "rectrack_http_requests_total",
    "HTTP requests answered by the API, by method, route template and status code.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "rectrack_http_request_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


@cache
def _requests(method: str, route: str, status: str) -> Counter:
    return REQUESTS.labels(method=method, route=route, status=status)


@cache
def _request_seconds(method: str, route: str) -> Histogram:
    return REQUEST_SECONDS.labels(method=method, route=route)


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request, counted and timed (each series' child looked up once per
    process, as in count_command: bounded by the routes, methods and statuses there are)."""
    _requests(method, route, str(status)).inc()
    _request_seconds(method, route).observe(seconds)


PROJECTION_LAG_EVENTS = Gauge(
    "rectrack_projection_lag_events", "Events in the log a view has not applied yet.", ["view"]
)
PROJECTION_LAG_SECONDS = Gauge(
    "rectrack_projection_lag_seconds",
    "How long the oldest event a view has not applied has been in the log "
    "(as seen by this process, to the scrape interval).",
    ["view"],
)
RELAY_LAG_EVENTS = Gauge("rectrack_relay_lag_events", "Events the relay has not delivered yet.")
RELAY_LAG_SECONDS = Gauge(
    "rectrack_relay_lag_seconds",
    "How long the oldest event the relay has not delivered has been in the log.",
)
OPEN_OBLIGATIONS = Gauge(
    "rectrack_open_obligations",
    "Recommendations on which an authority owes something (a reply or an implementation).",
)
OVERDUE_OBLIGATIONS = Gauge(
    "rectrack_overdue_obligations", "Open obligations whose date has passed."
)
ESCALATIONS = Gauge(
    "rectrack_escalations", "Recommendations at each escalation level (0: none).", ["level"]
)
EMAILS = Counter(
    "rectrack_emails_total",
    "E-mails handed to the SMTP server by purpose and outcome: sent; resent (after an "
    "attempt that may have reached the server); recorded (found sent, only the event was "
    "missing); refused (a 5xx answer).",
    ["purpose", "outcome"],
)
LEASE_HELD = Gauge(
    "rectrack_lease_held", "1 while this process leads (holds the lease), 0 on standby.", ["lease"]
)
UP_RUNNING = Gauge(
    "rectrack_up_process_running", "`rectrack up`: 1 while this process of it runs.", ["process"]
)
UP_RESTARTS = Counter(
    "rectrack_up_process_restarts_total",
    "`rectrack up`: times it started this process again after it exited.",
    ["process"],
)


class LagClock:
    """Turns event counts into seconds: remembers when each new log head was first seen,
    so the age of the oldest event a follower still has to apply is `now` minus when the
    first head beyond its position was seen. (The log stores no write time per row.)"""

    def __init__(self) -> None:
        self._seen: deque[tuple[int, float]] = deque()

    def observe(self, head: int, now: float | None = None) -> None:
        if not self._seen or head > self._seen[-1][0]:
            self._seen.append((head, time.monotonic() if now is None else now))

    def seconds_behind(self, position: int, now: float | None = None) -> float:
        current = time.monotonic() if now is None else now
        for head, seen_at in self._seen:
            if head > position:
                return max(current - seen_at, 0.0)
        return 0.0

    def forget_up_to(self, position: int) -> None:
        """Drops heads every follower has passed (call with the smallest position)."""
        while len(self._seen) > 1 and self._seen[1][0] <= position:
            self._seen.popleft()
