"""What the generated sample contains: scales, countries, indicator ids/labels, series SQL.

Kept apart from `sample.py` so the shapes (how many indicators, which years) read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from osaa_lib.transform.reference import WB_AGGREGATES

# World Bank aggregates the sample's WDICSV carries next to countries (names: the reference's).
AGGREGATE_CODES = tuple("AFE AFW ARB EAS ECS HIC LDC LIC LMC MEA SSA SSF UMC WLD".split())
AGGREGATES = tuple((code, WB_AGGREGATES[code]) for code in AGGREGATE_CODES)

WDI_SERIES_HEADER = (
    "Series Code",
    "Topic",
    "Indicator Name",
    "Short definition",
    "Long definition",
    "Unit of measure",
    "Periodicity",
    "Base Period",
    "Other notes",
    "Aggregation method",
    "Limitations and exceptions",
    "Notes from original source",
    "General comments",
    "Source",
    "Statistical concept and methodology",
    "Development relevance",
    "Related source links",
    "Other web links",
    "Related indicators",
    "License Type",
)


@dataclass(frozen=True)
class Scale:
    uis_countries: int
    sdg_indicators: int
    opri_indicators: int
    first_year: int
    sdg_last: int
    opri_last: int
    wdi_last: int
    wdi_first_data: int
    wdi_countries: int
    wdi_indicators: int
    sdg_density: float
    opri_density: float
    wdi_density: float

    def uis_indicators(self, source: str) -> int:
        return self.sdg_indicators if source == "sdg" else self.opri_indicators

    def density(self, source: str) -> float:
        return self.sdg_density if source == "sdg" else self.opri_density


SCALES = {
    "small": Scale(80, 40, 30, 2005, 2024, 2019, 2023, 2000, 86, 60, 0.35, 0.35, 0.45),
    "full": Scale(250, 400, 420, 1970, 2024, 2019, 2023, 1960, 252, 1504, 0.79, 0.84, 0.6),
}


def countries(limit: int) -> list[tuple[str, str, bool, int]]:
    """Real ISO3 codes: every African country/territory first, then the rest by code."""
    import country_converter as coco

    data = coco.CountryConverter().data
    rows = sorted(
        (
            (str(r.ISO3), str(r.name_short), r.continent == "Africa")
            for r in data.itertuples()
            if isinstance(r.ISO3, str) and len(r.ISO3) == 3
        ),
        key=lambda t: (not t[2], t[0]),
    )
    return [(iso3, name, africa, pos) for pos, (iso3, name, africa) in enumerate(rows[:limit])]


_SDG_STEMS = (
    ("GER", "Gross enrolment ratio", "pct"),
    ("NER", "Net enrolment rate", "pct"),
    ("ROFST", "Out-of-school rate", "pct"),
    ("CR", "Completion rate", "pct"),
    ("TRTP", "Proportion of trained teachers", "pct"),
    ("QUTP", "Proportion of qualified teachers", "pct"),
    ("PRYA", "Participation rate of youth and adults in education", "pct"),
    ("EA", "Educational attainment rate", "pct"),
    ("ADMI", "Administration of a learning assessment", "count"),
    ("XUNIT", "Initial government funding per student", "count"),
)
_OPRI_STEMS = (
    ("SAP", "School age population", "count"),
    ("ENRL", "Enrolment", "count"),
    ("REPR", "Repetition rate", "pct"),
    ("SLE", "School life expectancy", "ratio"),
    ("PTR", "Pupil-teacher ratio", "ratio"),
    ("TEACH", "Teachers", "count"),
    ("XGOVEXP", "Government expenditure on education", "count"),
)
_LEVELS = (
    ("1", "primary"),
    ("2", "lower secondary"),
    ("3", "upper secondary"),
    ("02", "pre-primary"),
    ("5T8", "tertiary"),
    ("2T3", "secondary"),
    ("1T3", "primary to upper secondary"),
    ("4", "post-secondary non-tertiary"),
    ("5", "short-cycle tertiary"),
    ("6", "bachelor's"),
)
_SUFFIXES = (
    ("", "both sexes", 1.0),
    (".F", "female", 1.0),
    (".M", "male", 1.0),
    (".GPIA", "adjusted gender parity index", 0.0),
    (".CP", "children", 1.0),
    (".Q1", "poorest quintile", 1.0),
    (".Q5", "richest quintile", 1.0),
    (".RUR", "rural", 1.0),
    (".URB", "urban", 1.0),
    (".LPIA", "location parity index", 0.0),
)
_OPRI_CODES = (
    (10, "Official entrance age to early childhood educational development (years)"),
    (10403, "Start month of the academic school year (tertiary education)"),
    (10404, "End month of the academic school year (tertiary education)"),
    (13, "Official entrance age to primary education (years)"),
    (41918, "Duration of compulsory education (years)"),
)


def uis_indicators(source: str, n: int) -> list[tuple[str, str, str, int]]:
    """(id, label, kind, pos) like UIS: dotted ids; OPRI also has numeric ids such as 10403."""
    stems = _SDG_STEMS if source == "sdg" else _OPRI_STEMS
    lead = " " if source == "sdg" else ""
    out: list[tuple[str, str, str, int]] = []
    if source == "opri":
        for code, label in _OPRI_CODES[: max(1, n // 8)]:
            out.append((str(code), label, "code", len(out)))
    combos = []
    for suffix, sdesc, _ in _SUFFIXES:
        for level, ldesc in _LEVELS:
            for stem, sname, kind in stems:
                ind_kind = "ratio" if "PIA" in suffix else kind
                unit = {"pct": "%", "count": "number", "ratio": "ratio"}[ind_kind]
                label = f"{lead}{sname}, {ldesc}, {sdesc} ({unit})"
                combos.append((f"{stem}.{level}{suffix}", label, ind_kind))
    for i in range(n - len(out)):  # 37 is coprime with 700 and 1000: a spread-out permutation
        out.append((*combos[(i * 37) % len(combos)], len(out)))
    return out


_WDI_TOPICS = (
    ("EG.ELC.ACCS", "Access to electricity", "Environment: Energy production & use", "pct"),
    (
        "EG.CFT.ACCS",
        "Access to clean fuels and technologies for cooking",
        "Environment: Energy production & use",
        "pct",
    ),
    ("SP.POP.TOTL", "Population", "Health: Population: Structure", "count"),
    ("NY.GDP.MKTP", "GDP", "Economic Policy & Debt: National accounts", "count"),
    ("SE.PRM.ENRR", "School enrollment, primary", "Education: Participation", "pct"),
    ("SH.DYN.MORT", "Mortality rate, under-5", "Health: Mortality", "ratio"),
    ("AG.LND.AGRI", "Agricultural land", "Environment: Land use", "pct"),
    ("IT.NET.USER", "Individuals using the Internet", "Infrastructure: Communications", "pct"),
)
_WDI_VARIANTS = (
    ("ZS", "(% of population)"),
    ("RU.ZS", ", rural (% of rural population)"),
    ("UR.ZS", ", urban (% of urban population)"),
    ("FE.ZS", ", female (%)"),
    ("MA.ZS", ", male (%)"),
    ("KD", "(constant 2015 US$)"),
    ("CD", "(current US$)"),
    ("KN", "(constant LCU)"),
    ("CN", "(current LCU)"),
    ("PC.CD", "per capita (current US$)"),
)


def wdi_indicators(n: int) -> list[tuple[str, str, str, int]]:
    """(code, name, kind, pos); codes follow WDI's dotted pattern, numbered beyond the base set."""
    out: list[tuple[str, str, str, int]] = []
    rank = 0
    while len(out) < n:
        for code, name, _topic, kind in _WDI_TOPICS:
            for vcode, vname in _WDI_VARIANTS:
                if len(out) >= n:
                    break
                suffix = f".{vcode}" if rank == 0 else f".{rank}.{vcode}"
                label = f"{name} {vname}" if rank == 0 else f"{name} {rank} {vname}"
                vkind = kind if vcode.endswith("ZS") else "count"
                out.append((f"{code}{suffix}", label, vkind, len(out)))
        rank += 1
    return out


