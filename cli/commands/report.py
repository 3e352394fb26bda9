"""`leaf report`: the offline twin of a published run, for analysts — every deliverable into one folder.

The artifacts come from exactly the publisher's code (services/publisher/domain/deliverables.py); the
presentation contract checks the whole set first, so a refusal writes nothing (exit 3).
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from cli.commands.calc import add_inputs, input_json, read_claims_file
from cli.offline_run import offline_context
from runtime.errors import InputError
from runtime.packets import parse_contract, parse_proposal, parse_rebates
from runtime.settings import load_settings
from services.publisher.bootstrap import PublisherSettings, pseudonym_secret
from services.publisher.domain.presentation_contract import PresentationRefused

REFUSED_EXIT = 3


def register(commands) -> None:
    report = commands.add_parser("report", help="write a run's result, workbook, PDF, extract and dashboard tables")
    add_inputs(report)
    report.add_argument("--out", required=True, type=Path, metavar="DIR")
    report.set_defaults(handler=handle)


def handle(args) -> int:
    # Imported here: the renderers pull in ReportLab and matplotlib, which every other command can do without.
    from services.publisher.domain.deliverables import deliverables

    try:
        batch = read_claims_file(args.claims)
        context = offline_context(args, batch, input_json(args.contract, "contract", parse_contract),
                                  input_json(args.rebates, "rebates", parse_rebates),
                                  input_json(args.proposal, "proposal", parse_proposal),
                                  pseudonym_secret(load_settings(PublisherSettings)))
        built = deliverables(context)
    except InputError as err:
        print(f"leaf report: {err.code}: {err.message}" if err.message != err.code else f"leaf report: {err.code}",
              file=sys.stderr)
        return 2
    except PresentationRefused as refused:
        for violation in refused.violations:
            print(f"leaf report: {refused.code}: refused {violation}", file=sys.stderr)
        return REFUSED_EXIT
    _write_all(args.out, [(a.name, a.data) for a in built.artifacts if not a.name.endswith(".json")
                          or a.name == "run.json"])
    print(args.out)
    return 0


def _write_all(out: Path, files: list[tuple[str, bytes]]) -> None:
    """Write into a sibling scratch folder, then move each file into place: a failure leaves no half report."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".leaf-report-") as scratch:
        for name, data in files:
            (Path(scratch) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(scratch) / name).write_bytes(data)
        for name, _ in files:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(Path(scratch) / name), out / name)
