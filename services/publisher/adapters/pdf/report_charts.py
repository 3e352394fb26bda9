"""The report's charts as PNG bytes: Agg, fixed size and dpi, no metadata, so the same result gives the same bytes.

A Figure with its own Agg canvas, not pyplot: no global backend or figure registry is touched, so rendering
is safe next to other threads and never opens a window. Each chart's title is printed by the report as PDF text
(searchable, read aloud); the axes say what is plotted in the same words as the tables beside them.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kernel.words import CHANNEL_TITLES, DRUG_TYPE_TITLES
from services.publisher.domain.report_format import count, money

DPI = 150
SIZE_INCHES = (4.3, 2.45)
SIZE_POINTS = (SIZE_INCHES[0] * 72, SIZE_INCHES[1] * 72)
# Pinned so nothing varies between renders: the SVG hash salt (used if a chart is ever saved as SVG),
# the font, and no path simplification that could depend on float noise.
_RC: Any = {"svg.hashsalt": "leaf-report", "font.family": "DejaVu Sans", "font.size": 7, "path.simplify": False,
            "hatch.linewidth": 0.6}
_MODELED_HATCH = "////"
_GOOD, _BAD, _NEUTRAL, _GUARANTEE = "#1b7f3b", "#b3261e", "#4a6fa5", "#9aa5b1"


def _height(value: str | None) -> float:
    # matplotlib draws with floats: the Decimal becomes a float here, for a bar's height only; every number
    # a reader can read (labels, tables) is formatted from the Decimal itself.
    return float("nan") if value is None else float(Decimal(value))


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # Software is the only metadata Agg writes by default; removing it keeps bytes equal across versions.
    FigureCanvasAgg(figure)  # attaches an Agg canvas to the figure: no pyplot, no global backend
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _axes():
    # Fixed margins, not a layout engine: constrained layout measured every label on each render (a third of the
    # chart's time); three-line bucket labels below and the axis label on the left always fit these.
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    figure.subplots_adjust(left=0.16, right=0.99, top=0.96, bottom=0.22)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _bucket_labels(buckets: list[dict]) -> list[str]:
    """"Retail\n30-day\nbrand": a word a line, so eight buckets' labels never run into each other."""
    return ["\n".join([*CHANNEL_TITLES.get(b["channel"], b["channel"]).split(" "),
                       DRUG_TYPE_TITLES.get(b["brand_generic"], "")]) for b in buckets]


def discount_chart(formula: dict) -> bytes:
    """Actual against guaranteed discount off AWP, one pair of bars per channel and drug type."""
    with rc_context(_RC):
        figure, axes = _axes()
        buckets = formula["buckets"]
        xs = range(len(buckets))
        hatch = _MODELED_HATCH if formula["status"] == "modeled" else None
        axes.bar([x - 0.2 for x in xs], [_height(b["actual_discount"]) * 100 for b in buckets], 0.4,
                 label="Actual discount", color=_NEUTRAL, hatch=hatch)
        axes.bar([x + 0.2 for x in xs], [_height(b["guaranteed_discount"]) * 100 for b in buckets], 0.4,
                 label="Guaranteed discount", color=_GUARANTEE, hatch=hatch)
        axes.set_xticks(list(xs), _bucket_labels(buckets))
        axes.set_ylabel("Discount off AWP (%)")
        axes.tick_params(axis="x", labelsize=5.5)
        axes.legend(frameon=False, loc="upper left", ncol=2)
        axes.set_ylim(0, 118)  # headroom for the legend above the tallest bars
        axes.set_yticks(range(0, 101, 20))
        return _png(figure)


def variance_chart(formula: dict) -> bytes:
    """A guarantee's variance per channel and drug type: above zero owed to the plan (red), below a surplus."""
    with rc_context(_RC):
        figure, axes = _axes()
        buckets = formula["buckets"]
        heights = [_height(b["variance"]) for b in buckets]
        bars = axes.bar(range(len(buckets)), heights, 0.6, color=[_BAD if h > 0 else _GOOD for h in heights],
                        hatch=_MODELED_HATCH if formula["status"] == "modeled" else None)
        axes.bar_label(bars, [money(Decimal(b["variance"])) for b in buckets], fontsize=5, padding=1)
        axes.axhline(0, color="black", linewidth=0.6)
        axes.set_xticks(range(len(buckets)), _bucket_labels(buckets))
        axes.tick_params(axis="x", labelsize=5.5)
        axes.set_ylabel("Variance ($)")
        axes.margins(y=0.15)
        return _png(figure)


def gdr_chart(formula: dict) -> bytes:
    """Generic against brand claims, one stacked bar (the rate itself is in the title, from its Decimal)."""
    with rc_context(_RC):
        figure = Figure(figsize=(SIZE_INCHES[0], 1.1), dpi=DPI)
        figure.subplots_adjust(left=0.03, right=0.97, top=0.95, bottom=0.38)
        axes = figure.add_subplot()
        axes.spines[["top", "right", "left"]].set_visible(False)
        generic, total = formula["generic_claims"], formula["claims"]
        hatch = _MODELED_HATCH if formula["status"] == "modeled" else None
        generic_bar = axes.barh([0], [generic], color=_NEUTRAL, hatch=hatch)
        brand_bar = axes.barh([0], [total - generic], left=[generic], color=_GUARANTEE, hatch=hatch)
        # Each part named inside its own bar: no legend to clip, and the counts are the table's, from the result.
        axes.bar_label(generic_bar, [f"Generic {count(generic)}"], label_type="center", color="white", fontsize=7)
        axes.bar_label(brand_bar, [f"Brand {count(total - generic)}"], label_type="center", fontsize=6)
        axes.set_yticks([])
        axes.set_xlabel(f"Netted claims ({count(total)})")
        return _png(figure)
