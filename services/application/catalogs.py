"""The gettext catalogs (services/web/locale/<lang>.po; English is the msgid) read for
every part that writes for a person: the web UI gets them as JSON (services/web/i18n.py),
the API says its sentences with them (services/api/language.py), and the e-mail
activities say the task titles of a digest in its recipient's language. Here, below
those edges, so that the workflows' activities may read them too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

from services.application.wording import fill

LOCALE_DIR = Path(__file__).parents[1] / "web" / "locale"
LANGUAGES = ("en", "fr", "es", "ru")
"""English first: the msgids themselves, and the answer when nothing else fits."""


@cache
def messages(lang: str) -> dict[str, str | list[str]]:
    """msgid (`key()`) -> translation (a list of plural forms for a plural entry); empty for
    English. Untranslated and fuzzy entries are left out, so the UI shows English."""
    if lang == "en":
        return {}
    with (LOCALE_DIR / f"{lang}.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    found: dict[str, str | list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = [str(s) for s in message.string or ()]
            if all(forms):
                found[str(message.id[0])] = forms
        elif message.string:
            found[key(str(message.id), message.context)] = str(message.string)
    return found


def key(msgid: str, context: str | None = None) -> str:
    """A catalog entry's key: the msgid, after its context and gettext's separator (EOT)
    when it has one (the same word may need another form beside another noun)."""
    return msgid if context is None else f"{context}\x04{msgid}"


@dataclass(frozen=True)
class Speech:
    """`services.application.wording.Say` in one language: the catalog's translation of
    the msgid (the English itself when it has none), its values filled in; days as the
    language writes them (English keeps ISO days, as the API's data does)."""

    language: str = "en"

    def __call__(self, msgid: str, /, **values: object) -> str:
        found = messages(self.language).get(msgid) if self.language in LANGUAGES else None
        text = found if isinstance(found, str) and found else msgid
        return fill(text, {name: self.value(v) for name, v in values.items()})

    def value(self, value: object) -> str:
        if isinstance(value, date) and self.language in LANGUAGES[1:]:
            return _day(value, self.language)
        return str(value)


@lru_cache(maxsize=4096)
def _day(day: date, language: str) -> str:
    # Babel takes about 50 us a date; a history names the same few days again and again.
    return format_date(day, format="medium", locale=language)
