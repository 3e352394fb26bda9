"""RFC 7240's `wait` preference: understood in its forms, everything else ignored."""
from __future__ import annotations

import pytest

from services.gateway.domain.prefer import applied, wait_seconds


@pytest.mark.parametrize("header, seconds", [
    ("wait=10", 10), ("Wait=10", 10), ("respond-async, wait=5", 5), ("wait=0", 0), ('wait="7"', 7),
    ("wait=3; foo=bar", 3), (" handling=lenient ,wait = 12", 12), ("wait=1, wait=9", 1),
])
def test_wait_is_read_from_every_form(header, seconds):
    assert wait_seconds(header) == seconds


@pytest.mark.parametrize("header", [None, "", "respond-async", "wait", "wait=", "wait=-1", "wait=1.5", "wait=soon",
                                    "wait=99999999999", "waiting=3", "return=minimal"])
def test_anything_else_asks_no_wait(header):
    assert wait_seconds(header) is None


def test_the_applied_wait_is_whole_seconds():
    assert (applied(10), applied(57.9)) == ("wait=10", "wait=57")
