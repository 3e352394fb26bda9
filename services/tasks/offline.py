"""The tasks service offline: what the `leaf` CLI may call of it in-process (`leaf worker`, `leaf run`'s workers,
docs/cli.md). The CLI imports this module and nothing else of tasks (tests/unit/test_imports.py)."""
from __future__ import annotations

from services.tasks.domain.kinds import LANES as LANES


def run_lane(lane: str) -> int:
    """One lane's worker in the foreground until Ctrl-C or SIGTERM; its exit status."""
    from services.tasks.worker import run_lane as run  # settings and connections are made only when asked for

    return run(lane)
