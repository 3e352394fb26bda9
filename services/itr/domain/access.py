"""Which mirrored IT requests a scope grant may see: the request's client, and its groups when it names some."""
from __future__ import annotations

from collections.abc import Sequence

from kernel.grants import Grant


def request_in_grant(grant: Grant, client_id: str, group_ids: Sequence[str]) -> bool:
    """A request about some groups needs those groups; one about the client as a whole needs an all-groups grant.

    Both grant kinds list their areas (an exact grant's one area is its scope's client and groups), so one
    rule serves both. A request with no client belongs to no area and is seen by no one.
    """
    return any(area.covers(client_id, tuple(group_ids)) for area in grant.areas)
