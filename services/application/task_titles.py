"""The titles the deadline workflows give their tasks, as the caller reads them. A task's
title is stored as the workflow wrote it, in English, in the `Task.Opened` event; the
forms below are those titles as msgids, so the stored text is read back into its msgid and
values and said again in the caller's language. A title of another form (a person's own,
or one a later workflow writes) is shown as stored.

The forms follow what the events hold, not the workflow code of the day: a title stored
by an older workflow keeps being read as long as its form is here."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from services.application.wording import Say

FORMS = (
    "Verify implementation: plan a follow-up visit or request evidence (agreed for {agreed})",
    "{action} to {addressee} (level {level}): implementation agreed for {agreed} not verified",
    "{action} to {addressee} (level {level}): {count} recommendation(s) unanswered since {due}",
    "The letter to {authority} could not be delivered: {reason}",
)
"""msgids of the workflows' titles (workflows/implementation.py, workflows/obligation.py,
workflows/mail.py)."""

_DAYS = frozenset({"agreed", "due"})
_NUMBERS = frozenset({"level", "count"})


def _pattern(form: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", form)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        elif part in _DAYS:
            out.append(rf"(?P<{part}>\d{{4}}-\d{{2}}-\d{{2}})")
        elif part in _NUMBERS:
            out.append(rf"(?P<{part}>\d+)")
        else:
            out.append(rf"(?P<{part}>.+?)")
    return re.compile("^" + "".join(out) + "$")


_PATTERNS = tuple((form, _pattern(form)) for form in FORMS)


def _value(name: str, value: str, say: Say) -> object:
    if name in _DAYS:
        return date.fromisoformat(value)
    # a ladder's action is a word ("letter", "reminder"); its addressee is the NPM's own
    return say(value) if name == "action" else value


def title_in(say: Say) -> Callable[[str], str]:
    """A task's stored title -> the same title said by `say`."""

    def title(stored: str) -> str:
        for form, pattern in _PATTERNS:
            found = pattern.match(stored)
            if found:
                values: dict[str, object] = {
                    name: _value(name, value, say) for name, value in found.groupdict().items()
                }
                return say(form, **values)
        return stored

    return title
