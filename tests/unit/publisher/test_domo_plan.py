"""The Domo plan: column types, per-scope replacement, PDP policies from entitlements — no network."""
import pytest

from kernel.errors import InputError, Refused
from services.publisher.domain.dashboard import SCOPE_COLUMNS, Table, dashboard_tables, to_csv
from services.publisher.domain.domo_plan import Column, merge, plan_datasets, plan_policies, to_csv_text
from services.publisher.domain.suppression import suppress_tables
from tests.unit.publisher.dashboard_fixtures import dashboard_context

COLUMNS = (*SCOPE_COLUMNS, "formula_id", "formula_version", "status", "channel", "members", "brand_claims", "variance",
           "suppressed")


def table(run_id="run_1", client="C001", scope="h1", groups="", variance="12.50", name="awp_discount_guarantee"):
    row = {"run_id": run_id, "client_id": client, "pbm_id": "PBM_A", "tpa_id": None, "group_ids": groups,
           "date_from": "2025-01-01", "date_to": "2025-12-31", "scope_hash": scope, "formula_id": name,
           "formula_version": 1, "status": "final", "channel": "RETAIL_30", "members": 20, "brand_claims": 37,
           "variance": variance, "suppressed": False}
    return Table(name, COLUMNS, (row, {**row, "channel": "MAIL", "members": None, "variance": None, "suppressed": True}))


def test_types_follow_the_column_role_not_the_values():
    [plan] = plan_datasets("run_1", "C001", [table()])
    types = {c.name: c.type for c in plan.schema}
    assert plan.name == "leaf_awp_discount_guarantee"
    assert types["date_from"] == types["date_to"] == "DATE"
    assert types["members"] == types["brand_claims"] == types["formula_version"] == "LONG"
    assert types["variance"] == "DECIMAL"
    assert {types[c] for c in ("client_id", "group_ids", "scope_hash", "suppressed", "tpa_id")} == {"STRING"}


def test_rows_render_exactly_like_the_dashboard_csv():
    t = table()
    [plan] = plan_datasets("run_1", "C001", [t])
    assert to_csv_text(plan.schema, plan.rows, header=True) == to_csv(t)
    assert to_csv_text(plan.schema, plan.rows, header=False) == to_csv(t).split(b"\r\n", 1)[1]


@pytest.mark.parametrize("field,value", [("variance", "12,50"), ("members", "20"), ("members", 2.5), ("date_from", "01/01/2025")])
def test_a_value_that_does_not_fit_its_type_stops_the_plan(field, value):
    t = table()
    bad = Table(t.name, t.columns, ({**t.rows[0], field: value},))
    with pytest.raises(InputError, match=field):
        plan_datasets("run_1", "C001", [bad])


def test_rows_of_another_client_or_run_are_refused():
    with pytest.raises(Refused):
        plan_datasets("run_1", "C001", [table(client="C002")])
    with pytest.raises(Refused):
        plan_datasets("run_1", "C001", [table(run_id="run_0")])


def test_merge_replaces_the_runs_scope_and_keeps_every_other_scope():
    [old] = plan_datasets("run_0", "C001", [table("run_0", variance="1.00")])
    [other] = plan_datasets("run_9", "C002", [table("run_9", "C002", scope="h2")])
    schema, rows = merge(old, [], [])
    schema, rows = merge(other, schema, rows)
    [new] = plan_datasets("run_1", "C001", [table("run_1")])
    schema, merged = merge(new, schema, rows)
    assert [(r["client_id"], r["run_id"]) for r in merged] == [("C001", "run_1")] * 2 + [("C002", "run_9")] * 2
    assert merge(new, schema, merged) == (schema, merged)          # republishing changes nothing


def test_an_empty_table_still_clears_its_scope_and_extra_columns_are_kept():
    t = table()
    [plan, empty] = plan_datasets("run_1", "C001", [t, Table("readiness", SCOPE_COLUMNS, ())])
    old = ({"client_id": "C001", "scope_hash": "h1", "run_id": "run_0", "legacy": "x"},)
    schema, rows = merge(empty, [Column("legacy", "STRING")], old)
    assert rows == () and schema[-1] == Column("legacy", "STRING")
    assert empty.scope_hashes == plan.scope_hashes == {"h1"}


