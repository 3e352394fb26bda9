"""The keys that sign caller identities (LEAF_IDENTITY_KEYS), in the shared format of runtime/signing_keys.py, and
an identity's life (LEAF_IDENTITY_TTL_SECONDS).

Apart from the grant keys on purpose: a service that holds only the identity key (the gateway) can say who
is calling but cannot grant itself a scope, and rotating one never invalidates the other.
LEAF_IDENTITY_KEYS = "kid1:<base64 secret>[,kid0:<base64 secret>]". Unset → a local key under
LEAF_HOME/keys/identity_key, which LEAF_ENV=prod refuses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from runtime.signing_keys import SigningKeys, local_keys, parse_keys, signing_key_settings

SETTING = "LEAF_IDENTITY_KEYS"
LOCAL_KEY_NAME = "identity_key"
DEFAULT_TTL_SECONDS = 60
IdentityKeys = SigningKeys


def parse_identity_keys(text: str) -> IdentityKeys:
    return parse_keys(text, SETTING)


def local_identity_keys() -> IdentityKeys:
    return local_keys(LOCAL_KEY_NAME)


if TYPE_CHECKING:  # what the factory builds, spelled out for the type checker
    from pydantic import SecretStr

    from runtime.settings import LeafSettings

    class _IdentityKeySettings(LeafSettings):
        LEAF_IDENTITY_KEYS: SecretStr | None

        def identity_keys(self) -> IdentityKeys: ...
else:
    _IdentityKeySettings = signing_key_settings(
        SETTING, LOCAL_KEY_NAME, "identity_keys", "The identity signing keys of the mesh.")


class IdentitySettings(_IdentityKeySettings):
    """Mixin of every gRPC service and the gateway: they verify (and the gateway and publisher mint) identities."""

    # Short: an identity is minted per request (cached for half its life), so a stolen one is soon useless.
    LEAF_IDENTITY_TTL_SECONDS: int = Field(DEFAULT_TTL_SECONDS, ge=10, le=900)
