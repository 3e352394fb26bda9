"""The takeover-process registry in the service database (SQLite, PostgreSQL, Azure SQL: one SQLAlchemy URL), and
the parity results it checks (docs/takeover-states.md; the kept reports: adapters/parity_reports_sql.py).

Proofs, transitions and refusals are append-only: this adapter inserts them and never updates or deletes one (and
the database refuses both: migration 0004's triggers). The process row's `state` is the one mutable column, moved
only by `transition`, in the same transaction as its history line and only while it still holds the state the
decision was made on.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from kernel.errors import Conflict
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.tables import ID, STAMP, metadata
from services.takeover.domain.processes import (
    LEGACY_REFERENCE,
    ParityResult,
    Process,
    ProcessRecord,
    Proof,
    Refusal,
    Transition,
    latest_proofs,
    parity_result,
)
from services.takeover.settings import TakeoverStoreSettings

WHO = 256
STATE = 40

takeover_processes = Table(
    "takeover_processes", metadata,
    Column("process_id", String(ID), primary_key=True),
    Column("definition", Text, nullable=False),          # JSON: Process.as_json()
    Column("state", String(STATE), nullable=False),
    Column("defined_at", String(STAMP), nullable=False),
)

takeover_process_proofs = Table(
    "takeover_process_proofs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_id", String(ID), ForeignKey("takeover_processes.process_id"), nullable=False, index=True),
    Column("proof", String(64), nullable=False),
    Column("ref", String(512), nullable=False),
    Column("recorded_by", String(WHO), nullable=False),
    Column("recorded_at", String(STAMP), nullable=False),
    Column("note", Text, nullable=False),
    implicit_returning=False,  # SQL Server refuses OUTPUT on a table with triggers (append-only: 0003/0004)
)

takeover_process_transitions = Table(
    "takeover_process_transitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_id", String(ID), ForeignKey("takeover_processes.process_id"), nullable=False),
    Column("seq", Integer, nullable=False),               # 1, 2, … per process: no two writers append the same line
    Column("from_state", String(STATE), nullable=False),
    Column("to_state", String(STATE), nullable=False),
    Column("at", String(STAMP), nullable=False),
    Column("operator", String(WHO), nullable=False),      # the verified operator identity
    Column("note", Text, nullable=False),
    UniqueConstraint("process_id", "seq", name="uq_takeover_process_transitions_seq"),
    implicit_returning=False,  # SQL Server refuses OUTPUT on a table with triggers (append-only: 0003/0004)
)

takeover_process_refusals = Table(
    "takeover_process_refusals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_id", String(ID), ForeignKey("takeover_processes.process_id"), nullable=False, index=True),
    Column("from_state", String(STATE), nullable=False),
    Column("to_state", String(STATE), nullable=False),
    Column("at", String(STAMP), nullable=False),
    Column("operator", String(WHO), nullable=False),
    Column("reasons", Text, nullable=False),              # JSON list of reason codes
    Column("note", Text, nullable=False),
    implicit_returning=False,  # SQL Server refuses OUTPUT on a table with triggers (append-only: 0003/0004)
)


class SqlProcessRegistry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def define(self, process: Process, at: str) -> bool:
        definition = json.dumps(process.as_json(), ensure_ascii=False, sort_keys=True)
        with self.engine.begin() as db:
            known = db.execute(select(takeover_processes.c.definition)
                               .where(takeover_processes.c.process_id == process.process_id)).scalar_one_or_none()
            if known is None:
                db.execute(insert(takeover_processes).values(process_id=process.process_id, definition=definition,
                                                             state=LEGACY_REFERENCE, defined_at=at))
                return True
            if known != definition:
                db.execute(update(takeover_processes).where(takeover_processes.c.process_id == process.process_id)
                           .values(definition=definition))
            return False

    def get(self, process_id: str) -> ProcessRecord | None:
        records = self._records(process_id)
        return records[0] if records else None

    def all(self) -> list[ProcessRecord]:
        return self._records(None)

    def _records(self, process_id: str | None) -> list[ProcessRecord]:
        query = select(takeover_processes).order_by(takeover_processes.c.process_id)
        proofs = select(takeover_process_proofs).order_by(takeover_process_proofs.c.id)
        if process_id is not None:
            query = query.where(takeover_processes.c.process_id == process_id)
            proofs = proofs.where(takeover_process_proofs.c.process_id == process_id)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
            by_process: dict[str, list[Proof]] = {}
            for p in db.execute(proofs).mappings():
                by_process.setdefault(p["process_id"], []).append(_proof(p))
        return [ProcessRecord(Process.from_json(json.loads(r["definition"])), r["state"],
                              latest_proofs(by_process.get(r["process_id"], []))) for r in rows]

    def add_proof(self, proof: Proof) -> None:
        with self.engine.begin() as db:
            db.execute(insert(takeover_process_proofs).values(
                process_id=proof.process_id, proof=proof.proof, ref=proof.ref, recorded_by=proof.recorded_by,
                recorded_at=proof.recorded_at, note=proof.note))

    def proofs(self, process_id: str) -> list[Proof]:
        with self.engine.connect() as db:
            return [_proof(p) for p in db.execute(
                select(takeover_process_proofs).where(takeover_process_proofs.c.process_id == process_id)
                .order_by(takeover_process_proofs.c.id)).mappings()]

    def transition(self, transition: Transition) -> None:
        with self.engine.begin() as db:  # ONE transaction: the state moves and its history line is appended
            moved = db.execute(update(takeover_processes)
                               .where(takeover_processes.c.process_id == transition.process_id,
                                      takeover_processes.c.state == transition.from_state)
                               .values(state=transition.to_state)).rowcount
            if moved != 1:
                raise Conflict("state_changed", f"{transition.process_id} is no longer {transition.from_state}")
            seq = db.execute(select(func.count()).select_from(takeover_process_transitions)
                             .where(takeover_process_transitions.c.process_id == transition.process_id)).scalar_one()
            db.execute(insert(takeover_process_transitions).values(
                process_id=transition.process_id, seq=seq + 1, from_state=transition.from_state,
                to_state=transition.to_state, at=transition.at, operator=transition.operator, note=transition.note))

    def history(self, process_id: str) -> list[Transition]:
        t = takeover_process_transitions.c
        with self.engine.connect() as db:
            return [Transition(r["process_id"], r["from_state"], r["to_state"], r["at"], r["operator"], r["note"])
                    for r in db.execute(select(takeover_process_transitions).where(t.process_id == process_id)
                                        .order_by(t.seq)).mappings()]

    def refuse(self, refusal: Refusal) -> None:
        with self.engine.begin() as db:
            db.execute(insert(takeover_process_refusals).values(
                process_id=refusal.process_id, from_state=refusal.from_state, to_state=refusal.to_state,
                at=refusal.at, operator=refusal.operator, reasons=json.dumps(list(refusal.reasons)),
                note=refusal.note))

    def refusals(self, process_id: str) -> list[Refusal]:
        r_ = takeover_process_refusals.c
        with self.engine.connect() as db:
            return [Refusal(r["process_id"], r["from_state"], r["to_state"], r["at"], r["operator"],
                            tuple(json.loads(r["reasons"])), r["note"])
                    for r in db.execute(select(takeover_process_refusals).where(r_.process_id == process_id)
                                        .order_by(r_.id)).mappings()]


def _proof(row: Mapping) -> Proof:
    return Proof(row["process_id"], row["proof"], row["ref"], row["recorded_by"], row["recorded_at"], row["note"])


class CallableParityResults:
    """ParityResults from any function process id → (report id, parity report dict) | None, e.g. T2's parity use case
    run on the latest promoted load."""

    def __init__(self, source: Callable[[str], tuple[str, Mapping] | None]) -> None:
        self.source = source

    def latest(self, process_id: str) -> ParityResult | None:
        found = self.source(process_id)
        return None if found is None else parity_result(found[1], found[0])


def open_process_registry(settings: TakeoverStoreSettings,
                          engine: Engine | None = None) -> tuple[SqlProcessRegistry, SqlParityReports]:
    """The registry and the kept parity reports, both on the takeover database."""
    from services.takeover.adapters.plane import open_takeover_db

    engine = engine or open_takeover_db(settings.LEAF_TAKEOVER_DB_URL)
    return SqlProcessRegistry(engine), SqlParityReports(engine)
