"""Gateway settings: where it listens, where every service of the mesh is, and how callers are authenticated."""
from __future__ import annotations

import os

from pydantic import Field, SecretStr, field_validator, model_validator

from runtime.identity_keys import IdentitySettings
from runtime.settings import LeafSettings
from runtime.topology import GATEWAY, peer_address_settings

CLOUDFLARE = ("LEAF_CF_ACCESS_TEAM_DOMAIN", "LEAF_CF_ACCESS_AUD")


class AccessSettings(LeafSettings):
    """Cloudflare Access and APIM; with Cloudflare unset, the local dev signing key stands in (refused in prod)."""

    LEAF_CF_ACCESS_TEAM_DOMAIN: str | None = Field(None, pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
    LEAF_CF_ACCESS_AUD: str | None = Field(None, min_length=1)
    # https only: whoever can change the keys we fetch can sign in as anyone.
    LEAF_CF_ACCESS_JWKS_URL: str | None = Field(None, pattern=r"^https://[^\s]+$")
    LEAF_APIM_HEADER: str = Field("X-Leaf-Apim-Key", pattern=r"^[A-Za-z0-9-]+$")
    # Long enough not to be guessed; an empty secret would match an empty header.
    LEAF_APIM_SECRET: SecretStr | None = Field(None, min_length=16)

    @field_validator("LEAF_CF_ACCESS_TEAM_DOMAIN", mode="before")
    @classmethod
    def _bare_host(cls, value):
        # The dashboard shows the team domain as a URL; people paste it as one.
        return value.strip().removeprefix("https://").rstrip("/") if isinstance(value, str) else value

    @property
    def uses_dev_key(self) -> bool:
        return self.LEAF_CF_ACCESS_TEAM_DOMAIN is None

    @model_validator(mode="after")
    def _no_half_configured_access_and_no_dev_key_in_production(self):
        unset = [name for name in CLOUDFLARE if getattr(self, name) is None]
        if unset and (len(unset) < len(CLOUDFLARE) or self.LEAF_CF_ACCESS_JWKS_URL):
            raise ValueError(f"Cloudflare Access is half-configured; set {', '.join(unset)}")
        needed = unset + (["LEAF_APIM_SECRET"] if self.LEAF_APIM_SECRET is None else [])
        if self.production and needed:
            raise ValueError(f"LEAF_ENV=prod refuses the dev signing key and requests that bypass APIM; set {', '.join(needed)}")
        return self


class GatewaySettings(AccessSettings, IdentitySettings, peer_address_settings(GATEWAY)):
    """*_ADDR of the services it calls; LEAF_IDENTITY_KEYS, to sign the caller identity it sends on every gRPC call."""

    LEAF_GATEWAY_HOST: str = "127.0.0.1"
    LEAF_GATEWAY_PORT: int = 8080
    LEAF_GATEWAY_TIMEOUT_SECONDS: float = 60.0
    # Browser origins of the web frontend allowed to call the API (comma-separated); none by default.
    LEAF_GATEWAY_CORS_ORIGINS: str = ""
    LEAF_GATEWAY_MAX_BODY_BYTES: int = Field(64 * 1024, ge=1024)  # request bodies are small scope documents
    # The identity group whose members are operators (entitlements, evidence promotion), matched exactly.
    LEAF_OPERATOR_GROUP: str = Field("leaf-operators", min_length=1)
    # Gateway processes serving the one port (uvicorn workers); unset: one per core this process may use. A pod
    # with a CPU limit sets it to that limit (k8s/base/gateway), since the node's cores are not the pod's.
    LEAF_GATEWAY_WORKERS: int | None = Field(None, ge=1, le=64)

    @property
    def workers(self) -> int:
        if self.LEAF_GATEWAY_WORKERS is not None:
            return self.LEAF_GATEWAY_WORKERS
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
        return max(len(usable), 1)

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.LEAF_GATEWAY_CORS_ORIGINS.split(",") if origin.strip()]
