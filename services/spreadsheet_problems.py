"""What is wrong with a spreadsheet, as the import reports it: each problem named by row
and column (`Problem`), the whole file refused (`ImportRejected`), and what a row's
checks raise to be collected into its problems (`RowError`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number: the header is row 1; 0 for the file
    column: str
    rule: str

    def __str__(self) -> str:
        if self.column == "file":
            return f"row {self.row}: {self.rule}" if self.row else f"file: {self.rule}"
        where = f"row {self.row}" if self.row else "header"
        return f"{where}, column {self.column}: {self.rule}"


class ImportRejected(Exception):
    """The file cannot be imported as it is; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s); nothing was imported")


class RowError(Exception):
    """What is wrong with one row: (column, rule) pairs."""

    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(f"{column}: {rule}" for column, rule in problems))
        self.problems = problems
