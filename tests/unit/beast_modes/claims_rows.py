"""A small claims dataset for the Beast Mode corpus, and plain-Python helpers that compute expected values."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import NamedTuple

COLUMNS = [
    ("Claim ID", "claim_id", "STRING", 0), ("Claim Status", "claim_status", "STRING", 0),
    ("Fill Date", "fill_date", "DATE", 0), ("Days Supply", "days_supply", "LONG", 0),
    ("Plan Paid", "plan_paid", "DECIMAL", 2), ("AWP Ratio", "awp_ratio", "DOUBLE", 0),
    ("Loaded At", "loaded_at", "DATETIME", 0), ("Drug Name", "drug_name", "STRING", 0),
    ("Qty", "qty", "LONG", 0), ("Copay", "copay", "DECIMAL", 2),
]


class Row(NamedTuple):
    claim_id: str
    status: str
    fill: dt.date
    days: int
    paid: Decimal
    ratio: float
    loaded: dt.datetime
    drug: str | None
    qty: int
    copay: Decimal | None


D, T = dt.date, dt.datetime
ROWS = [
    Row("C01", "PAID", D(2025, 1, 31), 30, Decimal("120.50"), 0.5, T(2025, 2, 3, 6), "Atorvastatin", 30, Decimal("10.00")),
    Row("C02", "PAID", D(2025, 2, 28), 90, Decimal("310.25"), 0.25, T(2025, 3, 1, 23, 59), "O'Brien's Tonic", 90, None),
    Row("C03", "REVERSAL", D(2025, 3, 15), 30, Decimal("-120.50"), 0.5, T(2025, 3, 20), "Atorvastatin", 0, Decimal("0.00")),
    Row("C04", "PAID", D(2025, 3, 16), 60, Decimal("45.10"), 0.125, T(2025, 3, 16, 12), "Lisinopril", 60, Decimal("5.50")),
    Row("C05", "PAID", D(2024, 12, 29), 30, Decimal("999.99"), 0.75, T(2025, 1, 2, 8), "Humira Pen", 2, Decimal("50.00")),
    Row("C06", "REJECTED", D(2025, 1, 1), 7, Decimal("0.00"), 0.0, T(2025, 1, 1, 9), "Amoxicillin", 14, None),
    Row("C07", "PAID", D(2025, 6, 30), 30, Decimal("15.75"), 0.375, T(2025, 7, 1), "lisinopril ", 30, Decimal("2.25")),
    Row("C08", "PAID", D(2025, 12, 31), 90, Decimal("88.88"), 0.625, T(2026, 1, 5, 10), "Metformin", 180, Decimal("0.00")),
    Row("C09", "PAID", D(2025, 1, 5), 28, Decimal("1234.56"), 0.875, T(2025, 1, 6), "Humira Pen", 1, Decimal("100.00")),
    Row("C10", "PAID", D(2025, 3, 2), 30, Decimal("33.33"), 0.5, T(2025, 3, 3), None, 0, Decimal("3.33")),
    Row("C11", "REVERSAL", D(2025, 6, 1), 90, Decimal("-310.25"), 0.25, T(2025, 6, 2), "O'Brien's Tonic", 90, None),
    Row("C12", "PAID", D(2025, 11, 30), 14, Decimal("7.07"), 1.0, T(2025, 12, 1), "Amoxicillin", 28, Decimal("1.00")),
]


def week_mode0(day: dt.date) -> int:
    """MySQL WEEK(d, 0): weeks start on Sunday, days before the year's first Sunday are week 0."""
    jan1 = dt.date(day.year, 1, 1)
    first_sunday = jan1 + dt.timedelta(days=(6 - jan1.weekday()) % 7)
    return 0 if day < first_sunday else (day - first_sunday).days // 7 + 1


def dayofweek(day: dt.date) -> int:
    """MySQL DAYOFWEEK: 1 = Sunday … 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def add_months(day: dt.date, months: int) -> dt.date:
    """MySQL DATE_ADD(d, INTERVAL n MONTH): the day clamped to the target month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
