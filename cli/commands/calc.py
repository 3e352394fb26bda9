"""`leaf calc`: the offline calculation analysts and tests use — the calc service's own aggregates and formula math."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import duckdb

from kernel.errors import DomainError, InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.calc.adapters.duckdb_validation import Unshaped
from services.calc.adapters.file_aggregates import ValidatedFile
from services.calc.domain.calculate import calculate, calculate_from_aggregates, check_evidence_scope, member_masks, render
from services.calc.domain.claims import ClaimsBatch
from services.calc.domain.reading import read_claims

# Whatever makes the DuckDB fast path step aside; the pure reader then decides the result or the error.
_FAST_PATH_DECLINED = (Unshaped, DomainError, OSError, ValueError, csv.Error, duckdb.Error)


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
    """Parse every input, check it belongs to the scope, calculate; any input error raises InputError.

    Claims are validated and summed in an in-memory DuckDB (the store's aggregate SQL) when it can vouch
    for the file; otherwise, or on any DuckDB failure, the pure reader computes the same bytes.
    """
    scope = Scope.parse(args.client, args.pbm, args.date_from, args.date_to, args.tpa, tuple(args.group))
    claims = _claims(args.claims, scope)
    contract = input_json(args.contract, "contract", parse_contract)
    rebates = input_json(args.rebates, "rebates", parse_rebates)
    proposal = input_json(args.proposal, "proposal", parse_proposal)
    check_evidence_scope(scope, contract, rebates)
    if isinstance(claims, ValidatedFile):
        fast = claims
        try:
            return calculate_from_aggregates(fast.facts(scope, member_masks(contract)), scope, contract, rebates, proposal)
        except duckdb.Error:  # e.g. a value too wide for the store's DECIMAL types
            claims = read_claims_file(args.claims)
        finally:
            fast.close()
    return calculate(claims, scope, contract, rebates, proposal)


def _claims(path: Path, scope: Scope) -> ValidatedFile | ClaimsBatch:
    try:
        return ValidatedFile(path, scope)
    except _FAST_PATH_DECLINED:
        return read_claims_file(path)


def read_claims_file(path: Path) -> ClaimsBatch:
    try:
        return read_claims(path)
    except OSError as exc:
        raise InputError("bad_input:claims", f"cannot read the claims file ({exc.__class__.__name__})") from None


def handle(args) -> int:
    try:
        result = compute(args)
    except InputError as err:
        print(f"leaf calc: {err.code}: {err.message}" if err.message != err.code else f"leaf calc: {err.code}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(render(result))
    return 0
