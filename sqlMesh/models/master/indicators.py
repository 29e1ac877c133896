"""master.indicators: every sources.* model stacked, with the source's name.

The list of sources is not written here: it is discovered when the project loads (every
`sources.*` model under models/sources/, in any subfolder, plus every landed source of a known
layout) and handed over as the `osaa_sources` variable, so adding a source means adding its
files and nothing else.

Each source is read through its own columns (SQLMesh knows them once the project is loaded): an
indicator column it lacks is NULL, one of another type is cast (a `"Decimal"` value becomes
DOUBLE), and every other column is carried as text in `extra` (MAP(VARCHAR, VARCHAR)), so a
source model with four columns, or one with a `unit`, needs no edit here.

A view, not a table: the data already sits in the sources' tables, so the cache does not store
it twice, a changed source costs nothing here, and publishing writes the union in one pass.
"""

from models.sources._indicators import indicator_audits
from sqlglot import exp
from sqlmesh import model
from sqlmesh.core.macros import MacroEvaluator

from osaa_lib.layouts import EXTRA, EXTRA_TYPE, INDICATOR_COLUMNS, MASTER_COLUMNS, SOURCE


@model(
    "master.indicators",
    is_sql=True,
    kind="VIEW",
    dialect="duckdb",
    columns=MASTER_COLUMNS,
    grain=["source", "indicator_id", "country_id", "year"],
    audits=indicator_audits(("source", "indicator_id", "country_id", "year")),
    description="All indicator sources in one long table; `source` names where a row came from.",
)
def entrypoint(evaluator: MacroEvaluator) -> str:
    names = sorted(evaluator.var("osaa_sources") or [])
    if not names:
        raise ValueError("no sources.* models: land a source (osaa ingest) first")
    selects = [_select(evaluator, name) for name in names]
    query = selects[0]
    for nxt in selects[1:]:
        query = exp.union(query, nxt, distinct=False)
    return query.sql(dialect="duckdb")


def _columns(evaluator: MacroEvaluator, table: str) -> dict[str, exp.DataType]:
    """The source's columns, or {} while loading (only the dependencies matter then)."""
    try:
        found = evaluator.columns_to_types(table)
    except Exception:  # noqa: BLE001 - a model of unknown columns: read the seven by name
        return {}
    return {} if "__schema_unavailable_at_load__" in found else dict(found)


def _select(evaluator: MacroEvaluator, name: str) -> exp.Select:
    table = f"sources.{name}"
    have = _columns(evaluator, table)
    out = []
    for column, kind in INDICATOR_COLUMNS.items():
        want = exp.DataType.build(kind, dialect="duckdb")
        got = have.get(column)
        if have and got is None:
            value = exp.cast(exp.null(), want)
        elif got is not None and got != want:
            value = exp.cast(exp.column(column), want)
        else:
            value = exp.column(column)
        out.append(exp.alias_(value, column))
    out.append(exp.alias_(_extra(have), EXTRA))
    out.append(exp.alias_(exp.Literal.string(name), SOURCE))
    return exp.select(*out).from_(exp.table_(name, db="sources"))


def _extra(have: dict[str, exp.DataType]) -> exp.Expression:
    """The source's own `extra` map, and its other columns as text, in one MAP(VARCHAR, VARCHAR)."""
    kind = exp.DataType.build(EXTRA_TYPE, dialect="duckdb")
    own = EXTRA in have and have[EXTRA].is_type(exp.DataType.Type.MAP)
    others = [c for c in have if c not in INDICATOR_COLUMNS and not (own and c == EXTRA)]
    parts = []
    if own:
        parts.append(exp.cast(exp.column(EXTRA), kind))
    if others:
        keys = exp.Array(expressions=[exp.Literal.string(c) for c in others])
        values = exp.Array(
            expressions=[
                exp.cast(exp.column(exp.to_identifier(c, quoted=True)), "VARCHAR") for c in others
            ]
        )
        parts.append(exp.Map(keys=keys, values=values))
    if not parts:
        return exp.cast(exp.null(), kind)
    if len(parts) == 1:
        return parts[0]
    return exp.func("map_concat", *parts)
