"""The workbook written in a process of its own, its Extract rows taken while calc still streams them.

XlsxWriter's cell writing is most of a publication (a few µs a cell: 1.5–2 s for the demo's 15k claims × 23
columns), and the workbook used to start only after the last claim had arrived. One warm worker process per
publisher process now takes the rows as they stream (batched, sent by a thread so the stream never waits for the
workbook) and writes them into the Extract sheet; once the claims are all in, the rest of the workbook (Summary,
formulas, Findings …, which need the claim findings and the narrative) is written from the final context.
Same writer (workbook/workbook.WorkbookWriter), same writes in the same order: the same bytes as in-process (tested).
One publication at a time uses the worker; another publishing meanwhile writes its workbook in-process, as before.
`forkserver`, not `fork`: the publisher runs gRPC's threads, which a forked child must not inherit.
"""
from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kernel.errors import Internal
from runtime.lifeline import follow_spawning_process
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext

log = logging.getLogger(__name__)

BATCH_ROWS = 2_000  # rows per message: few enough messages, small enough to start writing early
FINISH_SECONDS = 1_200  # the rest of a workbook of up to LEAF_WORKBOOK_EXTRACT_MAX_ROWS rows; within the task's limit
_CONTEXT = multiprocessing.get_context("forkserver")


def _serve(conn: Connection) -> None:
    """The worker: open → rows … → finish (answers ("done", check) or ("failed", type name)), or abandon."""
    follow_spawning_process()  # its pipe ends at the publisher's end too; this also covers a worker busy writing
    from services.publisher.adapters.workbook.workbook import WorkbookWriter
    from services.publisher.domain.extract import row_of_cells

    writer: Any = None
    check, path, failed = ContractCheck(), "", ""
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        kind = message[0]
        try:
            if kind == "open":
                _, context, path = message
                check, failed = ContractCheck(), ""
                writer = WorkbookWriter(context, path, carry_rows=True, check=check)
            elif kind == "rows" and not failed:
                writer.add(map(row_of_cells, message[1]))
            elif kind == "finish":
                _, context, plan = message
                if failed:
                    conn.send(("failed", failed))
                    continue
                if not plan.carried:  # more rows than the workbook carries after all: it says where they are
                    writer.discard()
                    check = ContractCheck()
                    writer = WorkbookWriter(context, path, carry_rows=False, check=check)
                writer.finish(context, plan)
                writer = None
                conn.send(("done", check))
            elif kind == "abandon" and writer is not None:
                writer.discard()
                writer = None
        except Exception as exc:  # noqa: BLE001 - reported at finish; only the type: a message could quote a cell
            failed = type(exc).__name__
            if writer is not None:
                writer.discard()
                writer = None
            if kind == "finish":
                conn.send(("failed", failed))


class WorkbookJob:
    """One publication's workbook in the worker: called with each extract row's cells, then `finish` or `close`."""

    def __init__(self, owner: WorkbookProcess, conn: Connection) -> None:
        self._owner, self._conn = owner, conn
        self._batch: list[list[str]] = []
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send, name="workbook-rows", daemon=True)
        self._broken = ""
        self._done = False
        self._sender.start()

    def __call__(self, cells: list[str]) -> None:
        self._batch.append(cells)
        if len(self._batch) == BATCH_ROWS:
            self._outbox.put(("rows", self._batch))
            self._batch = []

    def finish(self, context: RunContext, extract: ExtractPlan) -> ContractCheck:
        """The rest of the workbook from the final context; what the contract found in it."""
        try:
            if self._batch:
                self._outbox.put(("rows", self._batch))
                self._batch = []
            self._drain(("finish", context, extract))
            if self._broken or not self._conn.poll(FINISH_SECONDS):
                raise self._failure(self._broken or "TimeoutError")
            status, answer = self._conn.recv()
            if status != "done":
                raise self._failure(answer)
            return answer
        except (EOFError, OSError) as exc:
            raise self._failure(type(exc).__name__) from None
        finally:
            self._done = True
            self._owner.release(healthy=not self._broken)

    def close(self) -> None:
        """Give the workbook up unless it was finished (the publication failed before it)."""
        if self._done:
            return
        self._done = True
        self._drain(("abandon",))
        self._owner.release(healthy=not self._broken)

    def _drain(self, last: tuple) -> None:
        self._outbox.put(last)
        self._outbox.put(None)
        self._sender.join()

    def _send(self) -> None:
        while (message := self._outbox.get()) is not None:
            if self._broken:
                continue
            try:
                self._conn.send(message)
            except (OSError, ValueError) as exc:  # the worker died: the job fails at finish
                self._broken = type(exc).__name__

    def _failure(self, what: str) -> Internal:
        self._broken = self._broken or what
        log.error("workbook worker failed", extra={"error": what})
        return Internal("workbook_failed", "the workbook could not be written; nothing was published")


class WorkbookProcess:
    """The warm worker (started on first use) and who holds it: one publication at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: Any = None

    def start(self, context: RunContext, path: Path) -> WorkbookJob | None:
        """A job writing `path` from `context`'s sheets on; None while another publication holds the worker."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            conn = self._worker()
            conn.send(("open", context, str(path)))
        except BaseException:
            self.release(healthy=False)
            raise
        return WorkbookJob(self, conn)

    def warm(self) -> None:
        with self._lock:
            self._worker()

    def release(self, *, healthy: bool) -> None:
        if not healthy:
            self._stop()
        self._lock.release()

    def _worker(self) -> Connection:
        if self._conn is None or not self._process.is_alive():
            self._stop()
            ours, theirs = _CONTEXT.Pipe()
            self._process = _CONTEXT.Process(target=_serve, args=(theirs,), name="leaf-workbook", daemon=True)
            self._process.start()
            theirs.close()
            self._conn = ours
        return self._conn

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._conn, self._process = None, None
