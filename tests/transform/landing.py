"""Land publishers' sample files the way CONTRACTS.md describes (used until/unless ingest runs).

Kept tiny on purpose: the transform tests need landed Parquet, not ingest's checks.
"""

from __future__ import annotations

import re
from pathlib import Path

from osaa_lib.config import Settings
from osaa_lib.lake import join, keys, open_lake

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "data" / "upstream-samples"
FILES = {
    "sdg": ("edu/SDG_DATA_NATIONAL.csv", "edu/SDG_LABEL.csv"),
    "opri": ("edu/OPRI_DATA_NATIONAL.csv", "edu/OPRI_LABEL.csv"),
    "wdi": ("wdi/WDICSV.csv", "wdi/WDISeries.csv"),
}


def clean(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def land_csv(settings: Settings, source: str, csv: Path, stem: str | None = None) -> str:
    """CSV -> landing Parquet with the contract's column names and types."""
    import duckdb

    stem = stem or csv.stem
    con = duckdb.connect()
    header = con.execute(
        "SELECT * FROM read_csv(?, header=true, all_varchar=true) LIMIT 0", [str(csv)]
    ).description
    cols = []
    for name, *_rest in header:
        c = clean(name)
        if c in ("year",):
            cast = "INTEGER"
        elif c == "value" or re.fullmatch(r"\d{4}", c):
            cast = "DOUBLE"
        else:
            cast = "VARCHAR"
        quoted = '"' + name.replace('"', '""') + '"'
        cols.append(f"TRY_CAST(NULLIF(TRIM({quoted}), '') AS {cast}) AS \"{c}\"")
    key = join(keys.landing_prefix(settings), source, f"{stem}.parquet")
    lake = open_lake(settings)
    with lake.writing(key) as tmp:
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM read_csv('{csv}', header=true, "
            f"all_varchar=true)) TO '{tmp}' (FORMAT parquet)"
        )
    con.close()
    return key


def land_samples(settings: Settings, sources: tuple[str, ...] = ("sdg", "opri", "wdi")) -> None:
    for source in sources:
        for rel in FILES[source]:
            land_csv(settings, source, UPSTREAM / rel)
