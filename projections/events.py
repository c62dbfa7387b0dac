"""The domain's aggregates, as the views name the events they handle:
`@on(Recommendation.Issued)`, `LABELS[Recommendation.Issued]`.

The library makes an aggregate's event classes from its @event decorators when the
aggregate's module is imported, out of the type checker's sight. Typing the aggregates
as Any here says so once, rather than at every handler; a misspelt or renamed event
class is still an AttributeError at import, and tests/fast/test_event_classes.py
checks that every class the views name is one the domain stores.
"""

from __future__ import annotations

from typing import Any

from domain.authority import Authority as _Authority
from domain.place import Place as _Place
from domain.recommendation import Recommendation as _Recommendation
from domain.report import Report as _Report
from domain.task import Task as _Task
from domain.visit import Visit as _Visit

Authority: Any = _Authority
Place: Any = _Place
Recommendation: Any = _Recommendation
Report: Any = _Report
Task: Any = _Task
Visit: Any = _Visit
