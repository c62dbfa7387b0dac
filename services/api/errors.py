"""One error shape for every failure the API reports, so that a client (or a caseworker
reading a browser's network tab) always finds a stable `code`, a sentence, and, for bad
input, the field and the rule it broke. The sentence is in the caller's language
(services/api/language.py): each is a msgid of the catalogs with its values."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    ConcurrencyConflict,
    DomainError,
    FourEyesRule,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from services.api.field_labels import field_label
from services.api.language import language_of
from services.application.catalogs import Speech
from services.application.commands.base import RuleBroken
from services.application.wording import Say, english

log = structlog.get_logger(__name__)


class FieldProblem(BaseModel):
    field: str
    rule: str


class ErrorOut(BaseModel):
    code: str
    message: str
    field: str | None = None
    rule: str | None = None
    problems: list[FieldProblem] = []


class ApiError(Exception):
    """An error the API itself raises (authentication, permission, bad header).
    `message` is a msgid (a string literal, for the catalogs' test) with `{name}`
    placeholders for `values`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
        values: dict[str, object] | None = None,
    ) -> None:
        self.values = values or {}
        super().__init__(english(message, **self.values))
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.rule = rule
        self.headers = headers


def _body(
    code: str,
    message: str,
    field: str | None = None,
    rule: str | None = None,
    problems: list[FieldProblem] | None = None,
) -> dict[str, Any]:
    return ErrorOut(
        code=code, message=message, field=field, rule=rule, problems=problems or []
    ).model_dump()


def _field_name(loc: tuple[int | str, ...]) -> str:
    # Drop the "body"/"query"/"path" prefix FastAPI adds, keep the rest as a dotted path.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problems(errors: list[Any], say: Say = english) -> list[FieldProblem]:
    return [
        FieldProblem(field=_field_name(tuple(error.get("loc", ()))), rule=_rule(error, say))
        for error in errors
    ]


