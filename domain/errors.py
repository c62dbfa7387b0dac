"""Errors the domain raises. Each names what was wrong so that a caseworker (or the API's
JSON error body) can act on it without reading a stack trace."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID


class DomainError(Exception):
    """Base of every error a command can be rejected with. `code` is stable for clients."""

    code = "domain_error"


class InvalidInput(DomainError):
    """A value breaks a rule: names the field and the rule. A rule with values names them
    as `{name}` placeholders (`rule_id`, the edges' msgid) filled in `rule`."""

    code = "invalid_input"

    def __init__(self, field: str, rule: str, **values: object) -> None:
        self.field = field
        self.rule_id = rule
        self.values = values
        self.rule = rule.format(**values) if values else rule
        super().__init__(f"{field}: {self.rule}")


class IllegalTransition(DomainError):
    """An action is not allowed from the aggregate's current status."""

    code = "illegal_transition"

    def __init__(
        self, kind: str, aggregate_id: UUID, status: str, action: str, allowed: Iterable[str]
    ) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.status = status
        self.action = action
        self.allowed = sorted(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "nothing (it is final)"
        super().__init__(
            f"{kind} {aggregate_id} is {status}: cannot {action.replace('_', ' ')}; "
            f"allowed from {status}: {allowed_text}"
        )


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, kind: str, aggregate_id: object) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        super().__init__(f"{kind} {aggregate_id} does not exist")


class ConcurrencyConflict(DomainError):
    """Another command changed the aggregate first; nothing of this command was stored."""

    code = "conflict"

    def __init__(self, kind: str, aggregate_id: object, detail: str) -> None:
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.detail = detail
        super().__init__(
            f"{kind} {aggregate_id} was changed by another command ({detail}); "
            "nothing was stored: reload it and try again"
        )


class FourEyesRule(DomainError):
    """The four-eyes rule (RECTRACK_FOUR_EYES): a recommendation is reviewed and issued by
    someone other than the person who drafted it."""

    code = "four_eyes_rule"
    rule = "four-eyes rule: the reviewer and the issuer must differ from the drafter"

    def __init__(self, action: str, drafted_by: str) -> None:
        self.action = action
        self.drafted_by = drafted_by
        super().__init__(
            f"the four-eyes rule is in force: you drafted this recommendation, so someone "
            f"else must {action} it"
        )
