"""Explanations (service_layer/parity.Explanations) in the takeover database: one row per proposal and one per
approval, inserted and never updated or deleted (the migration's triggers refuse both); the latest row of a
(card, reason code) is its state."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Integer, String, Table, Text, insert, select

from services.takeover.adapters.tables import ID, STAMP, metadata
from services.takeover.domain.parity import Explanation

takeover_parity_explanations = Table(
    "takeover_parity_explanations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_id", String(ID), nullable=False, index=True),
    Column("card_id", String(ID), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("proposed_by", String(256), nullable=False),   # the verified identity that proposed it
    Column("approved_by", String(256), nullable=True),    # the verified operator who approved it (another one)
    Column("approved_at", String(STAMP), nullable=True),
    Column("recorded_at", String(STAMP), nullable=False),
)


class SqlExplanations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self, process: str) -> list[Explanation]:
        t = takeover_parity_explanations.c
        with self.engine.connect() as db:
            return [Explanation(r["card_id"], r["reason_code"], r["note"], r["proposed_by"], r["approved_by"],
                                r["approved_at"])
                    for r in db.execute(select(takeover_parity_explanations).where(t.process_id == process)
                                        .order_by(t.id)).mappings()]

    def append(self, process: str, explanation: Explanation) -> None:
        with self.engine.begin() as db:
            db.execute(insert(takeover_parity_explanations).values(
                process_id=process, card_id=explanation.card_id, reason_code=explanation.reason_code,
                note=explanation.note, proposed_by=explanation.proposed_by, approved_by=explanation.approved_by,
                approved_at=explanation.approved_at,
                recorded_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")))
