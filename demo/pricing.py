"""What a PBM actually pays against each contract term: the contract price plus a fixed drift."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from demo.catalog import CHANNELS

BUCKETS = tuple((channel, bg) for channel in CHANNELS for bg in ("B", "G"))

# Claims in a bucket the contract does not price still get paid, at a market rate.
MARKET_TERMS = {
    ("RETAIL_30", "B"): (1800, 150), ("RETAIL_30", "G"): (8000, 150),
    ("RETAIL_90", "B"): (2100, 100), ("RETAIL_90", "G"): (8300, 100),
    ("MAIL", "B"): (2300, 0), ("MAIL", "G"): (8600, 0),
    ("SPECIALTY", "B"): (1650, 0), ("SPECIALTY", "G"): (4800, 0),
}
# Claim-to-claim scatter of the discount: generic MAC prices swing far more than brand AWP prices.
NOISE_BP = {"B": 250, "G": 600}


@dataclass(frozen=True, slots=True)
class Price:
    discount_bp: int  # the mean discount claims of this bucket get, in 1e-4
    noise_bp: int  # half-width of the uniform claim-level scatter around it
    fee_cents: int  # the mean dispensing fee paid


def price_book(packet: dict | None) -> tuple[Price, ...]:
    """One Price per bucket, in BUCKETS order; without a packet, market rates."""
    terms = {(t["channel"], t["brand_generic"]): t for t in (packet or {}).get("terms", [])}
    label = packet["packet_id"] if packet else "market"
    return tuple(_price(label, bucket, terms.get(bucket)) for bucket in BUCKETS)


def _price(label: str, bucket: tuple[str, str], term: dict | None) -> Price:
    if term:
        discount = int(Decimal(term["awp_discount"]) * 10_000)
        fee = int(Decimal(term["dispensing_fee"]) * 100)
    else:
        discount, fee = MARKET_TERMS[bucket]
    drift = _drift(f"{label}:{bucket[0]}:{bucket[1]}")
    # The drift is fixed per contract bucket (not per seed) so the demo tells the same story at
    # every size: some buckets land above their guarantee, some below.
    return Price(discount + drift % 241 - 130, NOISE_BP[bucket[1]], max(0, fee + drift % 36 - 20))


def _drift(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big")
