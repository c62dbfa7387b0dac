"""All configuration, from environment variables prefixed RECTRACK_ (and a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTRACK_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: rectrack starts an embedded PostgreSQL in data_dir.",
    )
    database_owner_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the role that owns the tables: creates and migrates "
        "them and grants the processes' role (that of database_url) its rights. The "
        "processes never use it.",
    )
    data_dir: Path = Field(
        default=Path("data"), description="Embedded database and Temporal state."
    )
    database_schema: str = Field(default="public", pattern=r"^[a-z_][a-z0-9_]{0,40}$")
    encryption_key: SecretStr | None = Field(
        default=None, description="Base64 AES key (16, 24 or 32 bytes): encrypts events at rest."
    )
    pool_size: int = Field(default=5, ge=1, le=100)
    pool_max_overflow: int = Field(default=10, ge=0, le=200)
    pool_timeout_seconds: int = Field(default=5, ge=1, le=120)
    lock_timeout_seconds: int = Field(default=5, ge=1, le=120)
    idle_in_transaction_timeout_seconds: int = Field(default=10, ge=1, le=3600)
    statement_timeout_seconds: int = Field(default=60, ge=1, le=86400)

    temporal_address: str | None = Field(
        default=None,
        description="host:port of a Temporal frontend. Unset: `up` starts a dev server.",
    )
    temporal_namespace: str = "default"
    task_queue: str = "rectrack"
    reminder_days_before_due: int = Field(default=7, ge=0, le=365)
    reconcile_minutes: int = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description="How often the worker's Temporal schedule reconciles the deadline "
        "workflows with the record (`rectrack workflows reconcile`); 0: no schedule.",
    )
    four_eyes: bool = Field(
        default=False,
        description="The four-eyes rule: a recommendation is reviewed and issued by someone "
        "other than the person who drafted it.",
    )

    reference_prefix: str = Field(
        default="NPM",
        pattern=r"^[A-Z][A-Z0-9]{0,11}$",
        description="Recommendations' references: <prefix>-<year>-<sequence>, e.g. NPM-2024-0123.",
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes")
    max_request_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="The largest request body the API reads; a larger one is refused (413).",
    )
    retry_after_seconds: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="What a 503 (database unavailable or busy) tells a client to wait.",
    )
    temporal_dev_port: int = Field(
        default=7233, ge=1, le=65535, description="`up`: the Temporal dev server's gRPC port"
    )
    stack_start_timeout_seconds: float = Field(
        default=120.0, gt=0, description="`up`: how long each part may take to become ready"
    )

    audit_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 key that signs tree heads; keep it outside the database "
        "(default: data_dir/audit/signing.key).",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Append-only file of signed tree heads, outside the database "
        "(default: data_dir/audit/checkpoints.jsonl).",
    )
    audit_checkpoint_minutes: int = Field(
        default=60, ge=0, le=10080, description="the worker's checkpoint interval; 0: none"
    )

    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit" / "signing.key"

    @property
    def checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit" / "checkpoints.jsonl"

    @model_validator(mode="after")
    def _two_connections_at_least(self) -> Settings:
        # Creating the tables on start holds a lock on one connection while it works on
        # another (services/adapters/table_creation.py).
        if self.pool_size + self.pool_max_overflow < 2:
            raise ValueError(
                "pool_size + pool_max_overflow must be at least 2 (RECTRACK_POOL_SIZE, "
                "RECTRACK_POOL_MAX_OVERFLOW)"
            )
        return self
