"""Hashing passwords and checking second-factor codes.

argon2id with OWASP's recommended minimum (19 MiB, two passes, one lane) makes each guess
at a stolen hash cost memory and time, while a sign-in stays at about 20 ms on one core
(argon2-cffi's default, 64 MiB and four lanes, took 140 ms on the quiet two-core test
machine and over a second while other tests shared it). A sign-in for a user who has no
password still runs one verification against a fixed hash, so the answer's timing does not
tell which usernames exist.
TOTP (RFC 6238, 30-second steps, one step of clock drift either way) through pyotp."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@cache
def _decoy() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; False (after the same work) when there is no hash."""
    try:
        return _HASHER.verify(password_hash or _decoy(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def totp_uri(secret: str, username: str, issuer: str = "rectrack") -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_qr(uri: str) -> str:
    """The otpauth URI as a QR code, an SVG data URI a page can show as an image."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4))


def totp_step(secret: str, code: str, at: float) -> int | None:
    """The 30-second step whose code this is (now, or one step either side), or None. The
    caller refuses a step already used, so a code seen over a shoulder cannot be replayed."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = at + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(totp.timecode(datetime.fromtimestamp(moment, UTC)))
    return None


def verify_totp(secret: str, code: str, at: float | None = None) -> bool:
    moment = datetime.now(UTC).timestamp() if at is None else at
    return totp_step(secret, code, moment) is not None


def totp_now(secret: str, at: float | None = None) -> str:
    """The current code (for tests and the demo; people read it from their app)."""
    totp = pyotp.TOTP(secret)
    return totp.at(at) if at is not None else totp.now()
