"""The policy gate reads one table of kinds: who may submit, operator-only, curated mutations need the flag."""
from __future__ import annotations

import pytest

from kernel.errors import InputError
from services.tasks.domain.kinds import KINDS, LANES, RetryPolicy, kind_named
from services.tasks.domain.policy import ALLOWED, DENIED, Submitter, decide

ANALYST = Submitter("user:ana@leaf.health")
OPERATOR = Submitter("user:ops@leaf.health", operator=True)


def test_the_declared_kinds_and_their_lanes():
    assert {k: v.lane for k, v in KINDS.items()} == {"publish_run": "publish", "compute_run": "runs",
                                                     "itr_sync": "itr", "takeover_ingest": "takeover",
                                                     "takeover_parity": "takeover"}
    assert LANES == ("itr", "publish", "runs", "takeover")
    assert KINDS["takeover_ingest"].mutates_curated and KINDS["itr_sync"].operator_only
    # a golden comparison writes a parity report, not curated data: an operator's, without the curated flag
    parity = KINDS["takeover_parity"]
    assert parity.operator_only and not parity.mutates_curated and parity.submitters == {"user", "local"}
    assert parity.params == {"process_id", "load_id", "scope"}
    assert not any(KINDS[k].mutates_curated or KINDS[k].operator_only for k in ("publish_run", "compute_run"))
    assert all(k.retry.max_attempts >= 1 and k.time_limit_seconds > 0 for k in KINDS.values())


@pytest.mark.parametrize("principal", ["user:ana@leaf.health", "service:domo-sync", "workload:gateway", "local:root"])
def test_runs_may_be_asked_for_by_any_verified_caller(principal):
    assert decide(KINDS["publish_run"], Submitter(principal), operator_intent=False).outcome == ALLOWED


@pytest.mark.parametrize("principal", ["group:leaf-demo", "ana@leaf.health", "", "user:"])
def test_a_group_or_an_unnamespaced_name_never_submits(principal):
    decision = decide(KINDS["compute_run"], Submitter(principal), operator_intent=False)
    assert (decision.outcome, decision.rule) == (DENIED, "kind.compute_run.submitters")


def test_itr_sync_needs_an_operator():
    assert decide(KINDS["itr_sync"], ANALYST, False).rule == "kind.itr_sync.operator_only"
    assert not decide(KINDS["itr_sync"], Submitter("service:x", operator=True), False).allowed  # users only
    assert decide(KINDS["itr_sync"], OPERATOR, False).allowed


def test_curated_mutations_need_an_operator_and_the_operator_flag():
    kind = KINDS["takeover_ingest"]
    assert decide(kind, ANALYST, True).rule == "kind.takeover_ingest.operator_only"
    denied = decide(kind, OPERATOR, False)
    assert (denied.outcome, denied.rule) == (DENIED, "kind.takeover_ingest.mutates_curated")
    assert "operator flag" in denied.reason
    assert decide(kind, OPERATOR, True).allowed


def test_an_unknown_kind_is_the_callers_mistake():
    with pytest.raises(InputError) as refused:
        kind_named("report")
    assert refused.value.code == "unknown_kind"


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(max_attempts=4, backoff_seconds=10, backoff_factor=3, max_backoff_seconds=60)
    assert [policy.delay_after(a) for a in (1, 2, 3)] == [10, 30, 60]
    assert not policy.exhausted(3) and policy.exhausted(4)
