"""Anomalous values per indicator x country series, computed in one DuckDB query.

Three methods, each giving a score and an expected value:
- `zscore`: the runbook's rule, |value - indicator mean| / indicator stddev > 3. Listed because
  analysts know it, but its mean and stddev are pulled by the very outliers it looks for and,
  on skewed indicators (population, GDP), it flags the largest countries: a value flagged by
  it alone is annotated `zscore_only` and not alarmed.
- `robust_z`: positive series are taken in logs and detrended by their median yearly change;
  the residual of each value from the median of its +-`window` neighbours (itself excluded) is
  divided by the series' robust scale (1.4826 x median absolute residual; 1.2533 x mean
  absolute residual when that is 0; never below `min_rel_scale`). Trends do not trip it, and
  the outliers it looks for do not inflate its scale.
- `hb`: Hidiroglou-Berthelot year-over-year ratios, centred on the indicator's median ratio
  across all countries, weighted by size^U (U = 0 by default: indicators mix countries whose
  levels differ by five orders of magnitude) and judged against C x the quartile distances of
  the same indicator. A spike flags the spike year only, not the return to normal after it.

Rows whose magnitude is NA/NIL/SUPP/INCLUDED never enter (they are not measurements). Values
whose qualifier marks an estimate or a break get an annotation and are not alarmed; annotated
flags keep a tenth of their priority.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from osaa_lib.quality.checks import in_list
from osaa_lib.quality.config import QualityConfig

if TYPE_CHECKING:
    import duckdb

TABLE = "_dq_anomalies"
SERIES = "source, indicator_id, country_id"


def _hb_flag(a: str, b: str, p: dict[str, float]) -> str:
    """Score of the transition a -> b against its indicator's HB bounds (NULL when unscored)."""
    r = f"({b} / {a})"
    s = f"(CASE WHEN {r} < rm THEN 1 - rm / {r} ELSE {r} / rm - 1 END)"
    e = f"({s} * pow(greatest({a}, {b}), {p['hb_u']}))"
    return f"""(CASE WHEN {a} > 0 AND {b} > 0 THEN
        CASE WHEN {e} < em THEN ({e} - em) / greatest(em - e1, {p["hb_a"]} * abs(em), 1e-12)
             ELSE ({e} - em) / greatest(e3 - em, {p["hb_a"]} * abs(em), 1e-12) END END)"""


