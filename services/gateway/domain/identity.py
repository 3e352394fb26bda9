"""Who is calling the gateway: a person signed in through Cloudflare Access, or a service token (a Domo connector)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

IdentityKind = Literal["user", "service"]


@dataclass(frozen=True)
class Identity:
    """A verified caller. `principal` is the name audits and entitlements use: a user's email, a service's common_name."""

    kind: IdentityKind
    principal: str
    subject: str
    email: str | None = None
    groups: tuple[str, ...] = ()

    @classmethod
    def user(cls, email: str, subject: str, groups: tuple[str, ...] = ()) -> Identity:
        return cls("user", email, subject, email, groups)

    @classmethod
    def service(cls, common_name: str, subject: str = "") -> Identity:
        # Cloudflare gives service tokens an empty `sub`; the common_name is then their only stable name.
        return cls("service", common_name, subject or common_name)
