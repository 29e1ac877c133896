"""sources.<name> for every source folder of long-layout files, with no code per source.

A long file has one row per observation: `country, year, indicator, value[, unit, ...]` under
any of the header names `osaa_lib.layouts.LONG_ALIASES` knows. How each landed file's columns
map to the indicator columns is worked out when the project loads (from the file's Parquet
schema) and handed over as the blueprint variable `files`; every other column is carried as
text in `extra` (a MAP, so `extra['unit']` reads the same on DuckDB and Spark). Several long
files in one folder are stacked.
"""

import json

import ibis
from ibis.backends.sql.datatypes import DuckDBType
from models.sources._indicators import INDICATOR_AUDITS, INDICATOR_COLUMNS
from sqlmesh import model
from sqlmesh.core.macros import MacroEvaluator

from osaa_lib.layouts import EXTRA, EXTRA_TYPE


# `long_source`, not `source`: SQLMesh keys Python models by their name before rendering, and
# _layouts.py already holds `sources.@{source}`.
@model(
    "sources.@{long_source}",
    is_sql=True,
    kind="FULL",
    dialect="duckdb",
    blueprints="@osaa_blueprints('long')",
    columns={**INDICATOR_COLUMNS, EXTRA: EXTRA_TYPE},
    grain=["indicator_id", "country_id", "year"],
    audits=INDICATOR_AUDITS,
    description="Indicator values of one long-layout source; other columns in `extra`.",
)
def entrypoint(evaluator: MacroEvaluator) -> str:
    source = _text(evaluator.blueprint_var("long_source"))
    parts = [_one(source, spec) for spec in json.loads(_text(evaluator.blueprint_var("files")))]
    expr = parts[0]
    for part in parts[1:]:
        expr = expr.union(part, distinct=False)
    return ibis.to_sql(expr, dialect="duckdb")


def _text(value: object) -> str:
    return value.name if hasattr(value, "name") else str(value)


def _one(source: str, spec: dict):
    """One landed file: its mapped columns cast to the indicator types, the rest in `extra`."""
    types = spec["types"]
    table = ibis.table(
        {c: DuckDBType.from_string(t) for c, t in types.items()},
        name=spec["table"],
        database=source,
    )
    columns = {}
    for target, kind in INDICATOR_COLUMNS.items():
        dtype = DuckDBType.from_string(kind)
        found = spec["columns"].get(target)
        columns[target] = table[found].cast(dtype) if found else ibis.null(dtype)
    extras = spec["extras"]
    if extras:
        columns[EXTRA] = ibis.map(
            ibis.array(list(extras)), ibis.array([table[c].cast("string") for c in extras])
        )
    else:
        columns[EXTRA] = ibis.null(DuckDBType.from_string(EXTRA_TYPE))
    return table.select(**columns)
