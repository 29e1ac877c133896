"""Deterministic sample and scale data in exactly the publishers' CSV formats.

Why generated and not copied: the real files are large, licensed and drift; tests and
benchmarks need the same bytes every time, and the quality checks need defects whose exact
keys are known. Every injected defect is listed in `<out_dir>/defects.json`.

The data path is DuckDB SQL with hash-based pseudo-randomness (no Python loops over rows), so
the full scale (≈3 M rows per UIS file, ≈400 k WDI rows) takes seconds, not minutes.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osaa_lib.errors import OsaaError
from osaa_lib.sample.specs import (
    AGGREGATES,
    SCALES,
    Scale,
    countries,
    series_rows,
    uis_indicators,
    wdi_indicators,
)

DEFAULT_SEED = 20261129
GENERATOR_VERSION = 1


@dataclass
class SampleResult:
    out_dir: Path
    scale: str
    seed: int
    files: dict[str, int] = field(default_factory=dict)  # relative path -> data rows
    defects: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_bytes(self) -> int:
        return sum((self.out_dir / rel).stat().st_size for rel in self.files)


def generate(out_dir: str | Path, scale: str = "small", seed: int = DEFAULT_SEED) -> SampleResult:
    """Write sdg/, opri/, wdi/ and defects.json under out_dir; same inputs give the same bytes."""
    import duckdb

    if scale not in SCALES:
        raise OsaaError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    out = Path(out_dir)
    start = time.perf_counter()
    result = SampleResult(out, scale, seed)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    try:
        _load_dimensions(con, spec, seed)
        for source, prefix, latest in (
            ("sdg", "SDG", spec.sdg_last),
            ("opri", "OPRI", spec.opri_last),
        ):
            _uis_source(con, out, result, spec, seed, source, prefix, latest)
        _wdi_source(con, out, result, spec, seed)
    finally:
        con.close()
    result.defects.append(
        {
            "kind": "stale_source",
            "source": "opri",
            "latest_year": spec.opri_last,
            "others_latest_year": {"sdg": spec.sdg_last, "wdi": spec.wdi_last},
        }
    )
    summary: dict[str, dict[str, int]] = {}
    for d in result.defects:
        per = summary.setdefault(d["source"], {})
        per[d["kind"]] = per.get(d["kind"], 0) + 1
    doc = {
        "generator": f"osaa_lib.sample v{GENERATOR_VERSION}",
        "scale": scale,
        "seed": seed,
        "files": result.files,
        "null_markers": ["", ".."],
        "summary": summary,
        "defects": result.defects,
    }
    (out / "defects.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    result.seconds = time.perf_counter() - start
    return result


def _u(*parts: str) -> str:
    """SQL for a uniform pseudo-random number in [0, 1) from the hash of the parts."""
    return f"(hash(concat_ws('|', {', '.join(parts)})) % 1000003) / 1000003.0"


def _load_dimensions(con: Any, spec: Scale, seed: int) -> None:
    con.execute("CREATE TABLE countries (iso3 VARCHAR, name VARCHAR, africa BOOLEAN, pos INT)")
    con.executemany(
        "INSERT INTO countries VALUES (?, ?, ?, ?)",
        countries(max(spec.uis_countries, spec.wdi_countries)),
    )
    con.execute("CREATE TABLE seedv AS SELECT ?::VARCHAR AS s", [str(seed)])


def _write_csv(
    con: Any, query: str, path: Path, header: str, newline: str, quote: str | None
) -> int:
    """COPY to CSV without a header, then prepend the publisher's (unquoted) header line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = path.with_name(path.name + ".body")
    options = [f"HEADER false, NEW_LINE '{newline}'"]
    if quote:
        options.append(f"FORCE_QUOTE ({quote})")
    con.execute(f"COPY ({query}) TO '{body}' (FORMAT csv, {', '.join(options)})")
    nl = newline.replace("\\r", "\r").replace("\\n", "\n")
    with open(path, "wb") as fh:
        fh.write((header + nl).encode())
        with open(body, "rb") as src:
            shutil.copyfileobj(src, fh, 1 << 22)
    body.unlink()
    return con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]


