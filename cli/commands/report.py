"""`leaf report`: the offline twin of a published run, for analysts — every deliverable into one folder.

The artifacts come from exactly the publisher's code (services/publisher/service_layer/deliverables.py, with the
renderers of services/publisher/adapters/renderers.py), rendered into
a hidden scratch folder under DIR; the presentation contract checks the whole set first, so a refusal writes
nothing (exit 3), and only then are the files moved into place.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from cli.commands.calc import add_inputs, input_json, read_claims_file
from cli.offline_names import local_names
from cli.offline_run import offline_context
from cli.progress import Steps
from kernel.errors import InputError
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from runtime.settings import load_settings
from services.publisher.adapters.openai_narrative import narrative_provider
from services.publisher.bootstrap import PublisherSettings, pseudonym_secret
from services.publisher.domain.audit_summary import status_line
from services.publisher.domain.presentation_contract import PresentationRefused
from services.publisher.service_layer.narrative import narrated

REFUSED_EXIT = 3


def register(commands) -> None:
    report = commands.add_parser("report", help="write a run's result, workbook, PDF, extract and dashboard tables")
    add_inputs(report)
    report.add_argument("--out", required=True, type=Path, metavar="DIR")
    report.set_defaults(handler=handle)


def handle(args) -> int:
    # Imported here: the use case and its renderers are only this command's business (the renderers import
    # ReportLab and matplotlib on first use).
    from services.publisher.adapters.renderers import renderers
    from services.publisher.service_layer.deliverables import deliverables

    steps = Steps("leaf report")   # progress on stderr: stdout stays the folder's path
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out, prefix=".leaf-report-") as scratch:
        try:
            batch = read_claims_file(args.claims)
            steps("claims read", f"{batch.rows_read:,} rows, {len(batch.rejects):,} rejected")
            settings = load_settings(PublisherSettings)
            context = offline_context(args, batch, input_json(args.contract, "contract", parse_contract),
                                      input_json(args.rebates, "rebates", parse_rebates),
                                      input_json(args.proposal, "proposal", parse_proposal), pseudonym_secret(settings))
            steps("calc", f"readiness {context.readiness}; {status_line(context.result)}")
            names, source = local_names(Scope.parse(**context.scope))
            context = replace(context, names=names)
            steps("names", f"{context.client_label}, {context.pbm_label}; {source}")
            context = narrated(context, narrative_provider(settings))   # the template unless a model is configured
            built = deliverables(context, Path(scratch), renderers(pdf=_PdfReported(steps)),
                                 workbook_extract_max_rows=settings.LEAF_WORKBOOK_EXTRACT_MAX_ROWS, progress=steps)
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


class _PdfReported:
    """The PDF rendered here, as the publisher renders it in-process, with a progress line when it is done."""

    def __init__(self, steps: Steps) -> None:
        from services.publisher.adapters.renderers import PdfHere

        self._steps, self._here = steps, PdfHere()

    def start(self, context, path: Path):
        done = self._here.start(context, path)
        self._steps("PDF", f"{path.name} written")
        return done


def _move_all(out: Path, files: list[Path], scratch: Path) -> None:
    """Each rendered file renamed into place (the scratch folder is inside DIR, so no byte is copied)."""
    for path in files:
        target = out / path.relative_to(scratch)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
