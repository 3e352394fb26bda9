"""Hypothesis strategies for small claims files that exercise every aggregate the stores push down."""
from hypothesis import strategies as st

from tests.unit.calc.builders import csv_bytes, reversal, row

HALF_CENTS = ["0.00500", "0.02500", "2.67500", "1.00005", "0.12345", "7.33335"]


def _placed(places: int, low: int, high: int):
    return st.integers(low, high).map(lambda units: f"{units // 10**places}.{units % 10**places:0{places}d}")


@st.composite
def claims_files(draw) -> bytes:
    """Small claims files: reversals anywhere (also of reversals and of nothing), some rejects, half-cent prices."""
    count = draw(st.integers(0, 16))
    rows = []
    for i in range(count):
        fields = dict(
            client_id=draw(st.sampled_from(["C001", "C001", "C002"])), tpa_id=draw(st.sampled_from(["TPA_1", "TPA_2"])),
            group_id=draw(st.sampled_from(["GRP_1", "GRP_2", "GRP_3"])),
            member_id=draw(st.sampled_from(["M1", "M2", "m1", ""])),
            fill_date=draw(st.sampled_from(["2025-01-01", "2025-03-31", "2025-04-01", "2025-12-31", "2026-01-01"])),
            channel=draw(st.sampled_from(["RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY"])),
            brand_generic=draw(st.sampled_from("BG")), basis_of_cost=draw(st.sampled_from(["AWP", "MAC", "UC"])),
            compound=draw(st.sampled_from("NNY")), days_supply=str(draw(st.integers(1, 100))),
            quantity=draw(st.sampled_from(["1", "100", "0.100"]) | _placed(3, 1, 10**6)),
            awp_unit_price=draw(st.sampled_from([*HALF_CENTS, "0", "0.00000"]) | _placed(5, 0, 10**8)),
            ingredient_cost_paid=draw(_placed(2, 0, 10**7)), dispensing_fee_paid=draw(_placed(2, 0, 500)),
            ndc=draw(st.sampled_from(["00002123401"] * 5 + ["123"])))   # "123": a rejected row
        if draw(st.integers(0, 2)) == 0:
            rows.append(reversal(f"R{i}", f"{draw(st.sampled_from('CR'))}{draw(st.integers(0, count))}", **fields))
        else:
            rows.append(row(f"C{i}", **fields))
    misshapen = b"only,three,fields\n" if draw(st.booleans()) else b""
    return csv_bytes(rows) + misshapen