def _uis_source(
    con: Any,
    out: Path,
    result: SampleResult,
    spec: Scale,
    seed: int,
    source: str,
    prefix: str,
    latest: int,
) -> None:
    from osaa_lib.sample.defects import inject_uis

    indicators = uis_indicators(source, spec.uis_indicators(source))
    con.execute(
        f"CREATE OR REPLACE TABLE ind AS SELECT * FROM (VALUES {_values(indicators)}) "
        "t(indicator_id, label, kind, pos)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE data AS "
        + series_rows(
            seed, source, spec.first_year, latest, spec.density(source), spec.uis_countries
        )
    )
    defects = inject_uis(con, seed, source, f"{prefix}_DATA_NATIONAL.csv")
    shuffle = _u(f"'{seed}'", "indicator_id", "country_id", "tag::VARCHAR")
    con.execute(
        "CREATE OR REPLACE TABLE outrows AS SELECT *, row_number() OVER "
        f"(ORDER BY year, {shuffle}, tag) AS ord FROM data"
    )
    value = (
        "CASE WHEN raw IS NOT NULL THEN raw WHEN value IS NULL THEN NULL "
        "WHEN kind IN ('count', 'code') OR value = round(value) "
        "THEN round(value)::BIGINT::VARCHAR "
        r"ELSE regexp_replace(round(value, 8)::VARCHAR, '^(-?)0\.', '\1.') END"
    )
    query = (
        f"SELECT indicator_id, country_id, year, {value} AS value, magnitude, qualifier "
        "FROM outrows ORDER BY ord"
    )
    data_rel = f"{source}/{prefix}_DATA_NATIONAL.csv"
    result.files[data_rel] = _write_csv(
        con,
        query,
        out / data_rel,
        "indicator_id,country_id,year,value,magnitude,qualifier",
        "\\r\\n",
        "indicator_id, country_id, magnitude, qualifier",
    )
    for d in defects:
        for key in ("ord", "ords"):
            if key in d:
                lines = [
                    r[0] + 1
                    for r in con.execute(
                        "SELECT ord FROM outrows WHERE tag = ANY(?) ORDER BY ord", [d.pop(key)]
                    ).fetchall()
                ]
                d["lines"] = lines
    result.defects.extend(defects)
    unlabelled = [d["indicator_id"] for d in defects if d["kind"] == "unlabelled_indicator"]
    label_rel = f"{source}/{prefix}_LABEL.csv"
    result.files[label_rel] = _write_csv(
        con,
        f"SELECT indicator_id, label FROM ind WHERE NOT list_contains({_list(unlabelled)}, "
        "indicator_id) ORDER BY indicator_id",
        out / label_rel,
        "INDICATOR_ID,INDICATOR_LABEL_EN",
        "\\n",
        "label",
    )


def _wdi_source(con: Any, out: Path, result: SampleResult, spec: Scale, seed: int) -> None:
    from osaa_lib.sample.defects import inject_wdi
    from osaa_lib.sample.specs import wdi_series_rows

    indicators = wdi_indicators(spec.wdi_indicators)
    con.execute(
        f"CREATE OR REPLACE TABLE wind AS SELECT * FROM (VALUES {_values(indicators)}) "
        "t(code, name, kind, pos)"
    )
    con.execute(
        "CREATE OR REPLACE TABLE econ AS SELECT * FROM (VALUES "
        + ", ".join(f"('{c}', '{n}', true)" for c, n in AGGREGATES)
        + ") t(code, name, aggregate) UNION ALL SELECT iso3, name, false FROM countries "
        f"WHERE pos < {spec.wdi_countries}"
    )
    years = list(range(1960, spec.wdi_last + 1))
    defects = inject_wdi(con, seed, spec.wdi_first_data, spec.wdi_last, spec.wdi_density, years)
    con.execute(
        "CREATE OR REPLACE TABLE wide AS SELECT row_number() OVER (ORDER BY NOT aggregate, "
        "cname, iname, dup) AS ord, * EXCLUDE (aggregate, dup) FROM wide"
    )
    rel = "wdi/WDICSV.csv"
    header = "Country Name,Country Code,Indicator Name,Indicator Code," + ",".join(map(str, years))
    result.files[rel] = _write_csv(
        con,
        "SELECT cname, ccode, iname, icode, * EXCLUDE (ord, cname, ccode, iname, icode) "
        "FROM wide ORDER BY ord",
        out / rel,
        header,
        "\\r\\n",
        "*",
    )
    for d in defects:
        if "tag" in d:
            row = con.execute(
                "SELECT min(ord) FROM wide WHERE (ccode, icode) = (?, ?)",
                [d["country_id"], d["indicator_id"]],
            ).fetchone()
            d.pop("tag")
            d["lines"] = [row[0] + 1]
    result.defects.extend(defects)
    missing_meta = [d["indicator_id"] for d in defects if d["kind"] == "indicator_without_metadata"]
    series = wdi_series_rows(indicators, missing_meta)
    con.execute(
        "CREATE OR REPLACE TABLE wseries (" + ", ".join(f"c{i} VARCHAR" for i in range(20)) + ")"
    )
    con.executemany(f"INSERT INTO wseries VALUES ({', '.join('?' * 20)})", series)
    from osaa_lib.sample.specs import WDI_SERIES_HEADER

    rel = "wdi/WDISeries.csv"
    result.files[rel] = _write_csv(
        con,
        "SELECT * FROM wseries ORDER BY c0",
        out / rel,
        ",".join(WDI_SERIES_HEADER),
        "\\n",
        "*",
    )


def _values(rows: list[tuple[Any, ...]]) -> str:
    def lit(v: Any) -> str:
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return str(v)

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def _list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]::VARCHAR[]"
