"""`leaf report`: the offline twin of a published run, for analysts — every deliverable into one folder.

The artifacts come from exactly the publisher's code (its offline entrypoint, services/publisher/offline.py: the
service's deliverables use case with its renderers), rendered into a hidden scratch folder under DIR; the
presentation contract checks the whole set first, so a refusal writes nothing (exit 3), and only then are the
files moved into place.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from cli.commands.calc import add_inputs, input_json, read_claims_file
from cli.offline_names import local_names
from cli.offline_run import offline_context
from cli.progress import Steps
from kernel.errors import InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from services.publisher.offline import PresentationRefused, offline_secret, render_here, status_line

REFUSED_EXIT = 3


def register(commands) -> None:
    report = commands.add_parser("report", help="write a run's result, workbook, PDF, extract and dashboard tables")
    add_inputs(report)
    report.add_argument("--out", required=True, type=Path, metavar="DIR")
    report.set_defaults(handler=handle)


def handle(args) -> int:
    steps = Steps("leaf report")   # progress on stderr: stdout stays the folder's path
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out, prefix=".leaf-report-") as scratch:
        try:
            batch = read_claims_file(args.claims)
            steps("claims read", f"{batch.rows_read:,} rows, {len(batch.rejects):,} rejected")
            secret = offline_secret()
            context = offline_context(args, batch, input_json(args.contract, "contract", parse_contract),
                                      input_json(args.rebates, "rebates", parse_rebates),
                                      input_json(args.proposal, "proposal", parse_proposal), secret)
            steps("calc", f"readiness {context.readiness}; {status_line(context.result)}")
            context, source = local_names(context, Scope.parse(**context.scope))
            steps("names", f"{context.client_label}, {context.pbm_label}; {source}")
            built = render_here(context, Path(scratch), pdf_done=lambda path: steps("PDF", f"{path.name} written"),
                                progress=steps)
        except InputError as err:
            print(f"leaf report: {err.code}: {err.message}" if err.message != err.code else f"leaf report: {err.code}",
                  file=sys.stderr)
            return 2
        except PresentationRefused as refused:
            for violation in refused.violations:
                print(f"leaf report: {refused.code}: refused {violation}", file=sys.stderr)
            return REFUSED_EXIT
        # The API's JSON twins (extract.json, dashboard/*.json) are for connectors; the folder keeps the rest.
        _move_all(args.out, [a.path for a in built.artifacts if not a.name.endswith(".json") or a.name == "run.json"],
                  Path(scratch))
    print(args.out)
    return 0


def _move_all(out: Path, files: list[Path], scratch: Path) -> None:
    """Each rendered file renamed into place (the scratch folder is inside DIR, so no byte is copied)."""
    for path in files:
        target = out / path.relative_to(scratch)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
