"""The anomaly flags of a run as one row per value (`reports.values`), on real DuckDB tables."""

from __future__ import annotations

import duckdb
import pytest

from osaa_lib.quality import history, integrity
from osaa_lib.reports.values import GROUPS, VALUES, group_values, value_rows

COLUMNS = ("source", "indicator_id", "country_id", "year", "value", "method", "score",
           "expected", "priority", "annotation", "accepted", "accept_reason")  # fmt: skip
FLAGS = [
    # one value, three methods: one row, methods in the order robust z, HB, z-score
    ("sdg", "CR.1", "NGA", 2019, 90.0, "zscore", 4.0, 50.0, 12.0, None, False, None),
    ("sdg", "CR.1", "NGA", 2019, 90.0, "hb", 300.0, 41.0, 12.0, None, False, None),
    ("sdg", "CR.1", "NGA", 2019, 90.0, "robust_z", 40.0, 40.0, 12.0, None, False, None),
    # flagged by the z-score rule alone: flagged, not alarmed
    ("wdi", "SP.POP", "CHN", 2020, 1.4e9, "zscore", 5.0, 1e8, 0.17, "zscore_only", False, None),
    # one method accepted, the other not: still alarmed
    ("wdi", "NY.GDP", "FRA", 2018, 7.0, "hb", 30.0, 2.0, 8.0, None, True, "accepted: known"),
    ("wdi", "NY.GDP", "FRA", 2018, 7.0, "robust_z", 9.0, 2.0, 8.0, None, False, None),
    # every flag accepted: not alarmed
    ("opri", "ENR.1", "KEN", 2015, 3.0, "robust_z", 6.0, 1.0, 2.0, None, True, "accepted: ok"),
    # an aggregate and a code the reference does not know, alarmed
    ("wdi", "NY.GDP", "SSF", 2018, 7.0, "robust_z", 9.0, 2.0, 50.0, None, False, None),
    ("wdi", "NY.GDP", "XXX", 2018, 7.0, "robust_z", 9.0, 2.0, 60.0, None, False, None),
    # a lower-priority African value still comes before the others
    ("sdg", "CR.1", "GHA", 2010, 5.0, "robust_z", 4.0, 2.0, 1.5, None, False, None),
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    integrity.load_reference(con)  # the library's reference: no published one here
    typed = dict(history.TABLES["dq_anomalies"])  # the columns a run records its flags in
    con.execute(f"CREATE TABLE flags ({', '.join(f'{c} {typed[c]}' for c in COLUMNS)})")
    con.executemany(f"INSERT INTO flags VALUES ({', '.join('?' * len(COLUMNS))})", FLAGS)
    group_values(con, "flags")
    return con


def test_one_row_per_value_with_its_methods_and_scores(con) -> None:
    (nga,) = [r for r in value_rows(con, "true", 100) if r["country_id"] == "NGA"]
    assert nga["methods"] == ["robust_z", "hb", "zscore"]
    assert (nga["robust_z"], nga["hb"], nga["zscore"]) == (40.0, 300.0, 4.0)
    assert nga["expected"] == 40.0, "the expected value of the most telling method"
    assert con.execute(f"SELECT count(*) FROM {VALUES}").fetchone()[0] == 7


def test_alarmed_means_a_flag_nothing_explains(con) -> None:
    alarmed = {r["country_id"] for r in value_rows(con, "alarmed", 100)}
    assert alarmed == {"NGA", "FRA", "SSF", "XXX", "GHA"}
    quiet = {r["country_id"]: r for r in value_rows(con, "NOT alarmed", 100)}
    assert quiet["CHN"]["annotation"] == "zscore_only"
    assert quiet["KEN"]["accepted"] and quiet["KEN"]["accept_reason"] == "accepted: ok"


def test_african_countries_first_then_others_aggregates_and_unknown_codes(con) -> None:
    listed = [(r["country_id"], r["country_group"]) for r in value_rows(con, "alarmed", 100)]
    assert listed == [("NGA", GROUPS[0]), ("GHA", GROUPS[0]), ("FRA", GROUPS[1]),
                      ("SSF", GROUPS[2]), ("XXX", GROUPS[3])]  # fmt: skip
    assert value_rows(con, "alarmed", 2)[-1]["country_id"] == "GHA"


def test_an_unrecorded_run_is_grouped_from_the_flags_it_lists(make_settings) -> None:
    """A run made with `record=False` has no history file: its listed flags are all there is,
    and the values say so (`complete` is False) instead of passing for the run's counts."""
    from datetime import UTC, datetime

    from osaa_lib.lake import open_lake
    from osaa_lib.quality.model import Anomaly, QualityResult
    from osaa_lib.reports.values import anomaly_values

    settings = make_settings()
    flags = [Anomaly(*f[:9], annotation=f[9], accepted=f[10], accept_reason=f[11])
             for f in FLAGS]  # fmt: skip
    result = QualityResult("unrecorded", datetime.now(UTC), "dev", "dev_tester", {}, [], flags,
                           [])  # fmt: skip
    con = duckdb.connect()
    integrity.load_reference(con)
    values = anomaly_values(con, open_lake(settings), settings, result)
    assert not values.complete
    assert (values.flags, values.flagged, values.alarmed) == (len(FLAGS), 7, 5)
    assert [r["country_id"] for r in values.rows] == ["NGA", "GHA", "FRA", "SSF", "XXX"]
    assert values.explained == {"accepted": 1, "zscore_only": 1}
