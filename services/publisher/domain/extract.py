"""The scoped claim-level extract: the minimum-necessary columns of a run's netted claims.

Member ids never appear: each is replaced by a keyed, per-client pseudonym (HMAC-SHA256 under a key
derived from the publisher's secret and the client id). The same member gets the same pseudonym in
every run of that client, so an analyst can follow a member across runs; without the key the
pseudonym cannot be reversed, and the same member under two clients gets unrelated pseudonyms.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, Protocol

from services.publisher.domain.claim_findings import ClaimFindings
from services.publisher.domain.presentation_contract import NAME_LENGTH, ContractCheck

EXTRACT_CSV = "extract.csv"


class FindingsSink(Protocol):
    """What gathers the claim findings from the rows as they are written (claim_findings_pass.FindingsPass)."""

    def add(self, cells: list[str]) -> None: ...

    def findings(self) -> ClaimFindings: ...
PSEUDONYM_PREFIX = "mk_"  # never shaped like a member id (the contract refuses `M` + digits)


@dataclass(frozen=True, slots=True)
class ExtractRow:
    """One netted (PAID, not reversed) in-scope claim, as the extract shows it. Columns in this order."""

    run_id: str
    row: int            # the claim's 1-based data row in the claims input, for tracing back to the source
    claim_id: str
    member_key: str     # the keyed pseudonym, never the member id
    tpa_id: str
    group_id: str
    fill_date: date
    ndc: str
    drug_name: str
    channel: str
    brand_generic: str
    basis_of_cost: str
    compound: bool
    days_supply: int
    quantity: Decimal
    awp_unit_price: Decimal
    awp_ext: Decimal    # round2(awp_unit_price × quantity), as every formula uses it
    ingredient_cost_paid: Decimal
    dispensing_fee_paid: Decimal
    # Per formula, why it left the claim out (kernel/claim_reasons.py): "" counted, a reason code excluded,
    # "n/a" not looked at. Summing the "" rows of a bucket gives that formula's bucket in the result.
    awp_discount_excluded: str
    dispensing_fee_excluded: str
    rebate_excluded: str
    repricing_excluded: str


EXTRACT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExtractRow))
_row_values = attrgetter(*EXTRACT_COLUMNS)
MONEY_COLUMNS = ("awp_ext", "ingredient_cost_paid", "dispensing_fee_paid")
REASON_COLUMNS = ("awp_discount_excluded", "dispensing_fee_excluded", "rebate_excluded", "repricing_excluded")


class Pseudonymizer:
    """member_id → `mk_` + 24 hex chars of HMAC-SHA256(client key, member_id); one instance per client."""

    def __init__(self, secret: bytes, client_id: str) -> None:
        if len(secret) < 32:
            raise ValueError("the pseudonym secret must be at least 32 bytes")
        # A per-client key: pseudonyms of one client say nothing about another's.
        self._key = hmac.new(secret, b"leaf-member-key/v1/" + client_id.encode("utf-8"), hashlib.sha256).digest()

    def __call__(self, member_id: str) -> str:
        return PSEUDONYM_PREFIX + hmac.new(self._key, member_id.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def cell(value) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value.isoformat() if isinstance(value, date) else str(value)


def cells_of(row: ExtractRow) -> list[str]:
    """The row as extract.csv spells it (attribute by attribute: dataclasses.astuple deep-copies every value)."""
    return [cell(v) for v in _row_values(row)]


# The columns whose text comes from the claims source. The others the publisher spells itself from numbers, days
# and its own pseudonyms (calc's amounts are held to DECIMAL_TEXT first), or they are per-formula reasons held to
# the closed set kernel/claim_reasons.REASON_CELLS: an alphabet no rule can fire on.
TEXT_COLUMNS = ("claim_id", "tpa_id", "group_id", "ndc", "drug_name", "channel", "brand_generic", "basis_of_cost")
DECIMAL_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ExtractWriter:
    """extract.csv written as its rows are produced: each checked by the presentation contract, then counted.

    RFC 4180 with CRLF, one row at a time, so a million rows never sit in memory. `run_id` is checked once, at
    the first row, as the rest of the row's shape is fixed by the publisher.
    """

    def __init__(self, out: IO[str], check: ContractCheck, artifact: str = EXTRACT_CSV,
                 gather: FindingsSink | None = None, also: Callable[[list[str]], None] | None = None) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._check, self._artifact = check, artifact
        self._gather = gather   # sees every row as written: the claim findings are gathered in this same pass
        self._also = also       # and whoever else reads the rows as they come (the workbook, written elsewhere)
        self._checked = [(EXTRACT_COLUMNS.index(c), c) for c in TEXT_COLUMNS]
        self.rows = 0
        check.header(artifact, EXTRACT_COLUMNS)
        self._writer.writerow(EXTRACT_COLUMNS)

    def write(self, cells: list[str]) -> None:
        self.rows += 1
        checked = self._checked if self.rows > 1 else [(0, "run_id"), *self._checked]
        for index, column in checked:
            text = cells[index]
            if text:
                self._check.value(self._artifact, f"row {self.rows}, column {column}", text, key=column,
                                  is_name=len(text) <= NAME_LENGTH)  # the workbook shows it as a lone cell
        self._writer.writerow(cells)
        if self._gather is not None:
            self._gather.add(cells)
        if self._also is not None:
            self._also(cells)


def write_csv(rows: Iterable[ExtractRow], out: IO[str]) -> None:
    """RFC 4180 CSV, one row at a time (constant memory), unchecked: the benchmark's plain baseline."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXTRACT_COLUMNS)
    for row in rows:
        writer.writerow(cells_of(row))


