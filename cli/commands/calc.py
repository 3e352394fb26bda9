"""`leaf calc`: the offline calculation analysts and tests use — the calc service's own aggregates and formula math."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from kernel.errors import InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.calc.offline import calculate_file, open_claims, read_claims_file, render

__all__ = ["add_inputs", "compute", "input_json", "read_claims_file"]  # read_claims_file: `leaf report` reads with it


def register(commands) -> None:
    calc = commands.add_parser("calc", help="compute the registry offline and print the result JSON")
    add_inputs(calc)
    calc.set_defaults(handler=handle)


def add_inputs(command) -> None:
    """The arguments of an offline run (shared with `leaf report`)."""
    command.add_argument("--claims", required=True, type=Path, metavar="FILE.csv")
    command.add_argument("--contract", required=True, type=Path, metavar="FILE.json")
    command.add_argument("--rebates", type=Path, metavar="FILE.json")
    command.add_argument("--proposal", type=Path, metavar="FILE.json")
    command.add_argument("--client", required=True)
    command.add_argument("--pbm", required=True)
    command.add_argument("--tpa")
    command.add_argument("--group", action="append", default=[])
    command.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    command.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")


def input_json(path: Path | None, kind: str, parse):
    if path is None:
        return None
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"bad_input:{kind}", f"cannot read {kind} JSON ({exc.__class__.__name__})") from None
    return parse(document)


def compute(args) -> dict:
    """Parse every input and calculate with calc's own aggregates and formula math (services/calc/offline.py):
    any input error raises InputError."""
    scope = Scope.parse(args.client, args.pbm, args.date_from, args.date_to, args.tpa, tuple(args.group))
    claims = open_claims(args.claims, scope)
    contract = input_json(args.contract, "contract", parse_contract)
    rebates = input_json(args.rebates, "rebates", parse_rebates)
    proposal = input_json(args.proposal, "proposal", parse_proposal)
    return calculate_file(claims, args.claims, scope, contract, rebates, proposal)


def handle(args) -> int:
    try:
        result = compute(args)
    except InputError as err:
        print(f"leaf calc: {err.code}: {err.message}" if err.message != err.code else f"leaf calc: {err.code}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(render(result))
    return 0
