"""The password policy (domain/passwords.py): each refusal names the rule (fast)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.passwords import check_password
from services.adapters.credentials import hash_password, verify_password


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1!", "at least 12 characters"),
        ("password1234", "common password"),
        ("Password!2026", "common password"),
        ("qwertyuiop12", "common password"),
        ("aaaaaaaaaaaaaa", "common password"),
        ("abcdefghijklm", "common password"),
        ("1234567890123", "common password"),
        ("correct horse battery staple", "common password"),
        ("carla.mendes-2026!", "username or your name"),
        ("i am Mendes from the NPM", "username or your name"),
    ],
)
def test_a_weak_password_is_refused_naming_the_rule(password: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, username="carla.mendes", display_name="Carla Mendes")
    assert refused.value.field == "password"
    assert rule in refused.value.rule


@pytest.mark.parametrize(
    "password", ["amber-lantern-orbit-7731", "Tea at five by the river", "x7#Kq!2mP@9wLz"]
)
def test_a_long_uncommon_password_passes(password: str) -> None:
    check_password(password, username="carla", display_name="Carla Mendes")


def test_only_the_argon2id_hash_is_kept_and_it_verifies() -> None:
    hashed = hash_password("amber-lantern-orbit-7731")
    assert hashed.startswith("$argon2id$") and "amber" not in hashed
    assert verify_password(hashed, "amber-lantern-orbit-7731")
    assert not verify_password(hashed, "amber-lantern-orbit-7732")
    assert not verify_password(None, "amber-lantern-orbit-7731")
