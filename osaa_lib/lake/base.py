"""The lake interface every backend implements, and the key rules both share."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

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
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def checksum(self, key: str) -> str:
        """SHA-256 of the object's content, identical across backends (may come from metadata)."""

    @abstractmethod
    def content_sha256(self, key: str) -> str:
        """SHA-256 recomputed from the stored bytes: what verification trusts."""

    @abstractmethod
    def create_if_absent(self, key: str, data: bytes) -> bool:
        """Create key with data only if nothing is there, atomically across processes and
        machines; False when it exists. Locks are built on it."""

    @abstractmethod
    def abort_interrupted_writes(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove what writes of killed processes left behind (never visible as objects, but
        holding space): temp files on a folder, incomplete multipart uploads on S3."""

    def copy(self, src: str, dst: str) -> None:
        self.copy_to(src, self, dst)

    def copy_to(self, key: str, dst: Lake, dst_key: str, scratch: Path | None = None) -> None:
        """Copy one object into another lake (or this one); atomic at the destination.

        Backends override it with something cheaper (a server-side copy, a local file)."""
        folder = Path(tempfile.mkdtemp(prefix="osaa-xfer-", dir=scratch))
        try:
            local = folder / "object"
            self.get_file(key, local)
            dst.put_file(local, dst_key)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

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
