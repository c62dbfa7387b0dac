"""How the server's own sentences (history lines, names of system actors) are written in
the reader's language without this layer knowing any language: each sentence is an
English gettext msgid with `{name}` placeholders, handed to a `Say` with its values. The
API passes one that reads the caller's catalog (services/api/language.py); `english`
fills the msgid as it is, for the CLI, the exports and the tests.

A msgid must be a string literal at the call, `say("...")`, so that
tests/fast/test_catalogs.py finds it and fails when a catalog lacks it."""

from __future__ import annotations

import re
from typing import Protocol

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Say(Protocol):
    def __call__(self, msgid: str, /, **values: object) -> str: ...


def fill(text: str, values: dict[str, str]) -> str:
    """`{name}` replaced by its value; a placeholder without one is left as it is (the same
    rule as the web UI's i18n.js)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def english(msgid: str, /, **values: object) -> str:
    return fill(msgid, {name: str(value) for name, value in values.items()})