def wdi_series_rows(
    indicators: list[tuple[str, str, str, int]], without: list[str]
) -> list[tuple[str | None, ...]]:
    """The 20-column WDISeries metadata, with long quoted texts holding commas, quotes, newlines."""
    topics = {code: topic for code, _n, topic, _k in _WDI_TOPICS}
    rows: list[tuple[str | None, ...]] = []
    for code, name, kind, pos in indicators:
        if code in without:
            continue
        topic = next((t for p, t in topics.items() if code.startswith(p)), "Other")
        long_def = (
            f"{name} is the share, count or ratio reported by national statistical offices, "
            'compiled by the World Bank. "Missing" values are left empty.'
        )
        relevance = (
            f"Why {name.split(' (')[0].lower()} matters: it tracks progress, compares countries "
            "and regions, and informs policy.\n\nSeries are revised every year; see the "
            "source's notes for breaks in definitions."
        )
        rows.append(
            (
                code,
                topic,
                name,
                None,
                long_def,
                None,
                "Annual",
                None,
                None,
                "Weighted average" if kind != "count" else "Sum",
                "Coverage and definitions differ across countries, so comparisons need care."
                if pos % 2 == 0
                else None,
                None,
                None,
                "World Bank, World Development Indicators.",
                None,
                relevance,
                None,
                None,
                None,
                "CC BY-4.0",
            )
        )
    return rows


