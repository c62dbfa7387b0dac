"""The web UI: the pages caseworkers (inbox, one form per action), compliance staff
(overdue lists, statistics) and auditors (the full history, the state on a past date)
work in.

It is a static client of the public API under /api/v1 and nothing more: it can do only
what the API lets the same user do, every action it takes is an ordinary command (with an
Idempotency-Key, so a double click appends once, and If-Match, so an edit made on a stale
page is refused), and the pick-lists come from the OpenAPI document, so the UI never
carries a second copy of the domain's vocabularies."""

from services.web.routes import mount_web_ui

__all__ = ["mount_web_ui"]
