"""Reading a spreadsheet file (CSV or XLSX) as a header and a stream of rows of cells.

CSV is read as RFC 4180 writes it, never guessed from a sample: comma-separated unless
`delimiter` says otherwise, `"` quotes, `""` an escaped quote anywhere, quoted cells over
several lines, and CR, LF or CRLF line ends (mixed too). The text is UTF-8 with or
without a byte-order mark, or the encoding given; a byte that does not decode is an
error naming its offset and row, and the encodings to try. XLSX is read with openpyxl in
read-only mode (the first sheet, or the one named). Rows are yielded one at a time, so
the memory used does not grow with the number of rows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 16
ENCODINGS = ("utf-8", "cp1252", "mac_roman", "latin-1")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_KEPT = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")
_XLSX_MAGIC = b"PK\x03\x04"


class ReadError(Exception):
    """The file cannot be read as a spreadsheet; the message says why and what to do."""

    def __init__(self, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class ReadOptions:
    delimiter: str = ","
    encoding: str = "utf-8"
    #: the sheet of an XLSX file (default: the first)
    sheet: str | None = None


Row = tuple[int, list[Any]]  # the spreadsheet's row number (the header is 1) and its cells


def delimiter_of(given: str) -> str:
    """`--delimiter`: one character, or a name for one (tab, semicolon, comma, pipe)."""
    named = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}
    value = named.get(given.lower(), given)
    if len(value) != 1 or value in '"\r\n':
        raise ReadError(
            f"--delimiter must be one character (or tab, semicolon, comma, pipe), not {given!r}"
        )
    return value


def is_xlsx(path: Path) -> bool:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return True
    with path.open("rb") as file:
        return file.read(4) == _XLSX_MAGIC


class Sheet:
    """An open spreadsheet: `header` (its first row) and `rows()` (the others, with their
    row numbers), read again from the file on each call of `rows()` so that a second pass
    costs no memory."""

    def __init__(self, path: Path, options: ReadOptions = ReadOptions()) -> None:
        self.path = path
        self.options = options
        self.xlsx = is_xlsx(path)
        if not self.xlsx:
            try:
                codecs.lookup(options.encoding)
            except LookupError:
                raise ReadError(
                    f"--encoding {options.encoding!r} is not an encoding Python knows "
                    f"(try one of {', '.join(ENCODINGS)})"
                ) from None
        first = next(self._read(), None)
        self.header: list[str] = [] if first is None else [str(c or "") for c in first[1]]

    def rows(self) -> Iterator[Row]:
        """Every row after the header; rows with no cell filled in are skipped."""
        rows = self._read()
        next(rows, None)
        for number, cells in rows:
            if any(cell is not None and str(cell).strip() for cell in cells):
                yield number, cells

    def _read(self) -> Iterator[Row]:
        return self._xlsx() if self.xlsx else self._csv()

    # --- CSV -------------------------------------------------------------------------------

    def _csv(self) -> Iterator[Row]:
        import csv

        with self.path.open("rb") as file:
            lines = _Lines(file, self.options.encoding)
            reader = csv.reader(lines, delimiter=self.options.delimiter, strict=True)
            number = 0
            while True:
                lines.row = number + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise ReadError(
                        f"is not valid CSV at row {number + 1}: {error} (a cell with quotes "
                        'must be quoted, and its quotes doubled: "say ""yes""")',
                        number + 1,
                    ) from None
                number += 1
                yield number, list(cells)

    # --- XLSX ------------------------------------------------------------------------------

    def _xlsx(self) -> Iterator[Row]:
        import zipfile

        from openpyxl import load_workbook

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise ReadError(f"is not a readable XLSX workbook ({error})") from None
        try:
            wanted = self.options.sheet
            if wanted is not None and wanted not in book.sheetnames:
                raise ReadError(
                    f"has no sheet named {wanted!r}; its sheets: {', '.join(book.sheetnames)}"
                )
            sheet = book[wanted] if wanted is not None else book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, ["" if value is None else value for value in values]
        finally:
            book.close()


class _Lines:
    """The file's text, decoded incrementally, as lines ending at CR, LF or CRLF (what the
    csv module expects: one line per item). A byte that does not decode is a ReadError
    naming its offset in the file and the row being read."""

    def __init__(self, file: IO[bytes], encoding: str) -> None:
        self.file = file
        self.encoding = encoding
        self.row = 1
        self._lines = self._generate()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def _generate(self) -> Iterator[str]:
        name = codecs.lookup(self.encoding).name
        # UTF-8 files from spreadsheet programs start with a byte-order mark: skip it.
        decoder = codecs.getincrementaldecoder("utf-8-sig" if name == "utf-8" else name)()
        consumed = 0
        pending = ""
        while True:
            chunk = self.file.read(CHUNK)
            buffered = len(decoder.getstate()[0])
            failed: UnicodeDecodeError | None = None
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                # The lines before the bad byte are read first, so that the error names
                # the row it is in.
                failed = error
                text = bytes(error.object[: error.start]).decode(name)
                skipped = 3 if consumed == 0 and chunk.startswith(codecs.BOM_UTF8) else 0
                offset = consumed - buffered + error.start + skipped
            consumed += len(chunk)
            text = pending + text
            if failed is not None:
                yield from _LINE_END_KEPT.split(text)[:-1]
                raise ReadError(self._decode_rule(offset, failed), self.row)
            start = 0
            for match in _LINE_END.finditer(text):
                end = match.end()
                if match.group() == "\r" and end == len(text) and chunk:
                    break  # a CR at the end of a chunk may be the first half of a CRLF
                yield text[start:end]
                start = end
            pending = text[start:]
            if not chunk:
                if pending:
                    yield pending
                return

    def _decode_rule(self, offset: int, error: UnicodeDecodeError) -> str:
        others = [
            e for e in ENCODINGS if codecs.lookup(e).name != codecs.lookup(self.encoding).name
        ]
        return (
            f"is not {self.encoding} text: byte {offset} (0x{error.object[error.start]:02x}, "
            f"while reading row {self.row}) cannot be decoded. Save the file as CSV UTF-8, "
            f"or give its encoding with --encoding ({', '.join(others)})"
        )
