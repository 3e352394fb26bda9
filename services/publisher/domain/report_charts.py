"""The report's charts as PNG bytes: Agg, fixed size and dpi, no metadata, so the same result gives the same bytes.

A Figure with its own Agg canvas, not pyplot: no global backend or figure registry is touched, so rendering
is safe next to other threads and never opens a window.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from services.publisher.domain.report_format import count

DPI = 150
SIZE_INCHES = (5.0, 3.1)
# Pinned so nothing varies between renders: the SVG hash salt (used if a chart is ever saved as SVG),
# the font, and no path simplification that could depend on float noise.
_RC: Any = {"svg.hashsalt": "leaf-report", "font.family": "DejaVu Sans", "font.size": 7, "path.simplify": False,
       "hatch.linewidth": 0.6}
_MODELED_HATCH = "////"
_GOOD, _BAD, _NEUTRAL, _GUARANTEE = "#1b7f3b", "#b3261e", "#4a6fa5", "#9aa5b1"


def chart_title(text: str, status: str) -> str:
    """The title the report prints above a chart (as PDF text, so it is searchable and read aloud)."""
    return f"{text} - MODELED, not final" if status == "modeled" else text


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
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def discount_chart(formula: dict) -> bytes:
    """awp_discount_guarantee: actual against guaranteed discount, one pair of bars per bucket."""
    with rc_context(_RC):
        figure, axes = _axes()
        buckets = formula["buckets"]
        xs = range(len(buckets))
        hatch = _MODELED_HATCH if formula["status"] == "modeled" else None
        axes.bar([x - 0.2 for x in xs], [_height(b["actual_discount"]) * 100 for b in buckets], 0.4,
                 label="actual_discount", color=_NEUTRAL, hatch=hatch)
        axes.bar([x + 0.2 for x in xs], [_height(b["guaranteed_discount"]) * 100 for b in buckets], 0.4,
                 label="guaranteed_discount", color=_GUARANTEE, hatch=hatch)
        axes.set_xticks(list(xs), [f"{b['channel']}\n{b['brand_generic']}" for b in buckets])
        axes.set_ylabel("discount off AWP (%)")
        axes.tick_params(axis="x", labelsize=6)
        axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
        return _png(figure)


def variance_chart(formula: dict) -> bytes:
    """A guarantee's variance per bucket, grouped by channel: above zero the plan overpaid (red)."""
    with rc_context(_RC):
        figure, axes = _axes()
        buckets = formula["buckets"]
        heights = [_height(b["variance"]) for b in buckets]
        axes.bar(range(len(buckets)), heights, 0.6, color=[_BAD if h > 0 else _GOOD for h in heights],
                 hatch=_MODELED_HATCH if formula["status"] == "modeled" else None)
        axes.axhline(0, color="black", linewidth=0.6)
        axes.set_xticks(range(len(buckets)), [f"{b['channel']}\n{b['brand_generic']}" for b in buckets])
        axes.tick_params(axis="x", labelsize=6)
        axes.set_ylabel("variance ($)")
        return _png(figure)


def gdr_chart(formula: dict) -> bytes:
    """generic_dispensing_rate: generic against brand claims (the rate itself is in the title, from its Decimal)."""
    with rc_context(_RC):
        figure, axes = _axes()
        generic, total = formula["generic_claims"], formula["claims"]
        hatch = _MODELED_HATCH if formula["status"] == "modeled" else None
        axes.barh([0], [generic], color=_NEUTRAL, hatch=hatch, label=f"generic_claims {count(generic)}")
        axes.barh([0], [total - generic], left=[generic], color=_GUARANTEE, hatch=hatch,
                  label="brand")
        axes.set_yticks([])
        axes.set_xlabel(f"netted claims ({count(total)})")
        axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2)
        return _png(figure)
