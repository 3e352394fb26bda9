"""Which moves a task may make; everything else is a conflict."""
from __future__ import annotations

import pytest

from services.tasks.domain.states import (
    BLOCKED,
    CANCELLED,
    DEAD_LETTERED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    StateConflict,
    check_move,
)


@pytest.mark.parametrize("move", [("", QUEUED), ("", BLOCKED), (QUEUED, RUNNING), (RUNNING, RUNNING),
                                  (RUNNING, QUEUED), (RUNNING, SUCCEEDED), (RUNNING, DEAD_LETTERED),
                                  (QUEUED, CANCELLED), (DEAD_LETTERED, QUEUED), (FAILED, QUEUED)])
def test_allowed_moves(move):
    check_move("t", *move)


@pytest.mark.parametrize("move", [("", RUNNING), (QUEUED, SUCCEEDED), (SUCCEEDED, QUEUED), (BLOCKED, QUEUED),
                                  (CANCELLED, RUNNING), (SUCCEEDED, RUNNING)])
def test_refused_moves(move):
    with pytest.raises(StateConflict):
        check_move("t", *move)
