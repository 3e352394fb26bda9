"""The `Prefer` request header (RFC 7240): how long a client would rather wait for an answer than be sent away with
`202 Accepted`. Only `wait` is understood; every other preference, and a `wait` that is not delta-seconds, is
ignored, as the RFC asks of preferences a server does not honour."""
from __future__ import annotations

import re

DELTA_SECONDS = re.compile(r"^[0-9]{1,9}$")


def wait_seconds(header: str | None) -> int | None:
    """The seconds `wait=N` asks for (the first one given), or None when the header asks no (valid) wait."""
    for preference in (header or "").split(","):
        token = preference.split(";", 1)[0].strip()
        name, equals, value = token.partition("=")
        if name.strip().lower() != "wait" or not equals:
            continue
        value = value.strip().strip('"')
        return int(value) if DELTA_SECONDS.match(value) else None
    return None


def applied(seconds: float) -> str:
    """The `Preference-Applied` value for a wait honoured up to `seconds` (whole seconds, never more than asked)."""
    return f"wait={int(seconds)}"
