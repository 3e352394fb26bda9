"""What a scope grant allows, as a value: the areas and exact scope a caller may see, and whether data lies inside.

The scope service issues grants and every service verifies them (dual enforcement); how a grant travels — a
signed token in gRPC metadata — is the platform's (runtime/grant_tokens.py). This is the rule both sides
share: a service answers only for data inside the grant it was given.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from kernel.errors import Refused
from kernel.scope import Scope


class GrantRefused(Refused):
    """No valid grant for this call: `scope_grant_missing`, `scope_grant_invalid` or `scope_grant_expired`."""


@dataclass(frozen=True)
class Area:
    """A client the caller may see: every group when `group_ids` is empty, else only those groups."""

    client_id: str
    group_ids: tuple[str, ...] = ()

    def covers(self, client_id: str, group_ids: Sequence[str]) -> bool:
        """Data of this client and groups (empty = the client as a whole, which only an all-groups area covers)."""
        if client_id != self.client_id:
            return False
        return not self.group_ids or (bool(group_ids) and set(group_ids) <= set(self.group_ids))


@dataclass(frozen=True)
class Grant:
    """Either an exact-scope grant (to compute or check one scope) or a read grant over the caller's areas.

    Both carry `areas`; an exact grant's one area is its scope's client and groups.
    """

    scope: Scope | None
    areas: tuple[Area, ...]
    principal: str
    issued_at: datetime
    expires_at: datetime
    kid: str

    @property
    def scope_hash(self) -> str | None:
        return self.scope.scope_hash if self.scope else None

    def covers(self, client_id: str, group_id: str | None = None, day: date | str | None = None, *,
               pbm_id: str | None = None) -> bool:
        """Whether data of this client (and group, day, PBM when given) lies inside the grant.

        `group_id=None` asks about the client as a whole, which only an all-groups grant covers.
        """
        if self.scope is None:
            return any(a.covers(client_id, () if group_id is None else (group_id,)) for a in self.areas)
        s = self.scope
        if client_id != s.client_id or (pbm_id is not None and pbm_id != s.pbm_id):
            return False
        if s.group_ids and (group_id is None or group_id not in s.group_ids):
            return False
        if day is not None:
            day = day if isinstance(day, date) else date.fromisoformat(day)
            return s.date_from <= day <= s.date_to
        return True

    def covers_client(self, client_id: str) -> bool:
        """Client-level data (a contract packet covers every group of its client): any area of that client."""
        return any(a.client_id == client_id for a in self.areas)

    def covers_scope(self, scope: Scope) -> bool:
        """Whether a whole scope lies inside the grant (a proto ExactScope is converted by the caller first:
        runtime.convert.scope_from_proto, which re-checks its hash)."""
        if self.scope is None:
            return any(a.covers(scope.client_id, scope.group_ids) for a in self.areas)
        g = self.scope
        return (scope.client_id == g.client_id and scope.pbm_id == g.pbm_id
                and (g.tpa_id is None or scope.tpa_id == g.tpa_id)
                and (not g.group_ids or (bool(scope.group_ids) and set(scope.group_ids) <= set(g.group_ids)))
                and g.date_from <= scope.date_from and scope.date_to <= g.date_to)
