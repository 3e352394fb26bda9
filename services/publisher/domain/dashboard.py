"""Dashboard-safe tables of one run: tidy rows, each carrying run_id, the scope fields, scope_hash and formula version.

No member-level field ever appears; the finest date is the scope's own window.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

SCOPE_COLUMNS = ("run_id", "client_id", "pbm_id", "tpa_id", "group_ids", "date_from", "date_to", "scope_hash")
TOTAL_FIELDS = ("shortfall", "received_other", "total_savings", "claims", "generic_claims", "gdr")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...]


def dashboard_tables(run_id: str, result: dict) -> list[Table]:
    """The readiness table, one table per formula (its buckets), and the formula totals."""
    context = _context(run_id, result)
    tables = [_readiness(context, result)]
    tables += [_buckets(context, formula) for formula in result["formulas"] if "buckets" in formula]
    tables.append(_totals(context, result))
    return tables


def _context(run_id: str, result: dict) -> dict:
    scope = result["scope"]
    return {"run_id": run_id, "client_id": scope["client_id"], "pbm_id": scope["pbm_id"], "tpa_id": scope["tpa_id"],
            "group_ids": ";".join(scope["group_ids"]), "date_from": scope["date_from"], "date_to": scope["date_to"],
            "scope_hash": result["scope_hash"]}


def _formula_context(context: dict, formula: dict) -> dict:
    return {**context, "formula_id": formula["id"], "formula_version": formula["version"], "status": formula["status"]}


def _readiness(context: dict, result: dict) -> Table:
    rows = tuple({**_formula_context(context, f), "reasons": ";".join(f["reasons"])} for f in result["formulas"])
    return Table("readiness", (*SCOPE_COLUMNS, "formula_id", "formula_version", "status", "reasons"), rows)


def _buckets(context: dict, formula: dict) -> Table:
    measure_columns: list[str] = []
    for bucket in formula["buckets"]:
        measure_columns += [k for k in bucket if k not in measure_columns]
    rows = tuple({**_formula_context(context, formula), **{k: b.get(k) for k in measure_columns}} for b in formula["buckets"])
    return Table(formula["id"], (*SCOPE_COLUMNS, "formula_id", "formula_version", "status", *measure_columns), rows)


def _totals(context: dict, result: dict) -> Table:
    rows = tuple({**_formula_context(context, f), **{k: f.get(k) for k in TOTAL_FIELDS}} for f in result["formulas"])
    return Table("formula_totals", (*SCOPE_COLUMNS, "formula_id", "formula_version", "status", *TOTAL_FIELDS), rows)


def to_csv(table: Table) -> bytes:
    """The table as RFC 4180 CSV for Domo connectors: columns in order, an absent value as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow("" if row.get(c) is None else row[c] for c in table.columns)
    return out.getvalue().encode("utf-8")
