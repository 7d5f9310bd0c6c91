"""Bar charts for the public transparency pages, drawn as SVG on the server.

No script, no font and no other resource is needed: each chart is an inline ``<svg
role="img">`` with an ``aria-label``, a ``<title>`` and a ``<desc>``, and every bar carries what
it stands for as attributes (``data-key``, ``data-label``, ``data-value``) next to its visible
label and value, so that a test, or a reader's tool, can check the drawing against the
published figures.

The charts have no viewBox, so the text keeps its size at any width: each bar's label sits
above the bar, and the bars' lengths are percentages of the chart's width."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from trustcenter.domain.rules import stored_category

#: vertical layout of one bar, in px: its label's baseline, the bar's top and height, the row
ROW, LABEL_Y, BAR_Y, BAR_H, PAD = 46, 15, 22, 16, 4
#: the share of the width (%) the longest bar takes; the rest holds its value label
SPAN = 80.0
BLUE, TEAL, TRACK = "#2f5fd0", "#0f7b6c", "#e6e9ef"
#: one colour per report category, the same in every chart; others get GREY
CATEGORY_COLOURS = {
    "account": "#2f5fd0",
    "product": "#0f7b6c",
    "transaction": "#7a4cc2",
    "emergency": "#c2410c",
}
GREY = "#5b6577"


@dataclass(frozen=True, slots=True)
class Bar:
    key: str  # what the bar is, as the report names it (category, country code)
    label: str  # what the reader sees
    value: int | float  # the figure, exactly as published
    text: str  # the figure as the reader sees it
    colour: str = BLUE


def _percent(share: float) -> str:
    return f"{share:.3f}".rstrip("0").rstrip(".") + "%"


def _number(value: int | float) -> str:
    return str(value)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    full: float | None = None,
    empty: str = "No requests in this report.",
) -> Markup:
    """A horizontal bar chart. ``full``: the value a whole bar stands for (100 for shares),
    drawn as a light track behind every bar; without it the longest bar is the largest value
    and there is no track."""
    top = full if full is not None else max((b.value for b in bars), default=0)
    height = ROW * len(bars) + 2 * PAD if bars else 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'data-chart="{escape(chart_id)}" role="img" aria-label="{escape(title)}" '
        f'aria-describedby="{escape(chart_id)}-desc" width="100%" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    if not bars:
        out.append(f'<text class="empty" x="0" y="24">{escape(empty)}</text>')
    for i, bar in enumerate(bars):
        y = PAD + i * ROW
        share = SPAN * bar.value / top if top else 0.0
        width = _percent(share)
        out.append(f'<g class="row" data-key="{escape(bar.key)}">')
        out.append(f'<text class="label" x="0" y="{y + LABEL_Y}">{escape(bar.label)}</text>')
        if full is not None:
            out.append(
                f'<rect class="track" x="0" y="{y + BAR_Y}" width="{_percent(SPAN)}" '
                f'height="{BAR_H}" rx="3" fill="{TRACK}"/>'
            )
        out.append(
            f'<rect class="bar" x="0" y="{y + BAR_Y}" width="{width}" height="{BAR_H}" rx="3" '
            f'fill="{escape(bar.colour)}" data-key="{escape(bar.key)}" '
            f'data-label="{escape(bar.label)}" data-value="{escape(_number(bar.value))}">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
        )
        value_x = _percent(SPAN if full is not None else share)
        out.append(
            f'<text class="value" x="{value_x}" dx="8" y="{y + BAR_Y + BAR_H - 3}" '
            f'data-key="{escape(bar.key)}">{escape(bar.text)}</text>'
        )
        out.append("</g>")
    out.append("</svg>")
    # every text and attribute above went through escape(); the rest is our own markup
    return Markup("".join(out))  # noqa: S704


def category_colour(category: str) -> str:
    """Codes are upper case since method 2026.2, lower case in reports built before."""
    return CATEGORY_COLOURS.get(stored_category(category), GREY)


def requests_by_category(
    document: Mapping[str, Any],
    category_label: Callable[[str], str],
    count: Callable[[int], str],
) -> Markup:
    """The worldwide number of requests in each category (``totals.categories``)."""
    categories = document["totals"]["categories"]
    bars = [
        Bar(c["category"], category_label(c["category"]), c["requests"], count(c["requests"]),
            category_colour(c["category"]))
        for c in sorted(categories, key=lambda c: (-c["requests"], c["category"]))
    ]  # fmt: skip
    return bar_chart(
        "requests-by-category",
        "Requests by category",
        "Horizontal bar chart: the number of requests received in each category, worldwide.",
        bars,
    )


def requests_by_country(
    document: Mapping[str, Any],
    country_name: Callable[[str], str],
    count: Callable[[int], str],
) -> Markup:
    """The number of requests from each country or region (its rows summed over categories)."""
    totals: defaultdict[str, int] = defaultdict(int)
    for row in document["rows"]:
        totals[row["country"]] += row["requests"]
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], country_name(kv[0])))
    bars = [Bar(code, country_name(code), n, count(n), BLUE) for code, n in ordered]
    return bar_chart(
        "requests-by-country",
        "Requests by country or region",
        "Horizontal bar chart: the number of requests received from each country or region, "
        "all categories together.",
        bars,
    )


def with_data_share(
    document: Mapping[str, Any],
    category_label: Callable[[str], str],
    share: Callable[[float | None], str],
) -> Markup:
    """The share of each category's requests answered with some data (``with_data_pct``)."""
    categories = document["totals"]["categories"]
    bars = [
        Bar(c["category"], category_label(c["category"]), c["with_data_pct"],
            share(c["with_data_pct"]), TEAL)
        for c in sorted(categories, key=lambda c: c["category"])
        if c["with_data_pct"] is not None
    ]  # fmt: skip
    return bar_chart(
        "with-data-share",
        "Share of requests with data disclosed",
        "Horizontal bar chart on a scale of 0 to 100 percent: the share of each category's "
        "requests for which some data was disclosed.",
        bars,
        full=100.0,
    )
