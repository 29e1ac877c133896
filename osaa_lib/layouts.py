"""The source layouts the workbench knows, and the seven indicator columns they all map to.

One registry, read by every stage: the CSV reader takes its column types from here, ingest its
landed file names, source discovery its file patterns, the SQLMesh raw, source and master models
their columns and mappings, and the quality engine the columns it requires. A new layout is one
entry here (and, if it needs its own join or pivot, one source model).

File names are matched case-insensitively everywhere: `sdg_data_national.csv` is the same file
as `SDG_DATA_NATIONAL.csv`. A file of a known kind lands under the publisher's spelling (prefix
upper-cased, suffix as published: `SDG_DATA_NATIONAL`, `WDISeries`); any other file keeps its
stem.

Plain dicts and tuples only at module level: the SQLMesh models import these names, and SQLMesh
stores a model's constants by value, so a change here changes the models' fingerprints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The long indicator table every source becomes (`sources.<name>`, `master.indicators`).
INDICATOR_COLUMNS = {
    "indicator_id": "VARCHAR",
    "country_id": "VARCHAR",
    "year": "INTEGER",
    "value": "DOUBLE",
    "magnitude": "VARCHAR",
    "qualifier": "VARCHAR",
    "indicator_description": "VARCHAR",
}
KEY_COLUMNS = ("indicator_id", "country_id", "year")
# What a source must provide; the other indicator columns are NULL when it has none.
REQUIRED_COLUMNS = ("indicator_id", "country_id", "year", "value")
# Any other column of a source travels into master as text in one map column: a MAP is a
# native type in DuckDB, Parquet and Spark, and `extra['unit']` reads the same on both engines.
EXTRA = "extra"
EXTRA_TYPE = "MAP(VARCHAR, VARCHAR)"
SOURCE = "source"
MASTER_COLUMNS = {**INDICATOR_COLUMNS, EXTRA: EXTRA_TYPE, SOURCE: "VARCHAR"}
# Types a published table may have and still pass the quality engine's schema check.
ACCEPTED_TYPES = {
    name: (kind, *{"year": ("BIGINT", "SMALLINT", "HUGEINT"), "value": ("FLOAT",)}.get(name, ()))
    for name, kind in INDICATOR_COLUMNS.items()
}
YEAR_COLUMN = re.compile(r"^\d{4}$")
PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")  # SDG, OPRI, WDI: what names a publisher's set

# Header names (normalised: lower case, `_` for other characters) a long file may use, by
# preference: a file with both `country_code` and `country` takes `country_code` as the id and
# carries `country` as an extra column.
LONG_ALIASES = {
    "indicator_id": ("indicator_id", "indicator_code", "indicator", "series_code", "series_id",
                     "series"),
    "country_id": ("country_id", "country_code", "iso3", "iso_code", "ref_area", "geo_code",
                   "country"),
    "year": ("year", "time_period", "period"),
    "value": ("value", "obs_value"),
    "magnitude": ("magnitude",),
    "qualifier": ("qualifier", "obs_status", "flag"),
    "indicator_description": ("indicator_description", "indicator_label", "indicator_label_en",
                              "indicator_name", "series_name", "series_description", "label",
                              "description"),
}  # fmt: skip


@dataclass(frozen=True)
class FileKind:
    """One file of a layout: how its stem ends, its columns, and its raw model's name."""

    kind: str  # recorded in the ingest manifest
    table: str  # its raw model is `<source>.<table>`
    suffix: str  # the stem's ending as the publisher spells it, matched case-insensitively
    columns: dict[str, str]  # columns every such file has, with their types
    other: str = "VARCHAR"  # the type of any other column
    years: bool = False  # four-digit column names are year columns (DOUBLE)
    exposed: tuple[str, ...] | None = None  # columns the raw model reads (None: all of them)
    # A distinctive suffix (`_DATA_NATIONAL`) names the kind; a common ending (`CSV`, `Series`:
    # `timeseries.csv`) only with the kind's columns in the header.
    strict: bool = True

    def prefix(self, stem: str) -> str | None:
        """`sdg_data_national` -> `SDG` for the UIS data file; None when the stem is not one."""
        if not stem.upper().endswith(self.suffix.upper()):
            return None
        prefix = stem[: -len(self.suffix)]
        return prefix.upper() if PREFIX.match(prefix) else None

    def stem(self, prefix: str) -> str:
        return f"{prefix.upper()}{self.suffix}"

    def types(self, names: list[str]) -> dict[str, str]:
        """Every column of a file of this kind with its type, in header order."""
        out = {}
        for name in names:
            if name in self.columns:
                out[name] = self.columns[name]
            elif self.years and YEAR_COLUMN.match(name):
                out[name] = "DOUBLE"
            else:
                out[name] = self.other
        return out


