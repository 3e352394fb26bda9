"""The ledger's timestamps: UTC, ISO 8601, to the millisecond (history lines within one second keep their order
by id regardless)."""
from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
