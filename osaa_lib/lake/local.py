"""The lake on a local folder, with atomic writes by rename in the same directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from osaa_lib.errors import LakeError
from osaa_lib.lake.base import TMP_MARK, Lake, ObjectInfo, check_key, sha256_file


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
