"""`leaf calc` validates and sums in DuckDB when it can, and its bytes never differ from the pure reader's."""
import json
from argparse import Namespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.commands.calc import compute
from kernel.errors import InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.duckdb_validation import Unshaped
from services.calc.adapters.file_aggregates import ValidatedFile
from services.calc.domain.calculate import calculate, member_masks, render
from services.calc.domain.facts import facts_from_batch
from tests.integration.claims_strategies import claims_files
from tests.unit.calc.builders import contract, contract_json, csv_bytes, proposal_json, rebates_json, row, scope

SCOPES = [scope(), scope(date_from="2025-04-01"), scope(tpa_id="TPA_1", group_ids=["GRP_1", "GRP_3"])]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=claims_files(), uc=st.booleans())
def test_the_validated_file_gives_the_python_aggregates(tmp_path, data, uc):
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    packet = contract(exclusions={"uc_claims": uc, "compounds": True})
    batch = read_claims(data)
    try:
        fast = ValidatedFile(path)
    except Unshaped:   # e.g. a misshapen record: leaf calc takes the pure reader then leaf calc takes the pure reader
        return
    try:
        for run_scope in SCOPES:
            assert fast.facts(run_scope, member_masks(packet)) == facts_from_batch(batch, run_scope, member_masks(packet))
    finally:
        fast.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=claims_files(), uc=st.booleans(), run_scope=st.sampled_from(SCOPES))
def test_a_file_validated_for_one_scope_gives_that_scopes_python_aggregates(tmp_path, data, uc, run_scope):
    """leaf calc keeps the aggregated columns of the scope's rows only; every row is still checked."""
    path = tmp_path / "claims.csv"
    path.write_bytes(data)
    packet = contract(exclusions={"uc_claims": uc, "compounds": True})
    try:
        fast = ValidatedFile(path, run_scope)
    except Unshaped:
        return
    try:
        expected = facts_from_batch(read_claims(data), run_scope, member_masks(packet))
        assert fast.facts(run_scope, member_masks(packet)) == expected
        other = next(s for s in SCOPES if s != run_scope)
        with pytest.raises(ValueError):
            fast.facts(other, member_masks(packet))
    finally:
        fast.close()


def test_lines_that_only_hold_the_scopes_texts_stay_out_of_it(tmp_path):
    """Read by lines, a row is kept where its line holds the scope's ids and the window's date start anywhere (here:
    another client and PBM whose ids begin with the scope's, a member id holding the year, a group outside the
    scope's); the aggregate SQL's scope filter leaves it out, as the pure reader does."""
    run_scope = scope(tpa_id="TPA_1", group_ids=["GRP_1", "GRP_3"])
    rows = [row("IN1", group_id="GRP_1"), row("IN2", group_id="GRP_3", channel="MAIL"),
            row("R1", claim_status="REVERSAL", reverses_claim_id="IN1", group_id="GRP_1"),
            row("OUT1", client_id="C0010", group_id="GRP_1"), row("OUT2", pbm_id="PBM_AB", group_id="GRP_1"),
            row("OUT3", fill_date="2024-06-01", member_id="M2025-7", group_id="GRP_1"), row("OUT4", group_id="GRP_2"),
            row("OUT5", group_id="GRP_1", tpa_id="TPA_10")]
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes(rows))
    packet = contract()
    fast = ValidatedFile(path, run_scope)
    try:
        kept = fast._db.execute("SELECT count(*) FROM scoped").fetchall()[0][0]
        assert kept == len(rows)   # every line held the scope's texts: the scope filter decides
        assert fast.facts(run_scope, member_masks(packet)) == facts_from_batch(read_claims(path.read_bytes()), run_scope,
                                                                                member_masks(packet))
    finally:
        fast.close()


