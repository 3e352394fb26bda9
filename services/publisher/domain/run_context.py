"""One run, one context: everything every deliverable of a run is produced from, and nothing else.

The API JSON, the dashboard tables, the extract, the workbook and the PDF all read this object, so they
cannot disagree. It holds only what the run recorded: replaying the run gives the same context, and every
renderer pins its timestamps and metadata to `created_at`, so the same context gives the same bytes.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.publisher.domain.claim_findings import ClaimFindings
from services.publisher.domain.extract import ExtractRow
from services.publisher.domain.narrative import Narrative


@dataclass(frozen=True)
class RejectedRow:
    """A rejected input row that counts against the run's scope (calculations.md 1.1): the client-facing part."""

    row: int
    reason: str


@dataclass(frozen=True)
class Names:
    """Display names beside the ids, from the scope registry; None where the registry has none (then the id shows)."""

    client: str | None = None
    pbm: str | None = None
    tpa: str | None = None
    groups: tuple[tuple[str, str], ...] = ()    # (group_id, name) of the scope's groups, in group_id order

    @staticmethod
    def label(name: str | None, identifier: str | None) -> str:
        """"Acme Manufacturing (C001)", or the id alone without a name."""
        if identifier is None:
            return ""
        return f"{name} ({identifier})" if name else identifier


@dataclass(frozen=True)
class RunContext:
    run_id: str
    result: dict      # calculations.md section 5, exactly as calc rendered it (decimals are strings)
    lineage: dict     # RunLineage as a dict: registry/formula versions, input hashes, evidence refs, trace id, ITR
    rejected_in_scope: tuple[RejectedRow, ...]
    # The run's netted claims as extract rows (member ids already pseudonymized), in input row order.
    # A callable, not a list: a million claims are streamed, once per artifact that shows them.
    claims: Callable[[], Iterator[ExtractRow]]
    names: Names = Names()
    # Gathered while the claims stream past once (deliverables.py); None until then.
    findings: ClaimFindings | None = None
    # The executive narrative (service_layer/narrative.py): the template, or a model's draft the validator accepted.
    narrative: Narrative | None = None

    @property
    def scope(self) -> dict:
        return self.result["scope"]

    @property
    def client_id(self) -> str:
        return self.scope["client_id"]

    @property
    def scope_hash(self) -> str:
        return self.result["scope_hash"]

    @property
    def readiness(self) -> str:
        return self.result["readiness"]

    @property
    def formulas(self) -> list[dict]:
        return self.result["formulas"]

    @property
    def created_at(self) -> datetime:
        """The run's own timestamp: the only clock any artifact may show or embed."""
        return datetime.fromisoformat(self.lineage["created_at"])

    @property
    def client_label(self) -> str:
        return Names.label(self.names.client, self.client_id)

    @property
    def pbm_label(self) -> str:
        return Names.label(self.names.pbm, self.scope["pbm_id"])

    @property
    def evidence(self) -> list[dict]:
        return list(self.lineage.get("evidence", ()))

    def formula(self, formula_id: str) -> dict | None:
        return next((f for f in self.formulas if f["id"] == formula_id), None)


def decimal_or_none(value: str | None) -> Decimal | None:
    """Result decimals are strings with their natural places; absent values stay absent, never zero."""
    return None if value is None else Decimal(value)


def run_document(context: RunContext) -> dict:
    """What `run.json` holds: the section-5 result plus its lineage."""
    return {"run_id": context.run_id, "result": context.result, "lineage": context.lineage}


def run_json(context: RunContext) -> bytes:
    """`run.json`: the section-5 result plus its lineage, canonical bytes (sorted keys, UTF-8)."""
    return json.dumps(run_document(context), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def rejected_rows_in_scope(rows: Iterable[dict]) -> tuple[RejectedRow, ...]:
    return tuple(RejectedRow(int(r["row"]), r["reason"]) for r in rows)


def no_claims() -> Iterator:
    """The claims of a context sent where none are read (the PDF's and the workbook's worker processes)."""
    return iter(())
