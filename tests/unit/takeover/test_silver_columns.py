"""The ingest's silver columns of a dataset: the CSV header's order, typed by the schema (a DECIMAL at the scale the
data showed), and a column the schema does not name kept as STRING rather than dropped."""
from __future__ import annotations

from services.takeover.domain.columns import SilverColumn
from services.takeover.domain.export import SchemaColumn
from services.takeover.service_layer.ingest import silver_columns


def test_the_headers_columns_in_order_typed_by_the_schema_and_the_datas_scale():
    schema = [SchemaColumn("Plan Paid", "DECIMAL"), SchemaColumn("Claim ID", "STRING"), SchemaColumn("Fill", "DATE")]
    columns = silver_columns(["Claim ID", "Plan Paid", "Fill", "Note"], schema, {"Plan Paid": 2})
    assert columns == [SilverColumn("Claim ID", "claim_id", "STRING", "VARCHAR"),
                       SilverColumn("Plan Paid", "plan_paid", "DECIMAL", "DECIMAL(38,2)"),
                       SilverColumn("Fill", "fill", "DATE", "DATE"),
                       SilverColumn("Note", "note", "STRING", "VARCHAR")]  # not in the schema: kept, as text


def test_a_decimal_without_a_scale_found_is_whole_and_clashing_names_are_told_apart():
    columns = silver_columns(["Paid", "paid "], [SchemaColumn("Paid", "DECIMAL")], {})
    assert [(c.silver, c.type) for c in columns] == [("paid", "DECIMAL(38,0)"), ("paid_2", "VARCHAR")]