def test_a_repeated_id_in_the_scope_is_typed_and_then_dropped(tmp_path):
    """The scope's rows are typed while the duplicates are found: the later rows of a repeated id (valid, in the
    scope, with other amounts) are deleted from the typed rows afterwards, and the sums are the pure reader's."""
    rows = [row("A1"), row("A2", channel="MAIL"), row("A1", ingredient_cost_paid="999.00"),
            row("A2", channel="MAIL", member_id="M9"), row("A3", client_id="C002"), row("A3")]
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes(rows))
    packet = contract()
    fast = ValidatedFile(path, scope())
    try:
        assert fast._db.execute("SELECT count(*) FROM scoped").fetchall()[0][0] == 2   # A1 and A2, once each
        assert fast.facts(scope(), member_masks(packet)) == facts_from_batch(read_claims(path.read_bytes()), scope(),
                                                                              member_masks(packet))
    finally:
        fast.close()


def _args(tmp_path, claims, run_scope, **evidence) -> Namespace:
    files = {}
    for kind, document in {"contract": contract_json(), **evidence}.items():
        files[kind] = tmp_path / f"{kind}.json"
        files[kind].write_text(json.dumps(document))
    return Namespace(claims=claims, contract=files["contract"], rebates=files.get("rebates"),
                     proposal=files.get("proposal"), client=run_scope.client_id, pbm=run_scope.pbm_id,
                     tpa=run_scope.tpa_id, group=list(run_scope.group_ids), date_from=str(run_scope.date_from),
                     date_to=str(run_scope.date_to))


def test_leaf_calc_equals_the_pure_path_with_every_evidence(tmp_path):
    rows = [row("C1"), row("C2", member_id="", tpa_id="TPA_2"), row("C3", channel="MAIL", brand_generic="G"),
            row("C4", basis_of_cost="UC"), row("R1", claim_status="REVERSAL", reverses_claim_id="C1"),
            row("C5", ndc="1")]
    claims = tmp_path / "claims.csv"
    claims.write_bytes(csv_bytes(rows))
    for run_scope in SCOPES:
        args = _args(tmp_path, claims, run_scope, rebates=rebates_json(), proposal=proposal_json())
        expected = calculate(read_claims(claims), run_scope, parse_contract(contract_json()),
                             parse_rebates(rebates_json()), parse_proposal(proposal_json()))
        assert render(compute(args)) == render(expected)


@pytest.mark.parametrize("data", [
    csv_bytes([row("C1", awp_unit_price="123456789012345678.5", ingredient_cost_paid="1.00")]),   # too wide
    csv_bytes([row("C1")]) + b"only,three,fields\n",                                             # misshapen
    b"",                                                                                          # no header
    # a byte that is not UTF-8 in a column no rule reads, past what the header's read decodes
    csv_bytes([row(f"F{i}") for i in range(200)] + [row("R1", drug_name="Dr?ug")]).replace(b"Dr?ug", b"Dr\xffug"),
], ids=["too-wide", "misshapen", "empty", "not-utf8"])
def test_whatever_duckdb_cannot_vouch_for_takes_the_pure_reader(tmp_path, data):
    claims = tmp_path / "claims.csv"
    claims.write_bytes(data)
    try:
        expected = render(calculate(read_claims(claims), scope(), contract()))
    except InputError as err:
        with pytest.raises(InputError) as got:
            compute(_args(tmp_path, claims, scope()))
        assert got.value.code == err.code == "bad_input:claims"
    else:
        assert render(compute(_args(tmp_path, claims, scope()))) == expected


@pytest.mark.parametrize("run_scope", [None, scope()], ids=["every scope", "one scope"])
def test_a_file_that_is_not_utf8_is_not_vouched_for(tmp_path, run_scope):
    """DuckDB's CSV reader does not look at a column no rule reads, nor DuckDB at Arrow text: the read beside it
    checks every block is UTF-8, and the file goes to the pure reader, whose error is the reference."""
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([row(f"F{i}") for i in range(200)] + [row("R1", drug_name="Dr?ug")])
                     .replace(b"Dr?ug", b"Dr\xffug"))
    with pytest.raises(ValueError):
        ValidatedFile(path, run_scope)
