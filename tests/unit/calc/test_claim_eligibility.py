"""Per-claim eligibility: the claims a formula's reasons leave eligible add up to exactly its result buckets.

Each bucket figure of awp, fee, rebate and repricing is re-derived from the netted claims and their per-claim
cells alone, and each `excluded` count from the cells' reasons: what anyone can do with the extract.
"""
from collections import Counter, defaultdict
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kernel.claim_reasons import ELIGIBLE, EXCLUSION_REASONS, NOT_APPLICABLE, REASON_CELLS
from kernel.packets import parse_contract, parse_proposal
from services.calc.domain.calculate import calculate
from services.calc.domain.claim_eligibility import JUDGED_FORMULAS, claim_eligibility, judged
from services.calc.domain.claim_lines import claim_lines, netted_claims

from .builders import batch, contract, formula, proposal, proposal_json, rebates, row, scope, term
from .test_properties import CHANNELS, DRUG_TYPES, FAST, claim_rows, contracts

AWP, FEE, REBATE, REPRICING = JUDGED_FORMULAS
ZERO = Decimal("0.00")


def judged_claims(rows, contract_packet, proposal_packet=None):
    claims = claim_lines(netted_claims(batch(rows), scope()))
    return list(judged(claims, claim_eligibility(contract_packet, proposal_packet)))


def rederived(lines, formula_id):
    """Per bucket: claims, distinct members, Σ awp_ext, Σ ingredient cost, Σ fees of the eligible lines; and the
    count of each exclusion reason."""
    column = JUDGED_FORMULAS.index(formula_id)
    buckets = defaultdict(lambda: {"claims": 0, "members": set(), "awp": ZERO, "ingredient_cost": ZERO, "fees": ZERO})
    reasons = Counter()
    for line, cells in lines:
        cell = cells[column]
        if cell == ELIGIBLE:
            bucket = buckets[(line.channel, line.brand_generic)]
            bucket["claims"] += 1
            bucket["members"].add(line.member_id)
            bucket["awp"] += line.awp_ext
            bucket["ingredient_cost"] += line.ingredient_cost_paid
            bucket["fees"] += line.dispensing_fee_paid
        elif cell != NOT_APPLICABLE:
            reasons[cell] += 1
    return buckets, {reason: reasons[reason] for reason in EXCLUSION_REASONS}


def empty():
    return {"claims": 0, "members": set(), "awp": ZERO, "ingredient_cost": ZERO, "fees": ZERO}


def assert_reconciles(result, lines):
    for formula_id in (AWP, FEE):
        body = formula(result, formula_id)
        buckets, excluded = rederived(lines, formula_id)
        assert excluded == body["excluded"], formula_id
        for row_ in body["buckets"]:
            got = buckets.get((row_["channel"], row_["brand_generic"]), empty())
            assert (got["claims"], len(got["members"])) == (row_["claims"], row_["members"]), formula_id
            if formula_id == AWP:
                assert (str(got["awp"]), str(got["ingredient_cost"])) == (row_["awp"], row_["ingredient_cost"])
            else:
                assert str(got["fees"]) == row_["fees"]
    if any(f["id"] == REBATE for f in result["formulas"]):
        body = formula(result, REBATE)
        buckets, excluded = rederived(lines, REBATE)
        assert excluded == body["excluded"]
        assert {b: v["claims"] for b, v in buckets.items()} == {
            (r["channel"], "B"): r["brand_claims"] for r in body["buckets"] if r["brand_claims"]}
    if any(f["id"] == REPRICING for f in result["formulas"]):
        body = formula(result, REPRICING)
        buckets, excluded = rederived(lines, REPRICING)
        assert excluded == body["excluded"]
        for row_ in body["buckets"]:
            got = buckets.get((row_["channel"], row_["brand_generic"]), empty())
            assert (got["claims"], str(got["ingredient_cost"] + got["fees"])) == (row_["claims"], row_["current_cost"])
        priced = {(r["channel"], r["brand_generic"]) for r in body["buckets"]}
        assert sorted(set(buckets) - priced) == sorted((u["channel"], u["brand_generic"]) for u in body["unpriced_buckets"])