PYDANTIC_RULES: dict[str, tuple[str, str | None]] = {
    # pydantic's error type -> the rule's msgid and the ctx value its {limit} names
    "missing": ("Field required", None),
    "string_too_short": ("must have at least {count} characters", "min_length"),
    "string_too_long": ("must have at most {count} characters", "max_length"),
    "too_short": ("must have at least {count} items", "min_length"),
    "too_long": ("must have at most {count} items", "max_length"),
    "enum": ("must be one of: {allowed}", "expected"),
    "literal_error": ("must be one of: {allowed}", "expected"),
    "date_parsing": ("must be a date (YYYY-MM-DD)", None),
    "date_from_datetime_parsing": ("must be a date (YYYY-MM-DD)", None),
    "date_type": ("must be a date (YYYY-MM-DD)", None),
    "datetime_parsing": ("must be a date and time (ISO 8601)", None),
    "datetime_from_date_parsing": ("must be a date and time (ISO 8601)", None),
    "datetime_type": ("must be a date and time (ISO 8601)", None),
    "uuid_parsing": ("must be an id (UUID)", None),
    "uuid_type": ("must be an id (UUID)", None),
    "int_parsing": ("must be a whole number", None),
    "int_type": ("must be a whole number", None),
    "int_from_float": ("must be a whole number", None),
    "float_parsing": ("must be a number", None),
    "float_type": ("must be a number", None),
    "bool_parsing": ("must be true or false", None),
    "bool_type": ("must be true or false", None),
    "string_type": ("must be text", None),
    "list_type": ("must be a list", None),
    "dict_type": ("must be an object", None),
    "model_type": ("must be an object", None),
    "model_attributes_type": ("must be an object", None),
    "json_invalid": ("must be valid JSON", None),
    "string_pattern_mismatch": ("must match the pattern {pattern}", "pattern"),
    "greater_than": ("must be greater than {limit}", "gt"),
    "greater_than_equal": ("must be greater than or equal to {limit}", "ge"),
    "less_than": ("must be less than {limit}", "lt"),
    "less_than_equal": ("must be less than or equal to {limit}", "le"),
    "extra_forbidden": ("is not a field of this request", None),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _rule(error: dict[str, Any], say: Say) -> str:
    """pydantic's sentence in English (as before); in another language the catalog's, by
    the error's type with its limit, or a validator's RuleBroken as its msgid and values;
    pydantic's English for a type the table does not know."""
    english_rule = str(error.get("msg"))
    if not isinstance(say, Speech) or say.language == "en":
        return english_rule
    kind, ctx = str(error.get("type")), error.get("ctx") or {}
    if kind == "value_error":
        broken = ctx.get("error")
        if isinstance(broken, RuleBroken):
            return say(broken.rule_id, **_said_values(broken.values, say))
        return say(english_rule.removeprefix("Value error, "))
    if kind not in PYDANTIC_RULES:
        return english_rule
    msgid, limit = PYDANTIC_RULES[kind]
    names = _PLACEHOLDER.findall(msgid)
    return say(msgid, **{names[0]: ctx.get(limit)}) if names and limit else say(msgid)


def _said_values(values: dict[str, object], say: Say) -> dict[str, object]:
    # a domain value (an enum) as the catalog's words; the rest as it is (and all of them
    # in English, so its message stays the exception's own)
    if not isinstance(say, Speech) or say.language == "en":
        return values
    return {k: _words(v, say) if isinstance(v, Enum) else v for k, v in values.items()}


def _named(field: str, say: Say) -> str:
    """The field as a message names it: its label in the caller's language; English keeps
    the API's name, as its messages always have."""
    if not isinstance(say, Speech) or say.language == "en":
        return field
    return field_label(field, say)


def _words(value: object, say: Say) -> str:
    return say(str(value).replace("_", " "))


def domain_error_response(error: DomainError, say: Say = english) -> JSONResponse:
    """The domain's error as the caller reads it: the same sentence as the exception's in
    English, from its parts (the domain knows no language)."""
    if isinstance(error, FourEyesRule):
        message = say(
            "the four-eyes rule is in force: you drafted this recommendation, so someone "
            "else must {action} it",
            action=_words(error.action, say),
        )
        rule = say("four-eyes rule: the reviewer and the issuer must differ from the drafter")
        return JSONResponse(_body(error.code, message, rule=rule), status_code=403)
    if isinstance(error, InvalidInput):
        rule = say(error.rule_id, **_said_values(error.values, say))
        message = say("{field}: {rule}", field=_named(error.field, say), rule=rule)
        return JSONResponse(_body(error.code, message, error.field, rule), status_code=422)
    if isinstance(error, NotFound):
        message = say(
            "{kind} {id} does not exist", kind=_words(error.kind, say), id=error.aggregate_id
        )
        return JSONResponse(_body(error.code, message), status_code=404)
    if isinstance(error, IllegalTransition):
        allowed = ", ".join(_words(a, say) for a in error.allowed)
        message = say(
            "{kind} {id} is {status}: cannot {action}; allowed from {status}: {allowed}",
            kind=_words(error.kind, say),
            id=error.aggregate_id,
            status=_words(error.status, say),
            action=_words(error.action, say),
            allowed=allowed or say("nothing (it is final)"),
        )
        return JSONResponse(_body(error.code, message, rule=error.action), status_code=409)
    if isinstance(error, ConcurrencyConflict):
        message = say(
            "{kind} {id} was changed by another command ({detail}); nothing was stored: "
            "reload it and try again",
            kind=_words(error.kind, say),
            id=error.aggregate_id,
            detail=error.detail,
        )
        return JSONResponse(_body(error.code, message, field="If-Match"), status_code=409)
    return JSONResponse(_body(error.code, str(error)), status_code=422)


# What a client is told to wait before retrying when the database is down or busy.
DEFAULT_RETRY_AFTER_SECONDS = 5

# Errors that mean "the database is there but held this request up", as psycopg raises
# them: a lock or statement timeout. Anything else (a refused connection, no connection
# within the pool's timeout) is "unavailable".
_BUSY = (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled)


def database_error_response(
    error: BaseException, retry_after: int, say: Say = english
) -> JSONResponse:
    """503 with Retry-After for a database that is unavailable or busy: the request may
    be retried as it is. Never the exception's text, which names hosts and statements."""
    wrapped = isinstance(error, StoreOperationalError | StoreInterfaceError)
    cause = error.__cause__ if wrapped else error
    busy = isinstance(cause, _BUSY)
    if busy:
        code, message = (
            "database_busy",
            say(
                "the database is busy (a lock or a long query held this request up); "
                "nothing was changed: try again shortly"
            ),
        )
    else:
        code, message = (
            "database_unavailable",
            say("the database is unavailable; nothing was changed: try again shortly"),
        )
    return JSONResponse(
        _body(code, message), status_code=503, headers={"Retry-After": str(retry_after)}
    )


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document lists for the requested path. Starlette names
    only those of the one route it matched, when several routes share a path."""
    api: FastAPI = request.app
    path = request.url.path
    methods: set[str] = set()
    for template, operations in api.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods.update(m.upper() for m in operations)
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return domain_error_response(error, Speech(language_of(request)))

    async def on_api_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        message = Speech(language_of(request))(error.message, **error.values)
        return JSONResponse(
            _body(error.code, message, error.field, error.rule),
            status_code=error.status,
            headers=error.headers,
        )

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError | ValidationError)
        say = Speech(language_of(request))
        problems = validation_problems(list(error.errors()), say)
        first = problems[0] if problems else FieldProblem(field="body", rule=say("is invalid"))
        return JSONResponse(
            _body(
                "invalid_input",
                say("{field}: {rule}", field=_named(first.field, say), rule=first.rule),
                first.field,
                first.rule,
                problems,
            ),
            status_code=422,
        )

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400:
            # The framework's only 400 is a body it cannot parse: bad input like any other.
            return JSONResponse(
                _body("invalid_input", f"body: {error.detail}", "body", "must be valid JSON"),
                status_code=422,
            )
        codes = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthenticated",
            413: "request_too_large",
        }
        code = codes.get(error.status_code, "http_error")
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse(
            _body(code, str(error.detail)), status_code=error.status_code, headers=headers
        )

    async def on_database_error(request: Request, error: Exception) -> JSONResponse:
        log.warning("database unavailable or busy", error=repr(error)[:500])
        retry_after = getattr(request.app.state, "retry_after_seconds", None)
        say = Speech(language_of(request))
        return database_error_response(error, retry_after or DEFAULT_RETRY_AFTER_SECONDS, say)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            _body(
                "internal_error",
                Speech(language_of(request))("an unexpected error occurred; it has been logged"),
            ),
            status_code=500,
        )

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # psycopg's operational errors include the pool's timeout, lock and statement
    # timeouts and a refused connection; the store wraps them in its own.
    for database_error in (psycopg.OperationalError, StoreOperationalError, StoreInterfaceError):
        app.add_exception_handler(database_error, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)


# Declared on every route so the OpenAPI document says what each failure looks like.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "missing, malformed or unknown bearer token"},
    403: {"model": ErrorOut, "description": "the user's roles do not allow this"},
    404: {"model": ErrorOut, "description": "no such resource"},
    409: {"model": ErrorOut, "description": "illegal transition or version conflict"},
    413: {"model": ErrorOut, "description": "the request body is larger than the limit"},
    422: {"model": ErrorOut, "description": "bad input: names the field and the rule"},
    503: {
        "model": ErrorOut,
        "description": "the database is unavailable or busy (database_unavailable, "
        "database_busy): retry after the Retry-After header's seconds",
    },
}
