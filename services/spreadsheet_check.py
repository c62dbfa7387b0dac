"""The import's first pass: read, check and stage every row, store nothing.

Kept apart from the store pass (spreadsheet_store.py) because it is most of the import's
work and of its rules: every row is read, resolved (authorities, places, the stored
records it names: spreadsheet_identity.py) and staged through the executor's handlers,
and every problem is collected (row, column, rule) before anything is stored, so that a
file with one bad row imports no row. The staged records spill to a temporary file a
batch at a time (spreadsheet_staged.py): memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any
from uuid import UUID

import structlog

from domain.authority import Authority
from domain.errors import DomainError
from domain.recommendation import Recommendation
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
)
from services.application.commands.registry import RegisterAuthority
from services.application.executor import Caller, Executor
from services.application.references import tally
from services.spreadsheet_authorities import authority_command_id, unknown_authorities
from services.spreadsheet_directory import Directory
from services.spreadsheet_identity import (
    Change,
    State,
    change_of,
    content_key,
    identity_key,
    known_rows,
    later_row_change,
    states,
)
from services.spreadsheet_problems import ImportRejected, Problem, RowError
from services.spreadsheet_reading import ReadError, Sheet
from services.spreadsheet_rows import (
    Row,
    differs_from_first,
    header_columns,
    read_row,
    stage_joined,
    stage_row,
)
from services.spreadsheet_staged import Checked, CommandRow

log = structlog.get_logger(__name__)

MAX_ROWS = 1_000_000
#: the column a refused addition to a stored record is reported on
_ADDITION_COLUMNS: dict[type[Command], str] = {
    AssessImplementation: "implementation",
    CloseRecommendation: "closed_on",
}
#: rows whose identities are looked up in one query
LOOKUP = 1000


@dataclass(frozen=True)
class Options:
    update: bool = False
    #: authorities to register when the file names them and they are unknown, by name
    #: (lower case): their registration commands
    new_authorities: dict[str, RegisterAuthority] = field(default_factory=dict)
    #: register any other unknown authority with these defaults (--create-authorities)
    default_authority: Callable[[str], RegisterAuthority] | None = None
    batch_size: int = 500
    workers: int = 2


@dataclass
class _Record:
    """The record of the last row read: the rows right after it may join it."""

    key: str
    first: Row
    #: the recommendation staged for it, when it is new
    staged: Recommendation | None = None
    #: the stored record it is, and that record as loaded for its later rows
    stored_id: UUID | None = None
    loaded: Recommendation | None = None


class CheckPass:
    """The state an import shares between its passes, and the first pass."""

    def __init__(
        self,
        executor: Executor,
        directory: Directory,
        sheet: Sheet,
        *,
        caller: Caller,
        source: str,
        options: Options = Options(),
    ) -> None:
        self.executor = executor
        self.store = executor.store
        self.directory = directory
        self.sheet = sheet
        self.caller = caller
        self.source = source
        self.options = options
        self.columns, header_problems = header_columns(sheet.header)
        if header_problems:
            raise ImportRejected(header_problems)
        self._last: _Record | None = None

    def _reason(self, number: int) -> str:
        return f"imported from {self.source}, row {number}"

    def _rows(self) -> Iterator[tuple[Row | None, list[Problem]]]:
        try:
            for count, (number, cells) in enumerate(self.sheet.rows(), start=1):
                if count > MAX_ROWS:
                    yield None, [Problem(number, "file", f"has more than {MAX_ROWS:,} rows")]
                    return
                yield read_row(number, self.columns, cells)
        except ReadError as error:
            yield None, [Problem(0, "file", str(error))]

    # --- the first pass: check everything, store nothing ---------------------------------

    def check(
        self, progress: Callable[[int], None] | None = None, checked: Checked | None = None
    ) -> Checked:
        """Reads, checks and stages every row (into `checked` if given, a caller's that
        watches the spill); raises ImportRejected listing every problem when any row is
        bad."""
        if checked is None:
            checked = Checked(encode=self.store.encode)
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        unknown: dict[str, list[int]] = {}
        rows = self._rows()
        done = 0
        with self.store.cached_calendars():
            while chunk := list(islice(rows, LOOKUP)):
                # In file order: a record's first row, or a later row joining it.
                todo: list[tuple[Row | None, str, int | None]] = []
                good: list[Row] = []
                for row, found in chunk:
                    problems += found
                    if row is None:
                        todo.append((None, "", None))  # a bad row: the next joins nothing
                        continue
                    key = identity_key(row)
                    if key in seen:
                        todo.append((row, key, seen[key]))
                        continue
                    seen[key] = row.number
                    if not self._authority_known(row, checked):
                        unknown.setdefault(str(row.values["authority"]), []).append(row.number)
                        todo.append((None, "", None))
                        continue
                    good.append(row)
                    todo.append((row, key, None))
                found_states = states(self.store, good, self.directory.find_external_ids)
                later = known_rows(self.store, [r for r, _, n in todo if r and n is not None])
                for row, key, first_number in todo:
                    if row is None:
                        self._last = None
                        continue
                    if first_number is not None:
                        problems += self._join(row, key, first_number, checked, later)
                        continue
                    self._last = record = _Record(key, row)
                    state, record.stored_id = found_states[row.number]
                    try:
                        if state is State.NEW:
                            record.staged = self._stage(row, checked)
                        elif state is State.AMBIGUOUS:
                            record.stored_id = None  # its later rows join nothing
                            rule = "names several stored records: give each its own"
                            problems.append(Problem(row.number, "external_id", rule))
                        elif state is State.UNCHANGED:
                            checked.unchanged += 1
                        else:  # changed since its import, or drafted here: compare
                            assert record.stored_id is not None
                            change = self._change(row, record.stored_id)
                            if change.columns or change.fixed:
                                checked.changes.append(change)
                            elif change.additions:
                                problems += self._check_additions(change, record)
                                checked.additions.append(change)
                            else:
                                checked.unchanged += 1
                    except RowError as error:
                        problems += [Problem(row.number, c, rule) for c, rule in error.problems]
                done += len(chunk)
                if progress is not None:
                    progress(done)
        tally(checked.sequences, checked.numbers)
        if unknown:
            problems.append(unknown_authorities(unknown))
        if self.options.update:
            for change in checked.changes:
                problems += [Problem(change.row, c, rule) for c, rule in change.fixed]
        if done == 0 and not problems:
            problems.append(Problem(0, "file", "has no data rows"))
        if problems:
            problems.sort(key=lambda p: p.row)
            log.warning("import rejected", source=self.source, problems=len(problems))
            raise ImportRejected(problems)
        return checked

    def _join(
        self, row: Row, key: str, first_number: int, checked: Checked, known: set[str]
    ) -> list[Problem]:
        """A row repeating the record of the rows just before it (the same external id):
        its response, assessment or closure are that record's too (one row per reply, as
        treaty bodies' and UPR data come). Of a record already stored, a row imported
        before is left as it is, and a new one compared with it (`_join_stored`).
        Anywhere else, a repeat is a mistake."""
        last = self._last
        adjacent = last is not None and last.key == key and "external_id" in row.values
        if not adjacent:
            what = "external_id" if "external_id" in row.values else "text"
            rule = f"repeats the record of row {first_number}"
            if "external_id" in row.values:
                rule += ": the rows of one record must follow each other"
            return [Problem(row.number, what, rule)]
        assert last is not None
        recommendation = last.staged
        if recommendation is None:  # stored already, or refused with its first row
            if last.stored_id is None or content_key(row) in known:
                return []
            return self._join_stored(row, last, checked)
        before = len(recommendation.pending_events)
        try:
            stage_joined(
                self.executor,
                row,
                last.first,
                self.caller,
                content_key(last.first),
                self._reason(row.number),
                recommendation,
            )
        except RowError as error:
            return [Problem(row.number, c, rule) for c, rule in error.problems]
        checked.events += len(recommendation.pending_events) - before
        for index, (staged, entries) in enumerate(checked.batch):
            if staged is recommendation:
                # the command-log entries keep the record's version after all its rows,
                # and each later row's key (a re-import finds it without the record)
                version = len(recommendation.pending_events)
                kept = [(n, i, version, c) for n, i, _, c in entries]
                if all(n != content_key(row) for n, *_ in kept):
                    kept.append((content_key(row), recommendation.id, version, None))
                checked.batch[index] = (staged, kept)
        return []

    def _join_stored(self, row: Row, record: _Record, checked: Checked) -> list[Problem]:
        """A later row of a stored record, not imported before: a reply after the
        record's last is new information (appended without `--update`); anything
        else it says otherwise is a change (spreadsheet_identity.py)."""
        differing = differs_from_first(row, record.first)
        if differing:
            return [Problem(row.number, c, rule) for c, rule in differing]
        assert record.stored_id is not None
        if record.loaded is None:
            record.loaded = self.store.get(Recommendation, record.stored_id)
        change = later_row_change(row, record.loaded, self._reason(row.number))
        change.key = content_key(row)
        if change.columns or change.fixed:
            self._check_update(change, record.loaded)
            checked.changes.append(change)
        elif change.additions:
            checked.additions.append(change)
            return self._check_additions(change, record)
        return []

    def _check_additions(self, change: Change, record: _Record) -> list[Problem]:
        """A stored record's new replies, assessment or closure, checked now on the
        record as loaded: the rows after compare with it as added."""
        assert record.stored_id is not None
        if record.loaded is None:
            record.loaded = self.store.get(Recommendation, record.stored_id)
        for command in change.additions:
            try:
                self._stage_on(command, change.key, record.loaded, self._day(change, command))
            except DomainError as error:
                column = _ADDITION_COLUMNS.get(type(command), "response_received_on")
                return [Problem(change.row, column, getattr(error, "rule", None) or str(error))]
        return []

    @staticmethod
    def _day(change: Change, command: Command) -> date | None:
        """The business day of a change's command: the closure's is the row's closed_on
        (the others carry their own date)."""
        return change.closed_on if isinstance(command, CloseRecommendation) else None

    def _authority_known(self, row: Row, checked: Checked) -> bool:
        name = str(row.values["authority"])
        if self.directory.knows("authority", name):
            return True
        registered = self.store.applied(authority_command_id(name))
        if registered is not None:  # by an earlier run, not yet in the status view
            self.directory.add(
                "authority", name, self.store.get(Authority, registered.aggregate_id)
            )
            return True
        command = self.options.new_authorities.get(name.strip().lower())
        if command is None and self.options.default_authority is not None:
            command = self.options.default_authority(name.strip())
        if command is None:
            return False
        try:
            (authority,) = self.executor.stage(
                command, self.caller, command_id=authority_command_id(name), pending={}
            )
        except DomainError as error:
            raise ImportRejected(
                [Problem(row.number, "authority", f"{name!r} cannot be registered: {error}")]
            ) from None
        self.directory.add("authority", name, authority)
        checked.authorities[name.strip()] = authority
        return True

    def _stage(self, row: Row, checked: Checked) -> Recommendation:
        sequences = len(checked.sequences)
        recommendation = stage_row(
            self.executor,
            self.directory,
            row,
            self.caller,
            content_key(row),
            self._reason(row.number),
            checked.sequences,
        )
        if len(checked.sequences) != sequences:
            # a year's first draft staged its sequence with an event: tallied now, so
            # that the next drafts take their numbers on a StagedSequence. The numbers
            # those take are tallied once, after the last row (a Block per row was a
            # fiftieth of the check)
            tally(checked.sequences, checked.numbers)
        checked.new += 1
        checked.events += len(recommendation.pending_events)
        version = len(recommendation.pending_events)
        entries: list[CommandRow] = [(identity_key(row), recommendation.id, version, row.content)]
        if len(checked.batch) >= self.options.batch_size:
            # Before, not after: the record just staged stays in memory, so the rows of
            # the same record that follow it can still join it (`_join`).
            checked.flush()
        checked.batch.append((recommendation, entries))
        return recommendation

    def _change(self, row: Row, recommendation_id: UUID) -> Change:
        resolved: dict[str, Any] = {
            name: self.directory.resolve(name, str(row.values[name]))
            for name in ("authority", "place")
            if name in row.values
        }
        recommendation = self.store.get(Recommendation, recommendation_id)
        change = change_of(row, recommendation, resolved, self._reason(row.number))
        change.key = content_key(row)
        self._check_update(change, recommendation)
        return change

    def _check_update(self, change: Change, recommendation: Recommendation) -> None:
        """With `--update`, the change's commands (and the additions `--update` runs after
        them) checked now against the domain's rules, on the loaded record: nothing is
        stored yet."""
        if not self.options.update or change.fixed:
            return
        for command in change.commands + change.additions:
            try:
                self._stage_on(command, change.key, recommendation, self._day(change, command))
            except DomainError as error:
                named = getattr(error, "field", None) or "row"
                change.fixed.append((named, getattr(error, "rule", None) or str(error)))

    def _stage_on(
        self,
        command: Command,
        command_id: str,
        recommendation: Recommendation,
        today: date | None = None,
    ) -> None:
        self.executor.stage(
            command,
            self.caller,
            command_id=command_id,
            target_id=recommendation.id,
            pending={recommendation.id: recommendation},
            today=today,
        )
