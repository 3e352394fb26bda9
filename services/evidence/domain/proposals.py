"""Which stored proposal a run may reprice with: one named by id, of exactly the scope's client and PBM."""
from __future__ import annotations

from kernel.errors import InputError, NotFound
from kernel.scope import Scope
from services.evidence.domain.packets import PROPOSAL, StoredPacket


def proposal_not_found(proposal_id: str, client_id: str) -> NotFound:
    return NotFound("proposal_not_found", f"no proposal {proposal_id!r} for client {client_id!r}")


def proposal_for(client_packets: list[StoredPacket], proposal_id: str, scope: Scope) -> StoredPacket:
    """The proposal of that id among the scope client's packets in force.

    A proposal_id is a reference, never scope: only the client's own packets are searched, so another client's
    proposal is as absent as one that does not exist (the answer confirms nothing). The same client's proposal
    for another PBM is named as a mismatch — the caller may see that client's evidence, and repricing one PBM's
    claims on another PBM's proposal is a mistake worth saying so.
    """
    found = [p for p in client_packets
             if p.kind == PROPOSAL and p.packet_id == proposal_id and p.client_id == scope.client_id]
    if not found:
        raise proposal_not_found(proposal_id, scope.client_id)
    proposal = found[0]
    if proposal.pbm_id != scope.pbm_id:
        raise InputError("scope_evidence_mismatch", f"the proposal is for {proposal.client_id}/{proposal.pbm_id}, "
                                                    f"the scope for {scope.client_id}/{scope.pbm_id}")
    return proposal
