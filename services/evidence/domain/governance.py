"""Governance of evidence: candidate → governed only by an operator with a reason; every action is audited."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from kernel import principals
from kernel.errors import InputError, NotReady
from services.evidence.domain.packets import StoredPacket

GOVERNED = ("governed_exact", "governed_lineage")
INGESTED, PROMOTED = "ingested", "promoted"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log (PacketIngested, PacketPromoted)."""

    packet_id: str
    version: int
    action: str
    from_governance: str | None
    to_governance: str | None
    operator: str
    reason: str
    recorded_at: str


@dataclass(frozen=True)
class PromotePacket:
    packet_id: str
    client_id: str
    to_governance: str
    operator: str
    reason: str


def promoted(current: StoredPacket, order: PromotePacket, now: str) -> tuple[StoredPacket, AuditEntry]:
    """The promoted packet as a new version (packets are immutable) and the audit entry that records why."""
    if current.governance != "candidate":
        raise NotReady("not_a_candidate", f"{current.packet_id} is {current.governance}; only candidates are promoted")
    if order.to_governance not in GOVERNED:
        raise InputError("bad_input:governance", f"promote to one of {', '.join(GOVERNED)}")
    if not order.reason.strip():
        raise InputError("bad_input:promotion", "a reason is required")
    # A verified user: operator over gRPC, or local:<OS user> at the database (`leaf evidence promote`).
    operator = principals.principal(order.operator, principals.OPERATORS)
    body = json.loads(current.body_json)
    body["governance"] = order.to_governance
    data = json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    packet = replace(current, version=current.version + 1, governance=order.to_governance, body_json=data,
                     sha256=hashlib.sha256(data).hexdigest(), retrieved_at=now)
    return packet, AuditEntry(current.packet_id, packet.version, PROMOTED, current.governance, order.to_governance,
                              operator, order.reason, now)


def ingested(packet: StoredPacket) -> AuditEntry:
    return AuditEntry(packet.packet_id, packet.version, INGESTED, None, packet.governance, "source-sync",
                      f"document {packet.document_name}", packet.retrieved_at)
