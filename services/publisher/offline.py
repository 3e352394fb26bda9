"""The publisher offline: what the `leaf` CLI may call to render a run's deliverables in-process (`leaf report`,
docs/cli.md).

The CLI imports this module and nothing else of the publisher (tests/unit/test_imports.py). The artifacts come
from exactly the service's code: its use case (service_layer/deliverables.py) with the renderers of
adapters/renderers.py, here with the PDF rendered in this process. Calc's part of an offline run arrives as plain
values (a service never imports another), as it arrives over gRPC in the mesh.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from runtime.settings import load_settings
from services.publisher.bootstrap import PublisherSettings, pseudonym_secret
from services.publisher.domain.audit_summary import status_line as status_line
from services.publisher.domain.extract import Pseudonymizer, rows_of
from services.publisher.domain.presentation_contract import PresentationRefused as PresentationRefused
from services.publisher.domain.run_context import Names, RejectedRow, RunContext


def offline_secret() -> bytes:
    """The secret behind member pseudonyms, as the service reads it (LEAF_PSEUDONYM_KEY, else the local key)."""
    return pseudonym_secret(load_settings(PublisherSettings))


def run_context(run_id: str, result: dict, lineage: dict, rejected: Iterable[tuple[int, str]],
                claims: Callable[[], Iterable[tuple[Any, tuple[str, ...]]]], client_id: str,
                secret: bytes) -> RunContext:
    """The context the publisher assembles for a run, from calc's run: its rejected rows in scope as (row, reason)
    and its judged claim lines (streamed once per artifact that shows them), member ids pseudonymized."""
    pseudonym = Pseudonymizer(secret, client_id)

    def extract_rows() -> Iterator:
        return rows_of(run_id, claims(), pseudonym)

    return RunContext(run_id, result, lineage, tuple(RejectedRow(row, reason) for row, reason in rejected),
                      extract_rows)


def with_names(context: RunContext, client: str | None, pbm: str | None, tpa: str | None,
               groups: tuple[tuple[str, str], ...]) -> RunContext:
    """The context with display names beside its ids (from the scope registry; None where it has none)."""
    return replace(context, names=Names(client, pbm, tpa, groups))


def render_here(context: RunContext, folder: Path, *, pdf_done: Callable[[Path], None] = lambda path: None,
                progress: Callable[[str, str], None] = lambda step, summary: None):
    """Every deliverable of the run into `folder`, rendered in this process: the narrative (the template unless a
    model is configured), then the presentation contract over the whole set — PresentationRefused writes
    nothing the caller should keep — then the files. Returns the service's Deliverables."""
    # Imported here: the renderers import ReportLab and matplotlib on first use.
    from services.publisher.adapters.openai_narrative import narrative_provider
    from services.publisher.adapters.renderers import renderers
    from services.publisher.service_layer.deliverables import deliverables
    from services.publisher.service_layer.narrative import narrated

    settings = load_settings(PublisherSettings)
    context = narrated(context, narrative_provider(settings))
    return deliverables(context, folder, renderers(pdf=_PdfHereReported(pdf_done)),
                        workbook_extract_max_rows=settings.LEAF_WORKBOOK_EXTRACT_MAX_ROWS, progress=progress)


class _PdfHereReported:
    """The PDF rendered here, as the publisher renders it in-process, telling `done` when it is written."""

    def __init__(self, done: Callable[[Path], None]) -> None:
        from services.publisher.adapters.renderers import PdfHere

        self._done, self._here = done, PdfHere()

    def start(self, context: RunContext, path: Path):
        finished = self._here.start(context, path)
        self._done(path)
        return finished
