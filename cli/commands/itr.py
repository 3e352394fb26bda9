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
from runtime.settings import load_settings
from services.itr.adapters.mirror import SqlRequestMirror
from services.itr.adapters.mirror_store import SqlMirrorStore
from services.itr.adapters.search_source import SqlSearchSource
from services.itr.bootstrap import MirrorSettings, open_mirror
from services.itr.domain.plan import Choice, ask_to_json
from services.itr.service_layer.mirrored_requests import operator_bundle, operator_plan_ask
from services.itr.service_layer.search import index_mirror
from services.itr.service_layer.sync import sync_requests


def register(commands) -> None:
    itr = commands.add_parser("itr", help="the Salesforce IT request mirror").add_subparsers(dest="action", required=True)
    sync = itr.add_parser("sync", help="mirror requests incrementally; prints the counts written as JSON")
    sync.add_argument("--export", metavar="DIR", help="a local export folder (<ObjectName>.json per object)")
    sync.set_defaults(handler=handle_sync)
    bundle = itr.add_parser("bundle", help="the evidence bundle of one request as JSON")
    bundle.add_argument("request_id")
    bundle.set_defaults(handler=handle_bundle)
    plan = itr.add_parser("plan", help="the run plan of one request as JSON (ask, problems, scope resolution)")
    plan.add_argument("request_id")
    for flag, name in (("--pbm", "PBM_ID"), ("--tpa", "TPA_ID"), ("--from", "YYYY-MM-DD"), ("--to", "YYYY-MM-DD"),
                       ("--proposal", "PROPOSAL_ID")):
        plan.add_argument(flag, metavar=name, default="", dest=flag[2:],
                          help="an operator's choice to preview (the request's value when left out)")
    plan.set_defaults(handler=handle_plan)


def handle_sync(args) -> int:
    settings = load_settings(MirrorSettings)
    try:
        source = settings.record_source(args.export)
        engine = open_mirror(settings.LEAF_ITR_DB_URL)
        summary = sync_requests(source, SqlMirrorStore(engine), settings.sync_options())
        # The search index follows the mirror (docs/search.md); its counts go to stderr, the summary is itr.md's.
        indexed = index_mirror(SqlSearchSource(engine), settings.search_index(settings.LEAF_ITR_DB_URL),
                               settings.salesforce_hosts())
    except DomainError as err:
        print(f"leaf itr sync: {err.code}: {err.message}", file=sys.stderr)
        return 2
    for flag in summary.flagged:  # the bad records: mirrored with their flag, never dropped
        print(f"flagged: {flag['stream']} {flag['record_id']} {flag['rule']} {flag['detail']}".rstrip(), file=sys.stderr)
    print(f"search index: {indexed.indexed} documents indexed, {indexed.removed} removed", file=sys.stderr)
    print(json.dumps(summary.as_json(), indent=2))
    return 0


def handle_bundle(args) -> int:
    settings = load_settings(MirrorSettings)
    try:
        bundle = operator_bundle(args.request_id, SqlRequestMirror(open_mirror(settings.LEAF_ITR_DB_URL)))
    except DomainError as err:
        print(f"leaf itr bundle: {err.code}: {err.message}", file=sys.stderr)
        return 1
    print(json.dumps(json.loads(bundle), indent=2, ensure_ascii=False))
    return 0


def handle_plan(args) -> int:
    from cli.offline_scope import local_resolution

    settings = load_settings(MirrorSettings)
    choice = Choice(args.pbm, args.tpa, getattr(args, "from"), args.to, args.proposal)
    try:
        ask = operator_plan_ask(args.request_id, SqlRequestMirror(open_mirror(settings.LEAF_ITR_DB_URL)), choice)
    except DomainError as err:
        print(f"leaf itr plan: {err.code}: {err.message}", file=sys.stderr)
        return 1
    plan = ask_to_json(ask)
    resolution, source = local_resolution(ask.scope) if ask.resolvable else (None, "not resolved: see problems")
    print(f"scope: {source}", file=sys.stderr)
    problems = plan["problems"] + ([{"code": f"scope_{resolution['state']}", "message": ", ".join(
        resolution["reasons"])}] if resolution is not None and resolution["state"] != "exact" else [])
    plan.update(scope=resolution, problems=problems, submit=f"POST /v1/itr/requests/{ask.request_id}/plan")
    print(json.dumps(plan, indent=2, ensure_ascii=False))
    return 0
