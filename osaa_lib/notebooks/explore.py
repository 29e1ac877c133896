"""Queries of the indicator explorer notebook: search, regions, series, latest values.

Everything reads the published `master.indicators` Parquet of the chosen environment with DuckDB,
so the explorer shows exactly what downstream users get.
"""

from __future__ import annotations

from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError


def master_uri(settings: Settings) -> str:
    from osaa_lib.lake import keys, open_lake

    lake = open_lake(settings)
    key = keys.master_key(settings)
    if not lake.exists(key):
        raise LakeError(f"{key} is not published yet: run `osaa run-pipeline` (or `osaa etl`)")
    return lake.uri(key)


def _query(settings: Settings, sql: str, params: list[Any] | None = None) -> Any:
    """A small result as a pandas DataFrame (the explorer's tables and charts take those)."""
    from osaa_lib.db import connect

    con = connect(settings)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _src(settings: Settings) -> str:
    return "read_parquet('" + master_uri(settings).replace("'", "''") + "')"


def search_indicators(settings: Settings, text: str = "", limit: int = 200) -> Any:
    """Indicators whose id or label contains `text` (case-insensitive), most countries first."""
    return _query(
        settings,
        f"""SELECT indicator_id, any_value(indicator_description) AS label,
              any_value(source) AS source, count(DISTINCT country_id) AS countries,
              min(year) AS first_year, max(year) AS last_year, count(*) AS rows
            FROM {_src(settings)}
            WHERE ? = '' OR indicator_id ILIKE '%' || ? || '%'
              OR indicator_description ILIKE '%' || ? || '%'
            GROUP BY indicator_id ORDER BY countries DESC, indicator_id LIMIT ?""",
        [text, text, text, int(limit)],
    )


def reference_rows(settings: Settings | None = None) -> list[dict[str, Any]]:
    """reference.countries as published next to master (or its seed, before a first publish)."""
    from osaa_lib.config import load_settings
    from osaa_lib.db import connect
    from osaa_lib.lake import keys, open_lake
    from osaa_lib.transform.reference import load_countries

    settings = settings or load_settings()
    lake = open_lake(settings)
    key = keys.table_key(settings, "reference.countries")
    uri = lake.uri(key) if lake.exists(key) else None
    con = connect(settings)
    try:
        cur = con.execute(f"SELECT * FROM {load_countries(con, uri)} ORDER BY iso3")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def regions(settings: Settings | None = None) -> dict[str, list[str]]:
    """Africa, its sub-regions (M49 intermediate regions where they exist) and UN groups."""
    rows = [r for r in reference_rows(settings) if not r.get("is_aggregate")]
    africa = [r for r in rows if r["is_africa"]]
    out: dict[str, list[str]] = {"Africa": sorted(r["iso3"] for r in africa)}
    for r in africa:
        name = r.get("intermediate_region") or r.get("sub_region")
        if name:
            out.setdefault(name, []).append(r["iso3"])
    for flag, label in (("is_ldc", "LDCs"), ("is_lldc", "LLDCs"), ("is_sids", "SIDS")):
        out[f"African {label}"] = sorted(r["iso3"] for r in africa if r[flag])
    return {k: sorted(v) for k, v in out.items()}


def country_names(settings: Settings | None = None) -> dict[str, str]:
    return {r["iso3"]: r["name"] for r in reference_rows(settings)}


def series(settings: Settings, indicators: list[str], countries: list[str]) -> Any:
    """Values of the indicators for the countries, by year (one row per observation)."""
    if not indicators or not countries:
        return _query(settings, "SELECT NULL::VARCHAR AS indicator_id WHERE false")
    return _query(
        settings,
        f"""SELECT indicator_id, indicator_description AS label, country_id, year, value,
              magnitude, qualifier, source
            FROM {_src(settings)}
            WHERE indicator_id IN (SELECT unnest(?)) AND country_id IN (SELECT unnest(?))
              AND value IS NOT NULL
            ORDER BY indicator_id, country_id, year""",
        [list(indicators), list(countries)],
    )


def latest(frame: Any) -> Any:
    """The latest value of each indicator x country in a `series` frame (for comparisons)."""
    if frame.empty:
        return frame
    idx = frame.groupby(["indicator_id", "country_id"])["year"].idxmax()
    return frame.loc[idx].sort_values(["indicator_id", "value"], ascending=[True, False])


def line_chart(frame: Any, names: dict[str, str] | None = None) -> Any:
    import altair as alt

    data = frame.assign(country=frame["country_id"].map(lambda c: (names or {}).get(c, c)))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:Q", axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", scale=alt.Scale(zero=False)),
            color="country:N",
            tooltip=["country", "year", "value", "indicator_id"],
        )
        .properties(width=640, height=300)
        .facet(row=alt.Row("indicator_id:N", title=None))
        .resolve_scale(y="independent")
    )


def bar_chart(frame: Any, names: dict[str, str] | None = None) -> Any:
    import altair as alt

    data = frame.assign(country=frame["country_id"].map(lambda c: (names or {}).get(c, c)))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("value:Q"),
            y=alt.Y("country:N", sort="-x"),
            tooltip=["country", "year", "value"],
        )
        .properties(width=560, height=alt.Step(14))
        .facet(row=alt.Row("indicator_id:N", title=None))
        .resolve_scale(x="independent", y="independent")
    )
