"""Log files are private to their owner: 0600 in a 0700 folder, whatever the umask, and a
file left world-readable by an earlier version is narrowed when opened again."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from services.adapters.log_config import open_log_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_log_file_is_private_even_under_a_lax_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        path = tmp_path / "logs" / "api.log"
        with open_log_file(path) as log:
            log.write(b"line\n")
    finally:
        os.umask(previous)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_an_old_readable_log_file_is_narrowed_and_appended_to(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    path = folder / "worker.log"
    path.write_bytes(b"before\n")
    path.chmod(0o644)
    with open_log_file(path) as log:
        log.write(b"after\n")
    assert mode(path) == 0o600 and mode(folder) == 0o700
    assert path.read_bytes() == b"before\nafter\n"
