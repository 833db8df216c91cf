"""The digest's chart: smart-city items per focus area this week against the four weeks before.

A PNG made with matplotlib's Agg backend (no display needed), 600 px wide so it fits the 640 px
mail; labels in English, since the fonts that ship with matplotlib have no Hangul.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to memory, never to a window

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from transforms.vocabularies import FOCUS_AREAS, focus_area_names

WIDTH_PX = 600
DPI = 100
THIS_WEEK = "#0f766e"
AVERAGE = "#cbd2d9"


def focus_chart(counts: dict[str, int], average: dict[str, float], weeks: int) -> bytes:
    """A horizontal bar chart as PNG bytes: this week's items per focus area, with the average
    of the ``weeks`` before beside each bar. Areas are ordered by this week's count."""
    names = focus_area_names()
    areas = sorted(FOCUS_AREAS, key=lambda a: (counts.get(a, 0), average.get(a, 0.0)))
    figure = _figure(len(areas))
    axes = figure.subplots()
    rows = range(len(areas))
    axes.barh([r + 0.2 for r in rows], [counts.get(a, 0) for a in areas], 0.4, color=THIS_WEEK)
    axes.barh([r - 0.2 for r in rows], [average.get(a, 0.0) for a in areas], 0.4, color=AVERAGE)
    axes.set_yticks(list(rows), [names[a]["en"] for a in areas], fontsize=9)
    axes.legend(["this week", f"average of the {weeks} weeks before"], fontsize=8, frameon=False)
    axes.set_xlabel("smart-city items", fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def chart_description(counts: dict[str, int], average: dict[str, float]) -> str:
    """The chart in words (its alt text): each area with items this week and the average."""
    names = focus_area_names()
    ordered = sorted(FOCUS_AREAS, key=lambda a: -counts.get(a, 0))
    return "; ".join(
        f"{names[a]['en']} {counts.get(a, 0)} (average {average.get(a, 0.0):.1f})"
        for a in ordered
        if counts.get(a, 0) or average.get(a, 0.0)
    )


def _figure(bars: int) -> Figure:
    height_px = 60 + 26 * bars
    return plt.figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
