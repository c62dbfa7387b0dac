"""Settings from mounted files (`RECTRACK_<NAME>_FILE`) and empty variables as unset: the
way Kubernetes secrets and compose's `${VAR:-}` hand configuration to rectrack."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.adapters.settings import Settings


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"RECTRACK_{name.upper()}", raising=False)
        monkeypatch.delenv(f"RECTRACK_{name.upper()}_FILE", raising=False)
    monkeypatch.delenv("RECTRACK_SETTINGS_DIR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_every_setting_can_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = tmp_path / "url"
    url.write_text("postgresql://rectrack:s3cret@db.example:5432/rectrack?sslmode=verify-full\n")
    key = tmp_path / "key"
    key.write_text(base64.b64encode(bytes(32)).decode())
    pool = tmp_path / "pool"
    pool.write_text("7")
    settings = _settings(
        monkeypatch,
        RECTRACK_DATABASE_URL_FILE=str(url),
        RECTRACK_ENCRYPTION_KEY_FILE=str(key),
        RECTRACK_POOL_SIZE_FILE=str(pool),
    )
    # The trailing newline an editor or `kubectl create secret --from-file` leaves is gone.
    assert settings.database_url == (
        "postgresql://rectrack:s3cret@db.example:5432/rectrack?sslmode=verify-full"
    )
    assert settings.encryption_key is not None
    assert settings.encryption_key.get_secret_value() == base64.b64encode(bytes(32)).decode()
    assert settings.pool_size == 7  # typed like the variable itself


def test_a_variable_wins_over_its_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = tmp_path / "url"
    url.write_text("postgresql://a@b/c")
    settings = _settings(
        monkeypatch,
        RECTRACK_DATABASE_URL_FILE=str(url),
        RECTRACK_DATABASE_URL="postgresql://x@y/z",
    )
    assert settings.database_url == "postgresql://x@y/z"


def test_a_missing_file_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RECTRACK_DATABASE_URL_FILE: cannot read"):
        _settings(monkeypatch, RECTRACK_DATABASE_URL_FILE=str(tmp_path / "absent"))


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # compose passes `RECTRACK_ENCRYPTION_KEY: ${RECTRACK_ENCRYPTION_KEY:-}` as "".
    settings = _settings(monkeypatch, RECTRACK_ENCRYPTION_KEY="", RECTRACK_DATABASE_URL="")
    assert settings.encryption_key is None
    assert settings.database_url is None


def test_a_key_that_is_not_an_aes_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="encryption_key"):
        _settings(monkeypatch, RECTRACK_ENCRYPTION_KEY="not-a-key")


def test_temporal_client_certificate_needs_its_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="TEMPORAL_TLS_KEY_FILE go together"):
        _settings(monkeypatch, RECTRACK_TEMPORAL_TLS_CERT_FILE=str(tmp_path / "tls.crt"))
    settings = _settings(monkeypatch, RECTRACK_TEMPORAL_TLS_CA_FILE=str(tmp_path / "ca.crt"))
    assert settings.temporal_tls
    assert not _settings(monkeypatch).temporal_tls


def test_a_settings_folder_holds_one_file_per_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ConfigMap and a Secret projected into one folder, as deploy/k8s mounts them."""
    (tmp_path / "temporal_namespace").write_text("npm-fr\n")
    (tmp_path / "database_url").write_text("postgresql://from-folder@db/rectrack")
    url = tmp_path / "url"
    url.write_text("postgresql://from-file@db/rectrack")
    settings = _settings(
        monkeypatch,
        RECTRACK_SETTINGS_DIR=str(tmp_path),
        RECTRACK_DATABASE_URL_FILE=str(url),
        RECTRACK_TASK_QUEUE="from-variable",
    )
    assert settings.temporal_namespace == "npm-fr"
    assert settings.database_url == "postgresql://from-file@db/rectrack"  # file over folder
    assert settings.task_queue == "from-variable"
    (tmp_path / "task_queue").write_text("from-folder")
    assert _settings(monkeypatch, RECTRACK_SETTINGS_DIR=str(tmp_path)).task_queue == "from-folder"


def test_temporal_client_uses_the_mounted_certificates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from temporalio.client import TLSConfig

    from workflows.worker import temporal_tls

    for name in ("ca.crt", "tls.crt", "tls.key"):
        (tmp_path / name).write_bytes(f"PEM of {name}".encode())
    settings = _settings(
        monkeypatch,
        RECTRACK_TEMPORAL_TLS_CA_FILE=str(tmp_path / "ca.crt"),
        RECTRACK_TEMPORAL_TLS_CERT_FILE=str(tmp_path / "tls.crt"),
        RECTRACK_TEMPORAL_TLS_KEY_FILE=str(tmp_path / "tls.key"),
        RECTRACK_TEMPORAL_TLS_SERVER_NAME="temporal-frontend",
    )
    tls = temporal_tls(settings)
    assert isinstance(tls, TLSConfig)
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key, tls.domain) == (
        b"PEM of ca.crt",
        b"PEM of tls.crt",
        b"PEM of tls.key",
        "temporal-frontend",
    )
    assert temporal_tls(_settings(monkeypatch)) is False  # plain gRPC, as before
