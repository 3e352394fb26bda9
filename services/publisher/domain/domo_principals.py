"""The mesh's namespaced principals as Domo knows them: a user by email, a group by name, nothing else.

Domo has users and groups only, and the Domo adapter tells them apart by an '@' in the name; a row policy's
name separates principal and client with ':'. So `user:<email>` becomes the email, `group:<name>` the
name when it holds neither '@' nor ':' (any other group would be read as a user, or break a policy name),
and a `service:` principal (a Cloudflare service token) has no Domo account: each is left out, so it
gets no policy and sees nothing in Domo — never another principal's rows.
"""
from __future__ import annotations

from collections.abc import Iterable

from kernel import principals
from services.publisher.domain.domo_plan import Entitlement


def domo_principal(principal: str) -> str | None:
    """The Domo user email or group name of a mesh principal, or None when Domo cannot hold it unambiguously."""
    kind, _, name = principal.partition(":")
    if kind == principals.USER:
        return name
    if kind == principals.GROUP and "@" not in name and ":" not in name:
        return name
    return None


def domo_entitlements(entitlements: Iterable[Entitlement]) -> list[Entitlement]:
    """The entitlements Domo's row policies can carry, their principals in Domo's spelling."""
    mapped = ((domo_principal(who), client, groups) for who, client, groups in entitlements)
    return [(who, client, groups) for who, client, groups in mapped if who is not None]
