"""The keys that sign scope grants (LEAF_GRANT_KEYS): the shared signing-key format of runtime/signing_keys.py.

LEAF_GRANT_KEYS = "kid1:<base64 secret>,kid0:<base64 secret>" — the first is current, the optional second
is the previous key kept for tokens issued before a rotation. Unset → a local key under
LEAF_HOME/keys/grant_key, which LEAF_ENV=prod refuses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.signing_keys import SigningKeys, local_keys, parse_keys, signing_key_settings

SETTING = "LEAF_GRANT_KEYS"
LOCAL_KEY_NAME = "grant_key"
GrantKeys = SigningKeys


def parse_grant_keys(text: str) -> GrantKeys:
    return parse_keys(text, SETTING)


def local_grant_keys() -> GrantKeys:
    return local_keys(LOCAL_KEY_NAME)


if TYPE_CHECKING:  # what the factory builds, spelled out for the type checker
    from pydantic import SecretStr

    from runtime.settings import LeafSettings

    class GrantKeySettings(LeafSettings):
        LEAF_GRANT_KEYS: SecretStr | None

        def grant_keys(self) -> GrantKeys: ...
else:
    GrantKeySettings = signing_key_settings(
        SETTING, LOCAL_KEY_NAME, "grant_keys",
        "Mixin for a service that issues or verifies scope grants; list LEAF_GRANT_KEYS in its embedded_defaults.")