def series_rows(
    seed: int, source: str, first: int, last: int, density: float, ncountries: int
) -> str:
    """SQL for the long UIS table: one smooth series (trend + 1% noise) per kept pair."""
    s = f"'{seed}', '{source}'"

    def u(*parts: str) -> str:
        return f"((hash(concat_ws('|', {s}, {', '.join(parts)})) % 1000003) / 1000003.0)"

    span = last - first
    return f"""
    WITH pairs AS (
      SELECT i.indicator_id, i.kind, c.iso3 AS country_id,
             {first} + floor({u("'start'", "i.indicator_id", "c.iso3")} * {span * 0.6})::INT
               AS series_start,
             {last} - floor({u("'end'", "i.indicator_id", "c.iso3")} * 3)::INT AS series_end,
             CASE i.kind
               WHEN 'pct' THEN 5 + 80 * {u("'lvl'", "i.indicator_id", "c.iso3")}
               WHEN 'ratio' THEN 0.6 + 0.8 * {u("'lvl'", "i.indicator_id", "c.iso3")}
               WHEN 'code' THEN 1 + floor(12 * {u("'lvl'", "i.indicator_id", "c.iso3")})
               ELSE pow(10, 3 + 3.5 * {u("'lvl'", "i.indicator_id", "c.iso3")})
             END AS level,
             CASE WHEN i.kind = 'code' THEN 0
                  ELSE ({u("'slope'", "i.indicator_id", "c.iso3")} - 0.35) * 0.03 END AS slope
      FROM ind i CROSS JOIN countries c
      WHERE {u("'keep'", "i.indicator_id", "c.iso3")} < {density} AND c.pos < {ncountries}
    ), offsets AS (
      -- tag = rank in (indicator, country, year) order, from a running sum over the pairs:
      -- the same numbers as row_number() over all rows, without sorting millions of rows
      SELECT *, coalesce(sum(series_end - series_start + 1) OVER (
                  ORDER BY indicator_id, country_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS off
      FROM pairs
    ), years AS (
      SELECT p.*, unnest(range(p.series_start, p.series_end + 1)) AS year FROM offsets p
    )
    SELECT (off + year - series_start + 1)::BIGINT AS tag,
           indicator_id, country_id, year::INT AS year, kind, series_start, series_end,
           CASE WHEN kind = 'code' THEN level
                WHEN kind = 'pct' THEN least(100, level * (1 + slope * (year - 2000))
                     * (1 + 0.02 * ({u("'noise'", "indicator_id", "country_id", "year")} - 0.5)))
                ELSE level * (1 + slope * (year - 2000))
                     * (1 + 0.02 * ({u("'noise'", "indicator_id", "country_id", "year")} - 0.5))
           END AS value,
           NULL::VARCHAR AS raw, '' AS magnitude, '' AS qualifier
    FROM years
    """
