"""Every string the translated web modules look up (t("..."), tn("...", "..."), and
data-i18n in their pages) is in every catalog, translated, with the same placeholders;
plural entries have as many forms as the language has. A string added to one of these
modules without its translations fails here (fast: reads files only).

The modules translated so far are listed in TRANSLATED; a module joins the list when its
strings go through t()."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.web.i18n import LANGUAGES, LOCALE_DIR, key, messages, negotiate

STATIC = Path(__file__).parents[2] / "services" / "web" / "static"
TRANSLATED = (
    "core.js",
    "inbox.js",
    "register.js",
    "i18n.js",
    "download.js",
    "index.html",
    "register.html",
    "origin.js",
    "contact.js",
    "letters.js",
    "report.js",
    "profile.js",
    "login.js",
    "draft.js",
    "place.js",
    "list.js",
    "authority.js",
    "charts.js",
    "stats.js",
    "forms.js",
    "detail.js",
    "app.js",
    "registry.js",
    "evidence.js",
)

_T = re.compile(r'\bt\(\s*"((?:[^"\\]|\\.)*)"')
_TN = re.compile(r'\btn\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"')
_PT = re.compile(r'\bpt\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"')
_DATA = re.compile(r'data-i18n="([^"]*)"')
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def looked_up() -> tuple[set[str], dict[str, str]]:
    """(the single strings, the plural ones: singular -> plural) of TRANSLATED; a string
    with a context (pt()) is there by its catalog key."""
    single: set[str] = set()
    plural: dict[str, str] = {}
    for name in TRANSLATED:
        text = (STATIC / name).read_text(encoding="utf-8")
        single |= set(_T.findall(text)) | set(_DATA.findall(text))
        single |= {key(msgid, context) for context, msgid in _PT.findall(text)}
        plural.update(_TN.findall(text))
    return single, plural


def test_the_extraction_finds_the_modules_strings() -> None:
    single, plural = looked_up()
    assert {"Inbox", "Task given to {name}.", "Public register of recommendations"} <= single
    assert plural["{count} task"] == "{count} tasks"
    assert len(single) > 80
    assert key("any", "authority") in single and key("any", "status") in single


def test_any_agrees_with_its_filters_noun_in_french() -> None:
    french = messages("fr")
    assert (french[key("any", "authority")], french[key("any", "status")]) == ("toutes", "tous")


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_string_is_translated_in_every_catalog(lang: str) -> None:
    single, plural = looked_up()
    with (LOCALE_DIR / f"{lang}.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    found = messages(lang)
    missing = sorted(s for s in single | set(plural) if s not in found)
    assert not missing, f"{lang}.po lacks: {missing}"
    for english in single:
        translated = found[english]
        assert isinstance(translated, str), english
        assert set(_PLACEHOLDER.findall(translated)) == set(_PLACEHOLDER.findall(english)), (
            lang,
            english,
        )
    for one in plural:
        forms = found[one]
        assert isinstance(forms, list) and len(forms) == catalog.num_plurals, (lang, one)
        assert all("{count}" in form for form in forms), (lang, one)


def test_the_language_follows_accept_language() -> None:
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert negotiate("ru") == "ru"
    assert negotiate("es-419,es;q=0.9") == "es"
    assert negotiate("de-DE, it") == "en"
    assert negotiate(None) == "en"
