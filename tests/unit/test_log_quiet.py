"""`up --demo` drops the demo's line per command (services/adapters/log_config.py
`warnings_only`): info lines vanish while it is open, warnings still show, and info
lines come back after it."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from services.adapters.log_config import configure_logging, warnings_only
from services.adapters.settings import Settings


def test_info_lines_are_dropped_only_while_open(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging(Settings(log_format="json", log_level="info"))
    log = structlog.get_logger("demo")
    with warnings_only():
        log.info("command applied", n=1)
        log.warning("command refused", n=2)
    log.info("command applied", n=3)
    lines = out.getvalue().splitlines()
    assert [line for line in lines if '"n": 1' in line] == []
    assert any('"n": 2' in line for line in lines)
    assert any('"n": 3' in line for line in lines)
