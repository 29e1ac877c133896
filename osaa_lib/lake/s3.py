"""The lake on any S3-compatible store, with the same keys and guarantees as the local lake.

Why the care: a single PUT is atomic, and a multipart upload is invisible until completed, so a
reader sees the old object or the new one, never a partial file. The content SHA-256 travels as
object metadata (`x-amz-meta-sha256`), computed before upload, so checksums match the local
lake's without re-reading; objects written by other tools get it recomputed from the content.
Credentials come from settings when set, else from the standard AWS chain; they never appear in
a message, a repr or a log line.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake.base import TMP_MARK, Lake, ObjectInfo, check_key, sha256_file

log = logging.getLogger(__name__)

MB = 1024 * 1024


def split_root(root: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> (`bucket`, `some/prefix`)."""
    if not root.startswith("s3://"):
        raise LakeError(f"{root!r} is not an s3:// location")
    bucket, _, prefix = root[5:].strip("/").partition("/")
    if not bucket:
        raise LakeError(f"{root!r} names no bucket")
    return bucket, check_key(prefix) if prefix else ""


_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _shared_client(s: Settings) -> Any:
    """One boto3 client per endpoint and identity per process: building one costs ~0.3 s."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {"region_name": s.aws_region}
    if s.s3_endpoint_url:
        kwargs["endpoint_url"] = s.s3_endpoint_url
    if s.aws_access_key_id and s.aws_secret_access_key:
        kwargs["aws_access_key_id"] = s.aws_access_key_id.value
        kwargs["aws_secret_access_key"] = s.aws_secret_access_key.value
        if s.aws_session_token:
            kwargs["aws_session_token"] = s.aws_session_token.value
    ident = hashlib.sha256(repr(sorted(kwargs.items())).encode()).hexdigest()
    with _CLIENTS_LOCK:
        if ident not in _CLIENTS:
            config = Config(
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path" if s.s3_endpoint_url else "auto"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                max_pool_connections=16,
            )
            _CLIENTS[ident] = boto3.session.Session().client("s3", config=config, **kwargs)
        return _CLIENTS[ident]


def _transient(exc: Any) -> bool:
    """Server-side 5xx and throttling are worth another try; 4xx answers are final."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    code = exc.response.get("Error", {}).get("Code", "")
    return status >= 500 or code in ("SlowDown", "Throttling", "RequestTimeout")


