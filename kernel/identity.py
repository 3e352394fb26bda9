"""Who a call is made for, as a value: the verified caller, its groups, and whether it is an operator.

How an identity travels — a signed assertion in gRPC metadata, verified on every method — is the platform's
(runtime/identity_tokens.py, runtime/identity_guard.py). This is what a service's rules see once it is
verified: no service believes a name a request message carries, and an operator action records this identity.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel import principals
from kernel.errors import Refused, Unauthenticated

# Who may be the caller: the gateway asserts users and service tokens, a service asserts itself as a workload.
CALLER_KINDS = frozenset({principals.USER, principals.SERVICE, principals.WORKLOAD})


class IdentityRefused(Unauthenticated):
    """No verified caller: `identity_missing`, `identity_invalid` or `identity_expired`."""


class OperatorRequired(Refused):
    """The action needs an operator's verified identity (`operator_required`)."""


@dataclass(frozen=True)
class CallerIdentity:
    """Who a call is made for, as verified: a namespaced principal, its `group:` principals, operator or not."""

    principal: str
    groups: tuple[str, ...]
    operator: bool
    issued_at: datetime
    expires_at: datetime
    kid: str

    @property
    def principals(self) -> tuple[str, ...]:
        """Everything the caller may be entitled as: itself and each of its groups."""
        return (self.principal, *self.groups)


def operator_of(identity: CallerIdentity) -> str:
    """The operator an audit entry records: the verified identity's own principal, never a request field."""
    if not identity.operator:
        raise OperatorRequired("operator_required", "this action needs an operator's identity")
    return identity.principal
