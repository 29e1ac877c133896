"""Altair charts of data-quality results. Each takes an already aggregated table (a few thousand
rows at most: aggregate in DuckDB first) and returns a chart; `to_svg` renders any chart offline
with vl-convert, because reports must not load vega from a CDN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd
    from markupsafe import Markup

MAX_POINTS = 5000
STATUS_COLORS = {"pass": "#2e7d32", "warn": "#f9a825", "fail": "#c62828"}


def _frame(data: Any, needed: tuple[str, ...], what: str) -> pd.DataFrame:
    """A small pandas frame from arrow/pandas/records; refuses un-aggregated inputs."""
    import pandas as pd

    if hasattr(data, "to_pandas"):
        frame = data.to_pandas()
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        frame = pd.DataFrame(list(data))
    if len(frame) > MAX_POINTS:
        raise ValueError(
            f"{what}: {len(frame)} rows; aggregate in DuckDB first (at most {MAX_POINTS})"
        )
    missing = [c for c in needed if c not in frame.columns] if len(frame) else []
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    if not len(frame):
        frame = pd.DataFrame({c: [] for c in needed})
    return frame


def completeness_by_source(data: Any, threshold: float = 0.95) -> alt.Chart:
    """Share of complete rows per table, with the runbook threshold as a rule."""
    import altair as alt

    df = _frame(data, ("source", "completeness"), "completeness")
    bars = (
        alt.Chart(df, title="Completeness of critical fields")
        .mark_bar()
        .encode(
            x=alt.X("completeness:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("source:N", title=None),
            color=alt.condition(
                alt.datum.completeness >= threshold,
                alt.value(STATUS_COLORS["pass"]),
                alt.value(STATUS_COLORS["fail"]),
            ),
            tooltip=["source", alt.Tooltip("completeness:Q", format=".2%")],
        )
    )
    rule = alt.Chart(df).mark_rule(strokeDash=[4, 3]).encode(x=alt.datum(threshold))
    return bars + rule


def freshness_bars(data: Any, max_lag: float = 3) -> alt.Chart:
    """Years since the latest year reported, per table or indicator (name, lag_years)."""
    import altair as alt

    df = _frame(data, ("name", "lag_years"), "freshness")
    bars = (
        alt.Chart(df, title="Years since the latest year reported")
        .mark_bar()
        .encode(
            x=alt.X("lag_years:Q", title="years"),
            y=alt.Y("name:N", sort="-x", title=None),
            color=alt.condition(
                alt.datum.lag_years > max_lag,
                alt.value(STATUS_COLORS["warn"]),
                alt.value(STATUS_COLORS["pass"]),
            ),
            tooltip=["name", "lag_years"],
        )
    )
    rule = alt.Chart(df).mark_rule(strokeDash=[4, 3]).encode(x=alt.datum(max_lag))
    return bars + rule


def revisions_histogram(data: Any, source: str = "") -> alt.Chart:
    """How large revisions between two vintages are (log10_rel_change, revisions)."""
    import altair as alt

    df = _frame(data, ("log10_rel_change", "revisions"), "revisions")
    title = f"Revisions between the latest two vintages {source}".strip()
    return (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            x=alt.X("log10_rel_change:Q", bin=alt.Bin(step=0.5), title="log10 relative change"),
            y=alt.Y("sum(revisions):Q", title="revised values"),
        )
    )


def to_svg(chart: alt.TopLevelMixin | dict[str, Any] | str) -> Markup:
    """An altair chart, Vega-Lite dict or JSON as self-contained SVG (no network, no script).

    vl-convert's output is the one chart markup the reports embed as it is.
    """
    import vl_convert as vlc
    from markupsafe import Markup

    spec = chart if isinstance(chart, dict | str) else chart.to_dict()
    return Markup(vlc.vegalite_to_svg(spec))
