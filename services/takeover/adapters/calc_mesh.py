"""CalcRuns over gRPC: calc.CreateRun of the process's exact scope, then calc.StreamRunClaims of that run into a
Parquet file in a scratch folder (service_layer/compare.py).

The channel is runtime.clients.open_channel's: while takeover serves CompareParity, its interceptors forward the
caller's verified identity and exact scope grant, so calc checks the caller, never takeover itself. Claims arrive in
batches (about 2000 each) and are appended to a CSV as they come, then typed into Parquet by DuckDB — memory stays
bounded by a batch whatever the run's size. Only the claim id and the compared columns are written: the member id
the stream carries never reaches the disk. Opened lazily, inside the loop that serves (aio channels belong to one).
"""
from __future__ import annotations

import asyncio
import csv
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import duckdb
import grpc

from kernel.errors import Unavailable
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from runtime.clients import call, domain_error_of, open_channel
from runtime.convert import scope_to_proto
from services.takeover.domain.processes import process_scope
from services.takeover.service_layer.compare import BackendRun

# The netted claim's fields written, with the type each is compared under (the silver side is cast the same way).
CLAIM_FIELDS: Mapping[str, str] = {"claim_id": "VARCHAR", "group_id": "VARCHAR", "fill_date": "DATE",
                                   "days_supply": "BIGINT", "ingredient_cost_paid": "DECIMAL(38,2)",
                                   "dispensing_fee_paid": "DECIMAL(38,2)"}


class CalcOverMesh:
    def __init__(self, address: str | None, scratch: Path | None = None) -> None:
        self.address, self.scratch = address, scratch
        self._channel: grpc.aio.Channel | None = None

    def _calc(self) -> calc_pb2_grpc.CalcServiceStub:
        if not self.address:
            raise Unavailable("calc_not_configured", "this takeover service was not given CALC_ADDR")
        if self._channel is None:
            self._channel = open_channel(self.address)
        return calc_pb2_grpc.CalcServiceStub(self._channel)

    @asynccontextmanager
    async def run(self, scope: Mapping[str, str], timeout: float) -> AsyncIterator[BackendRun]:
        deadline = time.monotonic() + timeout
        calc = self._calc()
        made = await call(calc.CreateRun, calc_pb2.CreateRunRequest(scope=scope_to_proto(process_scope(scope))),
                          timeout=timeout)
        result = json.loads(made.result_json)
        folder = Path(tempfile.mkdtemp(prefix="leaf-parity-", dir=self.scratch))
        try:
            claims = await self._claims(calc, made.run_id, folder, max(deadline - time.monotonic(), 0.001))
            yield BackendRun(made.run_id, result, str(result.get("registry_version") or made.lineage.registry_version),
                             claims)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def _claims(self, calc: calc_pb2_grpc.CalcServiceStub, run_id: str, folder: Path,
                      timeout: float) -> Path:
        text, target = folder / "claims.csv", folder / "claims.parquet"
        with open(text, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(CLAIM_FIELDS)
            try:
                async for batch in calc.StreamRunClaims(calc_pb2.StreamRunClaimsRequest(run_id=run_id),
                                                        timeout=timeout):
                    out.writerows([getattr(claim, name) for name in CLAIM_FIELDS] for claim in batch.claims)
            except grpc.aio.AioRpcError as exc:
                raise domain_error_of(exc) from None
        await asyncio.to_thread(_typed_parquet, text, target)
        return target

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()


def _typed_parquet(text: Path, target: Path) -> None:
    """The streamed CSV typed as the diff compares it (DuckDB streams it: no whole copy in memory)."""
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in CLAIM_FIELDS.items())
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{_path(text)}', header = true, columns = {{{columns}}})) "
                    f"TO '{_path(target)}' (FORMAT parquet)")
    text.unlink()


def _path(path: Path) -> str:
    return str(path).replace("'", "''")
