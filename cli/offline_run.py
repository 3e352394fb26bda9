"""The offline twin of a service run: the same context the publisher assembles, built from local files.

Calc's part (services/calc/offline.py: the result, run id, lineage, rejects and judged claim lines, exactly as the
calc service derives them) handed to the publisher's (services/publisher/offline.py), as the mesh hands a run over
gRPC. `created_at` is SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else now — so pinning it
gives the same bytes on every replay.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

from kernel.scope import Scope
from services.calc import offline as calc
from services.publisher import offline as publisher


def created_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.isoformat(timespec="seconds")


def offline_context(args, batch, contract, rebates, proposal, secret: bytes):
    """args: the `leaf calc` arguments; batch: the pure reader's ClaimsBatch; evidence already parsed. Returns the
    publisher's RunContext."""
    scope = Scope.parse(args.client, args.pbm, args.date_from, args.date_to, args.tpa, tuple(args.group))
    evidence = [calc.EvidenceFile(args.contract, contract, "contract_packet", "packet_id"),
                calc.EvidenceFile(args.rebates, rebates, "rebate_evidence", "evidence_id"),
                calc.EvidenceFile(args.proposal, proposal, "proposal", "proposal_id")]
    run = calc.offline_run(batch, scope, contract, rebates, proposal, evidence, created_at())
    return publisher.run_context(run.run_id, run.result, run.lineage, run.rejected, run.claims, scope.client_id,
                                 secret)
