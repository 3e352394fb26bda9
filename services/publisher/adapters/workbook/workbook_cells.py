"""How a value of a run becomes a workbook cell: money, ratio, count, date or text, each with its number format."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

# Field names as the result and the extract spell them (calculations.md 3 and 5, extract.EXTRACT_COLUMNS).
MONEY_FIELDS = frozenset({
    "awp", "ingredient_cost", "guaranteed_cost", "variance", "shortfall", "fees", "dispensing_fee", "guaranteed_fees",
    "rebate_per_claim", "guaranteed", "received", "received_other", "current_cost", "proposed_cost", "savings",
    "total_savings", "awp_ext", "ingredient_cost_paid", "dispensing_fee_paid", "variance_total", "dispensing_fees",
    "spend"})
PRICE_FIELDS = frozenset({"awp_unit_price"})    # a unit price keeps its 5 places: rounding it would misstate awp_ext
QUANTITY_FIELDS = frozenset({"quantity"})
RATIO_FIELDS = frozenset({"actual_discount", "guaranteed_discount", "gdr"})
DECIMAL_FIELDS = MONEY_FIELDS | PRICE_FIELDS | QUANTITY_FIELDS | RATIO_FIELDS

# Dollars tagged with the en-US locale, so the symbol does not turn into the viewer's own currency.
_USD = "[$$-409]#,##0.00;[Red]-[$$-409]#,##0.00"
_USD_PRICE = "[$$-409]#,##0.00000"
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # serial 0; claims are far past Excel's 1900 leap-year bug

RUN_ROWS = 2      # every sheet opens with run_id and scope_hash, so a printed page names its run;
#                  the next row holds the banner of a run that is not final (frozen with them)
FIRST_ROW = 3     # the row after those two and the banner's (blank in a final run)


@dataclass(frozen=True)
class Formats:
    header: Format
    label: Format
    money: Format
    price: Format
    quantity: Format
    ratio: Format
    count: Format
    row_number: Format
    date: Format
    text: Format
    modeled: Format
    blocked: Format
    title: Format       # a sheet's title: the formula's name in words
    code: Format        # the code beside the words, in small print
    wrap: Format        # a sentence in a wide column
    money_check: Format  # an Excel formula beside a published figure: the arithmetic, shown apart from the figure
    ratio_check: Format

    @classmethod
    def of(cls, workbook: Workbook) -> Formats:
        add = workbook.add_format
        return cls(
            header=add({"bold": True, "bg_color": "#DDEBF7", "bottom": 1}),
            label=add({"bold": True}), money=add({"num_format": _USD}), price=add({"num_format": _USD_PRICE}),
            quantity=add({"num_format": "#,##0.000"}), ratio=add({"num_format": "0.00%"}),
            count=add({"num_format": "#,##0"}), row_number=add({"num_format": "0"}),
            date=add({"num_format": "yyyy-mm-dd"}), text=add({}),
            modeled=add({"bold": True, "font_color": "#9C5700", "bg_color": "#FFEB9C"}),
            blocked=add({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
            title=add({"bold": True, "font_size": 14}), code=add({"font_size": 8, "font_color": "#595959"}),
            wrap=add({"text_wrap": True, "valign": "top"}),
            money_check=add({"num_format": _USD, "italic": True, "font_color": "#595959"}),
            ratio_check=add({"num_format": "0.00%", "italic": True, "font_color": "#595959"}))

    def for_status(self, status: str) -> Format:
        return {"blocked": self.blocked, "modeled": self.modeled}.get(status, self.text)

    def for_field(self, field: str) -> Format:
        if field in MONEY_FIELDS:
            return self.money
        if field in RATIO_FIELDS:
            return self.ratio
        if field in PRICE_FIELDS:
            return self.price
        return self.quantity if field in QUANTITY_FIELDS else self.text


def write_value(sheet: Worksheet, row: int, col: int, field: str, value, formats: Formats) -> None:
    """One cell; an absent value stays an empty cell, never a zero."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)  # TRUE/FALSE to Excel, never Python's `False` as text
    elif isinstance(value, int):
        # An input row number is an address to look up, not a quantity: no thousands separator.
        sheet.write_number(row, col, value, formats.row_number if field == "row" else formats.count)
    elif field in DECIMAL_FIELDS:
        # The Decimal itself goes to XlsxWriter, which renders it with format(value, ".16G"): the cell's text
        # carries exactly the result's digits. Excel then holds it as an IEEE double, as it does every number;
        # a float(...) here would instead write noise like 824021.0699999999.
        sheet.write_number(row, col, Decimal(value), formats.for_field(field))
    elif isinstance(value, date):
        sheet.write_number(row, col, value.toordinal() - _EXCEL_EPOCH, formats.date)
    else:
        sheet.write_string(row, col, str(value))  # never write(): a leading "=" must stay text, not a formula


def write_run_rows(sheet: Worksheet, run_id: str, scope_hash: str, formats: Formats,
                   banner: tuple[str, str] | None = None) -> int:
    """run_id and scope_hash on the first two rows, the run's (text, status) banner on the third, if any; returns the
    first free row. The banner also heads every printed page, so a page torn from the run keeps its caveat."""
    for row, (label, value) in enumerate((("run_id", run_id), ("scope_hash", scope_hash))):
        sheet.write_string(row, 0, label, formats.label)
        sheet.write_string(row, 1, value)
    if banner is not None:
        text, status = banner
        sheet.write_string(RUN_ROWS, 0, text, formats.for_status(status))
        sheet.set_header('&C&"-,Bold"' + text.partition(" — ")[0])  # "MODELED", "BLOCKED and MODELED"
    return FIRST_ROW


def write_table(sheet: Worksheet, top: int, columns: list[str], rows: list[dict], formats: Formats, *,
                main: bool = False) -> int:
    """A header row and one row per record; returns the row after the table.

    A sheet has one autofilter (Excel keeps only one), so only its main table gets it and the frozen header.
    """
    sheet.write_row(top, 0, columns, formats.header)
    for i, record in enumerate(rows, start=top + 1):
        for col, field in enumerate(columns):
            write_value(sheet, i, col, field, record.get(field), formats)
    if main:
        sheet.autofilter(top, 0, top + max(len(rows), 1), len(columns) - 1)
        sheet.freeze_panes(top + 1, 0)
    return top + len(rows) + 1


def width(field: str) -> float:
    """A column width that fits the header and the field's usual values (autofit needs every row in memory)."""
    if field in MONEY_FIELDS or field in PRICE_FIELDS:
        return max(16, len(field) + 2)
    if field.endswith("sha256") or field in ("scope_hash",):
        return 68
    return max(12, len(field) + 2)
