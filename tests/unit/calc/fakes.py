"""Fakes of the calc service's ports (services/calc/service_layer/ports.py), in memory: the run use cases run on these
in unit tests without a claims database, DuckDB, the evidence service over gRPC or the run table (style.md 11)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from kernel.errors import Internal, NotReady
from kernel.packets import ContractPacket, Proposal
from kernel.scope import Scope
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.calculate import member_masks
from services.calc.domain.claim_lines import ClaimLine, claim_lines, netted_claims
from services.calc.domain.claims import ClaimsBatch, Reject
from services.calc.domain.facts import facts_from_batch
from services.calc.domain.run import RunRecord
from services.calc.service_layer.ports import Evidence, ScopeEvidence, Snapshot
from services.calc.service_layer.runs import CalcDeps

CONTRACT, REBATES, PROPOSAL = "contract_packet", "rebate_evidence", "proposal"


class FakeClaims:
    """Claims snapshots by id; the newest loaded is the active one. A pruned snapshot is simply absent."""

    kind = "embedded"

    def __init__(self) -> None:
        self.batches: dict[str, ClaimsBatch] = {}
        self.active: Snapshot | None = None
        self.streams: list[_Stream] = []   # every netted_claims stream handed out, to see it closed

    def put(self, snapshot_id: str, batch: ClaimsBatch) -> Snapshot:
        """Make `batch` the active snapshot (what `leaf claims load` does, without a file)."""
        self.batches[snapshot_id] = batch
        self.active = Snapshot(snapshot_id, batch.sha256, batch.rows_read, batch.valid_count, len(batch.rejects),
                               "2026-01-05T00:00:00+00:00")
        return self.active

    def prune(self, snapshot_id: str) -> None:
        del self.batches[snapshot_id]

    def snapshot(self) -> Snapshot | None:
        return self.active

    def load(self, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot:
        raise NotImplementedError("the use cases never load a file; put() a batch instead")

    def aggregates_for(self, scope: Scope, contract: ContractPacket | None,
                       proposal: Proposal | None = None) -> tuple[Snapshot, ClaimsFacts]:
        if self.active is None:
            raise NotReady("no_claims_loaded", "no claims are loaded")
        batch = self.batches[self.active.snapshot_id]
        return self.active, facts_from_batch(batch, scope, member_masks(contract))

    def netted_claims(self, scope: Scope, snapshot_id: str) -> Iterator[ClaimLine]:
        stream = _Stream(claim_lines(netted_claims(self._batch(snapshot_id), scope)))
        self.streams.append(stream)
        return stream

    def rejects(self, snapshot_id: str) -> list[Reject]:
        # Handed out in the store's order, which the use case must not rely on for the whole input.
        return list(reversed(self._batch(snapshot_id).rejects))

    def _batch(self, snapshot_id: str) -> ClaimsBatch:
        if snapshot_id not in self.batches:
            raise NotReady("claims_snapshot_expired", "that claims snapshot is no longer kept")
        return self.batches[snapshot_id]


class _Stream:
    """An iterator that, like a store's cursor, can be closed."""

    def __init__(self, lines: list[ClaimLine]) -> None:
        self.lines, self.closed = iter(lines), False

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> ClaimLine:
        return next(self.lines)

    def close(self) -> None:
        self.closed = True


class FakeEvidence:
    """The evidence service: every version it holds; the newest of each packet is the one in force."""

    def __init__(self, *versions: Evidence) -> None:
        self.versions: dict[tuple[str, int], Evidence] = {}
        self.asked: list[tuple[str, str]] = []   # (client_id, proposal_id) of each for_scope call
        for e in versions:
            self.add(e)

    def add(self, evidence: Evidence) -> None:
        self.versions[(evidence.packet_id, evidence.version)] = evidence

    def in_force(self) -> list[Evidence]:
        newest: dict[str, Evidence] = {}
        for e in self.versions.values():
            if e.packet_id not in newest or e.version > newest[e.packet_id].version:
                newest[e.packet_id] = e
        return list(newest.values())

    async def for_scope(self, scope: Scope, proposal_id: str = "") -> ScopeEvidence:
        self.asked.append((scope.client_id, proposal_id))
        own = [e for e in self.in_force() if (e.client_id, e.pbm_id) == (scope.client_id, scope.pbm_id)]
        proposal = [e for e in self.in_force() if e.kind == PROPOSAL and e.packet_id == proposal_id
                    and e.client_id == scope.client_id]
        return ScopeEvidence(next((e for e in own if e.kind == CONTRACT), None),
                             next((e for e in own if e.kind == REBATES), None),
                             proposal[0] if proposal_id and proposal else None)

    async def as_recorded(self, reference: dict, client_id: str) -> Evidence:
        found = self.versions.get((reference["evidence_id"], reference["version"]))
        if found is None or found.client_id != client_id or found.sha256 != reference["sha256"]:
            raise Internal("run_evidence_mismatch", "not the evidence version the run recorded")
        return found


class FakeRuns:
    """Runs stored once: the first of an id wins, as in the run table."""

    def __init__(self) -> None:
        self.stored: dict[str, RunRecord] = {}
        self.adds = 0

    def add(self, run: RunRecord) -> RunRecord:
        self.adds += 1
        return self.stored.setdefault(run.run_id, run)

    def get(self, run_id: str) -> RunRecord | None:
        return self.stored.get(run_id)


def fake_deps(claims: FakeClaims, evidence: FakeEvidence, now: datetime = datetime(2026, 1, 5, tzinfo=UTC)) -> CalcDeps:
    return CalcDeps(claims, evidence, FakeRuns(), clock=lambda: now)


def evidence_of(value, document: dict, kind: str, version: int = 1, owner: tuple[str, str] = ("C001", "PBM_A"),
                governance: str = "governed_exact") -> Evidence:
    """Evidence as the evidence service hands it: the parsed packet and the sha256 of the document it came from."""
    sha = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    packet_id = document.get("packet_id") or document.get("evidence_id") or document["proposal_id"]
    return Evidence(value, packet_id, version, sha, governance, kind, *owner)
