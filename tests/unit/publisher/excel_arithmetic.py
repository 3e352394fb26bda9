"""Just enough of Excel to evaluate the workbook's check formulas from its own cells, in Decimal.

The workbook writes SUM, SUMIF, SUMIFS, MAX, ROUND and + − / of cells; a test evaluates them here to prove each
check formula points at the cells it claims to (a formula Excel would compute differently fails the test).
Anything else raises, so a new kind of formula cannot pass unevaluated.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

_CALL = re.compile(r"^([A-Z]+)\((.*)\)$")
_CELL = re.compile(r"^\$?[A-Z]+\$?\d+$")
_RANGE = re.compile(r"^\$?[A-Z]+\$?\d+:\$?[A-Z]+\$?\d+$")


def evaluate(sheet: Worksheet, formula: str):
    """The value of `=…` over the sheet's cells: a Decimal, or a string for a text cell."""
    return _expression(sheet, formula.removeprefix("="))


def _expression(sheet: Worksheet, text: str):
    text = text.strip()
    call = _CALL.match(text)
    if call and _balanced(call.group(2)):
        return _call(sheet, call.group(1), _arguments(call.group(2)))
    for operator in "+-/":
        left, found, right = _split_last(text, operator)
        if found:
            a, b = _expression(sheet, left), _expression(sheet, right)
            return a + b if operator == "+" else a - b if operator == "-" else a / b
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _CELL.match(text):
        return _value(sheet, sheet[text.replace("$", "")])
    return Decimal(text)


def _call(sheet: Worksheet, name: str, args: list[str]):
    if name == "SUM":
        return sum((v for v in _cells(sheet, args[0]) if isinstance(v, Decimal)), Decimal(0))
    if name == "MAX":
        return max(_expression(sheet, a) for a in args)
    if name == "ROUND":
        return _expression(sheet, args[0]).quantize(Decimal(1).scaleb(-int(args[1])), ROUND_HALF_UP)
    if name == "SUMIF":
        criterion = _expression(sheet, args[1])
        pairs = zip(_cells(sheet, args[0]), _cells(sheet, args[2]))
        return sum((v for k, v in pairs if k == criterion and isinstance(v, Decimal)), Decimal(0))
    if name == "SUMIFS":
        values = _cells(sheet, args[0])
        keep = [True] * len(values)
        for where, criterion in zip(args[1::2], args[2::2]):
            wanted = _expression(sheet, criterion)
            keep = [k and c == wanted for k, c in zip(keep, _cells(sheet, where))]
        return sum((v for k, v in zip(keep, values) if k and isinstance(v, Decimal)), Decimal(0))
    raise ValueError(f"no evaluator for {name}")


def _cells(sheet: Worksheet, reference: str) -> list:
    reference = reference.strip()
    if _CELL.match(reference):   # a range of one cell, as xl_range_abs writes it
        reference = f"{reference}:{reference}"
    if not _RANGE.match(reference):
        raise ValueError(f"not a range: {reference}")
    min_col, min_row, max_col, max_row = range_boundaries(reference.replace("$", ""))
    return [_value(sheet, sheet.cell(r, c)) for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _value(sheet: Worksheet, cell):
    value = cell.value
    if isinstance(value, str) and value.startswith("="):
        return evaluate(sheet, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _arguments(text: str) -> list[str]:
    args, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    return [*args, text[start:]]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_last(text: str, operator: str) -> tuple[str, bool, str]:
    """Split at the last top-level `operator` (left-associative), never inside a call or at a leading sign."""
    depth = 0
    for i in range(len(text) - 1, 0, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0 and text[i] == operator:
            return text[:i], True, text[i + 1:]
    return text, False, ""
