"""Reports: each report's date and its sendings, with the authority's name and the reply
due date the sending started (the due date of the recommendations issued under it by
then; see domain/report.py for the rule). The query is `report_sendings`."""

from __future__ import annotations

from typing import Any, ClassVar

import psycopg
from psycopg.sql import SQL, Identifier

from projections.base import Rows, Table, View, on
from projections.events import Authority, Report
from projections.facts import Fact
from projections.views.reading import fetch

REPORTS = Table(
    "reports_reports",
    {"report_id": "uuid", "title": "text", "kind": "text", "report_date": "date", "link": "text"},
    key=("report_id",),
)
SENDINGS = Table(
    "reports_sendings",
    {
        "report_id": "uuid",
        "authority_id": "uuid",
        "sent_on": "date",
        "received_on": "date",
        "reply_due": "date",
    },
    key=("report_id", "authority_id"),
)
AUTHORITIES = Table(
    "reports_authorities", {"authority_id": "uuid", "name": "text"}, key=("authority_id",)
)


class ReportsView(View):
    name = "reports"
    tables: ClassVar[tuple[Table, ...]] = (REPORTS, SENDINGS, AUTHORITIES)

    @on(Report.Registered)
    def registered(self, fact: Fact, rows: Rows) -> None:
        rows.put(REPORTS, REPORTS.row_of(fact))

    @on(Report.SentToAuthority)
    def sent(self, fact: Fact, rows: Rows) -> None:
        data = fact.data
        rows.put(
            SENDINGS,
            {
                "report_id": str(fact.originator_id),
                "authority_id": data["authority_id"],
                "sent_on": data["sent_on"],
                "received_on": data.get("received_on"),
                "reply_due": data["reply_due"],
            },
        )

    @on(Authority.Registered, Authority.Renamed)
    def authority_named(self, fact: Fact, rows: Rows) -> None:
        rows.put(AUTHORITIES, AUTHORITIES.row_of(fact))


def report_sendings(conn: psycopg.Connection[Any], schema: str) -> dict[str, dict[str, Any]]:
    """Per report id: its date and its sendings (authority by name, sent, received and
    reply due), the sendings oldest first."""
    reports = fetch(
        conn,
        SQL("SELECT report_id, report_date FROM {0}.reports_reports").format(Identifier(schema)),
        [],
    )
    found: dict[str, dict[str, Any]] = {
        str(r["report_id"]): {"report_date": r["report_date"], "sendings": []} for r in reports
    }
    sendings = fetch(
        conn,
        SQL(
            "SELECT s.report_id, s.authority_id, a.name AS authority_name, s.sent_on, "
            "s.received_on, s.reply_due FROM {0}.reports_sendings s "
            "LEFT JOIN {0}.reports_authorities a ON a.authority_id = s.authority_id "
            "ORDER BY s.sent_on, a.name"
        ).format(Identifier(schema)),
        [],
    )
    for row in sendings:
        report = found.get(str(row.pop("report_id")))
        if report is not None:
            report["sendings"].append(row)
    return found
