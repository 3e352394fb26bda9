"""Who is calling the gateway: a person signed in through Cloudflare Access, or a service token (a Domo connector).

Inside the mesh the caller is named by namespaced principals (kernel/principals.py): a user is
`user:<email>` and each of its groups `group:<name>`, a service token is `service:<common_name>`. So a
service token named like a group, a group whose name has a space in front, and a group named like a
user's email are each someone else, and never inherit that one's entitlements.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kernel import principals
from kernel.errors import InputError

IdentityKind = Literal["user", "service"]


@dataclass(frozen=True)
class Identity:
    """A verified caller. `principal` is the name the identity provider gave: a user's email, a service token's
    common_name (inside the mesh, `mesh_principal()` namespaces it)."""

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

    def mesh_principal(self) -> str:
        """`user:<email>` or `service:<common_name>`; InputError when the name cannot be a principal."""
        return principals.user(self.principal) if self.kind == "user" else principals.service(self.principal)

    def group_principals(self) -> tuple[str, ...]:
        """`group:<name>` for each of a user's groups, exactly as the identity provider spelled it. A name no
        entitlement can have (whitespace in it) is left out, not an error: providers send groups we never grant."""
        if self.kind != "user":
            return ()
        found = []
        for name in self.groups:
            try:
                found.append(principals.group(name))
            except InputError:
                continue
        return tuple(dict.fromkeys(found))

    def is_operator(self, operator_group: str) -> bool:
        """A user in the operator group (exactly that name); a service token never is."""
        return self.kind == "user" and operator_group in self.groups
