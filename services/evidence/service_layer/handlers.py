"""Evidence use cases: ingest documents from a source; find the packet that covers a scope, or a proposal by id."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kernel.errors import InputError, NotFound
from kernel.grants import Grant
from kernel.packets import PROPOSED, parse_contract, parse_proposal_file, parse_rebates
from kernel.scope import Scope
from services.evidence.domain.documents import Document, check_source, document_of, is_document, named_source
from services.evidence.domain.governance import PromotePacket, ingested, promoted
from services.evidence.domain.packets import CONTRACT, PROPOSAL, REBATES, StoredPacket, covering, overlapping
from services.evidence.domain.proposals import proposal_for
from services.evidence.domain.sufficiency import FormulaSufficiency, sufficiency
from services.evidence.service_layer.ports import PacketRepository, SourceDocument

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (document name, reason)


def sync_documents(documents, packets: PacketRepository, now: datetime | None = None) -> SyncReport:
    """Packetize every document; a changed one becomes a new version, an invalid one leaves the old in force."""
    report = SyncReport()
    retrieved_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    delivered, packet_files = _split(documents, retrieved_at)
    for stored in delivered.values():
        packets.add_document(stored)
    for document in packet_files:
        sha = hashlib.sha256(document.data).hexdigest()
        if packets.has_sha(sha):
            report.unchanged += 1
            continue
        try:
            packet = _packetize(document, sha, retrieved_at, packets)
            check_source(packet.body_json, delivered)
            _refuse_overlap(packet, packets)
        except InputError as err:
            report.refused.append((document.name, err.message))
            log.warning("packet refused", extra={"document": document.name, "reason": err.message})
            continue
        packets.add(packet, ingested(packet))
        report.added.append(f"{packet.packet_id}@{packet.version}")
    return report


def _split(documents, retrieved_at: str) -> tuple[dict[str, Document], list[SourceDocument]]:
    """Source documents (PDF, DOCX) by their name in the tree, and the packet files."""
    delivered, packet_files = {}, []
    for document in documents:
        if is_document(document.name):
            delivered[document.name] = document_of(document.name, document.data, retrieved_at)
        else:
            packet_files.append(document)
    return delivered, packet_files


def _packetize(document: SourceDocument, sha: str, retrieved_at: str, packets: PacketRepository) -> StoredPacket:
    try:
        body = json.loads(document.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("bad_input:packet", f"not JSON ({exc.__class__.__name__})") from None
    if document.name.endswith(".proposal.json"):
        offer = parse_proposal_file(body)
        packet_id, kind, governance = offer.proposal.proposal_id, PROPOSAL, PROPOSED
        owner, window = (offer.client_id, offer.pbm_id), (offer.effective_from, offer.effective_to)
    elif document.name.endswith(".rebates.json"):
        rebates = parse_rebates(body)
        packet_id, kind, governance = rebates.evidence_id, REBATES, rebates.governance
        owner, window = (rebates.client_id, rebates.pbm_id), (rebates.period_from, rebates.period_to)
    else:
        contract = parse_contract(body)
        packet_id, kind, governance = contract.packet_id, CONTRACT, contract.governance
        owner, window = (contract.client_id, contract.pbm_id), (contract.effective_from, contract.effective_to)
    return StoredPacket(packet_id, packets.next_version(packet_id), kind, owner[0], owner[1], governance,
                        window[0], window[1], sha, document.data, document.name, retrieved_at)


def _refuse_overlap(packet: StoredPacket, packets: PacketRepository) -> None:
    clash = overlapping(packets.in_force(packet.kind, packet.client_id, packet.pbm_id), packet)
    if clash is not None:
        raise InputError("bad_input:packet", f"effective_from..effective_to overlaps {clash.packet_id}; "
                                             "the packet in force stays")


def source_document(packet: StoredPacket, packets: PacketRepository) -> Document | None:
    """The stored document the packet names (its source.path and source.sha256), if it was delivered."""
    named = named_source(packet.body_json)
    return packets.document(named[1]) if named else None


def document_for(packet_id: str, client_id: str, packets: PacketRepository) -> Document:
    found = source_document(get_packet(packet_id, client_id, packets), packets)
    if found is None:
        raise NotFound("document_not_found", f"packet {packet_id!r} has no stored source document")
    return found


def promote_packet(order: PromotePacket, packets: PacketRepository, now: datetime | None = None) -> StoredPacket:
    """Operator action: a candidate becomes governed as a new version, recorded in the audit log."""
    current = get_packet(order.packet_id, order.client_id, packets)
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    packet, audit = promoted(current, order, stamp)
    packets.add(packet, audit)
    log.info("packet promoted", extra={"packet_id": packet.packet_id, "to": packet.governance})
    return packet


def find_packet(kind: str, scope: Scope, packets: PacketRepository) -> StoredPacket | None:
    return covering(packets.in_force(kind, scope.client_id, scope.pbm_id), scope)


def find_proposal(scope: Scope, proposal_id: str, packets: PacketRepository) -> StoredPacket:
    """The scope's client's proposal of that id, refused for another PBM (domain/proposals.py)."""
    return proposal_for(packets.in_force(PROPOSAL, scope.client_id), proposal_id, scope)


def check_sufficiency(scope: Scope, formula_ids: list[str], packets: PacketRepository,
                      proposal_id: str = "") -> list[FormulaSufficiency]:
    proposal = find_proposal(scope, proposal_id, packets) if proposal_id else None
    return sufficiency(scope, formula_ids, find_packet(CONTRACT, scope, packets), find_packet(REBATES, scope, packets),
                       proposal)


def list_packets(packets: PacketRepository, client_id: str, pbm_id: str) -> list[StoredPacket]:
    """One client's packets in force; evidence is never listed across clients."""
    if not client_id:
        raise InputError("client_id_required", "evidence is listed for one client: give client_id")
    return packets.in_force(client_id=client_id, pbm_id=pbm_id or None)


