"""One worker-thread hop per request. FastAPI runs a plain `def` endpoint in a worker
thread, and then validates and serialises its answer in another hop, because it cannot
know that checking the answer is quick; every hop is a queue put, a thread wake-up and a
wake-up of the event loop, which under load cost more than the work of a small read
(`make bench-api`, profiled). Every router builds its routes with `OneHopRoute`: the
endpoint still runs in a worker thread, as one call, and the answer (a model this code
built) is checked on the event loop. Dependencies that only read the request are `async`
for the same reason (deps.py, lists.py, writes.py)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint as a coroutine that runs it in a worker thread; FastAPI reads the
    parameters from the original (functools.wraps keeps it as `__wrapped__`)."""

    @wraps(endpoint)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return call


def _plain_function(endpoint: Callable[..., Any]) -> bool:
    return not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )


class OneHopRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if _plain_function(endpoint):
            endpoint = in_worker_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)
