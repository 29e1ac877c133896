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


def inject_wdi(con: Any, seed: int, first: int, last: int, density: float) -> list[dict[str, Any]]:
    """Build long table `wcells` (one row per cell plus one empty row per pair) with defects."""

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
    con.execute(
        f"""CREATE OR REPLACE TABLE wcells AS
        SELECT cname, ccode, aggregate, iname, icode, dup, NULL::INT AS year,
               NULL::DOUBLE AS value, NULL::VARCHAR AS cell, s_start, s_end, kept
        FROM wpairs
        UNION ALL
        SELECT cname, ccode, aggregate, iname, icode, dup, y::INT, v, NULL, s_start, s_end, kept
        FROM (SELECT p.*, unnest(range(s_start, s_end + 1)) AS y FROM wpairs p WHERE kept)
        CROSS JOIN LATERAL (SELECT CASE WHEN kind = 'pct' THEN least(100, level
                 * (1 + slope * (y - 2000))
                 * (1 + 0.02 * ({u("'n'", "ccode", "icode", "y")} - 0.5)))
               ELSE level * (1 + slope * (y - 2000))
                 * (1 + 0.02 * ({u("'n'", "ccode", "icode", "y")} - 0.5)) END AS v)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE wcand AS
        SELECT ccode, icode, year, value,
               row_number() OVER (ORDER BY {u("'c'", "ccode", "icode")}, ccode, icode) AS k
        FROM (SELECT *, row_number() OVER (PARTITION BY ccode, icode
                  ORDER BY {u("'p'", "ccode", "icode", "year")}, year) AS r
              FROM wcells WHERE year IS NOT NULL AND NOT aggregate AND s_end - s_start >= 5
                AND year > s_start + 1 AND year < s_end - 1)
        WHERE r = 1"""
    )
    slices = _slices(WDI_COUNTS)
    defects: list[dict[str, Any]] = []
    file = "WDICSV.csv"

    def take(kind: str) -> list[tuple[Any, ...]]:
        lo, hi = slices[kind]
        return con.execute(
            "SELECT ccode, icode, year, value, k FROM wcand WHERE k BETWEEN ? AND ? ORDER BY k",
            [lo, hi],
        ).fetchall()

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

    where = "ccode = ? AND icode = ? AND year = ?"
    for row in take("hole"):
        con.execute(f"DELETE FROM wcells WHERE {where}", list(row[:3]))
        record("hole", row)
    for row in take("outlier"):
        factor = 10 + (row[4] * 7919 + seed) % 41
        con.execute(f"UPDATE wcells SET value = value * ? WHERE {where}", [factor, *row[:3]])
        record("outlier", row, factor=factor, expected=round(row[3], 6))
    for row in take("missing_marker"):
        con.execute(f"UPDATE wcells SET cell = '..' WHERE {where}", list(row[:3]))
        record("missing_marker", row, raw="..")
    for raw, row in zip(UNPARSEABLE["wdi"], take("unparseable_value"), strict=False):
        con.execute(f"UPDATE wcells SET cell = ? WHERE {where}", [raw, *row[:3]])
        record("unparseable_value", row, raw=raw)
    con.execute(
        "UPDATE wcells SET cell = CASE WHEN value = round(value) "
        "THEN round(value)::BIGINT::VARCHAR "
        "ELSE round(value, 6)::VARCHAR END WHERE cell IS NULL AND value IS NOT NULL"
    )
    for row in take("duplicate_row"):
        con.execute(
            "INSERT INTO wcells SELECT * REPLACE (1 AS dup) FROM wcells "
            "WHERE ccode = ? AND icode = ?",
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
    for code, name in codes[:3]:
        con.execute(
            f"""INSERT INTO wcells SELECT 'Unknown economy', 'ZZZ', false, ?, ?, 0, y, NULL,
                (40 + y - {last})::VARCHAR, {last - 4}, {last}, true
                FROM range({last - 4}, {last + 1}) t(y)""",
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
            "SELECT DISTINCT ccode FROM wcells WHERE aggregate ORDER BY 1"
        ).fetchall()
    ]
    rows = con.execute(
        "SELECT count(DISTINCT (ccode, icode)) FROM wcells WHERE aggregate"
    ).fetchone()
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
