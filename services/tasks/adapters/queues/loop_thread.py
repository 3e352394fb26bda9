"""An asyncio loop on a thread of its own, so the synchronous queue contract can drive an asyncio client while the
client keeps its connection alive (heartbeats, lease expiry) between the caller's calls."""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def _log_failure(done: Future) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("background queue call failed (%s)", type(done.exception()).__name__)


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run it without waiting; a failure is logged (what it did is redone by the queue's redelivery)."""
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).add_done_callback(_log_failure)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()
