"""The event store's pipelined transaction, kept in step with the server on every path.

Two faults of psycopg 3.3.9's pipeline mode meet the store's insert transaction:

- `Pipeline.sync` can stall a large batch: its `pipeline_communicate` (C and Python
  alike) stops writing once its command queue is empty even when libpq still holds
  unsent bytes (`PQflush` returned 1), then waits only for the socket to become
  readable. A batch larger than the kernel's socket buffers, queued while the server
  waits for the events table's lock and so reads nothing, leaves such bytes behind: the
  server waits for the rest of the batch (`ClientRead`), the client for results that
  never come (issues #12, #13, #16; tests/integration/test_batched_writes.py).
- On an error it raises at the first failed result it has read, leaving the rest of the
  results (the aborted statements', the Sync's) unread. Whatever exits the block next
  reads them instead: the error the caller sees is then a `PipelineAborted` or, when
  the transaction was left by an exception from outside psycopg (Temporal cancels a
  thread's activity by raising in it, at any bytecode), a result matched to the wrong
  statement: `InternalError: unexpected result status from query: PIPELINE_SYNC`. And a
  block that swallowed the error ended its transaction with a COMMIT (an interrupted
  batch was stored; a failed one the server rolled back), so psycopg kept its
  prepared-statement cache, which a Parse skipped by the abort had made wrong
  ("prepared statement _pg3_2 does not exist" on the connection's next use).

`sync_pipeline` reads every result up to its Sync before it raises the first error, the
one the statement would raise outside a pipeline; `pipelined_transaction` lets that
error leave the transaction (psycopg rolls back and clears its statement cache) and
closes a connection it cannot vouch for, so that the pool never lends it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import Connection, Cursor, Pipeline
from psycopg.abc import PQGen
from psycopg.generators import send
from psycopg.pq import ConnStatus, PipelineStatus, TransactionStatus
from psycopg.rows import DictRow


class PipelineOutOfStep(psycopg.InternalError):
    """The results read did not match the statements sent: the connection is unusable."""


def sync_pipeline(conn: Connection[Any], pipeline: Pipeline) -> None:
    """`pipeline.sync()`, except that everything queued is sent before the results are
    awaited, and that every result up to the Sync is read before the first error is
    raised.

    Uses psycopg's private `_enqueue_sync`, `_communicate_gen` and `_fetch_gen` (checked
    against psycopg 3.3.9: drop this once psycopg flushes and drains there itself)."""

    def gen() -> PQGen[None]:
        first: psycopg.Error | None = None
        pipeline._enqueue_sync()
        try:
            # Sends the whole queue; raises, once it has matched what it read, at the
            # first failed statement among those results.
            yield from pipeline._communicate_gen()
        except psycopg.Error as error:
            if conn.pgconn.status == ConnStatus.BAD:
                raise
            first = error
        # Flush until libpq's buffer is empty (psycopg's own `send` reads while it waits,
        # so the server is never blocked writing): the stall's fix.
        yield from send(conn.pgconn)
        try:
            # Everything sent and a Sync among it: each queued result arrives, so one
            # pass reads them all (aborted statements' and the Sync's included).
            yield from pipeline._fetch_gen(flush=False)
        except psycopg.Error as error:
            first = first or error
        if pipeline.result_queue:
            raise PipelineOutOfStep(
                f"{len(pipeline.result_queue)} results never came after the pipeline's sync"
            ) from first
        if first is not None:
            raise first

    with conn.lock:
        conn.wait(gen())


@contextmanager
def pipelined_transaction(conn: Connection[DictRow]) -> Iterator[tuple[Pipeline, Cursor[DictRow]]]:
    """A transaction in pipeline mode and a cursor in it. An exception leaves it as it
    came (no error is swallowed into a commit); the connection is closed, so that the
    pool replaces it, unless the exception is a database error and the connection is
    back out of pipeline mode and out of any transaction."""
    try:
        with conn.pipeline() as pipeline, conn.transaction(), conn.cursor() as curs:
            yield pipeline, curs
    except BaseException as error:
        if not _reusable(conn, error):
            conn.close()
        raise


def _reusable(conn: Connection[Any], error: BaseException) -> bool:
    # Anything but a database error may have stopped psycopg between reading a result and
    # matching it to its statement; the state then looks clean and is not.
    # A client-side error (no SQLSTATE: `PipelineAborted`, `PipelineOutOfStep`, a result
    # of the wrong kind) says the same.
    return (
        isinstance(error, psycopg.Error)
        and error.sqlstate is not None
        and not conn.closed
        and conn.pgconn.pipeline_status == PipelineStatus.OFF
        and conn.pgconn.transaction_status == TransactionStatus.IDLE
    )
