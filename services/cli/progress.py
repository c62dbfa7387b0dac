"""The progress line every long command (rebuild, replay, import) draws on stderr."""

from __future__ import annotations

import sys
import time


class Progress:
    """A one-line progress bar on stderr with a running rate."""

    def __init__(self, label: str, unit: str = "events") -> None:
        self.label, self.unit = label, unit
        self.started = time.perf_counter()
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self._last_draw < 0.2 and done < total:
            return
        self._last_draw = now
        rate = done / max(now - self.started, 1e-9)
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(
            f"\r{self.label:<24} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:,}/{total:,} {self.unit} {rate:,.0f}/s"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
