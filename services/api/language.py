"""The caller's language for the sentences the server writes (history lines, task titles,
error messages, who wrote a letter): the profile's language when the user chose one,
else the request's Accept-Language (the web UI sends its own language there). The
sentences are English msgids of the web UI's gettext catalogs (services/web/locale), so one
catalog per language holds everything a reader sees; stored and projected data keep the
msgid and its values, never a translation."""

from __future__ import annotations

from fastapi import Request

from services.web.i18n import LANGUAGES, negotiate


def language_of(request: Request) -> str:
    """The signed-in user's chosen language (set by deps.authenticated), else the one
    Accept-Language asks for, else English."""
    chosen = getattr(request.state, "language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    return negotiate(request.headers.get("accept-language"))
