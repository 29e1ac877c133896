"""Macros shared by the models: where landed files live, which sources exist, typed columns.

Every value comes from config variables that `osaa_lib.transform.project.build_config` computes
from the settings and the landing zone, so no model holds a path and one project serves every
environment.
"""

from __future__ import annotations

import json

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
def osaa_blueprints(evaluator, *kinds):
    """One blueprint per entry of the given kinds ('raw', 'uis', 'wdi', 'long'), set at load."""
    table = evaluator.var("osaa_blueprints") or {}
    entries = [entry for kind in kinds for entry in table.get(_text(kind), [])]
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
def typed_columns(evaluator, fields):
    """`{"name": "TYPE", ...}` (JSON) -> `CAST("name" AS TYPE) AS "name", ...`, in that order.

    The types of the known layouts come from `osaa_lib.layouts`; any other landed file keeps the
    types it landed with. Explicit columns (not `*`) keep the models renderable for Spark.
    """
    out = []
    for name, kind in json.loads(_text(fields)).items():
        column = exp.to_identifier(name, quoted=True)
        out.append(
            exp.alias_(
                exp.cast(exp.column(column), exp.DataType.build(kind, dialect="duckdb")),
                exp.to_identifier(name, quoted=True),
            )
        )
    return out
