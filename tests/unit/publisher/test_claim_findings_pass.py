"""The claim findings gathered while extract.csv is written: each count reconciles with the result it explains.

unguaranteed = what the dispensing-fee formula excluded as no_term; suspect_channel = data_quality.suspect_channel;
eligible members = distinct pseudonyms among the rows the formula's cell leaves eligible.
"""
from __future__ import annotations

import csv
import io
import pickle
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest

from services.publisher.adapters.extract_csv import write_extract
from services.publisher.adapters.renderers import PdfHere, WorkbookHere, renderers
from services.publisher.domain.claim_findings_pass import FindingsPass, gathered_from
from services.publisher.domain.extract import cells_of
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.service_layer import deliverables as deliverables_module
from services.publisher.service_layer.deliverables import deliverables
from services.publisher.service_layer.ports import Renderers
from tests.publisher_fixtures import sample_context

CONTEXTS = {"C001": {}, "C002": {}, "C006": {"rebates": False}}   # C006's contract has no SPECIALTY term


@pytest.fixture(scope="module", params=sorted(CONTEXTS))
def written(request, tmp_path_factory):
    context = sample_context(client_id=request.param, **CONTEXTS[request.param])
    path = tmp_path_factory.mktemp("extract") / "extract.csv"
    extract = write_extract(context.claims(), path, ContractCheck(), FindingsPass(context.result))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return context, extract, rows


def formula(context, formula_id):
    return next(f for f in context.formulas if f["id"] == formula_id)


def test_unguaranteed_buckets_are_what_the_fee_formula_excluded_as_no_term(written):
    context, extract, rows = written
    found = extract.findings.unguaranteed
    assert sum(b.claims for b in found) == formula(context, "dispensing_fee_guarantee")["excluded"]["no_term"]
    expected = defaultdict(lambda: [0, set(), Decimal(0), Decimal(0)])
    for r in rows:
        if r["dispensing_fee_excluded"] == "no_term":
            bucket = expected[(r["channel"], r["brand_generic"])]
            bucket[0] += 1
            bucket[1].add(r["member_key"])
            bucket[2] += Decimal(r["ingredient_cost_paid"])
            bucket[3] += Decimal(r["dispensing_fee_paid"])
    assert {(b.channel, b.brand_generic): [b.claims, b.members, b.ingredient_cost, b.dispensing_fees] for b in found} \
        == {bucket: [v[0], len(v[1]), v[2], v[3]] for bucket, v in expected.items()}
    term_buckets = {(b["channel"], b["brand_generic"]) for b in formula(context, "dispensing_fee_guarantee")["buckets"]}
    assert not term_buckets & {(b.channel, b.brand_generic) for b in found}
    if context.client_id == "C006":
        assert [(b.channel, b.spend > 0) for b in found] == [("SPECIALTY", True), ("SPECIALTY", True)]


def test_unguaranteed_rebate_buckets_are_the_brand_claims_the_rebate_formula_excluded_as_no_term(written):
    context, extract, rows = written
    rebate = next((f for f in context.formulas if f["id"] == "rebate_guarantee"), None)
    found = extract.findings.unguaranteed_rebate
    assert sum(b.claims for b in found) == (rebate["excluded"]["no_term"] if rebate else 0)
    expected = defaultdict(int)
    for r in rows:
        if r["rebate_excluded"] == "no_term":
            expected[(r["channel"], r["brand_generic"])] += 1
    assert {(b.channel, b.brand_generic): b.claims for b in found} == dict(expected)
    assert all(b.brand_generic == "B" for b in found)


def test_suspect_channel_counts_every_one_and_lists_them_in_row_order(written):
    context, extract, rows = written
    findings = extract.findings
    assert findings.suspect_channel_count == context.result["data_quality"]["suspect_channel"]
    suspects = [r for r in rows if r["channel"] == "RETAIL_30" and int(r["days_supply"]) >= 84]
    assert [(s.row, s.claim_id, s.days_supply) for s in findings.suspect_channel] == \
        [(int(r["row"]), r["claim_id"], int(r["days_supply"])) for r in suspects]


def test_eligible_members_per_rebate_channel_and_proposal_term(written):
    context, extract, rows = written
    members = extract.findings.eligible_members
    for formula_id, column in (("rebate_guarantee", "rebate_excluded"), ("repricing_savings", "repricing_excluded")):
        buckets = [(b["channel"], b["brand_generic"]) for b in formula(context, formula_id)["buckets"]]
        seen = defaultdict(set)
        for r in rows:
            if r[column] == "":
                seen[(r["channel"], r["brand_generic"])].add(r["member_key"])
        assert members[formula_id] == {bucket: len(seen[bucket]) for bucket in buckets}
    claims = {(b["channel"], "B"): b["brand_claims"] for b in formula(context, "rebate_guarantee")["buckets"]}
    assert all(members["rebate_guarantee"][b] <= claims[b] for b in claims)


def test_a_run_without_the_formula_has_no_member_counts_for_it():
    context = sample_context(proposal=False)
    gather = FindingsPass(context.result)
    for row in context.claims():
        gather.add(cells_of(row))
    assert set(gather.findings().eligible_members) == {"rebate_guarantee"}


def test_the_list_of_suspects_is_bounded_while_all_are_counted():
    context = sample_context(client_id="C001")
    gather = FindingsPass(context.result, listed=1)
    for row in context.claims():
        gather.add(cells_of(row))
    findings = gather.findings()
    assert findings.suspect_channel_count == context.result["data_quality"]["suspect_channel"] == 2
    assert len(findings.suspect_channel) == 1 and findings.suspect_channel_unlisted == 1
    assert findings.suspect_channel[0] == gathered_from(context.claims(), context.result).suspect_channel[0]


def no_claims():
    return iter(())


def test_deliverables_render_from_the_context_with_the_findings_of_their_own_pass(tmp_path, monkeypatch):
    """The extract pass comes first; the PDF (in a worker process: pickled) and the workbook get its findings."""
    context = sample_context(client_id="C006", rebates=False)
    seen = {}

    class PdfPickled:
        def start(self, ctx, path):
            # What the PDF worker process receives (adapters/pdf_process.py): the context without its claims, pickled.
            received = pickle.loads(pickle.dumps(replace(ctx, claims=no_claims)))
            seen["pdf"] = received.findings
            return PdfHere().start(received, path)

    class WorkbookSeen:
        def write(self, ctx, *args):
            seen["write_workbook"] = ctx.findings
            WorkbookHere().write(ctx, *args)

    def dashboard_tables(ctx):
        seen["dashboard_tables"] = ctx.findings
        return real_dashboard_tables(ctx)

    real_dashboard_tables = deliverables_module.dashboard_tables
    monkeypatch.setattr(deliverables_module, "dashboard_tables", dashboard_tables)
    real = renderers(pdf=PdfPickled())
    deliverables(context, tmp_path, Renderers(real.pdf, WorkbookSeen(), real.extract_files, real.rendered))
    expected = gathered_from(context.claims(), context.result)
    assert seen == {"dashboard_tables": expected, "pdf": expected, "write_workbook": expected}
    assert expected.unguaranteed
