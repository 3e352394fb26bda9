"""Fakes of the publisher's ports (services/publisher/service_layer/ports.py), in memory: the use cases run on these
in unit tests without a database, a gRPC peer, Domo, ReportLab, XlsxWriter or DuckDB (style.md 11)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kernel.errors import NotFound
from kernel.scope import Scope
from services.publisher.adapters.extract_csv import write_extract, written
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import PublishSummary
from services.publisher.domain.extract import EXTRACT_CSV, ExtractWriter, FindingsSink, WrittenExtract, cells_of
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import Names, RejectedRow, RunContext
from services.publisher.service_layer.ports import CalcRun, Chunks, LedgerRace, Renderers, Written


class FakePublications:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[Scope, list[Table]]] = {}

    def add(self, run_id: str, scope: Scope, published: list[Table]) -> None:
        self.rows[run_id] = (scope, published)

    def get(self, run_id: str) -> tuple[str, list[Table]] | None:
        found = self.rows.get(run_id)
        return None if found is None else (found[0].scope_hash, found[1])

    def scope_of(self, run_id: str) -> Scope | None:
        found = self.rows.get(run_id)
        return None if found is None else found[0]


class _StoredBytes:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def chunks(self) -> Iterator[bytes]:
        yield self.data

    def close(self) -> None:
        pass


class FakeStore:
    def __init__(self) -> None:
        self.files: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put(self, run_id: str, name: str, data: Chunks, content_type: str = "application/octet-stream") -> Written:
        whole = data if isinstance(data, bytes) else data.read() if hasattr(data, "read") else b"".join(data)
        self.files[(run_id, name)] = (whole, content_type)
        return Written(hashlib.sha256(whole).hexdigest(), len(whole))

    def open(self, run_id: str, name: str) -> _StoredBytes:
        if (run_id, name) not in self.files:
            raise NotFound("artifact_not_found", name)
        return _StoredBytes(self.files[(run_id, name)][0])

    def exists(self, run_id: str, name: str) -> bool:
        return (run_id, name) in self.files


class FakeLedger:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, StoredArtifact]] = {}

    def record(self, client_id: str, artifacts: list[StoredArtifact]) -> None:
        if any((a.run_id, a.name) in self.rows for a in artifacts):
            raise LedgerRace()
        self.rows.update({(a.run_id, a.name): (client_id, a) for a in artifacts})

    def of_run(self, run_id: str) -> list[StoredArtifact]:
        return sorted((a for (run, _), (_, a) in self.rows.items() if run == run_id), key=lambda a: a.name)

    def client_of(self, run_id: str) -> str | None:
        return next((client for (run, _), (client, _) in self.rows.items() if run == run_id), None)


class FakeCalcRuns:
    """calc's stored run, from a RunContext (tests/publisher_fixtures.py): its claims are the context's extract rows."""

    def __init__(self, context: RunContext, scope_hash: str | None = None) -> None:
        self.context = context
        self.result = dict(context.result) if scope_hash is None else {**context.result, "scope_hash": scope_hash}
        self.reads = 0
        self.pseudonymizers: list[Callable[[str], str]] = []

    async def read(self, run_id: str) -> CalcRun:
        self.reads += 1
        if run_id != self.context.run_id:
            raise NotFound("run_not_found", run_id)
        return CalcRun(run_id, self.result, self.context.lineage)

    async def rejects(self, run_id: str) -> tuple[RejectedRow, ...]:
        return self.context.rejected_in_scope

    async def spool_claims(self, run_id: str, pseudonymize: Callable[[str], str], folder: Path, check: ContractCheck,
                           gather: FindingsSink, also: Callable[[list[str]], None] | None = None) -> WrittenExtract:
        self.pseudonymizers.append(pseudonymize)  # the rows are pseudonymized already (the fixture's secret)
        path = folder / EXTRACT_CSV
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = ExtractWriter(out, check, gather=gather, also=also)
            for row in self.context.claims():
                writer.write(cells_of(row))
        return written(path, writer.rows, gather.findings())


class FakeEntitlements:
    def __init__(self, names: Names = Names()) -> None:
        self.names = names
        self.domo: list[tuple[str, str, tuple[str, ...] | None]] = [("user:ana@leaf.example", "C001", None)]

    async def for_domo(self) -> list[tuple[str, str, tuple[str, ...] | None]]:
        return list(self.domo)

    async def names_of(self, scope: Scope) -> Names:
        return self.names


class FakeLease:
    def __init__(self) -> None:
        self.holds = 0
        self.fenced = 0

    @asynccontextmanager
    async def held(self):
        self.holds += 1
        yield self._fence

    def _fence(self) -> None:
        self.fenced += 1


class FakeDomo:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, list[Table], list]] = []

    def publish(self, run_id: str, client_id: str, tables: list[Table], entitlements, fence=lambda: None):
        fence()
        self.published.append((run_id, client_id, tables, list(entitlements)))
        return PublishSummary(run_id, client_id, "fake", ())


@dataclass
class Rendered:
    """What every fake renderer was asked to do, in order."""

    calls: list[tuple[str, str]] = field(default_factory=list)   # (renderer, file name)
    contexts: dict[str, RunContext] = field(default_factory=dict)
    plans: list[ExtractPlan] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)  # (artifact, content type)


class FakePdf:
    def __init__(self, seen: Rendered) -> None:
        self.seen = seen

    def start(self, context: RunContext, path: Path) -> Callable[[], None]:
        self.seen.calls.append(("pdf start", path.name))
        self.seen.contexts["pdf"] = context
        path.write_bytes(b"%PDF fake")
        return lambda: self.seen.calls.append(("pdf done", path.name))


class FakeWorkbook:
    def __init__(self, seen: Rendered, fails: bool = False) -> None:
        self.seen, self.fails = seen, fails

    def write(self, context: RunContext, path: Path, extract: ExtractPlan, check: ContractCheck) -> None:
        self.seen.calls.append(("workbook", path.name))
        self.seen.contexts["workbook"] = context
        self.seen.plans.append(extract)
        if self.fails:
            raise RuntimeError("the workbook renderer failed")
        path.write_bytes(b"xlsx fake: " + str(sum(1 for _ in context.claims())).encode())


class FakeExtractFiles:
    def __init__(self, seen: Rendered) -> None:
        self.seen = seen

    def write(self, extract_csv: Path, rows: int, json_path: Path, parquet_path: Path) -> None:
        self.seen.calls.append(("extract files", f"{extract_csv.name}:{rows}"))
        json_path.write_bytes(b"[]")
        parquet_path.write_bytes(b"PAR1 fake")

    def write_csv(self, rows, path: Path, check: ContractCheck, gather=None) -> WrittenExtract:
        self.seen.calls.append(("extract csv", path.name))
        return write_extract(rows, path, check, gather)  # the real writer: extract.csv is what the rest reads


class FakeRenderedCheck:
    """The contract's last look; `refuse` names an artifact it finds unreadable."""

    def __init__(self, seen: Rendered, refuse: str | None = None) -> None:
        self.seen, self.refuse = seen, refuse

    def check(self, check: ContractCheck, artifact: str, content_type: str, path: Path) -> None:
        self.seen.checked.append((artifact, content_type))
        if artifact == self.refuse:
            check.unreadable(artifact, ValueError("unreadable"))


def fake_renderers(seen: Rendered, *, workbook_fails: bool = False, refuse: str | None = None) -> Renderers:
    return Renderers(FakePdf(seen), FakeWorkbook(seen, workbook_fails), FakeExtractFiles(seen),
                     FakeRenderedCheck(seen, refuse))


class FakeStartedWorkbook:
    """A workbook already being written elsewhere (the publisher's worker process): rows in, then finish or close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[list[str]] = []
        self.finished: ExtractPlan | None = None
        self.closed = False

    def __call__(self, cells: list[str]) -> None:
        self.rows.append(cells)

    def finish(self, context: RunContext, extract: ExtractPlan) -> ContractCheck:
        self.finished = extract
        self.path.write_bytes(b"xlsx from the worker")
        return ContractCheck()

    def close(self) -> None:
        self.closed = True


class FakeWorkbookWorker:
    def __init__(self) -> None:
        self.started: list[FakeStartedWorkbook] = []

    def start(self, context: RunContext, path: Path) -> FakeStartedWorkbook:
        self.started.append(FakeStartedWorkbook(path))
        return self.started[-1]
