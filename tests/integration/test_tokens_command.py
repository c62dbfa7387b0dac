"""`rectrack users tokens list|create|revoke`: a machine's token is created with a scope and
an expiry, listed (tokens from before scopes are named as such), and revoked; a token
longer than the maximum is refused on stderr and appends nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from domain.tokens import TokenScope
from domain.user import User, user_id_for
from services.adapters.settings import Settings
from services.application.handlers.users import user_for_token
from services.application.store import Rectrack
from services.cli import main


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)


def test_create_list_and_revoke_a_scoped_token(
    app: Rectrack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "exporter", "--role", "compliance"]) == 0
    capsys.readouterr()
    assert main(["users", "tokens", "create", "exporter", "--scope", "read", "--days", "30"]) == 0
    out = capsys.readouterr().out
    expires = (date.today() + timedelta(days=30)).isoformat()
    assert f"scope read, expires on {expires}" in out
    (token,) = re.findall(r"^(rt_\S+)$", out, flags=re.MULTILINE)
    token_id = re.search(r"token id (\S+),", out).group(1)  # type: ignore[union-attr]
    user = user_for_token(app, token)
    assert user is not None and user.tokens[token_id].scope is TokenScope.READ

    assert main(["users", "tokens", "list", "exporter"]) == 0
    listed = capsys.readouterr().out
    assert f"{token_id} (cli): scope read, expires on {expires}" in listed

    assert main(["users", "tokens", "revoke", "exporter", token_id]) == 0
    assert "no longer works" in capsys.readouterr().out
    assert user_for_token(app, token) is None
    assert main(["users", "tokens", "list", "exporter"]) == 0
    assert "has no live token" in capsys.readouterr().out


def test_a_token_beyond_the_maximum_is_refused(
    app: Rectrack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTRACK_TOKEN_MAX_DAYS", "60")
    assert main(["users", "add", "bot"]) == 0
    version = app.get(User, user_id_for("bot")).version
    capsys.readouterr()
    assert main(["users", "tokens", "create", "bot", "--days", "61"]) == 1
    err = capsys.readouterr().err
    assert "days" in err and "at most 60" in err
    assert app.get(User, user_id_for("bot")).version == version
