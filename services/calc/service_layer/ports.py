"""What the run use cases need from outside (style.md 11): the claims store, the evidence service, the run store.

The adapters implement these (adapters/claims_store.py and its SQL twins, adapters/evidence_client.py,
adapters/run_repository.py); unit tests use fakes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from kernel.errors import NotReady
from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.claims import Reject
from services.calc.domain.run import RunRecord

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    claims_sha256: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    loaded_at: str


class ClaimsStore(Protocol):
    """What the calc service and `leaf claims load` need from any claims store."""

    kind: str  # "embedded", "postgresql" or "mssql": which source, never its URL

    def snapshot(self) -> Snapshot | None: ...

    def load(self, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot: ...

    def aggregates_for(self, scope: Scope, contract: ContractPacket | None,
                       proposal: Proposal | None = None) -> tuple[Snapshot, ClaimsFacts]: ...

    def netted_claims(self, scope: Scope, snapshot_id: str) -> Iterator[ClaimLine]:
        """That snapshot's netted claims for the scope, in row order, streamed; raises claims_snapshot_expired."""
        ...

    def rejects(self, snapshot_id: str) -> list[Reject]:
        """Every rejected row of that snapshot (the whole input's), in row order; raises claims_snapshot_expired."""
        ...


def no_claims_loaded() -> NotReady:
    return NotReady("no_claims_loaded", "no claims are loaded: run `leaf claims load FILE` (or `leaf demo`)")


@dataclass(frozen=True)
class Evidence(Generic[T]):
    """A parsed packet with the reference a run records in its lineage."""

    value: T
    packet_id: str
    version: int
    sha256: str
    governance: str
    kind: str  # "contract_packet", "rebate_evidence" or "proposal": the same word as the proto's EvidenceKind
    client_id: str = ""  # whose the evidence service says it is (a proposal's body does not say)
    pbm_id: str = ""


@dataclass(frozen=True)
class ScopeEvidence:
    contract: Evidence[ContractPacket] | None
    rebates: Evidence[RebateEvidence] | None
    proposal: Evidence[Proposal] | None

    def used(self) -> list[Evidence]:
        return [e for e in (self.contract, self.rebates, self.proposal) if e is not None]


class EvidenceSource(Protocol):
    """The evidence service as a run needs it (adapters/evidence_client.py; a fake in unit tests)."""

    async def for_scope(self, scope: Scope, proposal_id: str = "") -> ScopeEvidence: ...

    async def as_recorded(self, reference: dict, client_id: str) -> Evidence:
        """Exactly the version a run's lineage names, checked against its sha256."""
        ...


class RunRepository(Protocol):
    """Runs, stored once and never changed."""

    def add(self, run: RunRecord) -> RunRecord:
        """Store the run; one with the same id already stored wins (the same inputs give the same run)."""
        ...

    def get(self, run_id: str) -> RunRecord | None: ...
