"""One dashboard table and how its cells are written: the row context every table shares, CSV text, booleans.

A row is plain JSON values (str, int, bool, None); money and ratios stay the result's decimal strings. The JSON
twin writes a boolean as `true`/`false`, and so does the CSV (Domo and every CSV reader expect that, not Python's
`True`/`False`); an absent value is an empty CSV field and a JSON null.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from services.publisher.domain.run_context import RunContext

SCOPE_COLUMNS = ("run_id", "client_id", "pbm_id", "tpa_id", "group_ids", "date_from", "date_to", "scope_hash")
FORMULA_COLUMNS = ("formula_id", "formula_version", "status")
# Words and labels: never a measure, so suppression keeps them and Domo types them STRING.
TEXT_COLUMNS = frozenset((*SCOPE_COLUMNS, "formula_id", "status", "channel", "brand_generic", "reasons",
                          "formula_title", "reason_sentences", "readiness", "status_line", "client_name", "pbm_name",
                          "blocked_guarantees", "sign_convention", "offset", "offset_rule", "group",
                          "received_other_channels", "finding", "explanation"))
BOOLEAN_COLUMNS = frozenset(("suppressed",))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]


def scope_context(context: RunContext) -> dict:
    """The columns that open every row: which run, which scope."""
    scope = context.scope
    return {"run_id": context.run_id, "client_id": scope["client_id"], "pbm_id": scope["pbm_id"],
            "tpa_id": scope["tpa_id"], "group_ids": ";".join(scope["group_ids"]), "date_from": scope["date_from"],
            "date_to": scope["date_to"], "scope_hash": context.scope_hash}


def formula_context(scope: dict, formula: dict) -> dict:
    return {**scope, "formula_id": formula["id"], "formula_version": formula["version"], "status": formula["status"]}


def money_text(value: Decimal) -> str:
    """An amount the dashboard computes (a sum), written like the result's: a string with two places."""
    return str(value.quantize(CENT))


def cell_text(value: object) -> str:
    """A value as a CSV field: booleans lower case, absent as empty, everything else as its own text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(table: Table) -> bytes:
    """The table as RFC 4180 CSV for Domo connectors: columns in order, an absent value as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(cell_text(row.get(c)) for c in table.columns)
    return out.getvalue().encode("utf-8")
