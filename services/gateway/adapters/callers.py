"""The signed caller identity the gateway attaches to every gRPC call it makes for a request (x-leaf-identity).

One assertion per caller is reused for half its life (runtime/identity_tokens.py's SignedAssertions), so the read
path costs a dictionary lookup, not an HMAC per call. The operator flag is the gateway's decision: a user
whose groups contain LEAF_OPERATOR_GROUP.
"""
from __future__ import annotations

import logging

from kernel.errors import InputError, Unauthenticated
from runtime.identity_tokens import SignedAssertions
from services.gateway.domain.identity import Identity

log = logging.getLogger(__name__)
Metadata = tuple[tuple[str, str], ...]


def mesh_names(identity: Identity) -> tuple[str, tuple[str, ...]]:
    """The caller's principal and group principals inside the mesh."""
    try:
        return identity.mesh_principal(), identity.group_principals()
    except InputError:
        # Verified by Cloudflare, yet not a name an entitlement could have (e.g. an odd email): no access.
        log.info("caller not authenticated: its name is not a principal", extra={"who_kind": identity.kind})
        raise Unauthenticated("unauthenticated", "invalid credentials") from None


class CallerAssertions:
    def __init__(self, assertions: SignedAssertions, operator_group: str) -> None:
        self.assertions = assertions
        self.operator_group = operator_group

    def metadata(self, identity: Identity) -> Metadata:
        """Call metadata asserting who `identity` is inside the mesh."""
        principal, groups = mesh_names(identity)
        return self.assertions.metadata(principal, groups, identity.is_operator(self.operator_group))
