"""A parity report (service_layer/parity.current_parity) as one workbook sheet, with XlsxWriter.

Every value is the report's own decimal string, written as text: a Domo value such as 0.33333333333333331 or a
difference such as 0.00003333333333331 stays exactly what the comparison computed (an Excel number is a binary
double and would not). The first rows summarise (process, load, report ids, counts, worst difference); then one row
per card, in the report's order.
"""
from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

from xlsxwriter import Workbook

SHEET = "Parity"
COLUMNS = (("card_id", "Card", 12), ("classification", "Classification", 14), ("domo_value", "Domo value", 22),
           ("replayed_value", "Replayed value", 22), ("replay_status", "Replay", 14),
           ("backend_formula", "Backend formula", 36), ("backend_value", "Backend value", 22),
           ("difference", "Difference (Domo - backend)", 26), ("tolerance", "Tolerance", 10),
           ("reason_code", "Reason code", 26), ("approved_by", "Approved by", 28), ("approved_at", "Approved at", 28),
           ("proposed", "Proposed, not approved", 36))
SUMMARY = (("Process", "process"), ("Load", "load_id"), ("Report id", "report_id"),
           ("Classified again from", "base_report_id"), ("Cards", "cards"), ("Match", "match"),
           ("Explained", "explained"), ("Unexplained", "unexplained"))


def render_parity_xlsx(report: Mapping, target: Path | BytesIO) -> None:
    workbook = Workbook(target if isinstance(target, BytesIO) else str(target), {"in_memory": True})
    try:
        workbook.set_properties({"title": f"Parity report {report.get('report_id', '')}",
                                 "subject": f"Domo takeover parity of {report.get('process', '')}"})
        bold = workbook.add_format({"bold": True})
        text = workbook.add_format({"num_format": "@"})
        decimal = workbook.add_format({"num_format": "@", "align": "right"})
        flags = {"match": workbook.add_format({"num_format": "@", "font_color": "#1E6B30"}),
                 "explained": workbook.add_format({"num_format": "@", "font_color": "#7A5A00"}),
                 "unexplained": workbook.add_format({"num_format": "@", "bold": True, "font_color": "#9C0006"})}
        sheet = workbook.add_worksheet(SHEET)
        row = 0
        for label, key in SUMMARY:
            sheet.write_string(row, 0, label, bold)
            value = report.get(key)
            if isinstance(value, int):
                sheet.write_number(row, 1, value)
            else:
                sheet.write_string(row, 1, "" if value is None else str(value), text)
            row += 1
        worst = report.get("worst_difference") or {}
        sheet.write_string(row, 0, "Worst difference", bold)
        sheet.write_string(row, 1, worst.get("card_id") or "", text)
        sheet.write_string(row, 2, worst.get("difference") or "", decimal)
        row += 2
        header = row
        for col, (_, title, width) in enumerate(COLUMNS):
            sheet.write_string(row, col, title, bold)
            sheet.set_column(col, col, width)
        for packet in report.get("packets") or []:
            row += 1
            for col, (key, _, _) in enumerate(COLUMNS):
                value = packet.get(key)
                if key == "proposed":
                    value = ", ".join(value or [])
                cell = flags.get(str(value), text) if key == "classification" else (
                    decimal if key in ("domo_value", "replayed_value", "backend_value", "difference", "tolerance")
                    else text)
                sheet.write_string(row, col, "" if value is None else str(value), cell)
        sheet.freeze_panes(header + 1, 1)
        if row > header:
            sheet.autofilter(header, 0, row, len(COLUMNS) - 1)
    finally:
        workbook.close()
