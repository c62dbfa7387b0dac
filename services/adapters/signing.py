"""The Ed25519 key that signs tree heads. It lives in a file outside the database (PEM,
readable by its owner only); its public half is 32 bytes, written as base64 text.

Keys rotate: `rotate_key` retires the key (renamed beside it, for the operator to keep
offline or destroy) and makes a new one that signs from then on. The public keys file
beside the key (`<key>.pub`) keeps every public key ever used, one a line, oldest first,
so heads signed before a rotation still verify; each head names its key by key_id()."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(ValueError):
    """A key that cannot be read: names the file or text and what is wrong."""


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key(path: Path) -> Ed25519PrivateKey:
    """A new key in `path` (refuses to overwrite one), its public half in `path`.pub."""
    if path.exists():
        raise SigningKeyError(f"{path} already exists; keep it, or move it away first")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    # Appended: the keys of earlier heads stay (a rotation keeps them verifiable).
    with open(public_keys_path(path), "a") as out:
        out.write(public_text(key.public_key()) + "\n")
    return key


def public_keys_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub")


def rotate_key(path: Path) -> tuple[Ed25519PrivateKey, Path]:
    """A new key in `path`; the old one moved to `<path>.<its key id>.retired`, returned
    with the new key. The public keys file keeps both public halves."""
    old = load_private_key(path).public_key()
    pubs = public_keys_path(path)
    if not pubs.exists() or public_text(old) not in pubs.read_text():
        with open(pubs, "a") as out:  # a key file made before the public keys file
            out.write(public_text(old) + "\n")
    retired = path.with_name(f"{path.name}.{key_id(old)}.retired")
    os.rename(path, retired)
    return generate_key(path), retired


def known_public_keys(key_path: Path) -> list[Ed25519PublicKey]:
    """Every public key in the public keys file beside the key, and the key's own."""
    keys = (
        load_public_keys(str(public_keys_path(key_path)))
        if public_keys_path(key_path).exists()
        else []
    )
    if key_path.exists():
        own = load_private_key(key_path).public_key()
        if key_id(own) not in {key_id(k) for k in keys}:
            keys.append(own)
    return keys


def ensure_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The key in `path`, made on first use; (key, whether it was just made)."""
    if path.exists():
        return load_private_key(path), False
    return generate_key(path), True


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(
            f"no signing key at {path} (make one: rectrack audit keygen)"
        ) from None
    except ValueError as error:
        raise SigningKeyError(f"{path} is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a key that is not Ed25519")
    return key


def load_public_key(text_or_path: str) -> Ed25519PublicKey:
    """A public key given as base64 text of its 32 bytes, or a file holding that text (or
    a PEM public key)."""
    text = text_or_path.strip()
    path = Path(text)
    if len(text) < 200 and path.is_file():
        data = path.read_bytes()
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise SigningKeyError(f"{path} holds a key that is not Ed25519")
            return key
        text = data.decode("ascii", "replace").strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError(
            "public key must be base64 of 32 bytes, or a file holding it"
        ) from None
    if len(raw) != 32:
        raise SigningKeyError(f"public key must be 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_keys(text_or_path: str) -> list[Ed25519PublicKey]:
    """One key (as load_public_key takes it), or a keys file: one base64 key a line
    (blank lines and lines starting with # ignored)."""
    text = text_or_path.strip()
    path = Path(text)
    if len(text) < 1000 and path.is_file():
        data = path.read_text("ascii", "replace")
        lines = [line.strip() for line in data.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        if len(lines) > 1 and not data.startswith("-----BEGIN"):
            keys = []
            for number, line in enumerate(lines, start=1):
                try:
                    keys.append(load_public_key(line))
                except SigningKeyError as error:
                    raise SigningKeyError(f"{path} line {number}: {error}") from None
            return keys
    return [load_public_key(text)]


def is_valid(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
