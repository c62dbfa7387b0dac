"""The password policy: what a password must be before its hash is recorded.

Long passwords beat clever rules (NIST SP 800-63B): at least 12 characters, no
composition rules, but never a common or breached-looking password (a small bundled
list, also with digits or symbols stuck on either end, digits alone, a repeated
character or a run of the keyboard) and never one that contains the username or the
person's name. Each refusal names the rule, so the person choosing knows what to change."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from domain.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; this bounds the work a request can ask for

_PADDING = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm")


@cache
def common_passwords() -> frozenset[str]:
    text = files("domain").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _looks_breached(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    core = _PADDING.sub("", lowered)
    if not core or lowered in common or core in common or lowered.replace(" ", "") in common:
        return True
    if len(set(lowered)) <= 3:  # "aaaaaaaaaaaa", "abababababab"
        return True
    return any(lowered in run or lowered in run[::-1] for run in _RUNS)


def check_password(password: str, *, username: str, display_name: str = "") -> None:
    """Raise InvalidInput naming the rule a password breaks; return if it keeps them all."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput("password", "must be at least {count} characters long", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise InvalidInput("password", "must be at most {count} characters long", count=MAX_LENGTH)
    if _looks_breached(password):
        raise InvalidInput(
            "password", "is a common password (or one with digits added): choose another"
        )
    lowered = password.lower()
    names = {username.lower(), *(part.lower() for part in display_name.split() if len(part) >= 3)}
    if any(name and name in lowered for name in names):
        raise InvalidInput("password", "must not contain your username or your name")
