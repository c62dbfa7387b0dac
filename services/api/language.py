"""The caller's language for the sentences the server writes (history lines, task titles,
error messages, who wrote a letter): the profile's language when the user chose one,
else the request's Accept-Language (the web UI sends its own language there). The
sentences are English msgids of the web UI's gettext catalogs (services/web/locale), so one
catalog per language holds everything a reader sees; stored and projected data keep the
msgid and its values, never a translation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel.dates import format_date
from fastapi import Request

from services.application.wording import fill
from services.web.i18n import LANGUAGES, messages, negotiate


def language_of(request: Request) -> str:
    """The signed-in user's chosen language (set by deps.authenticated), else the one
    Accept-Language asks for, else English."""
    chosen = getattr(request.state, "language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    return negotiate(request.headers.get("accept-language"))


@dataclass(frozen=True)
class Speech:
    """`services.application.wording.Say` in one language: the catalog's translation of
    the msgid (the English itself when it has none), its values filled in; days as the
    language writes them (English keeps ISO days, as the API's data does)."""

    language: str = "en"

    def __call__(self, msgid: str, /, **values: object) -> str:
        found = messages(self.language).get(msgid)
        text = found if isinstance(found, str) and found else msgid
        return fill(text, {name: self.value(v) for name, v in values.items()})

    def value(self, value: object) -> str:
        if isinstance(value, date) and self.language != "en":
            return _day(value, self.language)
        return str(value)


@lru_cache(maxsize=4096)
def _day(day: date, language: str) -> str:
    # Babel takes about 50 us a date; a history names the same few days again and again.
    return format_date(day, format="medium", locale=language)
