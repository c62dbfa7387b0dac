"""The pack as a workbook: one sheet per table, typed cells (numbers stay numbers, per
cents formatted as such), bold frozen headers and an introduction line above each."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.reporting.pack import Pack

FORMATS = {"int": "#,##0", "float": "0.0", "percent": '0.0" %"', "text": "@", "number": ""}
HEADER_ROW = 3


def render(pack: Pack) -> bytes:
    book = Workbook(write_only=False)
    book.remove(book.active)  # type: ignore[arg-type]
    for table in pack.sheets:
        sheet = book.create_sheet(table.title[:31])
        sheet.cell(row=1, column=1, value=table.intro).font = Font(italic=True)
        for col, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=HEADER_ROW, column=col, value=column.label)
            cell.font = Font(bold=True)
            width = max(len(column.label), 12 if column.type != "text" else 28)
            sheet.column_dimensions[get_column_letter(col)].width = min(width + 2, 40)
        for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
            for col, column in enumerate(table.columns, start=1):
                value = row.get(column.key)
                cell = sheet.cell(row=r, column=col, value=value)
                if value is not None:
                    kind = column.type
                    if kind == "number":
                        kind = row.get("type") or kind
                    if kind == "number":
                        kind = "int" if isinstance(value, int) else "float"
                    cell.number_format = FORMATS[kind]
        sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
