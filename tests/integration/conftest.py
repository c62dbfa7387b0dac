"""Fixtures of the spreadsheet tests (import, reading, identity, export): a registry the
import finds by name, and the CLI pointed at the test's schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.values import PlaceType
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.application.commands.registry import RegisterPlace
from services.application.store import Rectrack
from tests.builders import Commander, authority


@pytest.fixture
def world(
    app: Rectrack, run: Commander, settings: Settings, database_url: str, cli_environment: None
) -> Iterator[Rectrack]:
    """An authority and a place, registered and visible in the status view (the import
    finds them by name there), and the CLI pointed at this test's schema."""
    authority_id = authority(run)
    result = run(
        RegisterPlace(
            name="Nordhafen Prison",
            place_type=PlaceType.PRISON,
            region=None,
            authority_id=authority_id,
        )
    )
    projector = Projector(settings, database_url, names=["status"])
    projector.start()
    try:
        assert result.notification_id is not None
        wait_until_caught_up(
            database_url,
            settings.database_schema,
            result.notification_id,
            timeout=30,
            names=["status"],
        )
    finally:
        projector.stop()
    yield app


@pytest.fixture
def cli_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("RECTRACK_DATA_DIR", str(settings.data_dir))
