"""How a write request becomes one command: the caller is the actor, the Idempotency-Key
header is the command id, If-Match is the expected version, and `?wait=true` holds the
answer until the views include the write (read-your-writes for a client that goes on to
list what it just changed)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Query, Response
from pydantic import BaseModel, Field

from domain.errors import InvalidInput
from services.api.auth import Ability, Actor
from services.api.deps import RuntimeDep, require
from services.api.errors import ApiError
from services.application.commands.base import Command
from services.application.executor import Caller, CommandIdReused, CommandResult
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


async def write_options(idempotency_key: IdempotencyKey = None, wait: Wait = False) -> WriteOptions:
    return WriteOptions(idempotency_key, None, wait)


_VERSION = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


async def versioned_write_options(
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


async def key_options(idempotency_key: IdempotencyKey = None) -> WriteOptions:
    """Idempotency-Key alone (the user routes neither take If-Match nor wait for views)."""
    return WriteOptions(idempotency_key, None, False)


@dataclass(frozen=True)
class Write:
    """One write request as a route receives it: the caller, in the role that allowed the
    route, the options its headers gave, the runtime to run it on, and the response whose
    headers the answer sets."""

    actor: Actor
    options: WriteOptions
    runtime: Runtime
    response: Response


def writer(
    ability: Ability, options: Callable[..., Awaitable[WriteOptions]] = versioned_write_options
) -> Callable[..., Awaitable[Write]]:
    """A dependency: the Write of a caller allowed `ability` (else 401/403, before the
    body is looked at), with the options `options` reads from the request."""

    async def dependency(
        runtime: RuntimeDep,
        response: Response,
        actor: Actor = Depends(require(ability)),
        given: WriteOptions = Depends(options),
    ) -> Write:
        return Write(actor, given, runtime, response)

    dependency.__name__ = f"write_{ability.value}"
    return dependency


WAIT_TIMEOUT_SECONDS = 5.0


def execute_command(
    write: Write, command: Command, *, target_id: UUID | None = None
) -> CommandResult:
    """The one way a route changes the record: the command through the executor, as the
    caller, with the Idempotency-Key as its command id and If-Match as the version the
    target must be at. Without If-Match, a write that loses a race to another is run again
    on the new state by the executor; a key reused for a different request is a 422."""
    actor = write.actor
    try:
        return write.runtime.executor.execute(
            command,
            Caller(actor.actor_id, actor.role.value),
            command_id=command_id(actor, write.options.command_key),
            target_id=target_id,
            expected_version=write.options.expected_version,
        )
    except CommandIdReused as error:
        raise InvalidInput("Idempotency-Key", error.rule) from None


def run_command(write: Write, command: Command, *, target_id: UUID | None = None) -> CommandOut:
    """Run a command and answer with what it did."""
    return command_out(write, execute_command(write, command, target_id=target_id))


def command_id(actor: Actor, key: str | None) -> str:
    """The command id of a write: the caller's Idempotency-Key, scoped to the caller so
    two users choosing the same key never collide; a fresh id without one."""
    return f"{actor.principal.user_id}:{key}" if key else str(uuid.uuid4())


def command_out(write: Write, result: CommandResult) -> CommandOut:
    """The answer to a write: ETag, and with `?wait=true` the views' catching up."""
    caught_up: bool | None = None
    if write.options.wait and result.notification_id is not None:
        caught_up = wait_for_views(write.runtime, result.notification_id)
    write.response.headers["ETag"] = f'"{result.version}"'
    return CommandOut(
        id=result.aggregate_id,
        version=result.version,
        notification_id=result.notification_id,
        replayed=result.replayed,
        views_caught_up=caught_up,
    )


def wait_for_views(runtime: Runtime, notification_id: int) -> bool:
    from projections.engine.catchup import wait_until_caught_up

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
