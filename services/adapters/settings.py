"""All configuration, from environment variables prefixed RECTRACK_ (and a .env file).

Any setting can instead come from a file named by `RECTRACK_<NAME>_FILE` (Kubernetes and
Docker mount secrets as files, so a password need never sit in the environment), or from
a file named after the setting (`database_url`) in the folder `RECTRACK_SETTINGS_DIR`
(a mounted ConfigMap or Secret). A variable wins over its file, and a file over the
folder. An empty variable counts as unset, as compose's `${VAR:-}` produces one."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from domain.letters import Letterhead

ENV_PREFIX = "RECTRACK_"
FILE_SUFFIX = "_FILE"
SETTINGS_DIR = "RECTRACK_SETTINGS_DIR"


class FileSettingsSource(PydanticBaseSettingsSource):
    """`RECTRACK_<NAME>_FILE=/path`: the setting's value is the file's content, without
    its trailing newline. Generic over the fields, so a setting added later is covered.
    Placed after the environment's source: a variable set as well wins (`rectrack up`
    hands its children the resolved values while they inherit the `_FILE` variables)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"{ENV_PREFIX}{field_name.upper()}{FILE_SUFFIX}"
        path = os.environ.get(variable, "")
        if not path:
            folder = os.environ.get(SETTINGS_DIR, "")
            candidate = Path(folder) / field_name if folder else None
            # A mounted ConfigMap's entries are symbolic links; a folder named like a
            # setting is not a value.
            if candidate is None or not candidate.is_file():
                return None, field_name, False
            return candidate.read_text(encoding="utf-8").rstrip("\r\n"), field_name, False
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"{variable}: cannot read {path}: {error.strerror}") from error
        return content.rstrip("\r\n"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", env_ignore_empty=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            FileSettingsSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

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
    temporal_tls_ca_file: Path | None = Field(
        default=None,
        description="CA bundle that signed the Temporal frontend's certificate; set (or a "
        "client certificate set) to connect with TLS.",
    )
    temporal_tls_cert_file: Path | None = Field(
        default=None, description="Client certificate (PEM) for Temporal's mTLS"
    )
    temporal_tls_key_file: Path | None = Field(
        default=None, description="Client certificate's private key (PEM) for Temporal's mTLS"
    )
    temporal_tls_server_name: str | None = Field(
        default=None, description="The name the frontend's certificate is checked against"
    )
    task_queue: str = "rectrack"
    # 300: with 10,000 obligations due at one instant the worker peaks at 205-245 MB
    # (1,000 runs cached: ~334 MB); a run out of the cache is replayed from its history,
    # about a fifth more CPU per escalation in such a burst (NOTES, "Runs of 2026-12-02").
    workflow_cache: int = Field(
        default=300,
        ge=2,
        le=100_000,
        description="Deadline workflows the worker keeps in memory between their steps "
        "(Temporal's max_cached_workflows): more saves replays, each costs memory.",
    )
    worker_malloc_arena_max: int = Field(
        default=2,
        ge=0,
        le=1024,
        description="glibc malloc arenas in the worker (mallopt M_ARENA_MAX; 0: glibc's "
        "default, 8 per core): fewer arenas keep less freed memory after a burst.",
    )
    worker_malloc_mmap_threshold: int = Field(
        default=65536,
        ge=0,
        le=32 * 1024 * 1024,
        description="Bytes from which the worker's allocations are mapped on their own and "
        "unmapped when freed (mallopt M_MMAP_THRESHOLD; 0: glibc's dynamic threshold).",
    )
    worker_malloc_trim_seconds: float = Field(
        default=0,
        ge=0,
        le=3600,
        description="Period at which the worker hands its free heap pages back to the "
        "kernel (malloc_trim); 0: never.",
    )
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

    token_default_days: int = Field(
        default=90, ge=1, le=3650, description="An API token's life when none is asked for."
    )
    token_max_days: int = Field(
        default=365, ge=1, le=3650, description="The longest life an API token may be given."
    )
    trust_proxy_headers: bool = Field(
        default=False,
        description="Believe X-Forwarded-Proto from the proxy in front of the API (for HSTS "
        "behind a TLS-terminating proxy); leave off when clients reach the API directly.",
    )
    # The letterhead of the NPM's letters (domain/letters.py). Multi-line values come
    # best from a file (RECTRACK_LETTERHEAD_ADDRESS_FILE); "\n" in a variable also breaks
    # the line.
    letterhead_name: str = Field(
        default="National Preventive Mechanism", min_length=1, max_length=300
    )
    letterhead_address: str = Field(default="", max_length=1000, description="several lines")
    letterhead_signatory: str = Field(default="", max_length=300)
    letterhead_signatory_title: str = Field(default="", max_length=300)
    letterhead_place: str = Field(
        default="", max_length=100, description="the town letters are dated in"
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
    stats_refresh_seconds: float = Field(
        default=60,
        ge=0,
        le=86400,
        description="How often the projector rebuilds the statistics cells when the views "
        "have moved on (0: never; statistics are then read from the views themselves).",
    )
    stats_max_age_seconds: float = Field(
        default=0,
        ge=0,
        le=86400,
        description="How old the statistics cells may be for an API answer. 0 (the "
        "default): only current cells, else the answer is computed from the views, so a "
        "figure never lags a write; more trades that for speed while writes come in.",
    )
    audit_checkpoint_minutes: int = Field(
        default=60, ge=0, le=10080, description="the worker's checkpoint interval; 0: none"
    )

    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint that receives OpenTelemetry traces (e.g. "
        "http://otel-collector:4318/v1/traces); unset: no tracing.",
    )
    health_host: str = Field(
        default="127.0.0.1",
        description="Where the worker, relay and projector serve /healthz, /readyz and "
        "/metrics (0.0.0.0 in a container, for the kubelet and Prometheus).",
    )
    health_port: int = Field(
        default=9100,
        ge=0,
        le=65500,
        description="The worker's health port; the relay uses the next, the projector the "
        "one after, `rectrack up` the fourth (0: no endpoint).",
    )
    shutdown_grace_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="On SIGTERM, how long readiness answers 503 before the process stops "
        "taking work (so a load balancer sends no new requests first).",
    )

    projector_page_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="The live projector applies up to this many events of the log per "
        "transaction (with the view's tracking row), when that many are waiting.",
    )

    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    document_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="The largest evidence document accepted (a larger upload is a 413).",
    )
    register_max_age_seconds: int = Field(
        default=300,
        ge=0,
        le=86400,
        description="How long browsers and proxies may keep the public register's answers.",
    )

    # E-mail (issue #14): off while smtp_host is unset.
    smtp_host: str | None = Field(
        default=None, description="SMTP server for letters and digests; unset: no e-mail."
    )
    smtp_port: int = Field(
        default=0, ge=0, le=65535, description="0: 587 for starttls, 465 for ssl, 25 for none"
    )
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="STARTTLS on a plain connection, TLS from the start, or none",
    )
    smtp_user: str | None = None
    smtp_password: SecretStr | None = Field(
        default=None, description="with RECTRACK_SMTP_PASSWORD_FILE for a mounted secret"
    )
    smtp_from: str = Field(
        default="rectrack@localhost", description="The From address of every e-mail"
    )
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    digest_daily_hour: int = Field(
        default=6, ge=-1, le=23, description="UTC hour of caseworkers' daily digest; -1: none"
    )
    digest_weekly_day: int = Field(
        default=0, ge=0, le=6, description="Weekday of compliance staff's digest (0: Monday)"
    )
    digest_weekly_hour: int = Field(
        default=6, ge=-1, le=23, description="UTC hour of the weekly digest; -1: none"
    )
    digest_horizon_days: int = Field(
        default=7, ge=0, le=90, description="The daily digest lists tasks due within this"
    )
    public_url: str | None = Field(
        default=None,
        description="The web UI's address as its users reach it, for links in e-mails",
    )

    @property
    def letterhead(self) -> Letterhead:
        def lines(value: str) -> str:
            return value.replace("\\n", "\n").strip()

        return Letterhead(
            name=lines(self.letterhead_name),
            address=lines(self.letterhead_address),
            signatory=lines(self.letterhead_signatory),
            signatory_title=lines(self.letterhead_signatory_title),
            place=lines(self.letterhead_place),
        )

    # --- signing in (services/application/signin.py) --------------------------------------
    session_idle_minutes: int = Field(
        default=30, ge=1, le=7 * 24 * 60, description="A web session unused this long ends."
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="A web session ends this long after sign-in."
    )
    signin_user_attempts: int = Field(
        default=5, ge=1, le=1000, description="Failed sign-ins for one username before a lockout."
    )
    signin_address_attempts: int = Field(
        default=20, ge=1, le=10000, description="Failed sign-ins from one address before a lockout."
    )
    signin_lockout_seconds: int = Field(
        default=30, ge=1, le=3600, description="The first lockout; it doubles at every failure."
    )
    totp_required_roles: str = Field(
        default="",
        pattern=r"^[a-z_, ]*$",
        description="Roles whose holders must use a second factor (TOTP), comma-separated.",
    )
    signin_link_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long `rectrack up`'s sign-in link works."
    )
    reset_link_hours: int = Field(
        default=24, ge=1, le=24 * 14, description="How long a password-reset link works."
    )
    oidc_issuer: str | None = Field(
        default=None, description="The organisation's OpenID Connect provider (its issuer URL)."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_groups_claim: str = Field(default="groups", description="The claim that lists groups.")
    oidc_role_map: str = Field(
        default="",
        description="Provider groups to roles, e.g. 'npm-staff=caseworker,npm-admins=admin'.",
    )

    @property
    def totp_roles(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.totp_required_roles.split(",") if r.strip())

    @property
    def oidc_roles(self) -> dict[str, str]:
        pairs = (item.partition("=") for item in self.oidc_role_map.split(",") if "=" in item)
        return {group.strip(): role.strip() for group, _, role in pairs}

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "audit" / "signing.key"

    @property
    def checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.data_dir / "audit" / "checkpoints.jsonl"

    @property
    def temporal_tls(self) -> bool:
        return any(
            (self.temporal_tls_ca_file, self.temporal_tls_cert_file, self.temporal_tls_key_file)
        )

    @field_validator("encryption_key")
    @classmethod
    def _an_aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None:
            return None
        try:
            raw = base64.b64decode(key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) not in (16, 24, 32):
            raise ValueError(
                "RECTRACK_ENCRYPTION_KEY must be base64 of 16, 24 or 32 bytes "
                "(e.g. `openssl rand -base64 32`)"
            )
        return key

    @model_validator(mode="after")
    def _one_tls_pair(self) -> Settings:
        if (self.temporal_tls_cert_file is None) != (self.temporal_tls_key_file is None):
            raise ValueError(
                "RECTRACK_TEMPORAL_TLS_CERT_FILE and RECTRACK_TEMPORAL_TLS_KEY_FILE go together"
            )
        return self

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
