"""The gateway offline: what the `leaf` CLI may call of the gateway in-process (`leaf dev-token`, `leaf run`'s
sample run, docs/cli.md). The CLI imports this module and nothing else of the gateway
(tests/unit/test_imports.py).

Dev tokens are Cloudflare-Access-shaped tokens signed by the local dev key, which the gateway accepts only when no
Cloudflare team domain is configured and never in prod. The HTTP entrypoint (FastAPI) is imported on first use only,
so `leaf dev-token` stays quick.
"""
from __future__ import annotations

from runtime.settings import load_settings
from services.gateway.adapters.access_jwt import LEEWAY_SECONDS as LEEWAY_SECONDS
from services.gateway.adapters.access_jwt import MAX_LIFETIME_SECONDS as MAX_LIFETIME_SECONDS
from services.gateway.adapters.dev_keys import DEV_EMAIL as DEV_EMAIL
from services.gateway.adapters.dev_keys import mint_dev_token as mint_dev_token
from services.gateway.settings import AccessSettings


def accepts_dev_tokens() -> bool:
    """Whether the gateway, as configured here, verifies tokens with the local dev key (no LEAF_CF_ACCESS_TEAM_DOMAIN)."""
    return load_settings(AccessSettings).uses_dev_key


def dev_token_header(groups: tuple[str, ...] = ()) -> dict[str, str]:
    """The request header carrying a fresh dev token of the default dev user in `groups`."""
    from services.gateway.entrypoints.auth import TOKEN_HEADER

    return {TOKEN_HEADER: mint_dev_token(groups=groups)}
