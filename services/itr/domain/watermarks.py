"""Salesforce timestamps as the mirror keeps them: one canonical text form (UTC, milliseconds, `+0000`), so that text
order is time order, and the overlap window a sync reads again below its watermark."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

CANONICAL = "%Y-%m-%dT%H:%M:%S.{ms:03d}+0000"
DEFAULT_OVERLAP_SECONDS = 300  # a record saved in a long transaction gets a SystemModstamp before it is visible


def parse(stamp: str) -> datetime:
    """`2025-03-04T15:22:10.000+0000` (Salesforce's REST form), `…Z` or `…+00:00` (ISO)."""
    text = stamp.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def canonical(stamp: str) -> str:
    """The mirror's text form of a timestamp; empty stays empty (a record without one)."""
    if not stamp:
        return ""
    if len(stamp) == 28 and stamp.endswith("+0000") and stamp[19] == "." and stamp[10] == "T":
        return stamp  # already canonical (what Salesforce's REST API sends): no parse on the hot path
    moment = parse(stamp)
    return moment.strftime(CANONICAL.format(ms=moment.microsecond // 1000))


def format_utc(moment: datetime) -> str:
    return canonical(moment.astimezone(UTC).isoformat())


def read_from(watermark: str, overlap_seconds: float) -> str:
    """Where the next read starts: the overlap window below the watermark (everything when there is none)."""
    if not watermark:
        return ""
    return format_utc(parse(watermark) - timedelta(seconds=overlap_seconds))


def soql_literal(stamp: str) -> str:
    """A SOQL dateTime literal (unquoted, UTC) for a canonical timestamp."""
    return parse(stamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def later(a: str, b: str) -> str:
    return max(a, b)
