"""The exact scope of calculations.md 1.5: canonical JSON and scope_hash, shared by every service."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from runtime.errors import InputError


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
    def parse(cls, client_id, pbm_id, date_from, date_to, tpa_id=None, group_ids=()) -> "Scope":
        """Build a scope from user-facing strings; any violation is `bad_input:scope`."""
        if not client_id or not pbm_id or any(not g for g in (group_ids or ())):
            raise InputError("bad_input:scope", "client_id and pbm_id are required and ids may not be empty")
        try:
            start = date_from if isinstance(date_from, date) else date.fromisoformat(str(date_from))
            end = date_to if isinstance(date_to, date) else date.fromisoformat(str(date_to))
        except ValueError as exc:
            raise InputError("bad_input:scope", f"dates must be YYYY-MM-DD ({exc})") from None
        if len(str(date_from)) != 10 or len(str(date_to)) != 10:
            raise InputError("bad_input:scope", "dates must be YYYY-MM-DD")
        if end < start:
            raise InputError("bad_input:scope", "the window ends before it starts")
        return cls(client_id, pbm_id, start, end, tpa_id or None, tuple(group_ids or ()))

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
