"""How people sign in: password (and second factor), one-time links, web sessions.

The rules, in the order a sign-in meets them:
1. a username or a client address locked out after failed attempts is refused before
   its password is even checked (the lockout lives in PostgreSQL, so every API process
   counts the same attempts);
2. a wrong password, or a wrong second-factor code, counts a failure against both the
   username and the address; each lockout doubles the last (services/adapters/
   signin_store.py `Lockout`);
3. a user with a second factor must give its code; one whose role requires a second
   factor but has none is offered a secret to enrol, and signs in with its first code;
4. a success clears the username's count and opens a session.

Every change to a user (password set, second factor enabled) is a command through the
one executor, so it is an event on the user with who did it. Setting a password ends
the user's sessions. Time comes through `clock`, so tests move it instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog

from domain.errors import InvalidInput
from domain.passwords import check_password
from domain.user import User, user_id_for
from services.adapters.credentials import (
    new_totp_secret,
    totp_qr,
    totp_step,
    totp_uri,
    verify_password,
)
from services.adapters.settings import Settings
from services.adapters.signin_store import Lockout, Session, SignInStore
from services.application.commands.users import EnableTotp, SetPassword
from services.application.executor import Caller, Executor

log = structlog.get_logger("services.signin")

SIGN_IN_LINK = "sign-in"
RESET_LINK = "reset"


class SignInRefused(Exception):
    """Why a sign-in (or a link) was refused; `code` is stable for clients."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        enrol: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after
        self.enrol = enrol


@dataclass(frozen=True)
class SignInPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    per_user: Lockout = field(default_factory=lambda: Lockout(threshold=5))
    per_address: Lockout = field(default_factory=lambda: Lockout(threshold=20))
    totp_roles: frozenset[str] = frozenset()
    sign_in_link_ttl: timedelta = timedelta(minutes=15)
    reset_link_ttl: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInPolicy:
        base = float(settings.signin_lockout_seconds)
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
            per_user=Lockout(threshold=settings.signin_user_attempts, base_seconds=base),
            per_address=Lockout(threshold=settings.signin_address_attempts, base_seconds=base),
            totp_roles=settings.totp_roles,
            sign_in_link_ttl=timedelta(minutes=settings.signin_link_minutes),
            reset_link_ttl=timedelta(hours=settings.reset_link_hours),
        )


@dataclass(frozen=True)
class Opened:
    """A session just opened: its id (for the cookie only) and its CSRF token."""

    user: User
    session_id: str
    csrf_token: str


def _self(user: User) -> Caller:
    """A user acting on their own account (a reset, an enrolment)."""
    roles = sorted(role.value for role in user.roles)
    return Caller(str(user.id), roles[0] if roles else "user")