def get_packet(packet_id: str, client_id: str, packets: PacketRepository, version: int = 0) -> StoredPacket:
    """A packet in force of that client, or exactly `version` of it (a run's lineage names the version it used);
    another client's packet is as absent as a packet that does not exist."""
    if version:
        exact = packets.version_of(packet_id, version)
        found = [exact] if exact is not None and client_id and exact.client_id == client_id else []
    else:
        found = [p for p in list_packets(packets, client_id, "") if p.packet_id == packet_id]
    if not found:
        raise _packet_not_found(packet_id, client_id)
    return found[0]


def _packet_not_found(packet_id: str, client_id: str) -> NotFound:
    return NotFound("packet_not_found", f"no packet {packet_id!r} for client {client_id!r}")


# What the service answers over gRPC: the same use cases bounded by the caller's scope grant (dual enforcement).
# The operator's tools above reach the database directly and stay outside the mesh's grants.

def _inside(grant: Grant, scope: Scope) -> Scope:
    if not grant.covers_scope(scope):
        raise NotFound("scope_not_found", "no such scope for this caller")  # the scope service's own answer
    return scope


def _packet_inside(grant: Grant, packet_id: str, client_id: str) -> None:
    """A contract packet covers every group of its client, so any area of that client may read it; another
    client's packet is answered exactly as one that does not exist."""
    if not grant.covers_client(client_id):
        raise _packet_not_found(packet_id, client_id)


def find_granted(kind: str, scope: Scope, grant: Grant, packets: PacketRepository) -> StoredPacket | None:
    return find_packet(kind, _inside(grant, scope), packets)


def proposal_granted(scope: Scope, proposal_id: str, grant: Grant, packets: PacketRepository) -> StoredPacket:
    """Only the grant's scope says whose proposal may be read; the id the caller sent is just a reference."""
    return find_proposal(_inside(grant, scope), proposal_id, packets)


def sufficiency_granted(scope: Scope, formula_ids: list[str], grant: Grant, packets: PacketRepository,
                        proposal_id: str = "") -> list[FormulaSufficiency]:
    return check_sufficiency(_inside(grant, scope), formula_ids, packets, proposal_id)


def list_granted(client_id: str, pbm_id: str, grant: Grant, packets: PacketRepository) -> list[StoredPacket]:
    """A client outside the grant is refused whether it exists or not, so the answer confirms nothing."""
    if client_id and not grant.covers_client(client_id):
        raise NotFound("client_not_found", f"no client {client_id!r} for this caller")
    return list_packets(packets, client_id, pbm_id)


def packet_granted(packet_id: str, client_id: str, grant: Grant, packets: PacketRepository,
                   version: int = 0) -> StoredPacket:
    _packet_inside(grant, packet_id, client_id)
    return get_packet(packet_id, client_id, packets, version)


def document_granted(packet_id: str, client_id: str, grant: Grant, packets: PacketRepository) -> Document:
    _packet_inside(grant, packet_id, client_id)
    return document_for(packet_id, client_id, packets)


def promote_granted(order: PromotePacket, grant: Grant, packets: PacketRepository) -> StoredPacket:
    _packet_inside(grant, order.packet_id, order.client_id)
    return promote_packet(order, packets)
