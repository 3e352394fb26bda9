"""The dashboard's view of the run as a whole: one summary row, and each formula's status in words beside its codes.

calculations.md 4: readiness is never shown alone, so both tables carry the status line beside it.
"""
from __future__ import annotations

from kernel.words import SIGN_CONVENTION, formula_title, reason_sentence
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.dashboard_table import (
    FORMULA_COLUMNS,
    SCOPE_COLUMNS,
    Table,
    formula_context,
    money_text,
)
from services.publisher.domain.run_context import RunContext

SUMMARY_COLUMNS = ("client_name", "pbm_name", "readiness", "status_line", "total_owed_final", "total_owed_modeled",
                   "total_owed", "blocked_guarantees", "sign_convention")
STATUS_COLUMNS = ("formula_title", "reasons", "reason_sentences", "readiness", "status_line")


def run_summary(context: RunContext, scope: dict) -> Table:
    """One row: who (names beside the ids), how firm (readiness and the status line), and what is owed."""
    total = owed(context.result)
    row = {**scope, "client_name": context.names.client, "pbm_name": context.names.pbm,
           "readiness": context.readiness, "status_line": status_line(context.result),
           "total_owed_final": money_text(total.final), "total_owed_modeled": money_text(total.modeled),
           "total_owed": money_text(total.total), "blocked_guarantees": ";".join(total.blocked),
           "sign_convention": SIGN_CONVENTION}
    return Table("run_summary", (*SCOPE_COLUMNS, *SUMMARY_COLUMNS), (row,))


def formula_status(context: RunContext, scope: dict) -> Table:
    """The `readiness` table: per formula its status, title and reasons as codes and as sentences."""
    line = status_line(context.result)
    rows = tuple({**formula_context(scope, f), "formula_title": formula_title(f["id"]), "reasons": ";".join(f["reasons"]),
                  "reason_sentences": "; ".join(reason_sentence(r) for r in f["reasons"]),
                  "readiness": context.readiness, "status_line": line} for f in context.formulas)
    return Table("readiness", (*SCOPE_COLUMNS, *FORMULA_COLUMNS, *STATUS_COLUMNS), rows)
