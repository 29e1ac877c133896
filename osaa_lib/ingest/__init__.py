"""Ingest: publishers' CSV files under `raw_dir/<source>/` become typed Parquet in the landing zone.

`ingest()` lands every changed file (skipping unchanged ones by content hash), records a manifest
and rejected cells per file and keeps vintages; `csvread` is the CSV -> Parquet reader itself.
"""

from osaa_lib.ingest.landing import (
    FileResult,
    IngestResult,
    Progress,
    Vintage,
    ingest,
    list_vintages,
    read_manifests,
    read_rejects,
    summary_rows,
)

__all__ = [
    "FileResult", "IngestResult", "Progress", "Vintage", "ingest", "list_vintages",
    "read_manifests", "read_rejects", "summary_rows",
]