def test_policies_filter_each_principal_to_its_entitled_clients():
    rows = [{"client_id": "C001", "group_ids": ""}, {"client_id": "C001", "group_ids": "G1"},
            {"client_id": "C001", "group_ids": "G1;G2"}, {"client_id": "C002", "group_ids": ""}]
    entitlements = [("Leaf Ops", "C002", None), ("Leaf Ops", "C001", ()), ("C001 Analysts", "C001", None),
                    ("pat@c001.example", "C001", ("G1",)), ("Leaf Ops", "C001", ("G1",)), ("nobody@x.example", "C002", ("G9",))]
    policies = {p.name: p for p in plan_policies(entitlements, rows)}
    assert set(policies) == {"leaf:C001 Analysts", "leaf:Leaf Ops", "leaf:pat@c001.example:C001"}
    assert policies["leaf:Leaf Ops"].filters == (("client_id", ("C001", "C002")),)
    assert policies["leaf:C001 Analysts"].filters == (("client_id", ("C001",)),)
    assert policies["leaf:pat@c001.example:C001"].filters == (("client_id", ("C001",)), ("group_ids", ("G1",)))
    assert policies["leaf:Leaf Ops"].filter_json()[0] == {"column": "client_id", "values": ["C001", "C002"],
                                                          "operator": "EQUALS", "not": False}


def test_a_principal_with_a_colon_is_refused():
    with pytest.raises(InputError):
        plan_policies([("a:b", "C001", None)], [])


NEW_COLUMN_TYPES = {
    "run_summary": {"client_name": "STRING", "pbm_name": "STRING", "readiness": "STRING", "status_line": "STRING",
                    "total_owed_final": "DECIMAL", "total_owed_modeled": "DECIMAL", "total_owed": "DECIMAL",
                    "blocked_guarantees": "STRING", "sign_convention": "STRING", "suppressed": "STRING"},
    "readiness": {"formula_title": "STRING", "reason_sentences": "STRING", "status_line": "STRING"},
    "rebate_guarantee": {"brand_claims": "LONG", "members": "LONG", "received": "DECIMAL", "suppressed": "STRING"},
    "repricing_savings": {"claims": "LONG", "members": "LONG", "savings": "DECIMAL", "suppression_reason": "STRING"},
    "generic_dispensing_rate": {"claims": "LONG", "generic_claims": "LONG", "gdr": "DECIMAL", "status": "STRING"},
    "offset_groups": {"offset": "STRING", "offset_rule": "STRING", "group": "STRING", "variance": "DECIMAL",
                      "shortfall": "DECIMAL", "suppressed": "STRING"},
    "rebate_totals": {"variance_total": "DECIMAL", "received_other": "DECIMAL", "shortfall": "DECIMAL",
                      "received_other_channels": "STRING", "offset_rule": "STRING"},
    "unguaranteed_buckets": {"finding": "STRING", "claims": "LONG", "members": "LONG", "spend": "DECIMAL",
                             "explanation": "STRING"},
    "suspect_channel": {"finding": "STRING", "claims": "LONG", "explanation": "STRING"},
}


@pytest.mark.parametrize("variant", [dict(), dict(client_id="C002"), dict(contract=False),
                                     dict(client_id="C006", rebates=False, proposal=False)], ids=str)
def test_every_table_of_a_run_plans_with_a_type_per_column_and_flags_as_true_or_false(variant):
    context = dashboard_context(lineage={"rebates_received_other": [{"channel": "SPECIALTY", "amount": "1.00"}]},
                                **variant)
    tables = suppress_tables(dashboard_tables(context))
    plans = {p.name: p for p in plan_datasets(context.run_id, context.client_id, tables)}
    assert set(plans) == {f"leaf_{t.name}" for t in tables}
    for name, expected in NEW_COLUMN_TYPES.items():
        types = {c.name: c.type for c in plans[f"leaf_{name}"].schema}
        assert {c: types[c] for c in expected} == expected
    for table in tables:
        plan = plans[f"leaf_{table.name}"]
        assert to_csv_text(plan.schema, plan.rows, header=True) == to_csv(table)
        assert {r["suppressed"] for r in plan.rows if "suppressed" in r} <= {"true", "false"}


def test_flags_an_older_publisher_wrote_as_python_booleans_are_rewritten_once():
    [plan] = plan_datasets("run_1", "C001", [table()])
    legacy = ({"client_id": "C002", "scope_hash": "h9", "run_id": "run_0", "suppressed": "False"},
              {"client_id": "C002", "scope_hash": "h9", "run_id": "run_0", "suppressed": "True"})
    schema, rows = merge(plan, plan.schema, legacy)
    assert [r["suppressed"] for r in rows] == ["false", "true", "false", "true"]
    assert merge(plan, schema, rows) == (schema, rows)            # then republishing changes nothing
