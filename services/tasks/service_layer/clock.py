"""The ledger's timestamps: UTC, ISO 8601, to the millisecond (history lines within one second keep their order
by id regardless)."""
from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
