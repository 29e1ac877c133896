"""The defects injected into the generated sample, each recorded with its exact keys.

Single-cell defects are taken from disjoint slices of one shuffled candidate list (at most one
candidate per series, never at a series' ends), so no two defects touch the same series and the
quality checks can assert exact counts.
"""

from __future__ import annotations

from typing import Any

UIS_COUNTS = {
    "hole": 6,
    "outlier": 8,
    "missing_value": 12,
    "magnitude_na_zero": 10,
    "qualifier_flag": 10,
    "unparseable_value": 2,
    "duplicate_exact": 5,
    "duplicate_conflict": 3,
}
UNPARSEABLE = {"sdg": ["<0.1", "1,5"], "opri": ["n.a.", "12.5%"], "wdi": ["12.5%"]}
WDI_COUNTS = {
    "hole": 5,
    "outlier": 6,
    "missing_marker": 4,
    "unparseable_value": 1,
    "duplicate_row": 2,
}


def _u(seed: int, *parts: str) -> str:
    return f"((hash(concat_ws('|', '{seed}', {', '.join(parts)})) % 1000003) / 1000003.0)"


def _slices(counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    out, k = {}, 0
    for kind, n in counts.items():
        out[kind] = (k + 1, k + n)
        k += n
    return out


def inject_uis(con: Any, seed: int, source: str, file: str) -> list[dict[str, Any]]:
    """Apply the UIS defects to table `data`; return their records (with row tags in `ords`)."""
    con.execute(
        f"""CREATE OR REPLACE TABLE cand AS
        SELECT tag, indicator_id, country_id, year, value,
               row_number() OVER (ORDER BY {_u(seed, "'cand'", "tag")}, tag) AS k
        FROM (SELECT *, row_number() OVER (PARTITION BY indicator_id, country_id
                  ORDER BY {_u(seed, "'pick'", "tag")}, tag) AS r
              FROM data WHERE series_end - series_start >= 5 AND kind <> 'code'
                AND year > series_start + 1 AND year < series_end - 1)
        WHERE r = 1"""
    )
    slices = _slices(UIS_COUNTS)
    need = max(hi for _lo, hi in slices.values())
    have = con.execute("SELECT count(*) FROM cand").fetchone()[0]
    if have < need:
        raise RuntimeError(f"{source}: only {have} candidate series for {need} defects")
    defects: list[dict[str, Any]] = []

    def take(kind: str) -> list[tuple[Any, ...]]:
        lo, hi = slices[kind]
        return con.execute(
            "SELECT tag, indicator_id, country_id, year, value, k FROM cand "
            "WHERE k BETWEEN ? AND ? ORDER BY k",
            [lo, hi],
        ).fetchall()

    def record(kind: str, row: tuple[Any, ...], **extra: Any) -> dict[str, Any]:
        d = {
            "kind": kind,
            "source": source,
            "file": file,
            "indicator_id": row[1],
            "country_id": row[2],
            "year": row[3],
        }
        d.update(extra)
        defects.append(d)
        return d

    for row in take("hole"):
        con.execute("DELETE FROM data WHERE tag = ?", [row[0]])
        record("hole", row)
    for row in take("outlier"):
        factor = 10 + (row[5] * 7919 + seed) % 41
        con.execute("UPDATE data SET value = value * ? WHERE tag = ?", [factor, row[0]])
        record("outlier", row, ords=[row[0]], factor=factor, expected=round(row[4], 6))
    for row in take("missing_value"):
        con.execute("UPDATE data SET value = NULL WHERE tag = ?", [row[0]])
        record("missing_value", row, ords=[row[0]], column="value")
    for i, row in enumerate(take("magnitude_na_zero")):
        mag = "NA" if i % 5 < 3 else "NIL"
        con.execute("UPDATE data SET value = 0, magnitude = ? WHERE tag = ?", [mag, row[0]])
        record("magnitude_na_zero", row, ords=[row[0]], magnitude=mag)
    for i, row in enumerate(take("qualifier_flag")):
        q = "UIS_EST" if i % 2 == 0 else "NAT_EST"
        con.execute("UPDATE data SET qualifier = ? WHERE tag = ?", [q, row[0]])
        record("qualifier_flag", row, ords=[row[0]], qualifier=q)
    for raw, row in zip(UNPARSEABLE[source], take("unparseable_value"), strict=False):
        con.execute("UPDATE data SET raw = ? WHERE tag = ?", [raw, row[0]])
        record("unparseable_value", row, ords=[row[0]], column="value", raw=raw)
    base = con.execute("SELECT max(tag) FROM data").fetchone()[0]
    for kind, scale in (("duplicate_exact", 1.0), ("duplicate_conflict", 1.1)):
        for row in take(kind):
            base += 1
            con.execute(
                f"INSERT INTO data SELECT ? AS tag, {_cols_with_value()} FROM data WHERE tag = ?",
                [base, scale, row[0]],
            )
            record(kind, row, ords=[row[0], base])

    # A country code no ISO list knows, and an indicator that has data but no label.
    ind = con.execute(
        "SELECT indicator_id FROM ind WHERE kind <> 'code' ORDER BY "
        + _u(seed, "'zzz'", "indicator_id")
        + " LIMIT 2"
    ).fetchall()
    last = con.execute("SELECT max(year) FROM data").fetchone()[0]
    tags = list(range(base + 1, base + 6))
    con.execute(
        f"""INSERT INTO data SELECT {base} + (y - {last - 5}), ?, 'ZZZ', y, kind, {last - 4},
             {last}, 50 + y - {last}, NULL, '', '' FROM ind, range({last - 4}, {last + 1}) t(y)
             WHERE indicator_id = ?""",
        [ind[0][0], ind[0][0]],
    )
    defects.append(
        {
            "kind": "unknown_country",
            "source": source,
            "file": file,
            "country_id": "ZZZ",
            "indicator_id": ind[0][0],
            "rows": 5,
            "ords": tags,
        }
    )
    rows = con.execute("SELECT count(*) FROM data WHERE indicator_id = ?", [ind[1][0]]).fetchone()
    defects.append(
        {
            "kind": "unlabelled_indicator",
            "source": source,
            "file": file.replace("_DATA_NATIONAL", "_LABEL"),
            "indicator_id": ind[1][0],
            "rows": rows[0],
        }
    )
    return defects


def _cols_with_value() -> str:
    return (
        "indicator_id, country_id, year, kind, series_start, series_end, value * ?, raw, "
        "magnitude, qualifier"
    )


def inject_wdi(
    con: Any, seed: int, first: int, last: int, density: float, years: list[int]
) -> list[dict[str, Any]]:
    """Build table `wide` (one WDICSV row per economy x indicator) directly, with defects."""

    def u(*parts: str) -> str:
        return _u(seed, "'wdi'", *parts)

    span = last - first
    con.execute(
        f"""CREATE OR REPLACE TABLE wpairs AS
        SELECT e.name AS cname, e.code AS ccode, e.aggregate, w.name AS iname, w.code AS icode,
               w.kind, 0 AS dup,
               {first} + floor({u("'s'", "e.code", "w.code")} * {span * 0.6})::INT AS s_start,
               {last} - floor({u("'e'", "e.code", "w.code")} * 2)::INT AS s_end,
               {u("'keep'", "e.code", "w.code")} < {density} AS kept,
               CASE w.kind WHEN 'pct' THEN 5 + 80 * {u("'l'", "e.code", "w.code")}
                    WHEN 'ratio' THEN 10 + 150 * {u("'l'", "e.code", "w.code")}
                    ELSE pow(10, 5 + 5 * {u("'l'", "e.code", "w.code")}) END AS level,
               ({u("'sl'", "e.code", "w.code")} - 0.35) * 0.03 AS slope
        FROM econ e CROSS JOIN wind w"""
    )

    def value(y: str) -> str:
        noise = "(1 + 0.02 * (" + u("'n'", "ccode", "icode", y) + " - 0.5))"
        trend = f"level * (1 + slope * ({y} - 2000)) * {noise}"
        return f"CASE WHEN kind = 'pct' THEN least(100, {trend}) ELSE {trend} END"

    con.execute(
        "CREATE OR REPLACE MACRO wfmt(v) AS CASE WHEN v = round(v) "
        "THEN round(v)::BIGINT::VARCHAR ELSE round(v, 6)::VARCHAR END"
    )
    cells = ", ".join(
        f'CASE WHEN kept AND {y} BETWEEN s_start AND s_end THEN wfmt({value(str(y))}) END AS "{y}"'
        for y in years
    )
    con.execute(
        "CREATE OR REPLACE TABLE wide AS SELECT cname, ccode, iname, icode, aggregate, dup, "
        f"{cells} FROM wpairs"
    )
    slices = _slices(WDI_COUNTS)
    need = max(hi for _lo, hi in slices.values())
    picked = con.execute(
        f"""WITH p AS (
              SELECT *, row_number() OVER (ORDER BY {u("'c'", "ccode", "icode")}, ccode, icode) AS k
              FROM wpairs WHERE kept AND NOT aggregate AND s_end - s_start >= 5)
            SELECT ccode, icode, k,
                   arg_min(y, ({u("'p'", "ccode", "icode", "y")}, y)) AS year,
                   arg_min({value("y")}, ({u("'p'", "ccode", "icode", "y")}, y)) AS value
            FROM (SELECT *, unnest(range(s_start + 2, s_end - 1)) AS y FROM p WHERE k <= {need})
            GROUP BY ccode, icode, k ORDER BY k"""
    ).fetchall()
    defects: list[dict[str, Any]] = []
    file = "WDICSV.csv"

    def take(kind: str) -> list[tuple[Any, ...]]:
        lo, hi = slices[kind]
        return [(c, i, y, v, k) for c, i, k, y, v in picked if lo <= k <= hi]

    def record(kind: str, row: tuple[Any, ...], **extra: Any) -> None:
        d = {
            "kind": kind,
            "source": "wdi",
            "file": file,
            "country_id": row[0],
            "indicator_id": row[1],
            "year": row[2],
            "column": str(row[2]),
            "tag": True,
        }
        d.update(extra)
        defects.append(d)

    def set_cell(row: tuple[Any, ...], sql: str, *params: Any) -> None:
        con.execute(
            f'UPDATE wide SET "{row[2]}" = {sql} WHERE ccode = ? AND icode = ?',
            [*params, row[0], row[1]],
        )

    for row in take("hole"):
        set_cell(row, "NULL")
        record("hole", row)
    for row in take("outlier"):
        factor = 10 + (row[4] * 7919 + seed) % 41
        set_cell(row, "wfmt(?::DOUBLE * ?)", row[3], factor)
        record("outlier", row, factor=factor, expected=round(row[3], 6))
    for row in take("missing_marker"):
        set_cell(row, "'..'")
        record("missing_marker", row, raw="..")
    for raw, row in zip(UNPARSEABLE["wdi"], take("unparseable_value"), strict=False):
        set_cell(row, "?", raw)
        record("unparseable_value", row, raw=raw)
    for row in take("duplicate_row"):
        con.execute(
            "INSERT INTO wide SELECT * REPLACE (1 AS dup) FROM wide WHERE ccode = ? AND icode = ?",
            list(row[:2]),
        )
        defects.append(
            {
                "kind": "duplicate_row",
                "source": "wdi",
                "file": file,
                "country_id": row[0],
                "indicator_id": row[1],
                "tag": True,
            }
        )
    codes = con.execute(
        "SELECT code, name FROM wind ORDER BY " + u("'z'", "code") + " LIMIT 4"
    ).fetchall()
    recent = ", ".join(f"'{40 + y - last}'" if y > last - 5 else "NULL" for y in years)
    for code, name in codes[:3]:
        con.execute(
            f"INSERT INTO wide VALUES ('Unknown economy', 'ZZZ', ?, ?, false, 0, {recent})",
            [name, code],
        )
    defects.append(
        {
            "kind": "unknown_country",
            "source": "wdi",
            "file": file,
            "country_id": "ZZZ",
            "indicator_ids": [c for c, _ in codes[:3]],
            "rows": 3,
        }
    )
    aggs = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT ccode FROM wide WHERE aggregate ORDER BY 1"
        ).fetchall()
    ]
    rows = con.execute("SELECT count(*) FROM wide WHERE aggregate").fetchone()
    defects.append(
        {
            "kind": "aggregate_codes",
            "source": "wdi",
            "file": file,
            "country_ids": aggs,
            "rows": rows[0],
        }
    )
    defects.append(
        {
            "kind": "indicator_without_metadata",
            "source": "wdi",
            "file": "WDISeries.csv",
            "indicator_id": codes[3][0],
        }
    )
    return defects
