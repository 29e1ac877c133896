"""Anomalous values per indicator x country series, computed in one DuckDB query.

Three methods, each giving a score and an expected value:
- `zscore`: the runbook's rule, |value - indicator mean| / indicator stddev > 3. Kept because
  analysts know it, but its mean and stddev are pulled by the very outliers it looks for.
- `robust_z`: the residual from the series' rolling median (+-`window` years), divided by the
  series' robust scale (1.4826 x MAD of residuals; 1.2533 x mean absolute deviation when
  MAD = 0; unscored when both are 0). Trends do not trip it, and outliers do not hide it.
- `hb`: Hidiroglou-Berthelot year-over-year ratios, centred on the indicator's median ratio
  across all countries, weighted by size^U and judged against the quartile distances of the
  same indicator. A spike flags the spike year only, not the return to normal after it.

Rows whose magnitude is NA/NIL/SUPP/INCLUDED never enter (they are not measurements). Values
whose qualifier marks an estimate or a break get an annotation and are not alarmed.
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


def anomaly_sql(meas: str, cfg: QualityConfig) -> str:
    """The query listing every flagged (value, method); `meas` holds measurement rows only."""
    p = {k: float(v) for k, v in cfg.anomalies.items()}
    w, minp = int(p["window"]), int(p["min_points"])
    est = in_list(cfg.general["estimate_qualifiers"])
    brk = in_list(cfg.general["break_qualifiers"])
    c = p["hb_c"]
    t_in = _hb_flag("prev_v", "value", p)
    t_out = _hb_flag("value", "next_v", p)
    t_prev = _hb_flag("prev2_v", "prev_v", p)
    return f"""
    WITH base00 AS (
      SELECT {SERIES}, year, value, qualifier,
        count(*) OVER s AS n, min(value) OVER s > 0 AS logscale,
        lag(value) OVER (s ORDER BY year) AS prev_v,
        lag(year) OVER (s ORDER BY year) AS prev_y,
        lag(value, 2) OVER (s ORDER BY year) AS prev2_v,
        lead(value) OVER (s ORDER BY year) AS next_v
      FROM {meas}
      WINDOW s AS (PARTITION BY {SERIES})
    ),
    base0 AS (
      SELECT *, CASE WHEN logscale THEN ln(value) ELSE value END AS x,
        CASE WHEN logscale THEN ln(prev_v) ELSE prev_v END AS prev_x
      FROM base00
    ),
    slope AS (
      SELECT {SERIES}, coalesce(median((x - prev_x) / (year - prev_y)), 0) AS slope
      FROM base0 WHERE year > prev_y GROUP BY {SERIES}
    ),
    base AS (
      SELECT *, d - median(d) OVER (PARTITION BY {SERIES} ORDER BY year
            ROWS BETWEEN {w} PRECEDING AND {w} FOLLOWING EXCLUDE CURRENT ROW) AS r0,
        x - d AS trend
      FROM (SELECT b.*, b.x - coalesce(s.slope, 0) * (b.year - 2000) AS d
            FROM base0 b LEFT JOIN slope s USING ({SERIES}))
    ),
    ind AS (
      SELECT source, indicator_id, avg(value) AS mean_v, stddev_samp(value) AS sd_v,
        median(value / prev_v) FILTER (prev_v > 0 AND value > 0) AS rm
      FROM base GROUP BY source, indicator_id
    ),
    resid AS (
      SELECT b.*, b.r0 AS r, b.x - b.r0 AS roll_med, i.mean_v, i.sd_v, i.rm FROM base b
      JOIN ind i USING (source, indicator_id)
    ),
    ser AS (
      SELECT {SERIES}, median(r) AS med_r FROM resid GROUP BY {SERIES}
    ),
    ser2 AS (
      SELECT {SERIES}, any_value(med_r) AS med_r,
        median(abs(r - med_r)) AS mad, avg(abs(r - med_r)) AS meanad
      FROM resid JOIN ser USING ({SERIES}) GROUP BY {SERIES}
    ),
    hbe AS (
      SELECT source, indicator_id,
        quantile_cont(e, 0.25) AS e1, median(e) AS em, quantile_cont(e, 0.75) AS e3
      FROM (SELECT source, indicator_id,
              (CASE WHEN value / prev_v < rm THEN 1 - rm / (value / prev_v)
                    ELSE (value / prev_v) / rm - 1 END)
              * pow(greatest(prev_v, value), {p["hb_u"]}) AS e
            FROM resid WHERE prev_v > 0 AND value > 0)
      GROUP BY source, indicator_id
    ),
    scored AS (
      SELECT r.*, (r.value - r.mean_v) / nullif(r.sd_v, 0) AS z,
        (r.r - s.med_r) / nullif(greatest(
             CASE WHEN s.mad > 0 THEN 1.4826 * s.mad ELSE 1.2533 * s.meanad END,
             {p["min_rel_scale"]} * CASE WHEN r.logscale THEN 1 ELSE abs(r.roll_med) END),
             0) AS rz,
        CASE WHEN r.logscale THEN exp(r.roll_med + s.med_r) ELSE r.roll_med + s.med_r END
          AS rz_expected,
        {t_in} AS h_in, {t_out} AS h_out, {t_prev} AS h_prev
      FROM resid r JOIN ser2 s USING ({SERIES})
      LEFT JOIN hbe h USING (source, indicator_id)
    ),
    hb AS (
      SELECT *,
        abs(h_in) > {c} AND abs(h_out) > {c} AND sign(h_in) <> sign(h_out) AS spike,
        abs(h_prev) > {c} AND abs(h_in) > {c} AND sign(h_prev) <> sign(h_in) AS after_spike
      FROM scored
    ),
    flags AS (
      SELECT {SERIES}, year, value, qualifier, 'zscore' AS method, z AS score,
        mean_v AS expected, {p["zscore"]} AS limit_
      FROM hb WHERE abs(z) > {p["zscore"]}
      UNION ALL
      SELECT {SERIES}, year, value, qualifier, 'robust_z', rz, rz_expected, {p["robust_z"]}
      FROM hb WHERE abs(rz) > {p["robust_z"]} AND n >= {minp}
      UNION ALL
      SELECT {SERIES}, year, value, qualifier, 'hb', h_in, prev_v * rm, {c}
      FROM hb WHERE abs(h_in) > {c}
        AND (spike OR NOT coalesce(after_spike, false))
    )
    SELECT {SERIES}, year, value, method, score, expected,
      CASE WHEN upper(trim(qualifier)) IN {brk} THEN 'break'
           WHEN upper(trim(qualifier)) IN {est} THEN 'estimate' END AS annotation,
      sum(least(abs(score) / limit_, 10)) OVER (PARTITION BY {SERIES}, year)
        * CASE WHEN upper(trim(qualifier)) IN {brk} OR upper(trim(qualifier)) IN {est}
               THEN 0.1 ELSE 1 END AS priority
    FROM flags
    """


def compute(
    con: duckdb.DuckDBPyConnection, meas: str, cfg: QualityConfig, into: str = TABLE
) -> int:
    """Materialise the flagged values of `meas` into a temp table; returns its row count."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {anomaly_sql(meas, cfg)}")
    return con.execute(f"SELECT count(*) FROM {into}").fetchone()[0]
