"""`leaf takeover ingest|loads|replay`: the Domo takeover plane in-process on its own database and lake (docs/takeover.md,
docs/beast-modes.md).

`ingest` runs the same use case as the takeover service's IngestExport (which the `takeover` lane worker calls
for a `takeover_ingest` task), as the operator at this machine: `local:<OS user>` (cli/operator.py) is recorded
as who promoted, never a name given on the command line.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.operator import local_operator
from kernel.errors import DomainError
from services.takeover import offline as takeover


def register(commands) -> None:
    actions = commands.add_parser(
        "takeover", help="Domo takeover exports: ingest, loads, replay, processes, parity").add_subparsers(
        dest="action", required=True)
    ingest = actions.add_parser("ingest", help="ingest a Leaf IQ export (folder or .zip); prints its load report")
    ingest.add_argument("path")
    ingest.set_defaults(handler=handle_ingest)
    loads = actions.add_parser("loads", help="every load in the ledger as JSON")
    loads.set_defaults(handler=handle_loads)
    replay = actions.add_parser("replay", help="replay each card's Beast Mode and filters on the load's silver data")
    replay.add_argument("load_id")
    replay.add_argument("--card", dest="card_id", default=None, help="only this card")
    replay.set_defaults(handler=handle_replay)
    register_processes(actions)


def handle_ingest(args) -> int:
    if not Path(args.path).exists():
        print(f"leaf takeover ingest: export_unreadable: {args.path} does not exist", file=sys.stderr)
        return 2
    try:
        report = takeover.ingest(args.path, local_operator())
    except DomainError as err:
        print(f"leaf takeover ingest: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    return 1 if report.status == takeover.QUARANTINED else 0


def handle_loads(args) -> int:
    print(json.dumps(takeover.loads(), indent=2, ensure_ascii=False))
    return 0


def handle_replay(args) -> int:
    """One JSON entry per card (docs/beast-modes.md); exit 0 when every card matches, 1 when one differs or is
    untranslatable, 2 for an unknown load or card."""
    try:
        entries = takeover.replay(args.load_id, args.card_id)
    except DomainError as err:
        print(f"leaf takeover replay: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(entries, indent=2, ensure_ascii=False))
    return 0 if all(entry["status"] == "match" for entry in entries) else 1


# --- the takeover-process registry (docs/takeover-states.md) ---------------------------------------------------
def register_processes(actions) -> None:
    processes = actions.add_parser("processes", help="the Domo-backed processes: state, proofs present and missing")
    processes.add_argument("process_id", nargs="?", default=None, help="one process, with its history and refusals")
    processes.set_defaults(handler=handle_processes)
    advance = actions.add_parser("advance", help="move a process to its next takeover state (as local:<OS user>)")
    advance.add_argument("process_id")
    advance.add_argument("--to", dest="to_state", required=True, choices=takeover.STATES)
    advance.add_argument("--note", default="", help="why (kept in the history; required to go back)")
    advance.set_defaults(handler=handle_advance)
    prove = actions.add_parser("prove", help="record one of the eight required proofs (as local:<OS user>)")
    prove.add_argument("process_id")
    prove.add_argument("proof", choices=list(takeover.PROOFS))
    prove.add_argument("--ref", required=True, help="what proves it: a load id, formula@version, a test path, …")
    prove.add_argument("--note", default="")
    prove.set_defaults(handler=handle_prove)
    parity = actions.add_parser("parity", help="a process's parity report (match / explained / unexplained) as JSON")
    parity.add_argument("process_id")
    parity.add_argument("--load", dest="load_id", default=None, help="refused unless the latest report is of this load")
    parity.add_argument("--xlsx", default=None, help="also write it as a workbook sheet at this path")
    parity.set_defaults(handler=handle_parity)


def handle_parity(args) -> int:
    """Exit 0 with the report, 2 when the process has no parity report (of that load) or the path is unwritable."""
    try:
        report = takeover.parity(args.process_id, args.load_id)
    except DomainError as err:
        print(f"leaf takeover parity: {err.code}: {err.message}", file=sys.stderr)
        return 2
    if args.xlsx:
        sheet = takeover.parity_xlsx(report)
        try:
            Path(args.xlsx).write_bytes(sheet)
        except OSError as err:
            print(f"leaf takeover parity: cannot write {args.xlsx}: {err.strerror}", file=sys.stderr)
            return 2
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


def handle_processes(args) -> int:
    try:
        out = takeover.processes(args.process_id)
    except DomainError as err:
        print(f"leaf takeover processes: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def handle_advance(args) -> int:
    """Exit 0 when the transition is made, 1 when refused (the reasons as JSON; nothing changed), 2 on a usage
    error (unknown process, bad note)."""
    from kernel.errors import Conflict
    try:
        outcome = takeover.advance(args.process_id, args.to_state, local_operator(), args.note)
    except Conflict as err:
        print(json.dumps({"process_id": args.process_id, "to": args.to_state, "status": "refused",
                          "reasons": [err.code]}, indent=2))
        return 1
    except DomainError as err:
        print(f"leaf takeover advance: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(outcome.as_json(), indent=2, ensure_ascii=False))
    return 0 if outcome.done else 1


def handle_prove(args) -> int:
    try:
        proof = takeover.prove(args.process_id, args.proof, args.ref, local_operator(), args.note)
    except DomainError as err:
        print(f"leaf takeover prove: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps({"process_id": args.process_id, **proof.as_json()}, indent=2, ensure_ascii=False))
    return 0
