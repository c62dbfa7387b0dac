"""How a write request becomes one command: the caller is the actor, the Idempotency-Key
header is the command id, If-Match is the expected version, and `?wait=true` holds the
answer until the views include the write (read-your-writes for a client that goes on to
list what it just changed)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import Header, Query, Request, Response
from pydantic import BaseModel, Field

from domain.values import EventMeta
from services.api.auth import Actor
from services.api.errors import ApiError
from services.application.commands.base import Command
from services.application.executor import CommandResult, execute
from services.application.runtime import Runtime


class CommandOut(BaseModel):
    id: UUID = Field(description="the aggregate the command created or changed")
    version: int = Field(description="its version afterwards: send it back as If-Match")
    notification_id: int | None = Field(description="position of the last event in the store's log")
    replayed: bool = Field(description="true when this Idempotency-Key was already applied")
    views_caught_up: bool | None = Field(
        default=None, description="with ?wait=true: whether the views include this write"
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A client-chosen key; a retry with the same key appends nothing "
        "and returns the first result.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description="The version the client last saw (the ETag); a mismatch is a 409.",
    ),
]
Wait = Annotated[
    bool,
    Query(description="wait (a few seconds at most) until the views include this write"),
]


@dataclass(frozen=True)
class WriteOptions:
    command_key: str | None
    expected_version: int | None
    wait: bool


def write_options(idempotency_key: IdempotencyKey = None, wait: Wait = False) -> WriteOptions:
    return WriteOptions(idempotency_key, None, wait)


_VERSION = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


def versioned_write_options(
    idempotency_key: IdempotencyKey = None, if_match: IfMatch = None, wait: Wait = False
) -> WriteOptions:
    expected: int | None = None
    if if_match is not None:
        found = _VERSION.match(if_match.strip())
        if found is None or int(found.group(1)) < 1:
            raise ApiError(
                422,
                "invalid_input",
                "If-Match: must be a version number (the ETag of the last read)",
                field="If-Match",
                rule="must be a version number",
            )
        expected = int(found.group(1))
    return WriteOptions(idempotency_key, expected, wait)


WAIT_TIMEOUT_SECONDS = 5.0


def run_command(
    request: Request,
    response: Response,
    actor: Actor,
    command: Command,
    options: WriteOptions,
    *,
    target_id: UUID | None = None,
) -> CommandOut:
    runtime: Runtime = request.app.state.runtime
    result = execute(
        runtime.app,
        command,
        actor_id=actor.actor_id,
        actor_role=actor.role.value,
        command_id=command_id(actor, options.command_key),
        today=date.today(),
        target_id=target_id,
        expected_version=options.expected_version,
    )
    return command_out(request, response, result, wait=options.wait)


def command_id(actor: Actor, key: str | None) -> str:
    """The command id of a write: the caller's Idempotency-Key, scoped to the caller so
    two users choosing the same key never collide; a fresh id without one."""
    return f"{actor.principal.user_id}:{key}" if key else str(uuid.uuid4())


def command_meta(actor: Actor, key: str | None, reason: str | None = None) -> EventMeta:
    """The EventMeta of a write made through the API today (for the routes that call the
    application directly rather than through a command model)."""
    return EventMeta(
        actor_id=actor.actor_id,
        actor_role=actor.role.value,
        business_date=date.today(),
        command_id=command_id(actor, key),
        reason=reason,
    )


def command_out(
    request: Request, response: Response, result: CommandResult, *, wait: bool = False
) -> CommandOut:
    """The answer to a write: ETag, and with `wait` the views' catching up."""
    caught_up: bool | None = None
    if wait and result.notification_id is not None:
        runtime: Runtime = request.app.state.runtime
        caught_up = wait_for_views(runtime, result.notification_id)
    response.headers["ETag"] = f'"{result.version}"'
    return CommandOut(
        id=result.aggregate_id,
        version=result.version,
        notification_id=result.notification_id,
        replayed=result.replayed,
        views_caught_up=caught_up,
    )


def wait_for_views(runtime: Runtime, notification_id: int) -> bool:
    from projections.catchup import wait_until_caught_up

    try:
        wait_until_caught_up(
            runtime.database_url,
            runtime.settings.database_schema,
            notification_id,
            timeout=WAIT_TIMEOUT_SECONDS,
        )
    except TimeoutError:
        return False
    return True
