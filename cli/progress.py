"""Progress on long work, on stderr, only when a person is watching."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.started = label, max(total, 1), time.monotonic()
        self.live = sys.stderr.isatty()

    def __call__(self, done: int) -> None:
        if self.live:
            percent = min(100, done * 100 // self.total)
            sys.stderr.write(f"\r{self.label}: {percent:3d}%  ({time.monotonic() - self.started:.1f} s)")
            sys.stderr.flush()

    def finish(self, summary: str) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
        print(f"{self.label}: {summary} in {time.monotonic() - self.started:.1f} s", file=sys.stderr)


class Steps:
    """One line on stderr as each step of a command finishes: what it did, and the seconds since the command began.

    Always written (stderr only, so stdout stays the command's answer): a step line in a CI log says as much as on
    a terminal, where a percentage would not.
    """

    def __init__(self, command: str) -> None:
        self.command, self.started = command, time.monotonic()

    def __call__(self, step: str, summary: str) -> None:
        print(f"{self.command}: {step}: {summary} ({time.monotonic() - self.started:.1f} s)", file=sys.stderr, flush=True)
