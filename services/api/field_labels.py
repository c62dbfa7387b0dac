"""A field as its reader knows it: an error message in French names "Nouvelle échéance",
not `new_due`. The labels are the web UI's own where it has one (the same msgids, so the
catalogs say them the same way on the form and in its error). The error body's `field`
stays the API's name, for clients; English messages keep it too, as they always have."""

from __future__ import annotations

import re

from services.application.wording import Say

FIELD_LABELS: dict[str, str] = {
    "action": "Action",
    "addressee": "Addressed to",
    "agreed_implementation_date": "Agreed implementation date",
    "assessed_on": "Assessed on",
    "assignee": "Assigned to",
    "authority_id": "Authority",
    "criteria": "Double-SMART review",
    "current_password": "Current password",
    "day": "Day",
    "days": "Days",
    "description": "Description",
    "detention_practices": "Detention practices",
    "display_name": "Name",
    "document": "Document",
    "due_on": "Due",
    "earlier_id": "Repeats",
    "effective_from": "In force from",
    "email": "E-mail",
    "end_date": "End date",
    "escalation_ladder": "Escalation",
    "expires_on": "Expires on",
    "external_id": "Id in the source",
    "file": "File",
    "filename": "File name",
    "issued_on": "Issued on",
    "jurisdiction": "Jurisdiction (country code)",
    "key": "Key",
    "keywords": "Keywords",
    "kind": "Kind",
    "language": "Language",
    "level": "Level",
    "link": "Link",
    "media_type": "Type",
    "name": "Name",
    "new_due": "New due date",
    "non_implementation_reason": "If not implemented, why",
    "note": "Note",
    "notes": "Notes",
    "origin": "Origin",
    "outcome": "Outcome",
    "password": "Password",
    "place_id": "Place",
    "place_type": "Place type",
    "position": "Position",
    "postal_address": "Postal address",
    "problem_natures": "Nature of the problem",
    "reason": "Reason",
    "received_on": "Received on",
    "recommendation_ids": "Recommendations",
    "recommending_bodies": "Recommended by",
    "region": "Region",
    "reply_due": "Reply due",
    "reply_period_days": "Reply period (days)",
    "report_date": "Report date",
    "report_id": "Report",
    "role": "Role",
    "sdgs": "Sustainable Development Goals",
    "send_to": "Send to",
    "sent_on": "Sent on",
    "session": "Session",
    "sha256": "Checksum (SHA-256)",
    "since": "Since",
    "size": "Size",
    "source": "Source",
    "start_date": "Start date",
    "state": "State",
    "status": "Status",
    "subject": "Subject",
    "summary": "Summary",
    "tags": "Tags",
    "text": "Text",
    "themes": "Themes",
    "title": "Title",
    "totp": "One-time code",
    "urgent_period_days": "Urgent reply period (days)",
    "urgent_reply_period_days": "Urgent reply period (days)",
    "username": "Username",
    "verification_method": "How it was verified",
    "verified_on": "Verified on",
    "visit_id": "Visit",
    "visit_ids": "Visits",
    "vulnerable_groups": "Vulnerable groups",
    "wait_days": "Days to wait",
    "year_from": "From year",
    "year_to": "To year",
}
"""The API's field name -> the label's msgid. A field without one is said as it is named
(a query parameter or header a client set, not a person at a form)."""

_PART = re.compile(r"[A-Za-z_]+")


def field_label(field: str, say: Say) -> str:
    """The label of a field, or of the innermost named part of a path
    (`escalation_ladder[0].wait_days`, `visit_ids.1`); the name itself when it has none."""
    parts = _PART.findall(field)
    label = FIELD_LABELS.get(parts[-1]) if parts else None
    return say(label) if label else field
