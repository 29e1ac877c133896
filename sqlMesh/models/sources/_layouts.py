"""sources.<name> for every source of a known layout: UIS (sdg, opri) and World Bank (wdi).

Ibis expressions over unbound tables, compiled to DuckDB SQL; SQLMesh resolves the tables and
transpiles to the gateway's engine. No connection is opened here, so environments stay isolated.
A new source folder landed in one of these layouts gets its models with no code change.

UIS: labels joined to data. World Bank: wide year columns pivoted to long rows (empty cells
dropped) and each series' long definition joined. The year columns come from the landed header
(a blueprint variable computed when the project loads), so a file with 2024 and 2025 needs no edit.
"""

import ibis
import ibis.selectors as s
from models.sources._indicators import INDICATOR_AUDITS, INDICATOR_COLUMNS
from sqlmesh import model
from sqlmesh.core.macros import MacroEvaluator


@model(
    "sources.@{source}",
    is_sql=True,
    kind="FULL",
    dialect="duckdb",
    blueprints="@osaa_blueprints('uis', 'wdi')",
    columns=INDICATOR_COLUMNS,
    grain=["indicator_id", "country_id", "year"],
    audits=INDICATOR_AUDITS,
    description="Indicator values of one source in the common long layout.",
)
def entrypoint(evaluator: MacroEvaluator) -> str:
    source = _text(evaluator.blueprint_var("source"))
    if _text(evaluator.blueprint_var("layout")) == "wdi":
        expr = world_bank(evaluator, source)
    else:
        expr = uis(source)
    return ibis.to_sql(expr, dialect="duckdb")


def _text(value: object) -> str:
    return value.name if hasattr(value, "name") else str(value)


def uis(source: str):
    data = ibis.table(
        {
            "indicator_id": "string",
            "country_id": "string",
            "year": "int32",
            "value": "float64",
            "magnitude": "string",
            "qualifier": "string",
        },
        name="data_national",
        database=source,
    )
    label = ibis.table(
        {"indicator_id": "string", "indicator_label_en": "string"}, name="label", database=source
    )
    # Labels are unique per id in the publisher's files, but a duplicated label row must not
    # duplicate data rows: keep one label per id.
    one_label = label.group_by("indicator_id").aggregate(
        indicator_label_en=label.indicator_label_en.max()
    )
    joined = data.left_join(one_label, data.indicator_id == one_label.indicator_id)
    expr = joined.select(
        indicator_id=joined.indicator_id,
        country_id=joined.country_id,
        year=joined.year.cast("int32"),
        value=joined.value.cast("float64"),
        magnitude=joined.magnitude,
        qualifier=joined.qualifier,
        indicator_description=joined.indicator_label_en.strip(),
    )
    return expr


def world_bank(evaluator: MacroEvaluator, source: str):
    years = [y for y in _text(evaluator.blueprint_var("years")).split(",") if y]
    wide = ibis.table(
        {
            "country_name": "string",
            "country_code": "string",
            "indicator_name": "string",
            "indicator_code": "string",
            **{year: "float64" for year in years},
        },
        name="csv",
        database=source,
    )
    series = ibis.table(
        {"series_code": "string", "long_definition": "string"}, name="series", database=source
    )
    one_series = series.group_by("series_code").aggregate(
        long_definition=series.long_definition.max()
    )
    long = wide.pivot_longer(s.cols(*years), names_to="year", values_to="value")
    long = long.filter(long.value.notnull())
    joined = long.left_join(one_series, long.indicator_code == one_series.series_code)
    expr = joined.select(
        indicator_id=joined.indicator_code,
        country_id=joined.country_code,
        year=joined.year.cast("int32"),
        value=joined.value.cast("float64"),
        magnitude=ibis.null("string"),
        qualifier=ibis.null("string"),
        indicator_description=joined.long_definition,
    )
    return expr
