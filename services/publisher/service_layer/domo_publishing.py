"""The dashboard pushed to Domo by one writer at a time: first in this process, then across every replica."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable

from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import DomoTarget, Entitlement, PublishSummary
from services.publisher.service_layer.ports import Lease


async def publish_dashboard(domo: DomoTarget, lease: Lease, lock: asyncio.Lock, run_id: str, client_id: str,
                            tables: list[Table], entitlements: Iterable[Entitlement]) -> PublishSummary:
    """Read–merge–write of the shared datasets under the lease, renewed meanwhile; the lease is fenced before every
    dataset, so a publisher that lost it stops before writing (LeaseLost, a retryable `domo_lease_lost`)."""
    async with lock, lease.held() as fence:
        return await asyncio.to_thread(domo.publish, run_id, client_id, tables, list(entitlements), fence)
