"""Seeded, streaming generator of the demo claims CSV in the format of calculations.md 1.1."""

import argparse
import hashlib
import heapq
import random
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

from demo import DRUGS_PATH, load_contract_packets, load_registry
from demo.catalog import fill_table, load_drugs
from demo.defects import DEFECT_CLIENT, Defects
from demo.population import Population, npi

COLUMNS = ("claim_id", "claim_status", "reverses_claim_id", "client_id", "pbm_id", "tpa_id",
           "group_id", "member_id", "fill_date", "ndc", "drug_name", "brand_generic", "channel",
           "basis_of_cost", "compound", "days_supply", "quantity", "awp_unit_price",
           "ingredient_cost_paid", "dispensing_fee_paid", "member_paid", "plan_paid",
           "pharmacy_npi")
FIRST_DAY, DAYS = date(2024, 1, 1), 731  # 2024-01-01 .. 2025-12-31 (2024 is a leap year)
CHUNK_ROWS = 8192
REVERSED_PER_1024 = 20  # ~2% of paid claims get reversed a few hundred rows later
ZERO_AWP_PER_1024 = 3  # ~0.3% of claims arrive without an AWP
RETAIL_PHARMACIES = 512
MONEY_TEXTS = 100_000  # amounts under $1,000 are formatted once per run and looked up per claim


class World:
    """Everything fixed for a run: fills, slot tables per day, day strings, pharmacies."""

    def __init__(self, n_claims: int):
        self.fills = fill_table(load_drugs(DRUGS_PATH))
        population = Population(load_registry(), load_contract_packets(), n_claims)
        days = [FIRST_DAY + timedelta(d) for d in range(DAYS)]
        self.slots = [population.slots_on(d) for d in days]
        self.day_text = [d.isoformat() for d in days]
        self.year = [d.year - FIRST_DAY.year for d in days]
        self.retail = tuple(npi(f"retail:{k}") for k in range(RETAIL_PHARMACIES))
        self.money = MoneyTexts((cents, _money(cents)) for cents in range(MONEY_TEXTS))

    def paid_claim(self, rng: random.Random, day: int, claim_id: str,
                   client_id: str | None = None) -> tuple[list[str], int]:
        """A PAID claim and, when it is to be reversed, after how many rows (else 0)."""
        # Two 64-bit draws per claim, sliced, are much cheaper than a dozen rng calls. `bits`:
        # fill 16 | slot 10 | basis 10 | discount scatter 10 | fee scatter 6 | zero AWP 10;
        # `more`: member 20 | retail pharmacy 9 | reversal 10 | reversal delay 9.
        bits, more = rng.getrandbits(64), rng.getrandbits(64)
        slot = self.slots[day][bits >> 16 & 0x3FF]
        while client_id and slot.client_id != client_id:
            slot = self.slots[day][rng.getrandbits(10)]
        fill, year = self.fills[bits & 0xFFFF], self.year[day]
        basis = fill.basis_table[bits >> 26 & 0x3FF]
        ingredient, fee, member = _amounts(fill, slot.prices[fill.bucket], year, basis, bits)
        money = self.money
        zero_awp = (bits >> 52 & 0x3FF) < ZERO_AWP_PER_1024
        # A squared draw skews toward low member numbers: a few members fill far more than most.
        member_no = slot.member_base + ((more & 0xFFFFF) ** 2 * slot.member_pool >> 40)
        fields = [claim_id, "PAID", "", slot.client_id, slot.pbm_id, slot.tpa_id, slot.group_id,
                  f"M{member_no:08d}", self.day_text[day], fill.ndc, fill.drug_name,
                  fill.brand_generic, fill.channel, basis, fill.compound, fill.days_supply,
                  fill.quantity, "0.00000" if zero_awp else fill.awp_unit_price[year],
                  money[ingredient], money[fee], money[member], money[ingredient + fee - member],
                  slot.pharmacies[fill.bucket >> 1] or self.retail[more >> 20 & 0x1FF]]
        reversed_ = (more >> 29 & 0x3FF) < REVERSED_PER_1024
        return fields, 1 + (more >> 39 & 0x1FF) if reversed_ else 0


def _amounts(fill, price, year: int, basis: str, bits: int) -> tuple[int, int, int]:
    """Ingredient cost, dispensing fee and member share in integer cents (never a float)."""
    discount = price.discount_bp + ((bits >> 36 & 0x3FF) - 512) * price.noise_bp // 512
    if basis == "UC":  # the pharmacy's cash price undercut the contract rate
        discount = min(9_900, discount + 1_000)
    ingredient = (fill.awp_ext_cents[year] * (10_000 - discount) + 5_000) // 10_000
    fee = max(0, price.fee_cents + (bits >> 46 & 0x3F) - 32)
    copay, percent, low, high = fill.member_cost
    share = copay or min(max((ingredient + fee) * percent // 100, low), high)
    return ingredient, fee, min(share, ingredient + fee)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class MoneyTexts(dict):
    """Cents to decimal text: a lookup for common amounts, formatting (not caching) the rest."""

    def __missing__(self, cents: int) -> str:
        return _money(cents)


def _reversal(paid: list[str], claim_id: str) -> list[str]:
    """A REVERSAL carries the fill_date, scope fields and amounts of the claim it reverses."""
    return [claim_id, "REVERSAL", paid[0], *paid[3:]]


def _lines(world: World, rng: random.Random, n_claims: int) -> Iterator[str]:
    yield ",".join(COLUMNS)
    defects = Defects(rng, n_claims, COLUMNS)
    pending: list[tuple[int, int, list[str]]] = []  # (due row, paid row, paid fields) min-heap
    for row in range(n_claims):
        claim_id, day = f"RX{row + 1:010d}", row * DAYS // n_claims  # rows run in fill_date order
        if row in defects.rows:
            clean = lambda: world.paid_claim(rng, day, claim_id, DEFECT_CLIENT)[0]  # noqa: E731
            fields = defects.row(row, clean)
        elif pending and pending[0][0] <= row:
            fields = _reversal(heapq.heappop(pending)[2], claim_id)
        else:
            fields, reverse_after = world.paid_claim(rng, day, claim_id)
            if reverse_after:
                heapq.heappush(pending, (row + reverse_after, row, fields))
        yield ",".join(fields)


def generate_claims(path: str | Path, n_claims: int = 120_000, seed: int = 20251231,
                    progress: Callable[[int], None] | None = None) -> str:
    """Write `n_claims` data rows to `path`; returns the sha256 hex of the bytes written."""
    world, rng, digest = World(n_claims), random.Random(seed), hashlib.sha256()
    lines = _lines(world, rng, n_claims)
    with open(path, "wb") as out:
        out.write(_hashed(digest, next(lines) + "\n"))
        for written in range(0, n_claims, CHUNK_ROWS):
            out.write(_hashed(digest, "\n".join(islice(lines, CHUNK_ROWS)) + "\n"))
            if progress:
                progress(min(n_claims, written + CHUNK_ROWS))
    return digest.hexdigest()


def _hashed(digest, text: str) -> bytes:
    data = text.encode("utf-8")
    digest.update(data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the demo claims CSV.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=120_000)
    parser.add_argument("--seed", type=int, default=20251231)
    args = parser.parse_args()
    started = time.perf_counter()
    sha = generate_claims(args.path, args.rows, args.seed)
    seconds = time.perf_counter() - started
    print(f"{args.rows} rows in {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s) sha256 {sha}")


if __name__ == "__main__":
    main()
