"""What the publisher's use cases need from outside (style.md 11): where artifact bytes live, the ledger that lists
them, the lease one Domo writer holds, and the renderers that turn a run's context into the PDF, the workbook and
the extract's JSON and Parquet (style.md 12), and the peers a publication reads (calc's run and claims, the scope
registry's names and entitlements) and its own record, as ports that adapters/ implements (a local folder or ADLS
Gen2; the publisher database; ReportLab, XlsxWriter, DuckDB, pypdf; calc and scope over gRPC) and a unit test can
fake (tests/unit/publisher/fakes.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from kernel.scope import Scope
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import Entitlement
from services.publisher.domain.extract import ExtractRow, FindingsSink, WrittenExtract
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import Names, RejectedRow, RunContext

Chunks = bytes | Iterable[bytes] | BinaryIO  # an artifact's bytes as a store takes them: whole, in chunks, a file


@dataclass(frozen=True)
class Written:
    """What a store wrote, measured while writing it."""

    sha256: str
    size: int


class StoredFile(Protocol):
    size: int

    def chunks(self) -> Iterator[bytes]:
        """The bytes from the first, in blocks; every call reads the same stored version again."""

    def close(self) -> None: ...


class ArtifactStore(Protocol):
    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> Written:
        """Store the bytes under (run_id, name), replacing what was there all at once or not at all."""

    def open(self, run_id: str, name: str) -> StoredFile:
        """The stored bytes, to be read as a stream; NotFound if nothing is stored under that name."""

    def exists(self, run_id: str, name: str) -> bool: ...


class LedgerRace(Exception):
    """Another publication of the same run recorded first; the caller re-reads and compares."""


class ArtifactLedger(Protocol):
    def record(self, client_id: str, artifacts: list[StoredArtifact]) -> None:
        """All rows at once: a publication is listed whole or not at all; LedgerRace if one of them is there."""

    def of_run(self, run_id: str) -> list[StoredArtifact]:
        """The run's artifacts, by name."""

    def client_of(self, run_id: str) -> str | None:
        """The client whose run it is, once anything of it is recorded."""


Fence = Callable[[], None]  # raises when the lease was lost; called before each write


class Lease(Protocol):
    def held(self) -> AbstractAsyncContextManager[Fence]:
        """Hold the lease for the block (waiting for it), renewing it meanwhile; yields the fence to call before
        each write."""


class PublicationRepository(Protocol):
    """The publisher's own record of what it published: a run's scope and its dashboard tables."""

    def add(self, run_id: str, scope: Scope, published: list[Table]) -> None: ...

    def get(self, run_id: str) -> tuple[str, list[Table]] | None:
        """(scope_hash, tables) of a published run; None if it was never published."""

    def scope_of(self, run_id: str) -> Scope | None: ...


@dataclass(frozen=True)
class CalcRun:
    run_id: str
    result: dict   # calculations.md section 5, whole
    lineage: dict  # as lineage_to_dict renders it for the API and every artifact


class CalcRuns(Protocol):
    """A run as calc computed and stored it, read under the caller's grant (run_not_found outside it)."""

    async def read(self, run_id: str) -> CalcRun:
        """The stored run, its result holding every rejected row."""

    async def rejects(self, run_id: str) -> tuple[RejectedRow, ...]:
        """The rejected rows that count against the run's scope, in row order."""

    async def spool_claims(self, run_id: str, pseudonymize: Callable[[str], str], folder: Path, check: ContractCheck,
                           gather: FindingsSink, also: Callable[[list[str]], None] | None = None) -> WrittenExtract:
        """The run's netted claims written to `folder`/extract.csv as they arrive, each row checked, its findings
        gathered and seen by `also`."""


class Entitlements(Protocol):
    """The scope registry as the publisher reads it (workload:publisher)."""

    async def for_domo(self) -> list[Entitlement]:
        """Every entitlement Domo's row policies are built from."""

    async def names_of(self, scope: Scope) -> Names:
        """The display names of the scope's client, PBM, TPA and groups."""


class PdfRenderer(Protocol):
    def start(self, context: RunContext, path: Path) -> Callable[[], None]:
        """Start rendering the run's PDF report to `path` (here or in a worker process); the returned call waits for
        it and raises what the render raised. The same context always gives the same bytes."""


class WorkbookRenderer(Protocol):
    def write(self, context: RunContext, path: Path, extract: ExtractPlan, check: ContractCheck) -> None:
        """The run's workbook in one go from its context and claims; `check` sees every text cell as it is written."""


class StartedWorkbook(Protocol):
    """The workbook already being written elsewhere, taking its Extract rows as calc streams them."""

    def __call__(self, cells: list[str]) -> None:
        """One extract row's cells, in EXTRACT_COLUMNS order."""

    def finish(self, context: RunContext, extract: ExtractPlan) -> ContractCheck:
        """Write the rest from the final context; what the presentation contract found in it."""

    def close(self) -> None:
        """Give the workbook up unless it was finished."""


class WorkbookWorker(Protocol):
    def start(self, context: RunContext, path: Path) -> StartedWorkbook | None:
        """A workbook started at `path` before the claims arrive; None while another publication holds the worker."""


class ExtractFilesWriter(Protocol):
    def write(self, extract_csv: Path, rows: int, json_path: Path, parquet_path: Path) -> None:
        """extract.json and extract.parquet from the checked extract.csv's `rows` rows; fails if any row is lost."""

    def write_csv(self, rows: Iterable[ExtractRow], path: Path, check: ContractCheck,
                  gather: FindingsSink | None = None) -> WrittenExtract:
        """extract.csv from the rows, each checked by the contract and seen by `gather` as it is written."""


class RenderedChecker(Protocol):
    def check(self, check: ContractCheck, artifact: str, content_type: str, path: Path) -> None:
        """The contract's last look at what only rendering adds (workbook and PDF metadata, the PDF's text)."""


@dataclass(frozen=True)
class Renderers:
    """Everything that turns the run's context into bytes, one port each (adapters/renderers.py wires them)."""

    pdf: PdfRenderer
    workbook: WorkbookRenderer
    extract_files: ExtractFilesWriter
    rendered: RenderedChecker
