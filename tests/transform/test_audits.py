"""SQLMesh's built-in audits on the indicator tables: what warns and what blocks a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from osaa_lib.errors import TransformError
from osaa_lib.transform import plan_apply
from tests.transform.landing import UPSTREAM, land_csv

HEADER = "indicator_id,country_id,year,value,magnitude,qualifier"


def land_ghi(settings, tmp_path: Path, rows: list[str]) -> None:
    csv = tmp_path / "GHI_DATA_NATIONAL.csv"
    csv.write_text("\n".join([HEADER, *rows]) + "\n")
    land_csv(settings, "ghi", csv)
    land_csv(settings, "ghi", UPSTREAM / "edu/SDG_LABEL.csv", "GHI_LABEL")


@pytest.mark.slow
def test_duplicates_and_odd_years_warn_a_null_key_blocks(fresh, tmp_path: Path) -> None:
    settings = fresh()
    land_ghi(settings, tmp_path, ["A,KEN,2020,1,,", "A,KEN,2020,2,,", "A,NAM,1850,3,,"])
    result = plan_apply(settings)
    ghi = [w.strip() for w in result.audit_warnings if w.strip().startswith("sources.ghi:")]
    assert any("unique_combination_of_columns_non_blocking" in w for w in ghi), ghi
    assert any("accepted_range_non_blocking" in w for w in ghi), ghi
    assert "sources.ghi" in result.computed, result.audit_warnings

    land_ghi(settings, tmp_path, ["A,KEN,2020,1,,", "A,KEN,,2,,"])
    with pytest.raises(TransformError, match="not_null"):
        plan_apply(settings)
