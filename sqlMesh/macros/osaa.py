"""Macros shared by the models: where landed files live, and which sources exist.

Every value comes from config variables that `osaa_lib.transform.project.build_config` computes
from the settings, so no model holds a path and one project serves every environment.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


def _text(value: object) -> str:
    if isinstance(value, exp.Expr):
        return (
            value.name
            if isinstance(value, (exp.Literal, exp.Column, exp.Identifier))
            else (value.sql())
        )
    return str(value)


@macro()
def landing(evaluator, source, stem):
    """read_parquet() of a landed file in this environment's lake (local folder or s3://)."""
    root = evaluator.var("osaa_landing_root")
    uri = f"{root}/{_text(source)}/{_text(stem)}.parquet"
    return exp.ReadParquet(expressions=[exp.Literal.string(uri)])


@macro()
def osaa_blueprints(evaluator, *layouts):
    """One blueprint per landed source of the given layouts ('uis', 'wdi'), set at load time."""
    table = evaluator.var("osaa_blueprints") or {}
    entries = [
        {"layout": _text(layout), **entry}
        for layout in layouts
        for entry in table.get(_text(layout), [])
    ]
    return exp.Array(
        expressions=[
            exp.Tuple(
                expressions=[
                    exp.PropertyEQ(this=exp.to_identifier(k), expression=exp.Literal.string(v))
                    for k, v in entry.items()
                ]
            )
            for entry in entries
        ]
    )


@macro()
def year_columns(evaluator, years):
    """The WDI year columns of the landed header (`1960` ... whatever it holds), as DOUBLE."""
    out = []
    for year in _text(years).split(","):
        col = exp.column(exp.to_identifier(year, quoted=True))
        out.append(
            exp.alias_(
                exp.cast(col, exp.DataType.build("DOUBLE")), exp.to_identifier(year, quoted=True)
            )
        )
    return out