def anomaly_statements(meas: str, cfg: QualityConfig, into: str = TABLE) -> list[str]:
    """The statements that leave every flagged (value, method) in temp table `into`.

    Staged through narrow temp tables (DuckDB can spill them under its memory limit) instead
    of one query whose wide intermediate results must all fit in memory at 30 million rows.
    The neighbours of each value come from lags and leads, so the rolling median is a list
    median rather than a framed window aggregate: an order of magnitude faster.
    """
    p = {k: float(v) for k, v in cfg.anomalies.items()}
    w, minp = int(p["window"]), int(p["min_points"])
    est = in_list(cfg.general["estimate_qualifiers"])
    brk = in_list(cfg.general["break_qualifiers"])
    c = p["hb_c"]
    t_in = _hb_flag("prev_v", "value", p)
    t_out = _hb_flag("value", "next_v", p)
    t_prev = _hb_flag("prev2_v", "prev_v", p)
    x = "(CASE WHEN logscale THEN ln(value) ELSE value END)"
    nbrs = ", ".join(
        [f"lag(d, {k}) OVER o" for k in range(1, w + 1)]
        + [f"lead(d, {k}) OVER o" for k in range(1, w + 1)]
    )
    return [
        f"""CREATE OR REPLACE TEMP TABLE _dq_a1 AS
        SELECT {SERIES}, year, value, qualifier,
          count(*) OVER s AS n, min(value) OVER s > 0 AS logscale,
          lag(value) OVER o AS prev_v, lag(value, 2) OVER o AS prev2_v,
          lead(value) OVER o AS next_v, lag(year) OVER o AS prev_y,
          row_number() OVER o AS rn
        FROM {meas}
        WINDOW s AS (PARTITION BY {SERIES}), o AS (PARTITION BY {SERIES} ORDER BY year)""",
        """CREATE OR REPLACE TEMP TABLE _dq_a_ind AS
        SELECT source, indicator_id, avg(value) AS mean_v, stddev_samp(value) AS sd_v,
          median(value / prev_v) FILTER (prev_v > 0 AND value > 0) AS rm
        FROM _dq_a1 GROUP BY source, indicator_id""",
        f"""CREATE OR REPLACE TEMP TABLE _dq_a_slope AS
        SELECT {SERIES}, median(({x} - (CASE WHEN logscale THEN ln(prev_v) ELSE prev_v END))
          / (year - prev_y)) AS slope
        FROM _dq_a1 WHERE year > prev_y GROUP BY {SERIES}""",
        f"""CREATE OR REPLACE TEMP TABLE _dq_a2 AS
        SELECT {SERIES}, rn, d - list_median([{nbrs}]) AS r
        FROM (SELECT a.{SERIES.replace(", ", ", a.")}, a.rn,
                {x.replace("value", "a.value").replace("logscale", "a.logscale")}
                  - coalesce(s.slope, 0) * (a.year - 2000) AS d
              FROM _dq_a1 a LEFT JOIN _dq_a_slope s USING ({SERIES}))
        WINDOW o AS (PARTITION BY {SERIES} ORDER BY rn)""",
        f"""CREATE OR REPLACE TEMP TABLE _dq_a_ser AS
        SELECT {SERIES}, median(abs(r)) AS mad, avg(abs(r)) AS meanad
        FROM _dq_a2 GROUP BY {SERIES}""",
        f"""CREATE OR REPLACE TEMP TABLE _dq_a_hb AS
        SELECT source, indicator_id,
          quantile_cont(e, 0.25) AS e1, median(e) AS em, quantile_cont(e, 0.75) AS e3
        FROM (SELECT a.source, a.indicator_id,
                (CASE WHEN a.value / a.prev_v < i.rm THEN 1 - i.rm / (a.value / a.prev_v)
                      ELSE (a.value / a.prev_v) / i.rm - 1 END)
                * pow(greatest(a.prev_v, a.value), {p["hb_u"]}) AS e
              FROM _dq_a1 a JOIN _dq_a_ind i USING (source, indicator_id)
              WHERE a.prev_v > 0 AND a.value > 0)
        GROUP BY source, indicator_id""",
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
        WITH scored AS (
          SELECT a.*, i.mean_v, i.rm, (a.value - i.mean_v) / nullif(i.sd_v, 0) AS z,
            r.r / nullif(greatest(
                 CASE WHEN s.mad > 0 THEN 1.4826 * s.mad ELSE 1.2533 * s.meanad END,
                 {p["min_rel_scale"]} * CASE WHEN a.logscale THEN 1 ELSE abs(a.value - r.r) END),
                 0) AS rz,
            CASE WHEN a.logscale THEN exp(ln(a.value) - r.r) ELSE a.value - r.r END
              AS rz_expected,
            {t_in} AS h_in, {t_out} AS h_out, {t_prev} AS h_prev
          FROM _dq_a1 a JOIN _dq_a2 r USING ({SERIES}, rn)
          JOIN _dq_a_ser s USING ({SERIES})
          JOIN _dq_a_ind i USING (source, indicator_id)
          LEFT JOIN _dq_a_hb h USING (source, indicator_id)
        ),
        flags AS (
          SELECT {SERIES}, year, value, qualifier, 'zscore' AS method, z AS score,
            mean_v AS expected, {p["zscore"]} AS limit_
          FROM scored WHERE abs(z) > {p["zscore"]}
          UNION ALL
          SELECT {SERIES}, year, value, qualifier, 'robust_z', rz, rz_expected, {p["robust_z"]}
          FROM scored WHERE abs(rz) > {p["robust_z"]} AND n >= {minp}
          UNION ALL
          SELECT {SERIES}, year, value, qualifier, 'hb', h_in, prev_v * rm, {c}
          FROM scored WHERE abs(h_in) > {c}
            AND ((abs(h_out) > {c} AND sign(h_in) <> sign(h_out))
                 OR NOT coalesce(abs(h_prev) > {c} AND sign(h_prev) <> sign(h_in), false))
        )
        SELECT {SERIES}, year, value, method, score, expected, annotation,
          raw_priority * CASE WHEN annotation IS NULL THEN 1 ELSE 0.1 END AS priority
        FROM (
          SELECT *,
            CASE WHEN upper(trim(qualifier)) IN {brk} THEN 'break'
                 WHEN upper(trim(qualifier)) IN {est} THEN 'estimate'
                 WHEN bool_and(method = 'zscore') OVER v THEN 'zscore_only' END AS annotation,
            sum(least(abs(score) / limit_, 10)) OVER v AS raw_priority
          FROM flags
          WINDOW v AS (PARTITION BY {SERIES}, year)
        )""",
        "DROP TABLE _dq_a1; DROP TABLE _dq_a2; DROP TABLE _dq_a_ser; DROP TABLE _dq_a_hb; "
        "DROP TABLE _dq_a_ind; DROP TABLE _dq_a_slope",
    ]


def compute(
    con: duckdb.DuckDBPyConnection, meas: str, cfg: QualityConfig, into: str = TABLE
) -> int:
    """Leave the flagged values of `meas` in temp table `into`; returns its row count."""
    for sql in anomaly_statements(meas, cfg, into):
        con.execute(sql)
    return con.execute(f"SELECT count(*) FROM {into}").fetchone()[0]
