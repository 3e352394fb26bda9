"""The exact scope of calculations.md 1.5: canonical JSON and scope_hash, shared by every service."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from kernel.errors import InputError

# Windows are about days of claims, plans and contracts that exist: a year outside is a typo or a sentinel
# (0001-01-01, 9999-12-31), not a question. The bounds also keep date arithmetic (the day before, the day
# after) clear of date.min and date.max, and 1900-03-01 is the first day whose Excel serial is right.
EARLIEST_DAY = date(1900, 3, 1)
LATEST_DAY = date(2199, 12, 31)
_WRITTEN_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Scope:
    """An exact scope: one client and PBM, optionally narrowed by TPA and groups, over an inclusive window."""

    client_id: str
    pbm_id: str
    date_from: date
    date_to: date
    tpa_id: str | None = None
    group_ids: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Normalize once so two spellings of the same scope hash alike.
        object.__setattr__(self, "group_ids", tuple(sorted(set(self.group_ids))))
        if self.tpa_id == "":
            object.__setattr__(self, "tpa_id", None)

    @classmethod
    def parse(cls, client_id, pbm_id, date_from, date_to, tpa_id=None, group_ids=()) -> Scope:
        """Build a scope from user-facing strings: a bad day is `bad_input:date_from` or `bad_input:date_to`,
        any other violation `bad_input:scope`."""
        if not client_id or not pbm_id or any(not g for g in (group_ids or ())):
            raise InputError("bad_input:scope", "client_id and pbm_id are required and ids may not be empty")
        start, end = window_day(date_from, "date_from"), window_day(date_to, "date_to")
        if end < start:
            raise InputError("bad_input:scope", "the window ends before it starts")
        return cls(client_id, pbm_id, start, end, tpa_id or None, tuple(group_ids or ()))

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> Scope:
        """A scope written as text fields, as a takeover process holds it (group_ids comma-separated, tpa_id
        optional): `bad_input:scope` names the required fields missing, else as `parse`."""
        missing = [name for name in ("client_id", "pbm_id", "date_from", "date_to") if not fields.get(name)]
        if missing:
            raise InputError("bad_input:scope", f"a scope needs {', '.join(missing)}")
        groups = tuple(g.strip() for g in str(fields.get("group_ids") or "").split(",") if g.strip())
        return cls.parse(fields["client_id"], fields["pbm_id"], fields["date_from"], fields["date_to"],
                         fields.get("tpa_id") or None, groups)

    @property
    def is_partial(self) -> bool:
        """Partial when TPA or groups narrow it (guarantees and rebates settle client-wide)."""
        return self.tpa_id is not None or bool(self.group_ids)

    def canonical(self) -> dict:
        return {
            "client_id": self.client_id,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "group_ids": list(self.group_ids),
            "pbm_id": self.pbm_id,
            "tpa_id": self.tpa_id,
        }

    def canonical_json(self) -> bytes:
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @property
    def scope_hash(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def contains(self, client_id: str, pbm_id: str, tpa_id: str, group_id: str, fill_date: date) -> bool:
        """Whether a claim with these scope fields lies inside this scope."""
        return (
            client_id == self.client_id
            and pbm_id == self.pbm_id
            and (self.tpa_id is None or tpa_id == self.tpa_id)
            and (not self.group_ids or group_id in self.group_ids)
            and self.date_from <= fill_date <= self.date_to
        )


def window_day(value: date | str, field: str) -> date:
    """One end of a window: a real day written YYYY-MM-DD within EARLIEST_DAY..LATEST_DAY, else `bad_input:<field>`."""
    if isinstance(value, date):
        day = value
    else:
        text = str(value)
        if not _WRITTEN_DAY.fullmatch(text):
            raise InputError(f"bad_input:{field}", f"{field} must be a day written YYYY-MM-DD")
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"bad_input:{field}", f"{field} {text} is not a calendar day ({exc})") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InputError(f"bad_input:{field}", f"{field} {day.isoformat()} is outside the days a window may cover "
                                               f"({EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()})")
    return day
