"""A lease in the publisher database: one holder at a time across replicas, with an expiry and a fencing token.

The shared Domo datasets are read, merged and written back whole; two replicas doing that at once would each
write back the rows they read, and one's rows would be lost. So a publisher takes the `domo` lease first: one
UPDATE that succeeds only when the lease has expired (or was released), raising the fencing token. While it
publishes, it renews the lease (ttl/3), and before each dataset it writes it checks that its token is still the
row's and unexpired (`fence`): a replica that stalled past the expiry, while another took over, stops before
writing rather than after. The expiry is the database's clock, so replicas on different machines agree on it.
A second publisher waits (polling) up to a bound, then answers `domo_busy`, which a caller may retry.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable

from sqlalchemy import Engine, Float, literal_column, select, update

from kernel.errors import Unavailable
from services.publisher.adapters.tables import leases

CLOCKS = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "EXTRACT(EPOCH FROM clock_timestamp())::float8",
    "mssql": "CAST(DATEDIFF_BIG(millisecond, '1970-01-01', SYSUTCDATETIME()) AS FLOAT) / 1000.0",
}
Fence = Callable[[], None]


class LeaseLost(Unavailable):
    """Another holder took the lease (ours expired): stop before writing anything more."""


class SqlLease:
    def __init__(self, engine: Engine, name: str = "domo", *, ttl_seconds: float = 30.0,
                 wait_seconds: float = 300.0, poll_seconds: float = 0.2) -> None:
        self.engine, self.name = engine, name
        self.ttl, self.wait, self.poll = ttl_seconds, wait_seconds, poll_seconds
        self._now = literal_column(CLOCKS[engine.dialect.name], Float)

    def try_acquire(self, holder: str) -> int | None:
        """The new fencing token if the lease was free (expired or released), else None."""
        row = leases.c
        statement = (update(leases).where(row.name == self.name, row.expires_at < self._now)
                     .values(holder=holder, fencing_token=row.fencing_token + 1, expires_at=self._now + self.ttl))
        with self.engine.begin() as db:
            if db.execute(statement).rowcount != 1:
                return None
            return db.scalar(select(row.fencing_token).where(row.name == self.name, row.holder == holder))

    def renew(self, holder: str, token: int) -> None:
        """Push the expiry on; LeaseLost if the lease is no longer ours (or ran out)."""
        with self.engine.begin() as db:
            renewed = db.execute(update(leases).where(*self._ours(holder, token)).values(
                expires_at=self._now + self.ttl)).rowcount
        if renewed != 1:
            raise LeaseLost("domo_lease_lost", f"the {self.name} lease passed to another publisher; nothing more "
                                               "is written, and the publication can be retried")

    def release(self, holder: str, token: int) -> None:
        row = leases.c
        with self.engine.begin() as db:
            db.execute(update(leases).where(row.name == self.name, row.holder == holder,
                                            row.fencing_token == token).values(expires_at=0.0))

    def _ours(self, holder: str, token: int):
        row = leases.c
        return (row.name == self.name, row.holder == holder, row.fencing_token == token, row.expires_at >= self._now)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[Fence]:
        """Hold the lease for the block (waiting for it), renewing it meanwhile; yields the fence check to call
        before each write (from any thread)."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        token = await self._acquire(holder)
        renewing = asyncio.create_task(self._renew_forever(holder, token))
        try:
            yield lambda: self.renew(holder, token)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError, LeaseLost):
                await renewing
            await asyncio.to_thread(self.release, holder, token)

    async def _acquire(self, holder: str) -> int:
        give_up = time.monotonic() + self.wait
        while (token := await asyncio.to_thread(self.try_acquire, holder)) is None:
            if time.monotonic() >= give_up:
                raise Unavailable("domo_busy", f"another publisher has held the {self.name} lease for over "
                                               f"{self.wait:.0f} s; retry the publication")
            await asyncio.sleep(self.poll)
        return token

    async def _renew_forever(self, holder: str, token: int) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            await asyncio.to_thread(self.renew, holder, token)


def never_fenced() -> None:
    """The fence of a publish that holds no lease (tests of a Domo target alone)."""