class SignIn:
    def __init__(
        self,
        executor: Executor,
        store: SignInStore,
        policy: SignInPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.executor = executor
        self.store = store
        self.policy = policy
        self.clock = clock

    # --- signing in ----------------------------------------------------------------------

    def sign_in(
        self,
        username: str,
        password: str,
        address: str,
        *,
        code: str | None = None,
        enrol_secret: str | None = None,
    ) -> Opened:
        name = username.strip().lower()
        keys = [f"user:{name}", f"address:{address}"]
        bound = log.bind(username=name, address=address)
        now = self.clock()
        until = self.store.locked_until(keys, now)
        if until is not None:
            bound.warning("sign-in refused: locked out", until=until.isoformat())
            raise self._locked(until, now)
        user = self.executor.store.find(User, user_id_for(name)) if name else None
        known = user is not None and not user.disabled
        if not verify_password(user.password_hash if known and user else None, password):
            self._failed(keys, now, bound, "wrong username or password")
            raise SignInRefused(
                "sign_in_failed", "the username or the password is wrong", field="password"
            )
        assert user is not None
        self._second_factor(user, keys, now, code, enrol_secret, bound)
        self.store.clear_failures(keys[0])
        bound.info("signed in", user_id=str(user.id))
        return self._open(user, "password")

    def _second_factor(
        self,
        user: User,
        keys: list[str],
        now: datetime,
        code: str | None,
        enrol_secret: str | None,
        bound: structlog.typing.FilteringBoundLogger,
    ) -> None:
        required = bool({role.value for role in user.roles} & self.policy.totp_roles)
        secret = user.totp_secret or (enrol_secret if required else None)
        if secret is None:
            if required:
                raise SignInRefused(
                    "totp_enrolment_required",
                    "your role requires a second factor: add this key to an authenticator "
                    "app, then sign in with its code",
                    field="code",
                    enrol=self.new_totp(user),
                )
            return
        if not code:
            raise SignInRefused(
                "totp_required", "enter the 6-digit code from your authenticator app", field="code"
            )
        step = totp_step(secret, code, now.timestamp())
        if step is None:
            self._failed(keys, now, bound, "wrong second-factor code")
            raise SignInRefused("totp_failed", "the code is wrong or too old", field="code")
        if not self.store.use_totp_step(user.id, step):
            self._failed(keys, now, bound, "second-factor code replayed")
            raise SignInRefused(
                "totp_failed", "this code was already used: wait for the next one", field="code"
            )
        if user.totp_secret is None:
            self.executor.execute(EnableTotp(secret=secret), _self(user), target_id=user.id)

    def _failed(
        self,
        keys: list[str],
        now: datetime,
        bound: structlog.typing.FilteringBoundLogger,
        why: str,
    ) -> None:
        until_user = self.store.record_failure(keys[0], self.policy.per_user, now)
        until_address = self.store.record_failure(keys[1], self.policy.per_address, now)
        bound.warning(
            "sign-in failed",
            why=why,
            locked_until=max(filter(None, (until_user, until_address)), default=None),
        )

    @staticmethod
    def _locked(until: datetime, now: datetime) -> SignInRefused:
        seconds = max(1, int((until - now).total_seconds() + 0.999))
        return SignInRefused(
            "locked_out",
            f"too many failed sign-ins: try again in {seconds} seconds",
            retry_after=seconds,
        )

    def _open(self, user: User, via: str) -> Opened:
        session_id, csrf = self.store.open_session(user.id, via, self.clock())
        return Opened(user, session_id, csrf)

    def open_for(self, user: User, via: str) -> Opened:
        """A session for a user the caller has authenticated (single sign-on)."""
        if user.disabled:
            raise SignInRefused("sign_in_failed", "this user is disabled")
        return self._open(user, via)

    # --- sessions ------------------------------------------------------------------------

    def session(self, session_id: str) -> tuple[User, Session] | None:
        """The signed-in user of a live session (touched), or None."""
        found = self.store.session(
            session_id, self.clock(), idle=self.policy.idle, absolute=self.policy.absolute
        )
        if found is None:
            return None
        user = self.executor.store.find(User, found.user_id)
        if user is None or user.disabled:
            self.store.end_session(session_id)
            return None
        return user, found

    def sign_out(self, session_id: str) -> None:
        self.store.end_session(session_id)

    def sign_out_everywhere(self, user_id: UUID) -> int:
        ended = self.store.end_sessions_of(user_id)
        log.info("signed out everywhere", user_id=str(user_id), sessions=ended)
        return ended

    # --- passwords, links, second factor ---------------------------------------------------

    def set_password(self, caller: Caller, user_id: UUID, password: str) -> None:
        """Set a password (the policy checked by the handler); the user's sessions end."""
        self.executor.execute(SetPassword(password=password), caller, target_id=user_id)  # type: ignore[arg-type]
        self.store.end_sessions_of(user_id)
        user = self.executor.store.get(User, user_id)
        self.store.clear_failures(f"user:{user.username}")

    def link(self, user_id: UUID, purpose: str) -> tuple[str, datetime]:
        """A one-time link's secret and when it expires (sign-in: minutes; reset: hours)."""
        policy = self.policy
        ttl = policy.sign_in_link_ttl if purpose == SIGN_IN_LINK else policy.reset_link_ttl
        now = self.clock()
        return self.store.issue_link(user_id, purpose, now, ttl), now + ttl

    def sign_in_with_link(
        self, token: str, *, code: str | None = None, enrol_secret: str | None = None
    ) -> Opened:
        """A one-time link stands for the password, not for the second factor: a user who
        has one (or whose role requires one) gives its code too, and the link is used up
        only when everything checks out, so a wrong code leaves it usable."""
        now = self.clock()
        user_id = self.store.link_user(token, SIGN_IN_LINK, now)
        user = self.executor.store.find(User, user_id) if user_id else None
        if user is None or user.disabled:
            raise SignInRefused(
                "link_invalid", "this sign-in link is unknown, used or expired", field="token"
            )
        keys = [f"user:{user.username}", "link"]
        bound = log.bind(username=user.username)
        until = self.store.locked_until(keys[:1], now)
        if until is not None:
            raise self._locked(until, now)
        self._second_factor(user, keys, now, code, enrol_secret, bound)
        if self.store.use_link(token, SIGN_IN_LINK, now) is None:  # used meanwhile
            raise SignInRefused(
                "link_invalid", "this sign-in link is unknown, used or expired", field="token"
            )
        log.info("signed in with a one-time link", user_id=str(user.id))
        return self._open(user, "link")

    def reset_password(self, token: str, password: str) -> User:
        """Set the password through a reset link, which is then used up. A password the
        policy refuses leaves the link unused, so the person can try another."""
        now = self.clock()
        user_id = self.store.link_user(token, RESET_LINK, now)
        user = self.executor.store.find(User, user_id) if user_id else None
        if user is None or user.disabled:
            raise SignInRefused(
                "link_invalid", "this reset link is unknown, used or expired", field="token"
            )
        check_password(password, username=user.username, display_name=user.display_name)
        if self.store.use_link(token, RESET_LINK, now) is None:  # the one use, atomically
            raise SignInRefused("link_invalid", "this reset link was used meanwhile", field="token")
        self.executor.execute(
            SetPassword(password=password),  # type: ignore[arg-type]
            _self(user),
            target_id=user.id,
        )
        self.store.end_sessions_of(user.id)
        self.store.clear_failures(f"user:{user.username}")
        return user

    def new_totp(self, user: User) -> dict[str, str]:
        """A fresh key to enrol: the key itself (to type in), its otpauth URI and the URI
        as a QR code (an SVG data URI) for an authenticator app's camera."""
        secret = new_totp_secret()
        uri = totp_uri(secret, user.username)
        return {"secret": secret, "uri": uri, "qr": totp_qr(uri)}

    def enable_totp(self, user: User, secret: str, code: str) -> None:
        step = totp_step(secret, code, self.clock().timestamp())
        if step is None:
            raise InvalidInput("code", "is wrong or too old: enter the code the app shows now")
        self.store.use_totp_step(user.id, step)
        self.executor.execute(EnableTotp(secret=secret), _self(user), target_id=user.id)
