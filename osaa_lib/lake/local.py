"""The lake on a local folder, with atomic writes by rename in the same directory.

A write goes to a hidden temp file next to its target (`.<name>.tmp-<hex>`), is flushed to disk,
then renamed over the target; `create_if_absent` links the finished temp file instead, which
fails when the target exists. Either way a reader sees the whole old file or the whole new one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
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

    @staticmethod
    def _temp_for(dest: Path) -> Path:
        return dest.with_name(f".{dest.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")

    @staticmethod
    def _fill(tmp: Path, local: Path | None = None, data: bytes = b"") -> None:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        if local is not None:
            shutil.copyfile(local, tmp)
        else:
            tmp.write_bytes(data)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())

    def put_file(self, local: Path, key: str) -> None:
        dest = self._path(key)
        tmp = self._temp_for(dest)
        try:
            self._fill(tmp, local)
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise LakeError(f"cannot write {dest}: {exc.strerror or exc}") from exc

    def create_if_absent(self, key: str, data: bytes) -> bool:
        dest = self._path(key)
        tmp = self._temp_for(dest)
        try:
            self._fill(tmp, data=data)
            os.link(tmp, dest)  # fails if dest exists: no window with a partial file
        except FileExistsError:
            return False
        except OSError as exc:
            raise LakeError(f"cannot create {dest}: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        return True

    def get_file(self, key: str, local: Path) -> None:
        path = self._path(key)
        if not path.is_file():
            raise LakeError(f"{path} does not exist")
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, local)

    def copy_to(self, key: str, dst: Lake, dst_key: str, scratch: Path | None = None) -> None:
        path = self._path(key)
        if not path.is_file():
            raise LakeError(f"{path} does not exist")
        dst.put_file(path, dst_key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def checksum(self, key: str) -> str:
        path = self._path(key)
        if not path.is_file():
            raise LakeError(f"{path} does not exist")
        return sha256_file(path)

    def content_sha256(self, key: str) -> str:
        return self.checksum(key)

    def abort_interrupted_writes(self, older_than: timedelta = timedelta(hours=1)) -> int:
        cutoff = (datetime.now(UTC) - older_than).timestamp()
        done = 0
        for path in Path(self.root).rglob(f"*{TMP_MARK}*"):
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    done += 1
        return done
