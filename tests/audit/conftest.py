from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_follows_capture() -> Iterator[None]:
    """`rectrack` commands bind structlog to the stderr of the moment; forget it after."""
    yield
    structlog.reset_defaults()
