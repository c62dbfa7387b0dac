"""`rectrack users ...` as an operator uses it: add a user with a role and a token that
then authenticates, grant another role, issue a second token, disable the user (every
token stops working); a mistake is reported on stderr and appends nothing."""

from __future__ import annotations

import re

import pytest

from domain.values import Role
from services.adapters.settings import Settings
from services.application.handlers.users import user_for_token
from services.application.store import Rectrack
from services.cli import main


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)


def tokens_in(text: str) -> list[str]:
    return re.findall(r"^(rt_\S+)$", text, flags=re.MULTILINE)


def test_add_grant_token_and_disable(app: Rectrack, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["users", "add", "carla", "--name", "Carla M.", "--role", "caseworker", "--token"])
        == 0
    )
    out = capsys.readouterr().out
    assert "created user carla" in out and "granted caseworker" in out
    (first,) = tokens_in(out)
    user = user_for_token(app, first)
    assert user is not None and user.username == "carla"
    assert user.roles == {Role.CASEWORKER}
    # Every change is an event whose actor is the operating-system user who ran it.
    assert all(
        e.meta.actor_id.startswith("cli:")  # type: ignore[attr-defined]
        for e in app.events.get(user.id)
    )

    assert main(["users", "grant", "carla", "compliance"]) == 0
    assert main(["users", "token", "carla"]) == 0
    (second,) = tokens_in(capsys.readouterr().out)
    granted = user_for_token(app, second)
    assert granted is not None and granted.roles == {Role.CASEWORKER, Role.COMPLIANCE}

    before = app.recorder.max_notification_id()
    assert main(["users", "grant", "nobody", "auditor"]) == 1
    assert "nobody" in capsys.readouterr().err
    assert app.recorder.max_notification_id() == before

    assert main(["users", "disable", "carla"]) == 0
    assert user_for_token(app, first) is None
    assert user_for_token(app, second) is None


def test_a_value_the_command_model_refuses_is_reported(
    app: Rectrack, capsys: pytest.CaptureFixture[str]
) -> None:
    before = app.recorder.max_notification_id()
    assert main(["users", "add", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rectrack users add: username: String should have at least 2")
    assert "Traceback" not in err
    assert app.recorder.max_notification_id() == before
