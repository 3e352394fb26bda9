"""The synthetic drug catalog and the weighted ways its drugs are filled (the claim 'fills')."""

import csv
from dataclasses import dataclass
from pathlib import Path

CHANNELS = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY")
TABLE_BITS = 16  # a fill is drawn by indexing a 2**16 table with 16 random bits: no bisect per row

# How each kind of drug reaches members: (channel, multiple of the base supply, parts per thousand).
# A sliver of 90-day maintenance fills goes through RETAIL_30: the miscoded channel auditors flag.
CHANNEL_MIX = {
    "maintenance": (("RETAIL_30", 1, 679), ("RETAIL_30", 3, 1), ("RETAIL_90", 3, 140),
                    ("MAIL", 3, 180)),
    "acute": (("RETAIL_30", 1, 1000),),
    "specialty": (("SPECIALTY", 1, 1000),),
    "compound": (("RETAIL_30", 1, 1000),),
}


@dataclass(frozen=True, slots=True)
class Drug:
    ndc: str
    drug_name: str
    brand_generic: str
    kind: str
    days_supply: int
    quantity_milli: int  # quantity in thousandths: the CSV allows 3 places
    awp_u5: tuple[int, int]  # AWP unit price in 1e-5 dollars for 2024 and 2025
    weight: int


@dataclass(frozen=True, slots=True)
class Fill:
    """One way a drug is dispensed; everything a claim needs that does not vary claim to claim."""

    ndc: str
    drug_name: str
    brand_generic: str
    channel: str
    bucket: int  # index into pricing books: 2 * channel index + (0 for B, 1 for G)
    compound: str
    days_supply: str
    quantity: str
    awp_unit_price: tuple[str, str]  # by year index
    awp_ext_cents: tuple[int, int]  # round2(awp_unit_price x quantity), by year index
    basis_table: tuple[str, ...]  # basis_of_cost drawn by 10 random bits
    member_cost: tuple[int, int, int, int]  # copay cents, coinsurance %, minimum, maximum


def load_drugs(path: Path) -> list[Drug]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [_drug(row) for row in csv.DictReader(handle)]


def _drug(row: dict) -> Drug:
    awp = (_scaled(row["awp_unit_price_2024"], 5), _scaled(row["awp_unit_price_2025"], 5))
    return Drug(row["ndc"], row["drug_name"], row["brand_generic"], row["kind"],
                int(row["days_supply"]), _scaled(row["quantity"], 3), awp, int(row["weight"]))


def _scaled(text: str, places: int) -> int:
    """A decimal string as an integer count of 10**-places units, never through a float."""
    whole, _, frac = text.partition(".")
    return int(whole) * 10**places + int(frac.ljust(places, "0")[:places])


def fill_table(drugs: list[Drug]) -> list[Fill]:
    """Fills repeated in proportion to their share of claims, 2**TABLE_BITS entries in all."""
    weighted = [(fill, drug.weight * share) for drug in drugs
                for fill, share in _fills(drug)]
    return apportion(weighted, 1 << TABLE_BITS)


def _fills(drug: Drug):
    """Each (Fill, parts per thousand of the drug's claims) of a drug."""
    for channel, multiple, share in CHANNEL_MIX[drug.kind]:
        quantity = drug.quantity_milli * multiple
        ext = tuple((price * quantity + 500_000) // 1_000_000 for price in drug.awp_u5)
        yield Fill(drug.ndc, drug.drug_name, drug.brand_generic, channel,
                   2 * CHANNELS.index(channel) + (drug.brand_generic == "G"),
                   "Y" if drug.kind == "compound" else "N", str(drug.days_supply * multiple),
                   _decimal(quantity, 3), tuple(_decimal(p, 5) for p in drug.awp_u5), ext,
                   _basis_table(drug), _member_cost(drug, channel, multiple)), share


def _decimal(units: int, places: int) -> str:
    return f"{units // 10**places}.{units % 10**places:0{places}d}"


def _basis_table(drug: Drug) -> tuple[str, ...]:
    """~3% usual-and-customary everywhere; generics mostly MAC-priced, brands AWP-priced."""
    if drug.kind == "compound":
        mix = (("UC", 31), ("OTHER", 993))
    elif drug.brand_generic == "B":
        mix = (("UC", 31), ("AWP", 993))
    else:
        mix = (("UC", 31), ("OTHER", 20), ("AWP", 133), ("MAC", 840))
    return tuple(basis for basis, count in mix for _ in range(count))


def _member_cost(drug: Drug, channel: str, multiple: int) -> tuple[int, int, int, int]:
    """Plan design: flat generic copays, brand coinsurance with a floor and a cap, per supply."""
    if channel == "SPECIALTY":
        return (0, 20, 5000, 25000) if drug.brand_generic == "B" else (5000, 0, 0, 0)
    if drug.brand_generic == "B":
        return 0, 25, 2500 * multiple, 15000 * multiple
    return 500 * multiple, 0, 0, 0


def apportion(weighted: list, size: int) -> list:
    """Largest-remainder apportionment of `size` slots; ties go by list order (deterministic)."""
    total = sum(weight for _, weight in weighted)
    counts = [weight * size // total for _, weight in weighted]
    by_remainder = sorted(range(len(weighted)), key=lambda i: -(weighted[i][1] * size % total))
    for i in by_remainder[: size - sum(counts)]:
        counts[i] += 1
    return [item for (item, _), count in zip(weighted, counts) for _ in range(count)]
