"""The whole system on one machine, for a newcomer or a small NPM: `rectrack up`.

Everything keeps its state under the data directory (the embedded PostgreSQL's cluster,
the Temporal dev server's SQLite file, the processes' logs), so stopping and starting
again on the same directory resumes with all data. The parts run as child processes in
their own session, so that Ctrl-C reaches only this supervisor, which then stops them in
the reverse order of starting: the API first (no new commands), the database last.
They die with it even when it is killed, a child that exits is started again after a
back-off, and a second `up` after a crash ends the first one's leftovers
(services/supervision.py).

On every start a one-time sign-in link for the administrator is printed (it works once,
for RECTRACK_SIGNIN_LINK_MINUTES): no lasting token is minted, so restarts leave no
credentials behind. The first `up --demo` gives the demo users random passwords, printed
that once. A person who runs `up` has the data directory anyway.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from domain.values import Role
from services.adapters.health import Health, port_for, serve_health
from services.adapters.log_config import open_log_file, private_log_folder
from services.adapters.metrics import UP_RESTARTS, UP_RUNNING
from services.adapters.readiness import NOTIFY_VARIABLE, ReadyListener
from services.adapters.settings import Settings
from services.dev_temporal import (
    bind_failed,
    dev_server_command,
    log_size,
    port_free,
    port_open,
    wait_until,
)
from services.supervision import (
    Backoff,
    StopSignals,
    dying_with_parent,
    earlier_up_running,
    end_recorded,
    forget,
    postgres_running,
    record,
    start_watchdog,
)

log = structlog.get_logger(__name__)

# The processes `up` runs, in start order; they are stopped in reverse.
PROCESSES = ("projector", "relay", "worker", "api")
GRACE = "RECTRACK_SHUTDOWN_GRACE_SECONDS"
#: How often the Temporal dev server is started when its port was taken as it started.
TEMPORAL_ATTEMPTS = 4
CLI_ENTRY = "from services.cli import leave, main_when_told; leave(main_when_told())"


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    backoff: Backoff = field(default_factory=Backoff)
    #: when a child that exited is started again (monotonic), None while it runs
    restart_at: float | None = None
    #: what one of PROCESSES reads on stdin before it runs (services/cli main_when_told)
    told: dict[str, str] | None = None


@dataclass
class Stack:
    settings: Settings
    demo: bool = False
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    children: list[Child] = field(default_factory=list)
    database_url: str | None = None
    temporal_address: str | None = None
    api_url: str | None = None
    admin_link: str | None = None
    demo_passwords: list[tuple[str, Role, str]] = field(default_factory=list)
    #: whether this stack runs the embedded PostgreSQL, which it then stops itself
    embedded: bool = False
    watchdog: subprocess.Popen[bytes] | None = None
    #: `up`'s own /healthz, /readyz and /metrics (which processes run, restarts)
    health: Health = field(default_factory=lambda: Health("up"))
    postgres_backoff: Backoff = field(default_factory=Backoff)
    postgres_restart_at: float | None = None
    #: SIGINT, SIGTERM and SIGHUP: through `stop()` from before the first child on
    signals: StopSignals = field(default_factory=StopSignals)
    #: where this start's lines begin in the dev server's log
    _temporal_log_at: int = 0

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    # --- start -----------------------------------------------------------------------------

    def start(self) -> None:
        # Before anything is spawned: a signal from here on ends in `stop()`, never in
        # an exit that leaves the children to the watchdog (services/supervision.py).
        self.signals.install()
        timeout = self.settings.stack_start_timeout_seconds
        self.say(f"rectrack: starting on {self.data_dir}")
        private_log_folder(self.data_dir / "logs")
        self._take_over_data_dir()
        # Temporal needs nothing from the database: it starts while PostgreSQL does, and
        # so do the processes, as far as importing their modules (most of their start).
        temporal_port = None if self.settings.temporal_address else self._launch_temporal()
        ready = self._spawn(*PROCESSES)
        # Imported now rather than with the command (the executor, every handler, the
        # demo: half of `up`'s own imports): the processes import theirs meanwhile.
        from services.adapters.database import start_embedded_postgres
        from services.application.database_roles import prepare_for_processes
        from services.stack_data import ensure_signing_key, load_first_data

        if self.settings.database_url:
            self.database_url = self.settings.database_url
        else:
            # Marked first: a failure (or a signal) after the server started still stops it.
            self.embedded = True
            self.database_url = start_embedded_postgres(self.data_dir, stop_at_exit=False)
        # The owner creates the tables; from here on everything runs as the runtime role.
        self.database_url = prepare_for_processes(
            self.settings, self.database_url, embedded=self.embedded
        )
        self.say(f"rectrack: database ready ({self._where_database()})")
        ensure_signing_key(self.settings, self.data_dir, self.say)
        if temporal_port is None:
            self.temporal_address = self.settings.temporal_address
        else:
            self._wait_for_temporal(temporal_port, timeout)
            self.temporal_address = f"127.0.0.1:{temporal_port}"
        self.say(f"rectrack: temporal at {self.temporal_address}")

        self.demo_passwords, self.admin_link = load_first_data(
            self.settings, self.database_url, self.demo, self.say, self._tell_processes
        )
        self.api_url = f"http://{self.settings.api_host}:{self.settings.api_port}"
        try:
            for name in ready.wait(
                PROCESSES,
                timeout,
                probe=lambda name: name == "api" and http_ok(f"{self.api_url}/readyz"),
                check=self._all_alive,
            ):
                self.say(f"rectrack: {name} ready")
        finally:
            ready.close()
        self.health.before_scrape.append(self._count_running)
        serve_health(
            self.health, self.settings.health_host, port_for(self.settings.health_port, "up")
        )
        self.health.mark_ready()

    def _where_database(self) -> str:
        return (
            "embedded, in " + str(self.data_dir / "postgres")
            if not (self.settings.database_url)
            else "RECTRACK_DATABASE_URL"
        )

    def _launch_temporal(self) -> int:
        temporal_dir = self.data_dir / "temporal"
        temporal_dir.mkdir(parents=True, exist_ok=True)
        port = self.settings.temporal_dev_port
        if port_open("127.0.0.1", port):
            raise RuntimeError(
                f"port {port} is taken: set RECTRACK_TEMPORAL_DEV_PORT to a free port, or "
                "RECTRACK_TEMPORAL_ADDRESS to use that server"
            )
        self._until_free(port)
        self._temporal_log_at = log_size(self.data_dir / "logs" / "temporal.log")
        command = dev_server_command(temporal_dir, port, self.settings.temporal_namespace)
        self._launch("temporal", command, os.environ.copy())
        return port

    def _until_free(self, port: int) -> None:
        """A port no server listens on may still be held by a connection, and after it
        by the connection's TIME_WAIT (60 s): waited for, rather than failing the start."""
        if not port_free("127.0.0.1", port):
            self.say(f"rectrack: a connection holds temporal's port {port}; waiting (<= 60 s)")
            wait_until(lambda: port_free("127.0.0.1", port), 65, f"port {port}", interval=0.5)

    def _wait_for_temporal(self, port: int, timeout: float) -> None:
        """Until the dev server answers. One that exits because its port was taken between
        the check and its bind (services/dev_temporal.py) is started again, a few times."""
        temporal = next(child for child in self.children if child.name == "temporal")
        log_path = self.data_dir / "logs" / "temporal.log"
        for attempt in range(TEMPORAL_ATTEMPTS):
            try:
                return wait_until(
                    lambda: self._all_alive() and port_open("127.0.0.1", port),
                    timeout,
                    "temporal",
                    interval=0.05,
                )
            except RuntimeError:
                taken = temporal.process.poll() is not None and bind_failed(
                    log_path, self._temporal_log_at
                )
                if not taken or attempt == TEMPORAL_ATTEMPTS - 1:
                    raise
            self.say(f"rectrack: temporal's port {port} was taken as it started; again")
            self._until_free(port)
            self._temporal_log_at = log_size(log_path)
            with self.signals.held():
                temporal.process = self._popen("temporal", temporal.command, temporal.env)
                self._record()

    def _told(self) -> dict[str, str]:
        """What the processes learn once the database and Temporal are up."""
        assert self.database_url is not None and self.temporal_address is not None
        return {
            "RECTRACK_DATABASE_URL": self.database_url,
            "RECTRACK_TEMPORAL_ADDRESS": self.temporal_address,
            "RECTRACK_DATA_DIR": str(self.data_dir),
            "RECTRACK_DATABASE_SCHEMA": self.settings.database_schema,
            "RECTRACK_API_HOST": self.settings.api_host,
            "RECTRACK_API_PORT": str(self.settings.api_port),
            "RECTRACK_LOG_FORMAT": "json",
            # One machine, no load balancer: nothing to drain for (unless told otherwise).
            GRACE: os.environ.get(GRACE, "0"),
        }

    def _spawn(self, *names: str) -> ReadyListener:
        """Start the processes together, before the database is up: each imports its
        modules, then waits for `_tell_processes`; each says when it is ready on the
        listener returned (services/adapters/readiness.py), the API by answering /readyz.
        Together is safe: the tables were created by then, as the owner, and a process
        that would still create any takes its turn on an advisory lock
        (services/adapters/table_creation.py). One after another, their start-ups (the
        imports, mostly) added up to most of a second start's time (`make bench-startup`)."""
        ready = ReadyListener("rectrack-up", [name for name in names if name != "api"])
        for name in names:
            env = os.environ.copy()
            env.pop(NOTIFY_VARIABLE, None)  # a supervisor of `up` (systemd) hears `up` only
            env.update(ready.environment(name))
            self._launch(name, [sys.executable, "-c", CLI_ENTRY, name], env, told={})
        return ready

    def _tell_processes(self) -> None:
        for child in self.children:
            if child.told is not None:
                child.told = self._told()
                self._tell(child)

    def _tell(self, child: Child) -> None:
        assert child.process.stdin is not None
        with contextlib.suppress(OSError):  # it died: heal() starts it again
            child.process.stdin.write(json.dumps(child.told).encode() + b"\n")
            child.process.stdin.close()

    def _launch(
        self, name: str, command: list[str], env: dict[str, str], told: dict[str, str] | None = None
    ) -> None:
        # Held: a child forked but not yet on the list would outlive `stop()`.
        with self.signals.held():
            process = self._popen(name, command, env, told is not None)
            self.children.append(Child(name, process, command=command, env=env, told=told))
            self._record()

    def _popen(
        self, name: str, command: list[str], env: dict[str, str], waits: bool = False
    ) -> subprocess.Popen[bytes]:
        with open_log_file(self.data_dir / "logs" / f"{name}.log") as log_file:
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.PIPE if waits else subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C on the terminal reaches only the supervisor, which
                # stops the children one by one in a safe order ...
                start_new_session=True,
                # ... and the kernel ends them if the supervisor dies (services/supervision.py).
                preexec_fn=dying_with_parent(),
            )
        log.info("started", process=name, pid=process.pid)
        return process

    def _take_over_data_dir(self) -> None:
        """Refuses a data directory another `up` runs on; ends what a crashed one left
        (its children, its watchdog), then starts this one's watchdog."""
        other = earlier_up_running(self.data_dir)
        if other is not None:
            raise RuntimeError(
                f"another `rectrack up` (pid {other}) runs on {self.data_dir}; stop it first"
            )
        ended = end_recorded(self.data_dir)
        if ended:
            self.say(f"rectrack: ended what an earlier run left running ({', '.join(ended)})")
        with self.signals.held():
            self.watchdog = start_watchdog(self.data_dir, embedded=not self.settings.database_url)
            self._record()

    def _record(self) -> None:
        pids = {c.name: c.process.pid for c in self.children}
        if self.watchdog is not None:
            pids["watchdog"] = self.watchdog.pid
        record(self.data_dir, pids)

    def _all_alive(self) -> bool:
        dead = [c for c in self.children if c.process.poll() is not None]
        if dead:
            child = dead[0]
            raise RuntimeError(
                f"{child.name} exited with code {child.process.returncode}; "
                f"see {self.data_dir / 'logs' / (child.name + '.log')}"
            )
        return True

    # --- run and stop ------------------------------------------------------------------------

    def run_until_stopped(self) -> int:
        """Blocks until SIGINT/SIGTERM/SIGHUP (returns 0), restarting any child that
        exits and the embedded PostgreSQL if it stops, each after a growing back-off."""
        self.signals.waiting()
        while not self.signals.requested.wait(0.5):
            self.heal()
        return 0

    def heal(self) -> None:
        """One round of supervision (the main thread's: a child's death signal is tied
        to the thread that started it)."""
        now = time.monotonic()
        self.health.beat()
        if self.embedded:
            self._heal_postgres(now)
        for child in self.children:
            if child.process.poll() is None:
                continue
            if child.restart_at is None:
                wait = child.backoff.delay(now - child.started)
                child.restart_at = now + wait
                self.say(
                    f"rectrack: {child.name} exited (code {child.process.returncode}); "
                    f"starting it again in {wait:.0f} s. See {self.data_dir / 'logs'}"
                )
                log.warning(
                    "child exited", process=child.name, code=child.process.returncode, wait=wait
                )
            elif now >= child.restart_at:
                child.process = self._popen(
                    child.name, child.command, child.env, child.told is not None
                )
                if child.told is not None:
                    self._tell(child)
                child.started, child.restart_at = now, None
                UP_RESTARTS.labels(process=child.name).inc()
                self._record()
                log.info("child restarted", process=child.name, pid=child.process.pid)

    def _count_running(self) -> None:
        for child in self.children:
            UP_RUNNING.labels(process=child.name).set(int(child.process.poll() is None))

    def _heal_postgres(self, now: float) -> None:
        if postgres_running(self.data_dir):
            return
        if self.postgres_restart_at is None:
            wait = self.postgres_backoff.delay(0.0)
            self.postgres_restart_at = now + wait
            self.say(f"rectrack: the database stopped; starting it again in {wait:.0f} s")
            return
        if now < self.postgres_restart_at:
            return
        try:
            from services.adapters.database import restart_embedded_postgres

            restart_embedded_postgres(self.data_dir)
        except Exception as error:  # its old backends may still hold its memory: retry
            log.warning("the database did not start again", error=str(error)[:300])
            self.postgres_restart_at = now + self.postgres_backoff.delay(0.0)
            return
        self.postgres_restart_at = None
        self.say("rectrack: database started again")

    def stop(self) -> None:
        # First: a second Ctrl-C must not cut the stopping short and leave the database
        # running; each step below has its own time limit.
        self.signals.stopping()
        self.health.drain()
        for child in reversed(self.children):
            self._stop_child(child)
        self.children.clear()
        if self.embedded:
            # Last, once nothing uses it: the embedded PostgreSQL, whoever started it.
            from services.adapters.database import stop_embedded_postgres

            if stop_embedded_postgres(self.data_dir):
                self.say("rectrack: database stopped")
        if self.watchdog is not None:
            self.watchdog.terminate()
            self.watchdog.wait(10)
        forget(self.data_dir)
        self.signals.restore()

    def _stop_child(self, child: Child) -> None:
        process = child.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log.warning("did not stop in time; killing", process=child.name)
                process.kill()
                process.wait()
        log.info("stopped", process=child.name, code=process.returncode)
