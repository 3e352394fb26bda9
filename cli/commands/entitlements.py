"""`leaf entitlements grant|revoke|list|audit`: who may see which clients, through the scope service's own use cases
(its offline entrypoint, services/scope/offline.py).

The CLI opens the scope service's database (LEAF_SCOPE_DB_URL, migrated on open) and calls the same
handlers the ScopeService servicer calls, as `leaf evidence promote` does for evidence: it is an
operator's tool run where the database is reachable, so it needs no running mesh, no gRPC identity and
not the grant signing key (ScopeDatabaseSettings reads LEAF_SCOPE_DB_URL only).
Whoever can run it can already write that database: the OS account that opens it is the proof of authority,
so the audit log records that account as the operator (`local:<OS user>`, cli/operator.py), never a name
given on the command line. Principals are namespaced: `user:<email>`, `group:<name>`, `service:<common_name>`.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict

from cli.operator import local_operator
from kernel.errors import DomainError
from services.scope import offline as scope


def register(commands) -> None:
    actions = commands.add_parser("entitlements", help="who may see which clients").add_subparsers(dest="action", required=True)
    grant = actions.add_parser("grant", help="let a principal (user:<email>, group:<name>, service:<common_name>) "
                                             "see a client, or some of its groups")
    grant.add_argument("principal")
    grant.add_argument("--client", required=True, help="the client_id")
    grant.add_argument("--group", action="append", default=[], dest="groups", help="a group_id (repeat; none = every group)")
    _decision(grant)
    grant.set_defaults(handler=handle_grant)
    revoke = actions.add_parser("revoke", help="take a principal's entitlement to a client away")
    revoke.add_argument("principal")
    revoke.add_argument("--client", required=True, help="the client_id")
    _decision(revoke)
    revoke.set_defaults(handler=handle_revoke)
    listing = actions.add_parser("list", help="entitlements, of one principal or all")
    listing.add_argument("principal", nargs="?")
    listing.set_defaults(handler=handle_list)
    audit = actions.add_parser("audit", help="the append-only log of grants and revokes")
    audit.add_argument("principal", nargs="?")
    audit.set_defaults(handler=handle_audit)


def _decision(parser) -> None:
    parser.add_argument("--reason", required=True, help="why (kept in the audit log, with local:<OS user> as who)")


def _failed(action: str, err: DomainError) -> int:
    print(f"leaf entitlements {action}: {err.code}: {err.message}", file=sys.stderr)
    return 2


def handle_grant(args) -> int:
    try:
        granted = scope.grant(args.principal, args.client, tuple(args.groups), local_operator(), args.reason)
    except DomainError as err:
        return _failed("grant", err)
    print(json.dumps(asdict(granted), indent=2))
    return 0


def handle_revoke(args) -> int:
    try:
        revoked = scope.revoke(args.principal, args.client, local_operator(), args.reason)
    except DomainError as err:
        return _failed("revoke", err)
    print(json.dumps({"principal": scope.principal(args.principal), "client_id": args.client, "revoked": revoked}, indent=2))
    return 0 if revoked else 1


def handle_list(args) -> int:
    try:
        found = scope.entitlements_of(args.principal)
    except DomainError as err:
        return _failed("list", err)
    print(json.dumps([asdict(e) for e in found], indent=2))
    return 0


def handle_audit(args) -> int:
    try:
        entries = scope.audit(args.principal)
    except DomainError as err:
        return _failed("audit", err)
    print(json.dumps([asdict(entry) for entry in entries], indent=2))
    return 0