class S3Lake(Lake):
    attempts = 4
    backoff = 0.5
    multipart_threshold = 16 * MB
    multipart_chunksize = 8 * MB

    def __init__(self, root: str, settings: Settings):
        self.bucket, self.prefix = split_root(root)
        self.root = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.endpoint = (
            settings.s3_endpoint_url or f"https://s3.{settings.aws_region}.amazonaws.com"
        )
        self._settings = settings
        self._client: Any = None

    def __repr__(self) -> str:
        return f"S3Lake({self.root!r}, endpoint={self.endpoint!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _shared_client(self._settings)
        return self._client

    def _key(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _call(self, what: str, key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one S3 operation: retry connection failures with backoff, translate errors."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )

        where = self.uri(key) if key else self.root
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn(*args, **kwargs)
            except (ConnectionError, HTTPClientError, S3UploadFailedError, ClientError) as exc:
                if isinstance(exc, ClientError) and not _transient(exc):
                    raise self._refused(exc, what, where) from None
                if attempt == self.attempts:
                    if isinstance(exc, ClientError):
                        raise self._refused(exc, what, where) from None
                    raise LakeError(
                        f"S3 endpoint {self.endpoint} unreachable while trying to {what} "
                        f"{where} ({type(exc).__name__}, {self.attempts} attempts)"
                    ) from None
                log.warning(
                    "S3 %s failed (%s), attempt %d/%d; retrying in %.1fs",
                    what,
                    type(exc).__name__,
                    attempt,
                    self.attempts,
                    delay,
                )
                time.sleep(delay)
                delay *= 2
            except NoCredentialsError:
                raise LakeError(
                    f"no AWS credentials found for {self.endpoint} (set AWS_ACCESS_KEY_ID/"
                    "AWS_SECRET_ACCESS_KEY or an AWS profile)"
                ) from None
            except BotoCoreError as exc:
                raise LakeError(
                    f"S3 {what} of {where} failed at {self.endpoint}: {type(exc).__name__}"
                ) from None
        raise AssertionError("unreachable")

    def _refused(self, exc: Any, what: str, where: str) -> LakeError:
        code = exc.response.get("Error", {}).get("Code", "?")
        if code in ("404", "NoSuchKey", "NotFound"):
            return LakeError(f"{where} does not exist")
        if code == "NoSuchBucket":
            return LakeError(f"bucket {self.bucket} does not exist at {self.endpoint}")
        return LakeError(f"S3 refused to {what} {where} at {self.endpoint}: {code}")

    def _head(self, key: str) -> dict[str, Any]:
        return self._call(
            "read", key, self.client.head_object, Bucket=self.bucket, Key=self._key(key)
        )

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except LakeError as exc:
            if "does not exist" in str(exc):
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        base = self._key(prefix) if prefix else self.prefix
        strip = len(self.prefix) + 1 if self.prefix else 0

        def run() -> list[ObjectInfo]:
            out = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    full = obj["Key"]
                    if base and full != base and not full.startswith(base + "/"):
                        continue
                    if full.endswith("/") or TMP_MARK in full.rsplit("/", 1)[-1]:
                        continue
                    modified = obj["LastModified"].astimezone(UTC)
                    out.append(ObjectInfo(full[strip:], obj["Size"], modified))
            return out

        return sorted(self._call("list", prefix, run), key=lambda o: o.key)

    def read_bytes(self, key: str) -> bytes:
        def run() -> bytes:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

        return self._call("read", key, run)

    def write_bytes(self, key: str, data: bytes) -> None:
        sha = hashlib.sha256(data).hexdigest()
        self._call(
            "write",
            key,
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            Metadata={"sha256": sha},
        )

    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create key only if nothing is there (S3 conditional write); False if it exists."""
        from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                IfNoneMatch="*",
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return False
            raise LakeError(f"cannot create {self.uri(key)} at {self.endpoint}") from None
        except (ConnectionError, HTTPClientError) as exc:
            raise LakeError(
                f"S3 endpoint {self.endpoint} unreachable while creating {self.uri(key)} "
                f"({type(exc).__name__})"
            ) from None
        return True

    def _transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=4,
        )

    def put_file(self, local: Path, key: str) -> None:
        if not Path(local).is_file():
            raise LakeError(f"cannot upload {local}: no such file")
        sha = sha256_file(Path(local))
        self._call(
            "upload",
            key,
            self.client.upload_file,
            str(local),
            self.bucket,
            self._key(key),
            ExtraArgs={"Metadata": {"sha256": sha}},
            Config=self._transfer_config(),
        )

    def get_file(self, key: str, local: Path) -> None:
        local = Path(local)
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".{local.name}{TMP_MARK}{os.getpid()}")
        try:
            self._call(
                "download",
                key,
                self.client.download_file,
                self.bucket,
                self._key(key),
                str(tmp),
                Config=self._transfer_config(),
            )
            os.replace(tmp, local)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def copy(self, src: str, dst: str) -> None:
        self.copy_to(src, self, dst)

    def copy_to(self, src: str, other: S3Lake, dst: str) -> None:
        """Server-side copy (also across buckets of one endpoint), checksum metadata kept."""
        sha = self.checksum(src)
        other._call(  # errors name the destination
            f"copy {self.uri(src)} to",
            dst,
            self.client.copy,
            {"Bucket": self.bucket, "Key": self._key(src)},
            other.bucket,
            other._key(dst),
            ExtraArgs={"Metadata": {"sha256": sha}, "MetadataDirective": "REPLACE"},
            Config=self._transfer_config(),
        )

    def delete(self, key: str) -> None:
        self._call("delete", key, self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = [o.key for o in self.list(prefix)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            self._call(
                "delete",
                prefix,
                self.client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
        return len(keys)

    def checksum(self, key: str) -> str:
        sha = self._head(key).get("Metadata", {}).get("sha256")
        return sha if sha else self.content_sha256(key)

    def content_sha256(self, key: str) -> str:
        """SHA-256 recomputed from the bytes on the server: what verification trusts."""

        def run() -> str:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            digest = hashlib.sha256()
            for block in body.iter_chunks(chunk_size=MB):
                digest.update(block)
            return digest.hexdigest()

        return self._call("read", key, run)

    def abort_stale_uploads(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Abort multipart uploads left by killed processes: invisible, but they hold space."""
        cutoff = datetime.now(UTC) - older_than

        def run() -> int:
            done = 0
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for up in page.get("Uploads", []):
                    if up["Initiated"].astimezone(UTC) < cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"]
                        )
                        done += 1
            return done

        return self._call("clean up uploads under", "", run)
