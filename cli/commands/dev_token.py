"""`leaf dev-token`: a Cloudflare-Access-shaped token signed with the local dev key, for calling the local gateway.

Prints only the token, so `TOKEN=$(leaf dev-token)` then `curl -H "Cf-Access-Jwt-Assertion: $TOKEN" …` works.
"""
from __future__ import annotations

import argparse
import sys
import time

from runtime.settings import LeafSettings, load_settings
from services.gateway.offline import DEV_EMAIL, LEEWAY_SECONDS, MAX_LIFETIME_SECONDS, accepts_dev_tokens, mint_dev_token

MAX_TTL_SECONDS = MAX_LIFETIME_SECONDS  # a longer-lived token would only be refused by the gateway


def _ttl(text: str) -> int:
    seconds = int(text)
    if not 1 <= seconds <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_TTL_SECONDS} seconds")
    return seconds


def register(commands) -> None:
    token = commands.add_parser("dev-token", help="print a dev Cloudflare Access token for the local gateway (not in prod)")
    who = token.add_mutually_exclusive_group()
    who.add_argument("--email", metavar="ADDRESS", help=f"the signed-in user (default {DEV_EMAIL})")
    who.add_argument("--service", metavar="NAME", help="a service token instead (e.g. a Domo connector): no email")
    token.add_argument("--group", action="append", default=[], metavar="NAME", help="a group of the user; repeatable")
    token.add_argument("--ttl", type=_ttl, default=3600, metavar="SECONDS")
    token.add_argument("--expired", action="store_true", help="already expired, to see the gateway refuse it")
    token.set_defaults(handler=handle)


def handle(args) -> int:
    if load_settings(LeafSettings).production:
        print("leaf dev-token: refused: LEAF_ENV=prod never accepts dev tokens", file=sys.stderr)
        return 2
    if not accepts_dev_tokens():
        print("leaf dev-token: refused: LEAF_CF_ACCESS_TEAM_DOMAIN is set, so the gateway accepts only Cloudflare's tokens",
              file=sys.stderr)
        return 2
    if args.service and args.group:
        print("leaf dev-token: --group applies to users; service tokens carry no groups", file=sys.stderr)
        return 2
    now = int(time.time())
    # Expired beyond the verifier's leeway, so the refusal is certain rather than a race with the clock.
    issued_at = now - args.ttl - 2 * LEEWAY_SECONDS if args.expired else now
    print(mint_dev_token(email=args.email or DEV_EMAIL, groups=tuple(args.group), service=args.service, ttl=args.ttl,
                         issued_at=issued_at))
    return 0
