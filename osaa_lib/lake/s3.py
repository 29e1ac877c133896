"""The lake on any S3-compatible store, with the same keys and guarantees as the local lake.

Why the care: a single PUT is atomic, and a multipart upload is invisible until completed, so a
reader sees the old object or the new one, never a partial file. The content SHA-256 travels as
object metadata (`x-amz-meta-sha256`), computed before upload, so checksums match the local
lake's without re-reading; objects written by other tools get it recomputed from the content.
Credentials come from settings when set, else from the standard AWS chain; they never appear in
a message, a repr or a log line.

Retries are botocore's own (`standard` or `adaptive` mode, `AWS_RETRY_MODE`/`AWS_MAX_ATTEMPTS`):
connection failures, 5xx answers and throttling are retried with jittered exponential backoff,
each request on its own (so one part of a multipart upload, not the whole file); boto3's managed
transfers add their own retries of interrupted downloads. What is left is translated here into
one `LakeError` that names the endpoint, the object and what S3 said, and a refusal (access
denied, bad credentials, no such bucket) is reported as such at once, never retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake.base import TMP_MARK, Lake, ObjectInfo, check_key, sha256_file

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
NOT_FOUND = ("404", "NoSuchKey", "NotFound")
DENIED = ("AccessDenied", "403", "Forbidden", "AllAccessDisabled")
BAD_CREDENTIALS = (
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
    "TokenRefreshRequired",
)  # fmt: skip
EXISTS = ("PreconditionFailed", "412", "ConditionalRequestConflict")


def _shared_client(s: Settings) -> Any:
    """One boto3 client per endpoint, identity and retry policy per process: building one costs
    ~0.3 s."""
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
    retries = {"mode": s.s3_retry_mode, "total_max_attempts": s.s3_max_attempts}
    ident = hashlib.sha256(repr((sorted(kwargs.items()), retries)).encode()).hexdigest()
    with _CLIENTS_LOCK:
        if ident not in _CLIENTS:
            config = Config(
                retries=retries,  # type: ignore[arg-type]
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path" if s.s3_endpoint_url else "auto"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                max_pool_connections=16,
            )
            _CLIENTS[ident] = boto3.session.Session().client("s3", config=config, **kwargs)
        return _CLIENTS[ident]


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", "?"))


class _Digest:
    """A write-only sink that hashes what a managed download hands it, in order."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def write(self, block: bytes) -> int:
        self.sha.update(block)
        return len(block)


class S3Lake(Lake):
    multipart_threshold = 16 * MB
    multipart_chunksize = 8 * MB

    def __init__(self, root: str, settings: Settings):
        self.bucket, self.prefix = split_root(root)
        self.root = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.endpoint = (
            settings.s3_endpoint_url or f"https://s3.{settings.aws_region}.amazonaws.com"
        )
        self.attempts = settings.s3_max_attempts
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
        """Run one S3 operation (botocore retries what is worth retrying); translate errors."""
        from boto3.exceptions import RetriesExceededError, S3UploadFailedError
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
        )

        where = self.uri(key) if key else self.root
        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            raise self._refused(exc, what, where) from None
        except S3UploadFailedError as exc:  # boto3 wraps the ClientError of a managed upload
            cause = exc.__context__
            if isinstance(cause, ClientError):
                raise self._refused(cause, what, where) from None
            raise LakeError(f"S3 {what} of {where} failed at {self.endpoint}") from None
        except (ConnectionError, HTTPClientError, RetriesExceededError) as exc:
            raise LakeError(
                f"S3 endpoint {self.endpoint} unreachable while trying to {what} "
                f"{where} ({type(exc).__name__}, {self.attempts} attempts)"
            ) from None
        except NoCredentialsError:
            raise LakeError(
                f"no AWS credentials found for {self.endpoint} (set AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY or an AWS profile)"
            ) from None
        except BotoCoreError as exc:
            raise LakeError(
                f"S3 {what} of {where} failed at {self.endpoint}: {type(exc).__name__}"
            ) from None

    def _refused(self, exc: Any, what: str, where: str) -> LakeError:
        code = _code(exc)
        action = getattr(exc, "operation_name", None) or what
        if code in NOT_FOUND:
            return LakeError(f"{where} does not exist")
        if code == "NoSuchBucket":
            return LakeError(f"bucket {self.bucket} does not exist at {self.endpoint}")
        if code in DENIED:
            return LakeError(
                f"AccessDenied: S3 at {self.endpoint} refused {action} on bucket {self.bucket} "
                f"(trying to {what} {where}); these credentials lack that permission"
            )
        if code in BAD_CREDENTIALS:
            return LakeError(
                f"{code}: S3 at {self.endpoint} rejected the credentials for {action} on bucket "
                f"{self.bucket}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile"
            )
        tries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0
        after = f" after {tries + 1} attempts" if tries else ""
        return LakeError(f"S3 refused to {what} {where} at {self.endpoint}: {code}{after}")

    def _head(self, key: str) -> dict[str, Any]:
        return self._call(
            "read", key, self.client.head_object, Bucket=self.bucket, Key=self._key(key)
        )

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        def run() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if _code(exc) in NOT_FOUND:
                    return False
                raise
            return True

        return self._call("read", key, run)

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

    def create_if_absent(self, key: str, data: bytes) -> bool:
        """An S3 conditional write (`If-None-Match: *`)."""
        from botocore.exceptions import ClientError

        def run() -> bool:
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=data,
                    IfNoneMatch="*",
                    Metadata={"sha256": hashlib.sha256(data).hexdigest()},
                )
            except ClientError as exc:
                if _code(exc) in EXISTS:
                    return False
                raise
            return True

        return self._call("create", key, run)

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

    def copy_to(self, key: str, dst: Lake, dst_key: str, scratch: Path | None = None) -> None:
        """Server-side within one endpoint (across buckets too), checksum metadata kept."""
        if not (isinstance(dst, S3Lake) and dst.endpoint == self.endpoint):
            super().copy_to(key, dst, dst_key, scratch)
            return
        sha = self.checksum(key)
        dst._call(  # errors name the destination
            f"copy {self.uri(key)} to",
            dst_key,
            self.client.copy,
            {"Bucket": self.bucket, "Key": self._key(key)},
            dst.bucket,
            dst._key(dst_key),
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
        """Hashed from the bytes the server returns, through a managed download (ranged GETs
        in parallel, interrupted ones retried), never from the metadata."""
        sink = _Digest()
        self._call(
            "read",
            key,
            self.client.download_fileobj,
            self.bucket,
            self._key(key),
            sink,
            Config=self._transfer_config(),
        )
        return sink.sha.hexdigest()

    def abort_interrupted_writes(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Abort multipart uploads left by killed processes: invisible, but they hold space."""
        cutoff = datetime.now(UTC) - older_than

        def run() -> int:
            done = 0
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
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