@dataclass(frozen=True)
class Layout:
    """A set of files that together make one source, and where each indicator column comes from.

    `maps` names `table.column` for each indicator column (None: NULL); `lookup` is the data
    file's column and the second file's key it is joined on. `dropped` columns are
    known and deliberately not carried (the reference holds them); any other column of the
    data file is named in a warning, since the layout's source model does not carry it.
    """

    name: str
    files: tuple[FileKind, ...]
    maps: dict[str, str | None]
    lookup: tuple[str, str]
    dropped: tuple[str, ...] = ()
    description: str = ""
    years: bool = False  # `year` and `value` come from the data file's year columns
    publishers: tuple[str, ...] = ()  # prefixes of the sets we know (each is a source folder)

    @property
    def data(self) -> FileKind:
        return self.files[0]

    def extras(self, data_columns: list[str]) -> list[str]:
        """Columns of a landed data file that this layout does not carry into the source."""
        used = {
            m.split(".", 1)[1] for m in self.maps.values() if m and m.startswith(self.data.table)
        }
        return [
            c
            for c in data_columns
            if c not in used and c not in self.dropped and not (self.years and YEAR_COLUMN.match(c))
        ]


UIS = Layout(
    name="uis",
    files=(
        FileKind(
            "uis_data",
            "data_national",
            "_DATA_NATIONAL",
            # the indicator columns but the description: UIS's layout is the model of ours
            {c: INDICATOR_COLUMNS[c] for c in list(INDICATOR_COLUMNS)[:6]},
        ),
        FileKind(
            "uis_label",
            "label",
            "_LABEL",
            {"indicator_id": "VARCHAR", "indicator_label_en": "VARCHAR"},
        ),
    ),
    maps={
        "indicator_id": "data_national.indicator_id",
        "country_id": "data_national.country_id",
        "year": "data_national.year",
        "value": "data_national.value",
        "magnitude": "data_national.magnitude",
        "qualifier": "data_national.qualifier",
        "indicator_description": "label.indicator_label_en",
    },
    lookup=("indicator_id", "indicator_id"),
    description="UNESCO UIS bulk files: <X>_DATA_NATIONAL (long) and <X>_LABEL (labels by id)",
    publishers=("SDG", "OPRI"),
)

WORLD_BANK = Layout(
    name="wdi",
    files=(
        FileKind(
            "wdi_data",
            "csv",
            "CSV",
            {
                "country_name": "VARCHAR",
                "country_code": "VARCHAR",
                "indicator_name": "VARCHAR",
                "indicator_code": "VARCHAR",
            },
            years=True,
            strict=False,
        ),
        FileKind(
            "wdi_series",
            "series",
            "Series",
            {"series_code": "VARCHAR"},
            exposed=(
                "series_code",
                "topic",
                "indicator_name",
                "short_definition",
                "long_definition",
            ),
            strict=False,
        ),
    ),
    maps={
        "indicator_id": "csv.indicator_code",
        "country_id": "csv.country_code",
        "year": None,  # the year column's name
        "value": None,  # the year column's cell
        "magnitude": None,
        "qualifier": None,
        "indicator_description": "series.long_definition",
    },
    lookup=("indicator_code", "series_code"),
    dropped=("country_name", "indicator_name"),
    description="World Bank bulk files: <X>CSV (wide: one column per year) and <X>Series",
    years=True,
    publishers=("WDI",),
)

