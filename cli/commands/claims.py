"""`leaf claims load FILE`: validate a claims CSV and make it the active snapshot of the configured claims store."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from cli.progress import Progress
from kernel.errors import DomainError
from services.calc import offline as calc


def register(commands) -> None:
    claims = commands.add_parser("claims", help="manage the claims store").add_subparsers(dest="action", required=True)
    load = claims.add_parser("load", help="load a claims CSV (calculations.md 1.1) as the new snapshot")
    load.add_argument("file", type=Path)
    load.set_defaults(handler=handle_load)


def load_claims(file: Path):
    """The file as the configured claims store's new snapshot (services/calc/offline.py), with progress on stderr."""
    progress = Progress(f"loading {file.name}", file.stat().st_size)
    snapshot = calc.load_claims(file, progress)
    progress.finish(f"{snapshot.rows_read:,} rows, {snapshot.rows_valid:,} valid, {snapshot.rows_rejected:,} rejected")
    return snapshot


def handle_load(args) -> int:
    if not args.file.is_file():
        print(f"leaf claims load: no such file: {args.file.name}", file=sys.stderr)
        return 2
    try:
        snapshot = load_claims(args.file)
    except DomainError as err:
        print(f"leaf claims load: {err.code}: {err.message}", file=sys.stderr)
        return 2
    print(json.dumps(snapshot.__dict__, indent=2))
    return 0
