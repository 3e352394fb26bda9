"""The keys that sign scope grants: sign with the current key, verify with the current or the previous (by kid).

HS256 over a shared mesh key, not a keypair: every service that verifies is already inside the mesh's
trust boundary (it holds client data), rotation is one Key Vault secret, and the verify path stays a
constant-time HMAC. The price: a compromised service could mint grants. Moving to EdDSA later changes
only this module (kid routing and rotation stay as they are).

LEAF_GRANT_KEYS = "kid1:<base64 secret>,kid0:<base64 secret>" — the first is current, the optional second
is the previous key kept for tokens issued before a rotation. Unset → a local key under
LEAF_HOME/keys/grant_key, which LEAF_ENV=prod refuses.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.keys import local_secret
from runtime.settings import LeafSettings

SETTING = "LEAF_GRANT_KEYS"
LOCAL_KEY_NAME = "grant_key"
LOCAL_KID = "local"
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash (RFC 7518 3.2)
KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class GrantKeys:
    current: tuple[str, bytes]
    previous: tuple[str, bytes] | None = None

    def __repr__(self) -> str:  # never print a secret, e.g. in a settings error or a traceback
        return f"GrantKeys(current={self.current[0]!r}, previous={self.previous[0] if self.previous else None!r})"

    def secret_for(self, kid: str) -> bytes | None:
        for known in (self.current, self.previous):
            if known is not None and known[0] == kid:
                return known[1]
        return None


def parse_grant_keys(text: str) -> GrantKeys:
    """Keys from the LEAF_GRANT_KEYS format; the error names the problem, never the secret."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not 1 <= len(entries) <= 2:
        raise ValueError(f"{SETTING} holds the current key and at most one previous key (kid:base64secret,...)")
    keys = [_parse_entry(entry, position) for position, entry in enumerate(entries)]
    if len(keys) == 2 and keys[0][0] == keys[1][0]:
        raise ValueError(f"{SETTING}: the current and previous keys need different kids")
    return GrantKeys(keys[0], keys[1] if len(keys) == 2 else None)


def _parse_entry(entry: str, position: int) -> tuple[str, bytes]:
    kid, _, encoded = entry.partition(":")
    if not KID.match(kid):
        raise ValueError(f"{SETTING}: key {position + 1} needs a kid of letters, digits, '.', '_' or '-' before ':'")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{SETTING}: the secret of kid {kid!r} is not base64") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{SETTING}: the secret of kid {kid!r} is shorter than {MIN_SECRET_BYTES} bytes")
    return kid, secret


def local_grant_keys() -> GrantKeys:
    """The embedded default: one key made on first use under LEAF_HOME/keys."""
    return GrantKeys((LOCAL_KID, local_secret(LOCAL_KEY_NAME)))


class GrantKeySettings(LeafSettings):
    """Mixin for a service that issues or verifies scope grants; list LEAF_GRANT_KEYS in its embedded_defaults."""

    model_config = SettingsConfigDict(**LeafSettings.model_config, hide_input_in_errors=True)  # a secret in input
    LEAF_GRANT_KEYS: SecretStr | None = None

    @model_validator(mode="after")
    def _grant_keys_parse(self):
        if self.LEAF_GRANT_KEYS is not None:
            parse_grant_keys(self.LEAF_GRANT_KEYS.get_secret_value())  # fail at start, not at the first call
        elif self.production:
            raise ValueError(f"LEAF_ENV=prod refuses the local grant key; set {SETTING}")
        return self

    def grant_keys(self) -> GrantKeys:
        if self.LEAF_GRANT_KEYS is None:
            return local_grant_keys()
        return parse_grant_keys(self.LEAF_GRANT_KEYS.get_secret_value())
