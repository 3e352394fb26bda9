"""`leaf itr sync|bundle|plan`: the ITR mirror in-process on its own database (itr.md 3), as an operator at that
machine.

`sync` runs the same use case as the itr service's SyncRequests (which a lane worker calls for an `itr_sync` task),
from Salesforce as configured, the configured local export, or `--export DIR`. `plan` prints a request's run plan as
far as this machine can tell: the ask (itr's plan_ask) and the scope resolved against the local scope registry;
sufficiency, the run id and submitting are the mesh's (GET/POST /v1/itr/requests/{id}/plan).
"""
from __future__ import annotations

import json
import sys

from kernel.errors import DomainError
from services.itr import offline as itr
from services.scope.offline import local_resolution


def register(commands) -> None:
    actions = commands.add_parser("itr", help="the Salesforce IT request mirror").add_subparsers(dest="action", required=True)
    sync = actions.add_parser("sync", help="mirror requests incrementally; prints the counts written as JSON")
    sync.add_argument("--export", metavar="DIR", help="a local export folder (<ObjectName>.json per object)")
    sync.set_defaults(handler=handle_sync)
    bundle = actions.add_parser("bundle", help="the evidence bundle of one request as JSON")
    bundle.add_argument("request_id")
    bundle.set_defaults(handler=handle_bundle)
    plan = actions.add_parser("plan", help="the run plan of one request as JSON (ask, problems, scope resolution)")
    plan.add_argument("request_id")
    for flag, name in (("--pbm", "PBM_ID"), ("--tpa", "TPA_ID"), ("--from", "YYYY-MM-DD"), ("--to", "YYYY-MM-DD"),
                       ("--proposal", "PROPOSAL_ID")):
        plan.add_argument(flag, metavar=name, default="", dest=flag[2:],
                          help="an operator's choice to preview (the request's value when left out)")
    plan.set_defaults(handler=handle_plan)


def handle_sync(args) -> int:
    try:
        # The search index follows the mirror (docs/search.md); its counts go to stderr, the summary is itr.md's.
        summary, indexed = itr.sync(args.export)
    except DomainError as err:
        print(f"leaf itr sync: {err.code}: {err.message}", file=sys.stderr)
        return 2
    for flag in summary.flagged:  # the bad records: mirrored with their flag, never dropped
        print(f"flagged: {flag['stream']} {flag['record_id']} {flag['rule']} {flag['detail']}".rstrip(), file=sys.stderr)
    print(f"search index: {indexed.indexed} documents indexed, {indexed.removed} removed", file=sys.stderr)
    print(json.dumps(summary.as_json(), indent=2))
    return 0


def handle_bundle(args) -> int:
    try:
        bundle = itr.bundle(args.request_id)
    except DomainError as err:
        print(f"leaf itr bundle: {err.code}: {err.message}", file=sys.stderr)
        return 1
    print(json.dumps(json.loads(bundle), indent=2, ensure_ascii=False))
    return 0


def handle_plan(args) -> int:
    try:
        ask = itr.plan_ask(args.request_id, args.pbm, args.tpa, getattr(args, "from"), args.to, args.proposal)
    except DomainError as err:
        print(f"leaf itr plan: {err.code}: {err.message}", file=sys.stderr)
        return 1
    plan = itr.ask_to_json(ask)
    # The ask's scope resolved against the local scope registry (the scope service's offline read).
    scope = ask.scope
    resolution, source = (local_resolution(scope.client_id, scope.pbm_id, scope.date_from, scope.date_to, scope.tpa_id,
                                           scope.group_ids) if ask.resolvable else (None, "not resolved: see problems"))
    print(f"scope: {source}", file=sys.stderr)
    problems = plan["problems"] + ([{"code": f"scope_{resolution['state']}", "message": ", ".join(
        resolution["reasons"])}] if resolution is not None and resolution["state"] != "exact" else [])
    plan.update(scope=resolution, problems=problems, submit=f"POST /v1/itr/requests/{ask.request_id}/plan")
    print(json.dumps(plan, indent=2, ensure_ascii=False))
    return 0
