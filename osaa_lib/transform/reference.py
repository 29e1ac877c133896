"""Reference data about countries, so analysts can filter to Africa and keep aggregates apart.

Countries come from `country_converter` (ISO codes, names, UN M49 numeric code and intermediate
region). It carries no LDC / LLDC / SIDS lists, so the official UN lists are embedded below with
their date. World Bank aggregate codes (regions, income groups, lending groups) are flagged
`is_aggregate`: they appear in WDI next to real countries and must not be summed with them.

The SQLMesh project reads the same rows from the committed seed `sqlMesh/seeds/countries.csv`
(`write_seed` regenerates it; a test checks it matches `countries()`) and publishes them as
`reference.countries` next to master. Readers (the quality engine, the explorer, the reports)
take that published table through `load_countries`, or the seed while nothing is published:
country_converter is only read to write the seed.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

SEED_PATH = Path(__file__).resolve().parents[2] / "sqlMesh" / "seeds" / "countries.csv"

TYPES = {
    "iso3": "VARCHAR",
    "iso2": "VARCHAR",
    "name": "VARCHAR",
    "m49": "INTEGER",
    "region": "VARCHAR",
    "sub_region": "VARCHAR",
    "intermediate_region": "VARCHAR",
    "is_africa": "BOOLEAN",
    "is_ldc": "BOOLEAN",
    "is_lldc": "BOOLEAN",
    "is_sids": "BOOLEAN",
    "is_aggregate": "BOOLEAN",
}
COLUMNS = tuple(TYPES)

# UN-OHRLLS / UNSD M49 lists as of December 2024 (Bhutan left the LDCs in 2023, Sao Tome and
# Principe in December 2024). Update here when the UN General Assembly changes them.
LDC = frozenset(
    "AGO BEN BFA BDI CAF TCD COM COD DJI ERI ETH GMB GIN GNB LSO LBR MDG MWI MLI MRT MOZ NER "
    "RWA SEN SLE SOM SSD SDN TGO UGA TZA ZMB AFG BGD KHM LAO MMR NPL TLS YEM HTI KIR SLB "
    "TUV".split()
)
LLDC = frozenset(
    "BWA BFA BDI CAF TCD SWZ ETH LSO MWI MLI NER RWA SSD UGA ZMB ZWE AFG BTN KAZ KGZ LAO MNG "
    "NPL TJK TKM UZB ARM AZE MKD MDA BOL PRY".split()
)
SIDS = frozenset(
    "ATG BHS BHR BRB BLZ CPV COM CUB DMA DOM FJI GRD GNB GUY HTI JAM KIR MDV MHL MUS FSM NRU "
    "PLW PNG KNA LCA VCT WSM STP SYC SGP SLB SUR TLS TON TTO TUV VUT "
    "AIA ABW BMU VGB CYM COK CUW PYF GLP MTQ MSR NCL NIU PRI SXM TCA VIR ASM GUM MNP".split()
)

# M49: intermediate region (what country_converter calls UNregion) -> (sub-region, region).
_M49 = {
    "Northern Africa": ("Northern Africa", "Africa"),
    "Eastern Africa": ("Sub-Saharan Africa", "Africa"),
    "Middle Africa": ("Sub-Saharan Africa", "Africa"),
    "Southern Africa": ("Sub-Saharan Africa", "Africa"),
    "Western Africa": ("Sub-Saharan Africa", "Africa"),
    "Caribbean": ("Latin America and the Caribbean", "Americas"),
    "Central America": ("Latin America and the Caribbean", "Americas"),
    "South America": ("Latin America and the Caribbean", "Americas"),
    "Northern America": ("Northern America", "Americas"),
    "Central Asia": ("Central Asia", "Asia"),
    "Eastern Asia": ("Eastern Asia", "Asia"),
    "South-eastern Asia": ("South-eastern Asia", "Asia"),
    "Southern Asia": ("Southern Asia", "Asia"),
    "Western Asia": ("Western Asia", "Asia"),
    "Eastern Europe": ("Eastern Europe", "Europe"),
    "Northern Europe": ("Northern Europe", "Europe"),
    "Southern Europe": ("Southern Europe", "Europe"),
    "Western Europe": ("Western Europe", "Europe"),
    "Australia and New Zealand": ("Australia and New Zealand", "Oceania"),
    "Melanesia": ("Melanesia", "Oceania"),
    "Micronesia": ("Micronesia", "Oceania"),
    "Polynesia": ("Polynesia", "Oceania"),
}
_INTERMEDIATE = {"Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa"} | {
    "Caribbean",
    "Central America",
    "South America",
}

# Codes WDI uses for real territories that country_converter lacks.
_EXTRA_COUNTRIES = [("CHI", None, "Channel Islands", 830, "Northern Europe")]

# World Bank aggregates in WDI (code, name); those wholly inside Africa are also is_africa.
WB_AGGREGATES = {
    "AFE": "Africa Eastern and Southern",
    "AFW": "Africa Western and Central",
    "ARB": "Arab World",
    "CEB": "Central Europe and the Baltics",
    "CSS": "Caribbean small states",
    "EAP": "East Asia & Pacific (excluding high income)",
    "EAR": "Early-demographic dividend",
    "EAS": "East Asia & Pacific",
    "ECA": "Europe & Central Asia (excluding high income)",
    "ECS": "Europe & Central Asia",
    "EMU": "Euro area",
    "EUU": "European Union",
    "FCS": "Fragile and conflict affected situations",
    "HIC": "High income",
    "HPC": "Heavily indebted poor countries (HIPC)",
    "IBD": "IBRD only",
    "IBT": "IDA & IBRD total",
    "IDA": "IDA total",
    "IDB": "IDA blend",
    "IDX": "IDA only",
    "INX": "Not classified",
    "LAC": "Latin America & Caribbean (excluding high income)",
    "LCN": "Latin America & Caribbean",
    "LDC": "Least developed countries: UN classification",
    "LIC": "Low income",
    "LMC": "Lower middle income",
    "LMY": "Low & middle income",
    "LTE": "Late-demographic dividend",
    "MEA": "Middle East, North Africa, Afghanistan & Pakistan",
    "MIC": "Middle income",
    "MNA": "Middle East, North Africa, Afghanistan & Pakistan (excluding high income)",
    "NAC": "North America",
    "OED": "OECD members",
    "OSS": "Other small states",
    "PRE": "Pre-demographic dividend",
    "PSS": "Pacific island small states",
    "PST": "Post-demographic dividend",
    "SAS": "South Asia",
    "SSA": "Sub-Saharan Africa (excluding high income)",
    "SSF": "Sub-Saharan Africa",
    "SST": "Small states",
    "TEA": "East Asia & Pacific (IDA & IBRD countries)",
    "TEC": "Europe & Central Asia (IDA & IBRD countries)",
    "TLA": "Latin America & the Caribbean (IDA & IBRD countries)",
    "TMN": "Middle East, North Africa, Afghanistan & Pakistan (IDA & IBRD)",
    "TSA": "South Asia (IDA & IBRD)",
    "TSS": "Sub-Saharan Africa (IDA & IBRD countries)",
    "UMC": "Upper middle income",
    "WLD": "World",
}
AFRICAN_AGGREGATES = frozenset({"AFE", "AFW", "SSA", "SSF", "TSS"})


def _row(iso3: str, iso2: str | None, name: str, m49: int | None, inter: str | None) -> dict:
    sub_region, region = _M49.get(inter or "", (None, None))
    return {
        "iso3": iso3,
        "iso2": iso2,
        "name": name,
        "m49": m49,
        "region": region,
        "sub_region": sub_region,
        "intermediate_region": inter if inter in _INTERMEDIATE else None,
        "is_africa": region == "Africa",
        "is_ldc": iso3 in LDC,
        "is_lldc": iso3 in LLDC,
        "is_sids": iso3 in SIDS,
        "is_aggregate": False,
    }


def country_rows() -> list[dict]:
    """Every country/territory, then every World Bank aggregate, sorted by iso3."""
    import country_converter as coco
    import pandas as pd

    data = coco.CountryConverter().data
    rows = []
    for rec in data[["ISO3", "ISO2", "name_short", "UNcode", "UNregion"]].itertuples(index=False):
        m49 = None if pd.isna(rec.UNcode) else int(rec.UNcode)
        inter = None if pd.isna(rec.UNregion) else str(rec.UNregion)
        rows.append(_row(str(rec.ISO3), str(rec.ISO2), str(rec.name_short), m49, inter))
    known = {r["iso3"] for r in rows}
    rows += [_row(*extra) for extra in _EXTRA_COUNTRIES if extra[0] not in known]
    for code, name in WB_AGGREGATES.items():
        africa = code in AFRICAN_AGGREGATES
        rows.append(
            {
                **dict.fromkeys(COLUMNS),
                "iso3": code,
                "name": name,
                "region": "Africa" if africa else None,
                "is_africa": africa,
                "is_ldc": False,
                "is_lldc": False,
                "is_sids": False,
                "is_aggregate": True,
            }
        )
    return sorted(rows, key=lambda r: r["iso3"])


def countries() -> pa.Table:
    """The reference table as Arrow (iso2 'NA' is Namibia, never a missing value)."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("iso3", pa.string()),
            ("iso2", pa.string()),
            ("name", pa.string()),
            ("m49", pa.int32()),
            ("region", pa.string()),
            ("sub_region", pa.string()),
            ("intermediate_region", pa.string()),
            ("is_africa", pa.bool_()),
            ("is_ldc", pa.bool_()),
            ("is_lldc", pa.bool_()),
            ("is_sids", pa.bool_()),
            ("is_aggregate", pa.bool_()),
        ]
    )
    return pa.Table.from_pylist(country_rows(), schema=schema)


def write_seed(path: Path = SEED_PATH) -> Path:
    """Write the SQLMesh seed; empty cells are the only nulls (the model disables 'NA' = null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in country_rows():
            writer.writerow(
                {
                    k: ("" if v is None else str(v).lower() if isinstance(v, bool) else v)
                    for k, v in row.items()
                }
            )
    return path


def load_countries(con: Any, uri: str | None = None, table: str = "_ref_countries") -> str:
    """reference.countries as a temp table of `con`; returns the table's name.

    The published table when `uri` is given, else the seed SQLMesh builds it from (only empty
    cells are NULL there: Namibia's `NA` stays).
    """
    if uri:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_parquet(?)", [uri])
        return table
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in TYPES.items())
    # read_csv's option list takes no parameters: the literal is built from TYPES above.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv(?, header = true, "
        f"auto_detect = false, nullstr = '', columns = {{{columns}}})",
        [str(SEED_PATH)],
    )
    return table