_PARSE: dict[str, Callable[[str], Any]] = {
    "row": int, "days_supply": int, "fill_date": date.fromisoformat, "compound": lambda text: text == "Y",
    **{name: Decimal for name in ("quantity", "awp_unit_price", "awp_ext", "ingredient_cost_paid",
                                  "dispensing_fee_paid")},
}
_PARSERS = tuple(_PARSE.get(name, str) for name in EXTRACT_COLUMNS)


def read_extract(source: IO[str]) -> Iterator[ExtractRow]:
    """extract.csv back as typed rows (for the workbook), one at a time."""
    reader = csv.reader(source)
    if next(reader, None) != list(EXTRACT_COLUMNS):
        raise ValueError("not an extract of this version")
    for cells in reader:
        yield row_of_cells(cells)


def row_of_cells(cells: Sequence[str]) -> ExtractRow:
    """One extract row from its cells as extract.csv spells them (cells_of's inverse)."""
    return ExtractRow(*(parse(text) for parse, text in zip(_PARSERS, cells)))


def netted_claims(result: dict) -> int | None:
    """How many rows the run's extract has, as its result counts them: its netted claims, which the generic
    dispensing rate counts with no exclusion (calculations.md 3); None for a result without that formula."""
    gdr = next((f for f in result.get("formulas", ()) if f.get("id") == "generic_dispensing_rate"), None)
    return None if gdr is None or gdr.get("claims") is None else int(gdr["claims"])


@dataclass(frozen=True)
class WrittenExtract:
    """extract.csv, its rows checked by the contract as they were written (adapters/extract_csv.py or calc's stream),
    and the claim findings gathered in the same pass (None when nothing gathered them). `read` is the writer's way
    back to the rows (the domain opens no file)."""

    path: Path
    rows: int
    findings: ClaimFindings | None = None
    read: Callable[[], Iterator[ExtractRow]] = field(kw_only=True, compare=False, repr=False)

    def claims(self) -> Iterator[ExtractRow]:
        return self.read()


def rows_of(run_id: str, judged: Iterable[tuple[Any, tuple[str, ...]]], pseudonym: Pseudonymizer) -> Iterator[ExtractRow]:
    """Extract rows from calc's claim lines, each with its reasons per formula (REASON_COLUMNS' order): the
    NettedClaim fields, amounts at their places, awp_ext computed."""
    for c, reasons in judged:
        yield ExtractRow(
            run_id, c.row, c.claim_id, pseudonym(c.member_id), c.tpa_id, c.group_id, c.fill_date, c.ndc, c.drug_name,
            c.channel, c.brand_generic, c.basis_of_cost, c.compound, c.days_supply, c.quantity, c.awp_unit_price,
            c.awp_ext, c.ingredient_cost_paid, c.dispensing_fee_paid, *reasons)
