"""`leaf evidence promote|audit`: the operator's governance actions, through the evidence service's own handlers
(its offline entrypoint, services/evidence/offline.py).

Run in-process on the evidence database (LEAF_EVIDENCE_DB_URL), with no mesh: the OS account that can open
that database is the proof of authority, so the audit log records it as the operator (`local:<OS user>`,
cli/operator.py), never a name given on the command line. Over gRPC, PromotePacket records the caller's
verified operator identity instead.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict

from cli.operator import local_operator
from kernel.errors import DomainError
from services.evidence import offline as evidence


def register(commands) -> None:
    actions = commands.add_parser("evidence", help="evidence governance").add_subparsers(dest="action", required=True)
    promote = actions.add_parser("promote", help="promote a candidate packet to governed, with a reason")
    promote.add_argument("packet_id")
    promote.add_argument("--client", required=True, help="the packet's client_id")
    promote.add_argument("--to", required=True, choices=evidence.GOVERNED, dest="governance")
    promote.add_argument("--reason", required=True, help="why (kept in the audit log, with local:<OS user> as who)")
    promote.set_defaults(handler=handle_promote)
    audit = actions.add_parser("audit", help="the append-only governance log of a packet")
    audit.add_argument("packet_id")
    audit.set_defaults(handler=handle_audit)


def handle_promote(args) -> int:
    try:
        packet = evidence.promote(args.packet_id, args.client, args.governance, local_operator(), args.reason)
    except DomainError as err:
        print(f"leaf evidence promote: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps({"packet_id": packet.packet_id, "version": packet.version, "governance": packet.governance,
                      "sha256": packet.sha256}, indent=2))
    return 0


def handle_audit(args) -> int:
    print(json.dumps([asdict(entry) for entry in evidence.audit(args.packet_id)], indent=2))
    return 0
