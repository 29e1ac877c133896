"""The data lake: one small interface over a local folder and an S3 bucket.

Keys are relative POSIX paths such as `dev/landing/sdg/SDG_LABEL.parquet`; the layout is the
same on both backends. Writes are atomic on both: readers see the old object or the new one,
never a partial file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError

TMP_MARK = ".tmp-"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


def check_key(key: str) -> str:
    """Refuse keys that could escape the lake root or address something odd."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise LakeError(f"invalid lake key {key!r}")
    parts = key.strip("/").split("/")
    if any(p in ("..", ".") or p.strip() != p or not p for p in parts):
        raise LakeError(f"invalid lake key {key!r}: empty, '.' and '..' parts are not allowed")
    return "/".join(parts)


def join(*parts: str) -> str:
    return check_key("/".join(p.strip("/") for p in parts if p))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class Lake(ABC):
    """Object operations the pipeline needs; DuckDB reads and writes through `uri()`."""

    root: str

    @abstractmethod
    def uri(self, key: str) -> str:
        """A location DuckDB can read (`/abs/path` or `s3://bucket/key`)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object below prefix, recursively, sorted by key; temp files excluded."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def put_file(self, local: Path, key: str) -> None:
        """Upload/copy a finished local file to key atomically."""

    @abstractmethod
    def get_file(self, key: str, local: Path) -> None: ...

    @abstractmethod
    def copy(self, src: str, dst: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def checksum(self, key: str) -> str:
        """SHA-256 of the object's content, identical across backends."""

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.writing(key) as tmp:
            tmp.write_bytes(data)

    def delete_prefix(self, prefix: str) -> int:
        objects = self.list(prefix)
        for obj in objects:
            self.delete(obj.key)
        return len(objects)

    @contextmanager
    def writing(self, key: str, scratch: Path | None = None) -> Iterator[Path]:
        """Yield a local temp path to write; on clean exit it becomes `key`, else it vanishes."""
        key = check_key(key)
        folder = Path(tempfile.mkdtemp(prefix="osaa-", dir=scratch))
        tmp = folder / PurePosixPath(key).name
        try:
            yield tmp
            if not tmp.exists():
                raise LakeError(f"nothing was written for {key}")
            self.put_file(tmp, key)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class LocalLake(Lake):
    def __init__(self, root: str | Path):
        self.root = str(Path(root).resolve())

    def _path(self, key: str) -> Path:
        return Path(self.root, check_key(key))

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        base = self._path(prefix) if prefix else Path(self.root)
        if base.is_file():
            candidates = [base]
        elif base.is_dir():
            candidates = [p for p in base.rglob("*") if p.is_file()]
        else:
            return []
        out = []
        for p in candidates:
            if TMP_MARK in p.name:
                continue
            st = p.stat()
            key = p.relative_to(self.root).as_posix()
            out.append(ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        return sorted(out, key=lambda o: o.key)

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise LakeError(f"{self.uri(key)} does not exist")
        return path.read_bytes()

    def put_file(self, local: Path, key: str) -> None:
        dest = self._path(key)
        tmp = dest.with_name(f".{dest.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise LakeError(f"cannot write {dest}: {exc.strerror or exc}") from exc

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(key), local)

    def copy(self, src: str, dst: str) -> None:
        self.put_file(self._path(src), dst)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def checksum(self, key: str) -> str:
        return sha256_file(self._path(key))


def open_lake(settings: Settings, root: str | None = None) -> Lake:
    """The lake for these settings (or another root such as the backup location)."""
    root = root or settings.lake_root
    if root.startswith("s3://"):
        from osaa_lib.lake_s3 import S3Lake

        return S3Lake(root, settings)
    return LocalLake(root)


def probe(lake: Lake, target: str) -> str:
    """Write, read back and delete a small object: proves the lake is reachable and writable."""
    key = join(target, "_probe", f"probe-{uuid.uuid4().hex}.txt")
    payload = f"osaa probe {datetime.now(UTC).isoformat()}".encode()
    lake.write_bytes(key, payload)
    try:
        if lake.read_bytes(key) != payload:
            raise LakeError(f"{lake.uri(key)} read back different content")
    finally:
        lake.delete(key)
    return lake.uri(key)
