"""The data lake: one interface (`Lake`) over a local folder and an S3 bucket.

Keys are relative POSIX paths such as `dev/landing/sdg/SDG_LABEL.parquet`, built and parsed
only by `osaa_lib.lake.keys`; the layout is the same on both backends. Writes are atomic on
both: readers see the old object or the new one, never a partial file. Promotion, backups and
the storage report build on it (`promote`, `backup`, `sync`, `storage`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake import keys
from osaa_lib.lake.base import TMP_MARK, Lake, ObjectInfo, check_key, join, sha256_file
from osaa_lib.lake.local import LocalLake

__all__ = [
    "TMP_MARK", "Lake", "LocalLake", "ObjectInfo", "check_key", "join", "keys", "open_lake",
    "probe", "sha256_file",
]


def open_lake(settings: Settings, root: str | None = None) -> Lake:
    """The lake for these settings (or another root such as the backup location)."""
    root = root or settings.lake_root
    if root.startswith("s3://"):
        from osaa_lib.lake.s3 import S3Lake

        return S3Lake(root, settings)
    return LocalLake(root)


def probe(lake: Lake, target: str) -> str:
    """Write, read back and delete a small object: proves the lake is reachable and writable."""
    key = keys.probe_key(target, uuid.uuid4().hex)
    payload = f"osaa probe {datetime.now(UTC).isoformat()}".encode()
    lake.write_bytes(key, payload)
    try:
        if lake.read_bytes(key) != payload:
            raise LakeError(f"{lake.uri(key)} read back different content")
    finally:
        lake.delete(key)
    return lake.uri(key)
