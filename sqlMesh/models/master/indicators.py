"""master.indicators: every sources.* model stacked, with the source's name.

The list of sources is not written here: it is discovered when the project loads (every model
file in models/sources/ plus every landed source of a known layout) and handed over as the
`osaa_sources` variable, so adding a source means adding its files and nothing else.

A view, not a table: the data already sits in the sources' tables, so the cache does not store
it twice, a changed source costs nothing here, and publishing writes the union in one pass.
"""

from sqlglot import exp
from sqlmesh import model
from sqlmesh.core.macros import MacroEvaluator

COLUMNS = [
    "indicator_id",
    "country_id",
    "year",
    "value",
    "magnitude",
    "qualifier",
    "indicator_description",
]


@model(
    "master.indicators",
    is_sql=True,
    kind="VIEW",
    dialect="duckdb",
    columns={
        "indicator_id": "VARCHAR",
        "country_id": "VARCHAR",
        "year": "INTEGER",
        "value": "DOUBLE",
        "magnitude": "VARCHAR",
        "qualifier": "VARCHAR",
        "indicator_description": "VARCHAR",
        "source": "VARCHAR",
    },
    grain=["source", "indicator_id", "country_id", "year"],
    audits=["indicator_keys_not_null", "plausible_years", "indicator_source_grain_unique"],
    description="All indicator sources in one long table; `source` names where a row came from.",
)
def entrypoint(evaluator: MacroEvaluator) -> str:
    names = sorted(evaluator.var("osaa_sources") or [])
    if not names:
        raise ValueError("no sources.* models: land a source (osaa ingest) first")
    selects = [
        exp.select(*COLUMNS, exp.alias_(exp.Literal.string(name), "source")).from_(
            exp.table_(name, db="sources")
        )
        for name in names
    ]
    query = selects[0]
    for nxt in selects[1:]:
        query = exp.union(query, nxt, distinct=False)
    return query.sql(dialect="duckdb")
