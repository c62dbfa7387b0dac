"""The web UI's and the public register's languages: gettext catalogs (locale/<lang>.po,
edited with any PO editor; English is the msgid), read with Babel when the process starts
and served to the browser as JSON by language (services/application/catalogs.py reads
them, for the API and the e-mails too). No compile step: the .po files are the
catalogs.

`/i18n/<lang>.json` is public (the sign-in page and the register need it before anyone
signs in) and cacheable; `auto` picks the language from Accept-Language with Babel's
negotiation, for a client that has no navigator.language."""

from __future__ import annotations

from typing import Any

from babel import Locale, negotiate_locale
from fastapi import FastAPI, Header
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from services.application.catalogs import LANGUAGES, LOCALE_DIR, key, messages

__all__ = ["LANGUAGES", "LOCALE_DIR", "key", "messages", "mount_i18n", "negotiate"]


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