LAYOUTS = {layout.name: layout for layout in (UIS, WORLD_BANK)}
# Sources the project always has (`sdg`, `opri`, `wdi`), so models exist before any ingest.
KNOWN_SOURCES = {p.lower(): (lay.name, p) for lay in LAYOUTS.values() for p in lay.publishers}
LONG = "long"


@dataclass(frozen=True)
class Match:
    layout: Layout
    file: FileKind
    prefix: str

    @property
    def stem(self) -> str:
        return self.file.stem(self.prefix)


def match(stem: str, names: list[str] | None = None) -> Match | None:
    """The layout file a stem names (case-insensitively), or None.

    With the file's (normalised) header `names`, a kind of a common ending (`<X>CSV`,
    `<X>Series`) matches only when the header has that kind's columns, unless the prefix is a
    publisher's we know (`WDICSV` lacking a column is a broken World Bank file, not another).
    """
    for layout in LAYOUTS.values():
        for kind in layout.files:
            prefix = kind.prefix(stem)
            if not prefix:
                continue
            loose = not kind.strict and prefix not in layout.publishers
            if names is not None and loose and any(c not in names for c in kind.columns):
                continue
            return Match(layout, kind, prefix)
    return None


def canonical_stem(stem: str, names: list[str] | None = None) -> str:
    """The stem a file lands under: the publisher's spelling for known files, else unchanged."""
    found = match(stem, names)
    return found.stem if found else stem


def needs_header(stem: str) -> bool:
    """Whether `canonical_stem` of this stem depends on the file's header."""
    found = match(stem)
    return found is not None and not (found.file.strict or found.prefix in found.layout.publishers)


def same_file(a: str, b: str) -> bool:
    return canonical_stem(a).lower() == canonical_stem(b).lower()


@dataclass
class LongFile:
    """How the columns of one long-layout file map to the indicator columns."""

    columns: dict[str, str]  # indicator column -> the file's column
    extras: list[str] = field(default_factory=list)  # every other column, in file order


def long_mapping(names: list[str]) -> LongFile | None:
    """A long layout (`country, year, indicator, value[, unit, ...]`) read from a header, or None.

    `names` are normalised header names. Every required indicator column needs one alias.
    """
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for target, aliases in LONG_ALIASES.items():
        found = next((a for a in aliases if a in names and a not in taken), None)
        if found:
            columns[target] = found
            taken.add(found)
    if any(c not in columns for c in REQUIRED_COLUMNS):
        return None
    return LongFile(columns, [n for n in names if n not in taken])


def long_types(names: list[str], mapping: LongFile) -> dict[str, str]:
    """Column types of a long file: the indicator columns' own types, text for the others."""
    by_name = {src: INDICATOR_COLUMNS[target] for target, src in mapping.columns.items()}
    return {n: by_name.get(n, "VARCHAR") for n in names}


def complete_sets(stems: list[str]) -> list[tuple[Layout, str, dict[str, str]]]:
    """Every complete file set of a known layout among a folder's stems.

    Returns (layout, prefix, {table: landed stem}); a set needs all the layout's files.
    """
    found: dict[tuple[str, str], dict[str, str]] = {}
    for stem in stems:
        hit = match(stem)
        if hit:
            found.setdefault((hit.layout.name, hit.prefix), {})[hit.file.table] = stem
    out = []
    for (name, prefix), tables in sorted(found.items()):
        layout = LAYOUTS[name]
        if all(f.table in tables for f in layout.files):
            out.append((layout, prefix, tables))
    return out