@st.composite
def proposals(draw):
    buckets = draw(st.lists(st.sampled_from([(c, bg) for c in CHANNELS for bg in DRUG_TYPES]), unique=True))
    flags = {"uc_claims": draw(st.booleans()), "compounds": draw(st.booleans())}
    return proposal_json(terms=[term(c, bg, "0.2000", "0.50") for c, bg in buckets], exclusions=flags)


@FAST
@given(claim_rows(), contracts(), st.booleans(), st.booleans(), st.none() | proposals())
def test_the_eligible_claims_of_every_formula_add_up_to_its_buckets(rows, packet_json, uc, compounds, offer):
    packet = parse_contract({**packet_json, "exclusions": {"uc_claims": uc, "compounds": compounds}})
    offer = offer and parse_proposal(offer)
    result = calculate(batch(rows), scope(), packet, rebates(), offer)
    lines = judged_claims(rows, packet, offer)
    assert all(set(cells) <= REASON_CELLS for _, cells in lines)
    assert_reconciles(result, lines)


def test_a_generic_claim_is_not_applicable_to_rebates_and_a_formula_the_run_lacks_judges_nothing():
    rows = [row("C1"), row("C2", brand_generic="G"), row("C3", channel="SPECIALTY"),
            row("C4", basis_of_cost="UC"), row("C5", compound="Y", awp_unit_price="0")]
    cells = {line.claim_id: c for line, c in judged_claims(rows, contract())}
    assert cells == {"C1": ("", "", "", "n/a"), "C2": ("", "", "n/a", "n/a"),
                     "C3": ("no_term", "no_term", "no_term", "n/a"),
                     "C4": ("uc", "uc", "", "n/a"),     # rebates never exclude usual-and-customary claims
                     "C5": ("compound", "compound", "compound", "n/a")}
    no_rebate_terms = contract(terms=[term("RETAIL_30", "B")])
    offer = proposal(exclusions={"uc_claims": False, "compounds": False})
    cells = {line.claim_id: c for line, c in judged_claims(rows, no_rebate_terms, offer)}
    assert cells["C1"] == ("", "", "n/a", "") and cells["C4"] == ("uc", "uc", "n/a", "")
    assert cells["C3"][3] == "" and cells["C5"][3] == "zero_awp"   # unpriced, yet eligible; the flags are the proposal's
    assert {c for line, c in judged_claims(rows, None)} == {("n/a", "n/a", "n/a", "n/a")}


def test_the_demo_contract_reconciles_on_specialty_claims_without_a_term():
    """No term for SPECIALTY: its claims are no_term in awp, fee and (brand) rebate, and reconcile as such."""
    packet = contract(terms=[term("RETAIL_30", "B", rebate_per_claim="210.00"), term("RETAIL_30", "G"),
                             term("MAIL", "B")])
    rows = [row(f"C{i}", channel=("RETAIL_30", "MAIL", "SPECIALTY")[i % 3], brand_generic="BG"[i % 2],
                member_id=f"M{i % 4}", basis_of_cost=("AWP", "UC", "MAC")[i % 3 if i % 5 else 0],
                compound="Y" if i % 7 == 0 else "N", awp_unit_price="0" if i % 11 == 0 else "12.34567",
                quantity=f"{i % 9 + 1}.5", ingredient_cost_paid=f"{i}.25", dispensing_fee_paid=f"{i % 3}.10")
            for i in range(60)]
    result = calculate(batch(rows), scope(), packet, rebates(), proposal())
    lines = judged_claims(rows, packet, proposal())
    assert formula(result, FEE)["excluded"]["no_term"] > 0 and formula(result, AWP)["excluded"]["zero_awp"] > 0
    assert_reconciles(result, lines)

