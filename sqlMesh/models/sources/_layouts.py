"""sources.<name> for every source of a known layout: UIS (sdg, opri) and World Bank (wdi).

Ibis expressions over unbound tables, compiled to DuckDB SQL; SQLMesh resolves the tables and
transpiles to the gateway's engine. No connection is opened here, so environments stay isolated.
A new source folder landed in one of these layouts gets its models with no code change.

Which raw table and column feeds each indicator column is `osaa_lib.layouts` (UIS, WORLD_BANK);
what is here is each layout's mechanics. UIS: labels joined to data. World Bank: wide year
columns pivoted to long rows (empty cells dropped) and each series' long definition joined. The
year columns come from the landed header (a blueprint variable computed when the project loads),
so a file with 2024 and 2025 needs no edit.
"""

import ibis
import ibis.selectors as s
from ibis.backends.sql.datatypes import DuckDBType
from models.sources._indicators import INDICATOR_AUDITS, INDICATOR_COLUMNS
from sqlmesh import model
from sqlmesh.core.macros import MacroEvaluator

from osaa_lib.layouts import UIS, WORLD_BANK

# Plain dicts: SQLMesh keeps a model's constants by value (a changed layout is a changed model).
UIS_FILES = {f.table: dict(f.columns) for f in UIS.files}
UIS_MAPS = dict(UIS.maps)
UIS_LOOKUP = UIS.lookup
WB_FILES = {f.table: dict(f.columns) for f in WORLD_BANK.files}
WB_MAPS = dict(WORLD_BANK.maps)
WB_LOOKUP = WORLD_BANK.lookup


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


def _table(columns: dict[str, str], name: str, source: str):
    return ibis.table(
        {c: DuckDBType.from_string(t) for c, t in columns.items()}, name=name, database=source
    )


def _split(ref: str) -> tuple[str, str]:
    table, column = ref.split(".", 1)
    return table, column


def uis(source: str):
    data_name, label_name = UIS_FILES
    data = _table(UIS_FILES[data_name], data_name, source)
    label = _table(UIS_FILES[label_name], label_name, source)
    data_key, key = UIS_LOOKUP
    _, text = _split(UIS_MAPS["indicator_description"])
    # Labels are unique per id in the publisher's files, but a duplicated label row must not
    # duplicate data rows: keep one label per id.
    one_label = label.group_by(key).aggregate(**{text: label[text].max()})
    joined = data.left_join(one_label, data[data_key] == one_label[key])
    columns = {}
    for target, kind in INDICATOR_COLUMNS.items():
        table, column = _split(UIS_MAPS[target])
        if table == label_name:
            columns[target] = joined[column].strip()
        else:
            columns[target] = joined[column].cast(DuckDBType.from_string(kind))
    return joined.select(**columns)


def world_bank(evaluator: MacroEvaluator, source: str):
    csv_name, series_name = WB_FILES
    years = [y for y in _text(evaluator.blueprint_var("years")).split(",") if y]
    wide = _table({**WB_FILES[csv_name], **dict.fromkeys(years, "DOUBLE")}, csv_name, source)
    _, definition = _split(WB_MAPS["indicator_description"])
    series = _table({**WB_FILES[series_name], definition: "VARCHAR"}, series_name, source)
    code, series_key = WB_LOOKUP
    one_series = series.group_by(series_key).aggregate(**{definition: series[definition].max()})
    long = wide.pivot_longer(s.cols(*years), names_to="year", values_to="value")
    long = long.filter(long.value.notnull())
    joined = long.left_join(one_series, long[code] == one_series[series_key])
    columns = {}
    for target, kind in INDICATOR_COLUMNS.items():
        ref = WB_MAPS[target]
        if target in ("year", "value"):
            columns[target] = joined[target].cast(DuckDBType.from_string(kind))
        elif ref is None:
            columns[target] = ibis.null(DuckDBType.from_string(kind))
        else:
            columns[target] = joined[_split(ref)[1]]
    return joined.select(**columns)
