"""Parity reports in the takeover database (every replica reads the same latest report), append-only enforced by the
database for the registry's history too, and one approval per proposal.

- `takeover_parity_reports`: one row per kept report; the latest of a process is its highest id.
- UPDATE and DELETE refused by triggers (as 0003 did for the explanations) on the reports, the proofs, the
  transitions and the refusals: the audit trail cannot be rewritten even by a bug or a hand-run statement.
- `takeover_parity_explanations.proposal_id`: an approval row names the proposal row it approves, unique, so two
  operators approving the same proposal at the same moment cannot both be recorded (the loser is refused).
"""
import sqlalchemy as sa
from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REPORTS = "takeover_parity_reports"
EXPLANATIONS = "takeover_parity_explanations"
APPEND_ONLY_TABLES = (REPORTS, "takeover_process_proofs", "takeover_process_transitions", "takeover_process_refusals")
ONE_APPROVAL = "uq_takeover_parity_explanations_proposal"


def append_only(table: str) -> dict[str, list[str]]:
    """The statements of each dialect refusing UPDATE and DELETE on `table` (exactly as 0003)."""
    return {
        "sqlite": [f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for verb in ("UPDATE", "DELETE")],
        "postgresql": [
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ],
        "mssql": [f"CREATE TRIGGER {table}_append_only ON {table} INSTEAD OF UPDATE, DELETE AS "
                  f"BEGIN THROW 51000, '{table} is append-only', 1; END"],
    }


def drop_append_only(table: str) -> dict[str, list[str]]:
    return {
        "sqlite": [f"DROP TRIGGER IF EXISTS {table}_no_{verb.lower()}" for verb in ("update", "delete")],
        "postgresql": [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                       f"DROP FUNCTION IF EXISTS {table}_append_only()"],
        "mssql": [f"DROP TRIGGER IF EXISTS {table}_append_only"],
    }


def upgrade() -> None:
    dialect = context.get_context().dialect.name
    op.create_table(
        REPORTS,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(128), nullable=False),
        sa.Column("report_id", sa.String(128), nullable=False),
        sa.Column("load_id", sa.String(128), nullable=True),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("made_by", sa.String(256), nullable=False),
        sa.Column("made_at", sa.String(40), nullable=False),
    )
    op.create_index(f"ix_{REPORTS}_process_id", REPORTS, ["process_id"])
    # Rows approved before this column existed keep NULL; only new approval rows name their proposal. The index is
    # filtered on every dialect (Azure SQL would otherwise allow a single NULL).
    op.add_column(EXPLANATIONS, sa.Column("proposal_id", sa.Integer, nullable=True))
    not_null = sa.text("proposal_id IS NOT NULL")
    op.create_index(ONE_APPROVAL, EXPLANATIONS, ["proposal_id"], unique=True, sqlite_where=not_null,
                    postgresql_where=not_null, mssql_where=not_null)
    for table in APPEND_ONLY_TABLES:
        for statement in append_only(table).get(dialect, []):
            op.execute(statement)


def downgrade() -> None:
    dialect = context.get_context().dialect.name
    for table in APPEND_ONLY_TABLES:
        for statement in drop_append_only(table).get(dialect, []):
            op.execute(statement)
    op.drop_index(ONE_APPROVAL, table_name=EXPLANATIONS)
    op.drop_column(EXPLANATIONS, "proposal_id")
    op.drop_index(f"ix_{REPORTS}_process_id", table_name=REPORTS)
    op.drop_table(REPORTS)
