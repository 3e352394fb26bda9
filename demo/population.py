"""Who fills on a given day: the registry's groups, plans and contracts as weighted claim slots."""

import hashlib
from dataclasses import dataclass
from datetime import date

from demo.catalog import apportion
from demo.pricing import Price, price_book

SLOT_BITS = 10  # a slot is drawn by indexing a 2**10 table with 10 random bits
CLAIMS_PER_MEMBER = 12  # sizes member pools so distinct-member counts stay meaningful at any size
# Relative claim volume of each client, and of each group inside its client (default 1).
CLIENT_SHARE = {"C001": 25, "C002": 15, "C003": 20, "C004": 12, "C005": 18, "C006": 10}
GROUP_SHARE = {"C001-G01": 4, "C001-G02": 5, "C001-G03": 2, "C001-G04": 2, "C003-G01": 5,
               "C003-G02": 3, "C004-G01": 4, "C004-G02": 2, "C005-G01": 4, "C005-G02": 3,
               "C006-G01": 3}


@dataclass(frozen=True, slots=True)
class Slot:
    """One group on one contract: the scope fields a claim carries and how it gets priced."""

    client_id: str
    pbm_id: str
    tpa_id: str
    group_id: str
    member_base: int
    member_pool: int
    prices: tuple[Price, ...]  # by catalog bucket
    pharmacies: tuple[str | None, ...]  # by channel index: the PBM's mail and specialty pharmacies


def npi(label: str) -> str:
    """A synthetic 10-digit NPI, stable for a label."""
    digest = int.from_bytes(hashlib.sha256(f"npi:{label}".encode()).digest()[:8], "big")
    return f"1{digest % 10**9:09d}"


class Population:
    """Day-indexed slot tables built from the registry and the contract packets."""

    def __init__(self, registry: dict, packets: list[dict], n_claims: int):
        self._groups = registry["groups"]
        self._plans = registry["plans"]
        self._packets = packets
        self._shares = _group_shares(registry)
        self._pools = _member_pools(self._shares, n_claims)
        self._tables: dict[tuple, list[Slot]] = {}

    def slots_on(self, day: date) -> list[Slot]:
        """The 2**SLOT_BITS slot table of a day; days with equal groups and contracts share it."""
        active = list(self._active(day.isoformat()))
        key = tuple((group["group_id"], pbm_id, packet and packet["packet_id"])
                    for group, pbm_id, packet in active)
        if key not in self._tables:
            weighted = [(self._slot(group, pbm_id, packet), self._shares[group["group_id"]])
                        for group, pbm_id, packet in active]
            self._tables[key] = apportion(weighted, 1 << SLOT_BITS)
        return self._tables[key]

    def _active(self, iso: str):
        """(group, pbm_id, packet or None) of each group with a plan that day."""
        for group in self._groups:
            if not group["valid_from"] <= iso <= group["valid_to"]:
                continue
            plan = _covering(self._plans, iso, client_id=group["client_id"], tpa_id=group["tpa_id"])
            if plan:  # a group without a plan that day has no claims (registry consistency)
                packet = _covering(self._packets, iso, client_id=group["client_id"],
                                   pbm_id=plan["pbm_id"])
                yield group, plan["pbm_id"], packet

    def _slot(self, group: dict, pbm_id: str, packet: dict | None) -> Slot:
        base, pool = self._pools[group["group_id"]]
        pharmacies = (None, None, npi(f"{pbm_id}:MAIL"), npi(f"{pbm_id}:SPECIALTY"))
        return Slot(group["client_id"], pbm_id, group["tpa_id"], group["group_id"], base, pool,
                    price_book(packet), pharmacies)


def _covering(rows: list[dict], iso: str, **match) -> dict | None:
    """The first row matching `match` whose validity (or effective) window holds the day."""
    for row in rows:
        start = row.get("valid_from") or row["effective_from"]
        end = row.get("valid_to") or row["effective_to"]
        if start <= iso <= end and all(row[key] == value for key, value in match.items()):
            return row
    return None


def _group_shares(registry: dict) -> dict[str, int]:
    """A group's claim volume: its client's share split over the client's groups by weight."""
    weight = {g["group_id"]: GROUP_SHARE.get(g["group_id"], 1) for g in registry["groups"]}
    client_weight: dict[str, int] = {}
    for g in registry["groups"]:
        client_weight[g["client_id"]] = client_weight.get(g["client_id"], 0) + weight[g["group_id"]]
    return {g["group_id"]: CLIENT_SHARE[g["client_id"]] * weight[g["group_id"]] * 1000
            // client_weight[g["client_id"]] for g in registry["groups"]}


def _member_pools(shares: dict[str, int], n_claims: int) -> dict[str, tuple[int, int]]:
    """Consecutive member-number ranges per group, sized by the group's claim volume."""
    members = max(100, n_claims // CLAIMS_PER_MEMBER)
    total = sum(shares.values())
    pools, base = {}, 1
    for group_id, share in shares.items():
        size = max(10, members * share // total)
        pools[group_id] = (base, size)
        base += size
    return pools
