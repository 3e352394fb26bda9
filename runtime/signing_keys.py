"""Mesh signing keys (scope grants, caller identities): sign with the current key, verify with the current or the
previous (by kid). One format, one parser and one settings mixin, named by the setting that holds them.

HS256 over a shared mesh key, not a keypair: every service that verifies is already inside the mesh's
trust boundary (it holds client data), rotation is one Key Vault secret, and the verify path stays a
constant-time HMAC. The price: a compromised service could mint tokens. Moving to EdDSA later changes
only this module (kid routing and rotation stay as they are).

<SETTING> = "kid1:<base64 secret>,kid0:<base64 secret>" — the first is current, the optional second is the
previous key kept for tokens issued before a rotation. Unset → a local key under LEAF_HOME/keys, which
LEAF_ENV=prod refuses.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.keys import local_secret
from runtime.settings import LeafSettings

LOCAL_KID = "local"
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash (RFC 7518 3.2)
KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class SigningKeys:
    current: tuple[str, bytes]
    previous: tuple[str, bytes] | None = None

    def __repr__(self) -> str:  # never print a secret, e.g. in a settings error or a traceback
        return (f"{type(self).__name__}(current={self.current[0]!r}, "
                f"previous={self.previous[0] if self.previous else None!r})")

    def secret_for(self, kid: str) -> bytes | None:
        for known in (self.current, self.previous):
            if known is not None and known[0] == kid:
                return known[1]
        return None


def parse_keys(text: str, setting: str) -> SigningKeys:
    """Keys from the `kid:base64,...` format of `setting`; the error names the problem, never the secret."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if not 1 <= len(entries) <= 2:
        raise ValueError(f"{setting} holds the current key and at most one previous key (kid:base64secret,...)")
    keys = [_parse_entry(entry, position, setting) for position, entry in enumerate(entries)]
    if len(keys) == 2 and keys[0][0] == keys[1][0]:
        raise ValueError(f"{setting}: the current and previous keys need different kids")
    return SigningKeys(keys[0], keys[1] if len(keys) == 2 else None)


def _parse_entry(entry: str, position: int, setting: str) -> tuple[str, bytes]:
    kid, _, encoded = entry.partition(":")
    if not KID.match(kid):
        raise ValueError(f"{setting}: key {position + 1} needs a kid of letters, digits, '.', '_' or '-' before ':'")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{setting}: the secret of kid {kid!r} is not base64") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{setting}: the secret of kid {kid!r} is shorter than {MIN_SECRET_BYTES} bytes")
    return kid, secret


def local_keys(local_key_name: str) -> SigningKeys:
    """The embedded default: one key made on first use under LEAF_HOME/keys/<local_key_name>."""
    return SigningKeys((LOCAL_KID, local_secret(local_key_name)))


def signing_key_settings(setting: str, local_key_name: str, accessor: str, doc: str) -> Any:
    """A settings mixin with one optional secret field named `setting`, checked at start (prod refuses the local
    key), and a method `accessor()` returning its SigningKeys. Two mixins combine: each has its own field,
    validator and accessor, so a service can hold grant keys and identity keys side by side."""

    def _parse(self):
        value = getattr(self, setting)
        if value is not None:
            parse_keys(value.get_secret_value(), setting)  # fail at start, not at the first call
        elif self.production:
            raise ValueError(f"LEAF_ENV=prod refuses the local {local_key_name.replace('_', ' ')}; set {setting}")
        return self

    def keys(self) -> SigningKeys:
        value = getattr(self, setting)
        return local_keys(local_key_name) if value is None else parse_keys(value.get_secret_value(), setting)

    namespace = {
        "__doc__": doc, "__module__": __name__, "__annotations__": {setting: SecretStr | None}, setting: None,
        "model_config": SettingsConfigDict(**LeafSettings.model_config, hide_input_in_errors=True),  # a secret in input
        f"_check_{setting.lower()}": model_validator(mode="after")(_parse), accessor: keys,
    }
    return type(f"{setting.title().replace('_', '')}Settings", (LeafSettings,), namespace)
