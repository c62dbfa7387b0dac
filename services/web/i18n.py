"""The web UI's and the public register's languages: gettext catalogs (locale/<lang>.po,
edited with any PO editor; English is the msgid), read with Babel when the process starts
and served to the browser as JSON by language. No compile step: the .po files are the
catalogs.

`/i18n/<lang>.json` is public (the sign-in page and the register need it before anyone
signs in) and cacheable; `auto` picks the language from Accept-Language with Babel's
negotiation, for a client that has no navigator.language."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.messages.pofile import read_po
from fastapi import FastAPI, Header
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

LOCALE_DIR = Path(__file__).parent / "locale"
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


def negotiate(accept_language: str | None) -> str:
    wanted = [part.split(";")[0].strip() for part in (accept_language or "").split(",")]
    found = negotiate_locale([w.replace("-", "_") for w in wanted if w], list(LANGUAGES))
    return found or "en"


def mount_i18n(api: FastAPI) -> None:
    for lang in LANGUAGES:
        messages(lang)  # read at start: a broken catalog stops the process, not a page

    @api.get("/i18n/{lang}.json", include_in_schema=False)
    def catalog(
        lang: str = PathParam(pattern=r"^(auto|en|fr|es|ru)$"),
        accept_language: str | None = Header(default=None, alias="Accept-Language"),
    ) -> JSONResponse:
        chosen = negotiate(accept_language) if lang == "auto" else lang
        body: dict[str, Any] = {
            "lang": chosen,
            "name": Locale.parse(chosen).get_display_name(chosen),
            "messages": messages(chosen),
        }
        headers = {"Cache-Control": "public, max-age=3600"}
        if lang == "auto":
            headers = {"Cache-Control": "private, max-age=3600", "Vary": "Accept-Language"}
        return JSONResponse(body, headers=headers)
