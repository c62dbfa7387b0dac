"""The lock files: every dependency pyproject.toml declares is pinned in them, at a
version its range allows, with hashes; the runtime lock agrees with the dev lock; and
`make install` re-installs when a lock changes (its stamp is computed over the lock)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)")


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    found = {
        canonicalize_name(m.group(1)): m.group(2) for m in map(PIN.match, text.splitlines()) if m
    }
    # Every pinned requirement is followed by at least one hash.
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 2)[2])
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"{lock}: no hash for {block.splitlines()[0]}"
    return found


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return runtime, dev


def test_every_runtime_dependency_is_locked_within_its_range() -> None:
    runtime, _ = declared()
    locked = pins("requirements.lock")
    for requirement in runtime:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: make deps-upgrade"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside {requirement.specifier}"
        )


def test_every_dev_dependency_is_locked_and_the_runtime_pins_agree() -> None:
    runtime, dev = declared()
    locked = pins("requirements-dev.lock")
    for requirement in [*runtime, *dev]:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements-dev.lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), name
    for name, version in pins("requirements.lock").items():
        assert locked.get(name) == version, (
            f"{name}: {version} at run time, {locked.get(name)} in dev"
        )


def test_make_install_follows_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = next(line for line in makefile.splitlines() if line.startswith("STAMP"))
    assert "requirements-dev.lock" in stamp
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "--no-deps -e ." in makefile
    assert "deps-upgrade:" in makefile
