"""Explanations (service_layer/parity.Explanations) in the takeover database: one row per proposal and one per
approval, inserted and never updated or deleted (the migration's triggers refuse both); the latest row of a
(card, reason code) is its state.

An approval row names the proposal row it approves (`proposal_id`, unique: migration 0004), and is inserted by one
INSERT … SELECT that finds that proposal itself: two operators approving the same proposal at the same moment both
read it pending, but only one row can name it — the other insert is refused by the database and answered
`already_approved`, as a sequential second approval is by the domain."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Index, Integer, String, Table, Text, func, insert, literal, select, text
from sqlalchemy.exc import IntegrityError

from kernel.errors import Conflict
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
    Column("proposal_id", Integer, nullable=True),        # an approval: the id of the proposal row it approves
    # One approval per proposal (migration 0004), filtered on every dialect (Azure SQL would allow only one NULL).
    Index("uq_takeover_parity_explanations_proposal", "proposal_id", unique=True,
          sqlite_where=text("proposal_id IS NOT NULL"), postgresql_where=text("proposal_id IS NOT NULL"),
          mssql_where=text("proposal_id IS NOT NULL")),
    implicit_returning=False,  # SQL Server refuses OUTPUT on a table with triggers (append-only: 0003/0004)
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
        if explanation.approved_by:
            self._approve(process, explanation)
            return
        with self.engine.begin() as db:
            db.execute(insert(takeover_parity_explanations).values(
                process_id=process, card_id=explanation.card_id, reason_code=explanation.reason_code,
                note=explanation.note, proposed_by=explanation.proposed_by, recorded_at=_now()))

    def _approve(self, process: str, approval: Explanation) -> None:
        """Insert the approval of the latest pending proposal of its (card, reason code) — the one the approver was
        shown (same proposer and note) — in one statement; nothing pending, or another approval of it first:
        Conflict, nothing written."""
        t = takeover_parity_explanations.c
        pending = (select(func.max(t.id)).where(t.process_id == process, t.card_id == approval.card_id,
                                               t.reason_code == approval.reason_code, t.approved_by.is_(None))
                   .scalar_subquery())
        proposal = select(t.process_id, t.card_id, t.reason_code, t.note, t.proposed_by,
                          literal(approval.approved_by, String), literal(approval.approved_at, String),
                          literal(_now(), String), t.id).where(
            t.id == pending, t.note == approval.note, t.proposed_by == approval.proposed_by)
        try:
            with self.engine.begin() as db:
                db.execute(insert(takeover_parity_explanations).from_select(
                    ["process_id", "card_id", "reason_code", "note", "proposed_by", "approved_by", "approved_at",
                     "recorded_at", "proposal_id"], proposal))
                # the rowcount of INSERT … SELECT is not reported by every driver (psycopg: -1): read it back
                added = db.execute(select(func.count()).where(
                    t.proposal_id == pending, t.approved_by == approval.approved_by,
                    t.approved_at == approval.approved_at)).scalar_one()
        except IntegrityError:  # the unique proposal_id: another operator's approval of it was recorded first
            raise Conflict("already_approved", f"the {approval.reason_code} explanation of card "
                                               f"{approval.card_id} was approved by another operator") from None
        if added != 1:
            raise Conflict("proposal_changed", f"the {approval.reason_code} proposal of card {approval.card_id} "
                                               "changed since it was read; read it again")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
