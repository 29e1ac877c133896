"""What every generated `sources.*` model shares: its columns (osaa_lib.layouts) and audits.

SQLMesh's built-in audits: a NULL key blocks the run; duplicates on the grain and implausible
years are real in publishers' files, so they warn (the quality checks count them).
"""

from sqlglot import exp

from osaa_lib.layouts import INDICATOR_COLUMNS, KEY_COLUMNS


def indicator_audits(grain: tuple[str, ...] = KEY_COLUMNS) -> list[tuple[str, dict]]:
    return [
        ("not_null", {"columns": [exp.column(c) for c in KEY_COLUMNS]}),
        ("unique_combination_of_columns_non_blocking", {"columns": [exp.column(c) for c in grain]}),
        (
            "accepted_range_non_blocking",
            {
                "column": exp.column("year"),
                "min_v": exp.Literal.number(1900),
                "max_v": exp.Literal.number(2100),
            },
        ),
    ]


INDICATOR_AUDITS = indicator_audits()
__all__ = ["INDICATOR_AUDITS", "INDICATOR_COLUMNS", "indicator_audits"]
