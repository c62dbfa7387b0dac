"""The rules of ending a recommendation (withdrawn, closed): the public methods, which
check and raise. Their events stay in domain/recommendation.py, where their topics have
always been, so stored events load as before (as domain/recommendation_decisions.py)."""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.values import EventMeta as Meta


class Ending:
    """Mixed into Recommendation, which defines what these call."""

    def _require(self, action: str) -> None:
        raise NotImplementedError

    def _withdraw(self, meta: Meta) -> None:
        raise NotImplementedError

    def _close(self, meta: Meta) -> None:
        raise NotImplementedError

    def withdraw(self, meta: Meta) -> None:
        self._require("withdraw")
        if not (meta.reason and meta.reason.strip()):
            raise InvalidInput("reason", "a withdrawal must say why")
        self._withdraw(meta)

    def close(self, meta: Meta) -> None:
        self._require("close")
        if not (meta.reason and meta.reason.strip()):
            raise InvalidInput("reason", "a closure must say why")
        self._close(meta)
