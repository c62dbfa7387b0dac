"""One error shape for every failure the API reports, so that a client (or a caseworker
reading a browser's network tab) always finds a stable `code`, a sentence, and, for bad
input, the field and the rule it broke."""

from __future__ import annotations

import re
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
    """An error the API itself raises (authentication, permission, bad header)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
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


def validation_problems(errors: list[Any]) -> list[FieldProblem]:
    return [
        FieldProblem(field=_field_name(tuple(error.get("loc", ()))), rule=str(error.get("msg")))
        for error in errors
    ]


def domain_error_response(error: DomainError) -> JSONResponse:
    if isinstance(error, FourEyesRule):
        return JSONResponse(_body(error.code, str(error), rule=error.rule), status_code=403)
    if isinstance(error, InvalidInput):
        return JSONResponse(_body(error.code, str(error), error.field, error.rule), status_code=422)
    if isinstance(error, NotFound):
        return JSONResponse(_body(error.code, str(error)), status_code=404)
    if isinstance(error, IllegalTransition):
        return JSONResponse(_body(error.code, str(error), rule=error.action), status_code=409)
    if isinstance(error, ConcurrencyConflict):
        return JSONResponse(_body(error.code, str(error), field="If-Match"), status_code=409)
    return JSONResponse(_body(error.code, str(error)), status_code=422)


# What a client is told to wait before retrying when the database is down or busy.
DEFAULT_RETRY_AFTER_SECONDS = 5

# Errors that mean "the database is there but held this request up", as psycopg raises
# them: a lock or statement timeout. Anything else (a refused connection, no connection
# within the pool's timeout) is "unavailable".
_BUSY = (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled)


def database_error_response(error: BaseException, retry_after: int) -> JSONResponse:
    """503 with Retry-After for a database that is unavailable or busy: the request may
    be retried as it is. Never the exception's text, which names hosts and statements."""
    wrapped = isinstance(error, StoreOperationalError | StoreInterfaceError)
    cause = error.__cause__ if wrapped else error
    busy = isinstance(cause, _BUSY)
    if busy:
        code, message = (
            "database_busy",
            "the database is busy (a lock or a long query held this request up); nothing "
            "was changed: try again shortly",
        )
    else:
        code, message = (
            "database_unavailable",
            "the database is unavailable; nothing was changed: try again shortly",
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
        return domain_error_response(error)

    async def on_api_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiError)
        return JSONResponse(
            _body(error.code, error.message, error.field, error.rule),
            status_code=error.status,
            headers=error.headers,
        )

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError | ValidationError)
        problems = validation_problems(list(error.errors()))
        first = problems[0] if problems else FieldProblem(field="body", rule="is invalid")
        return JSONResponse(
            _body(
                "invalid_input",
                f"{first.field}: {first.rule}",
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
        return database_error_response(error, retry_after or DEFAULT_RETRY_AFTER_SECONDS)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            _body("internal_error", "an unexpected error occurred; it has been logged"),
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
