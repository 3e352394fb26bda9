"""CSV reading of calculations.md 1.1: encoding, line ends, quoting, header, row numbers, duplicates, hash."""
import hashlib
import io

import pytest

from kernel.errors import InputError
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.claims import CLAIM_COLUMNS, Claim, Reject
from services.calc.domain.reading import ClaimsScan

from .builders import VALID_ROW, batch, csv_bytes, row


def test_a_leading_byte_order_mark_is_ignored():
    got = batch([row("C1")], bom=True)
    assert [c.claim_id for c in got.claims] == ["C1"] and got.rejects == []


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_and_lf_line_ends_are_both_accepted(newline):
    got = batch([row("C1"), row("C2")], newline=newline)
    assert [c.claim_id for c in got.claims] == ["C1", "C2"]


def test_empty_lines_are_not_records_and_do_not_count_as_rows():
    data = csv_bytes([row("C1"), row("C2", drug_name="")]).replace(b"\n", b"\n\n", 2) + b"\n\r\n"
    got = read_claims(data)
    assert got.rows_read == 2 and [c.row for c in got.claims] == [1, 2]


def test_rfc4180_quoting_keeps_commas_quotes_and_line_breaks_inside_a_field():
    got = batch([row("C1", drug_name='Amox, "500"\r\nmg')], newline="\r\n")
    assert got.claims[0].drug_name == 'Amox, "500"\r\nmg' and got.rows_read == 1


def test_column_order_is_free_and_extra_columns_are_ignored():
    columns = ("note",) + tuple(reversed(CLAIM_COLUMNS))
    got = batch([{**row("C1"), "note": "x"}], columns=columns)
    assert got.claims == batch([row("C1")]).claims


def test_missing_column_names_the_first_missing_in_table_order():
    columns = [c for c in CLAIM_COLUMNS if c not in ("pharmacy_npi", "fill_date", "member_id")]
    with pytest.raises(InputError) as caught:
        read_claims(csv_bytes([row()], columns=columns))
    assert caught.value.code == "missing_column:member_id"


def test_column_names_are_exact():
    columns = ["Claim_ID" if c == "claim_id" else c for c in CLAIM_COLUMNS]
    with pytest.raises(InputError, match="missing_column:claim_id"):
        read_claims(csv_bytes([row()], columns=columns))


@pytest.mark.parametrize("content", [
    b"",                                                     # no header at all
    csv_bytes([row()]).replace(b"Drug", b"Dr\xffug"),         # not UTF-8
    csv_bytes([row()]) + b'"unterminated,quote\n',           # quoting never closed
    csv_bytes([row(drug_name="x")]).replace(b",x,", b',"x"y,'),  # text after a closing quote
    csv_bytes([row()], columns=CLAIM_COLUMNS + ("claim_id",)),   # a required column named twice
])
def test_an_unreadable_or_unparsable_file_is_bad_input_claims(content):
    with pytest.raises(InputError) as caught:
        read_claims(content)
    assert caught.value.code == "bad_input:claims"


def test_a_path_that_cannot_be_opened_is_bad_input_claims(tmp_path):
    with pytest.raises(InputError, match="bad_input:claims"):
        read_claims(tmp_path / "absent.csv")


def test_read_claims_takes_a_path_as_str_or_pathlike(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([row("C1")]))
    assert read_claims(path).claims == read_claims(str(path)).claims == batch([row("C1")]).claims


def test_a_row_with_another_field_count_is_bad_row_shape_and_keeps_its_row_number():
    data = csv_bytes([row("C1"), row("C2")]) + b"too,few\n" + csv_bytes([row("C3")]).split(b"\n", 1)[1]
    got = read_claims(data)
    assert got.rejects == [Reject(3, "bad_row_shape", False, None, None, None, None, None)]
    assert [c.row for c in got.claims] == [1, 2, 4] and got.rows_read == 4 and got.valid_count == 3


def test_a_later_duplicate_of_a_valid_claim_id_is_rejected():
    got = batch([row("C1"), row("C1", member_id="M2"), row("C2")])
    assert [(r.row, r.reason) for r in got.rejects] == [(2, "duplicate_claim_id")]
    assert [c.member_id for c in got.claims] == ["M1", "M1"]


def test_a_rejected_row_does_not_claim_its_id_for_a_later_valid_row():
    got = batch([row("C1", ndc="123"), row("C1")])
    assert [(r.row, r.reason) for r in got.rejects] == [(1, "bad_value:ndc")]
    assert [c.row for c in got.claims] == [2]


def test_claims_sha256_is_of_the_input_bytes_bom_included():
    data = csv_bytes([row("C1")], bom=True, newline="\r\n")
    assert read_claims(data).sha256 == hashlib.sha256(data).hexdigest()


def test_claims_scan_streams_claims_and_rejects_in_row_order():
    scan = ClaimsScan(io.BytesIO(csv_bytes([row("C1"), row("C2", channel="retail_30"), row("C3")])))
    outcomes = list(scan)
    assert [type(o) for o in outcomes] == [Claim, Reject, Claim]
    assert [o.row for o in outcomes] == [1, 2, 3] and scan.rows_read == 3


def test_claims_scan_raises_header_errors_before_yielding():
    with pytest.raises(InputError, match="missing_column:claim_id"):
        ClaimsScan(io.BytesIO(b"foo,bar\n1,2\n"))


def test_a_header_only_file_has_no_rows():
    got = read_claims(csv_bytes([]))
    assert (got.rows_read, got.claims, got.rejects, got.valid_count) == (0, [], [], 0)


def test_the_builder_row_is_valid():
    assert batch([VALID_ROW]).rejects == []


class _PipeLike:
    """A stream that only reads, like a socket or a pipe: no seek, no tell."""

    def __init__(self, data: bytes) -> None:
        self._chunks = [data[i:i + 7] for i in range(0, len(data), 7)]

    def read(self, size: int = -1) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""


def test_claims_scan_reads_a_non_seekable_stream_and_hashes_every_byte():
    data = csv_bytes([row("C1"), row("C2")], bom=True)
    scan = ClaimsScan(_PipeLike(data))
    assert [o.claim_id for o in scan] == ["C1", "C2"] and scan.sha256 == hashlib.sha256(data).hexdigest()
