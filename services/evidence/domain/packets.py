"""A stored evidence packet (contract, rebates or proposal) and the rule that picks the one covering a scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kernel.scope import Scope

CONTRACT = "contract_packet"
REBATES = "rebate_evidence"
PROPOSAL = "proposal"  # picked by id, never by window (services/evidence/domain/proposals.py)


@dataclass(frozen=True)
class StoredPacket:
    """An immutable, content-addressed packet version; `document_name` is its place in the contract tree.

    For a proposal, governance is always "proposed" and the window is the term it proposes.
    """

    packet_id: str
    version: int
    kind: str
    client_id: str
    pbm_id: str
    governance: str
    effective_from: date
    effective_to: date
    sha256: str
    body_json: bytes
    document_name: str
    retrieved_at: str

    def overlap_days(self, start: date, end: date) -> int:
        return max(0, (min(end, self.effective_to) - max(start, self.effective_from)).days + 1)


def covering(packets: list[StoredPacket], scope: Scope) -> StoredPacket | None:
    """The packet of the scope's client and PBM that overlaps its window most (ties: the later one).

    Never another client's or PBM's packet, and never a substitute when nothing overlaps: the calc
    service then reports the gap or the missing evidence instead of computing on the wrong terms.
    """
    own = [p for p in packets if p.client_id == scope.client_id and p.pbm_id == scope.pbm_id]
    scored = [(p.overlap_days(scope.date_from, scope.date_to), p.effective_from, p) for p in own]
    scored = [s for s in scored if s[0] > 0]
    return max(scored, key=lambda s: (s[0], s[1]))[2] if scored else None


def overlapping(in_force: list[StoredPacket], candidate: StoredPacket) -> StoredPacket | None:
    """Another packet of the same kind, client and PBM whose window overlaps: two would govern one day.

    Proposals govern nothing: several for one term are alternatives a run names by id, so none clashes.
    """
    if candidate.kind == PROPOSAL:
        return None
    for packet in in_force:
        if (packet.kind, packet.client_id, packet.pbm_id) == (candidate.kind, candidate.client_id, candidate.pbm_id) \
                and packet.packet_id != candidate.packet_id \
                and packet.overlap_days(candidate.effective_from, candidate.effective_to) > 0:
            return packet
    return None
