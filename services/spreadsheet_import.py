"""Bringing an NPM's existing spreadsheet of recommendations into rectrack.

Most NPMs start from a spreadsheet: one row per recommendation, with the authority's
reply and the implementation status in later columns. `rectrack import FILE` turns each
row into the events that row describes (drafted and issued, response received,
implementation assessed), with the row's own dates as business dates, through the same
command models and handlers as every command (staged by the executor), so the API's
shape checks and the domain's rules hold for imported history too.

All or nothing, in two passes so that memory stays flat: the first reads, checks and
stages every row and reports every problem (row, column, rule); a file with one bad row
imports no row. The staged records are pickled, a batch at a time, to a temporary file
(spreadsheet_staged.py); the second pass reads them back and saves them, many per
transaction (the batched path of the event store). Records already stored (imported, or
drafted here with the same external id: see spreadsheet_identity.py) append nothing but
their later replies; changed ones are reported, and recorded with `update=True`.
Authorities and places are read once per import, never per row (spreadsheet_rows.
Directory), and so are the closure calendars (the store's calendar cache).

The first pass is spreadsheet_check.py, the second spreadsheet_store.py; `Importer` is
both, on the state they share.
"""

from __future__ import annotations

from services.spreadsheet_check import MAX_ROWS, Options
from services.spreadsheet_store import StorePass

__all__ = ["MAX_ROWS", "Importer", "Options"]


class Importer(StorePass):
    """`check` (spreadsheet_check.py), then `store_checked` (spreadsheet_store.py)."""
