"""One settings object, built once from environment variables and an optional `.env` file.

Everything downstream receives a `Settings` explicitly; nothing else reads the environment.
Validation happens here so a bad value fails before any data is touched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from osaa_lib.errors import ConfigError

TARGETS = ("dev", "qa", "prod")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PACKAGE_DIR = Path(__file__).resolve().parent


class Secret(str):
    """A string that never shows itself in repr, logs or f-string debug output."""

    def __repr__(self) -> str:
        return "Secret('***')"

    @property
    def value(self) -> str:
        return str.__str__(self)


def _default_project_dir() -> Path:
    repo = PACKAGE_DIR.parent
    return repo if (repo / "sqlMesh").is_dir() else Path.cwd()


def _bool(name: str, raw: str | None, default: bool = False) -> bool:
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false)")


def _int(name: str, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive")
    return value


def validate_identifier(kind: str, value: str) -> str:
    """Names that end up in paths, schema names and SQL must be plain identifiers."""
    low = value.strip().lower()
    if not IDENTIFIER.match(low):
        raise ConfigError(
            f"{kind} {value!r} is not a plain identifier: use a letter followed by up to 31 "
            "letters, digits or underscores (no '/', '.', spaces or quotes)"
        )
    return low


def space_of(target: str, username: str) -> str:
    """Dev work is per analyst (`dev_<username>`); qa and prod are shared (the target itself).

    It names an analyst's SQLMesh database, run records and lake space; where that space lies
    in the lake is `osaa_lib.lake.keys`' business, not the settings'.
    """
    return f"dev_{username}" if target == "dev" else target


@dataclass(frozen=True)
class Settings:
    target: str = "dev"
    username: str = "analyst"
    project_dir: Path = field(default_factory=_default_project_dir)
    lake_root: str = ""
    raw_dir: Path = Path("data/raw")
    state_dir: Path = Path("data/state")
    reports_dir: Path = Path("reports")
    log_dir: Path = Path("logs")
    quality_config: Path = Path("quality.toml")
    backup_root: str = ""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    aws_access_key_id: Secret | None = None
    aws_secret_access_key: Secret | None = None
    aws_session_token: Secret | None = None
    s3_retry_mode: str = "standard"
    s3_max_attempts: int = 5
    allow_prod_promotion: bool = False
    duckdb_memory_limit: str | None = None
    duckdb_threads: int | None = None
    duckdb_temp_directory: str | None = None
    duckdb_preserve_insertion_order: bool = False
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: Secret | None = None
    smtp_from: str = "osaa-pipeline@localhost"
    alert_email_to: str | None = None
    alert_webhook_url: Secret | None = None
    log_level: str = "INFO"

    @property
    def is_s3(self) -> bool:
        return self.lake_root.startswith("s3://")

    @property
    def space(self) -> str:
        """Whose work this is: `dev_<username>` in dev, else the target itself."""
        return space_of(self.target, self.username)

    @property
    def sqlmesh_dir(self) -> Path:
        return self.project_dir / "sqlMesh"

    def secrets(self) -> list[str]:
        """Every secret value set, so outputs can be checked or scrubbed for them."""
        return [
            getattr(self, f.name).value
            for f in fields(self)
            if isinstance(getattr(self, f.name), Secret) and getattr(self, f.name)
        ]

    def redacted(self) -> dict[str, str]:
        """The effective configuration as text, safe to print: secrets show only whether set."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                out[f.name] = "***set***" if value else "(not set)"
            elif value is None or value == "":
                out[f.name] = "(not set)"
            else:
                out[f.name] = str(value)
        return out


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` without touching os.environ, so tests and processes stay independent."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = None, **overrides: object
) -> Settings:
    """Build and validate settings: explicit overrides > environment > `.env` > defaults."""
    env = dict(os.environ if environ is None else environ)
    project_dir = Path(env.get("OSAA_PROJECT_DIR") or _default_project_dir()).resolve()
    values = read_dotenv(dotenv if dotenv is not None else project_dir / ".env")
    values.update(env)

    def get(*names: str, default: str | None = None) -> str | None:
        for name in names:
            if values.get(name) not in (None, ""):
                return values[name]
        return default

    target = (get("TARGET", "ENVIRONMENT", default="dev") or "dev").strip().lower()
    if target not in TARGETS:
        raise ConfigError(f"TARGET={target!r} is not one of {', '.join(TARGETS)}")
    username = validate_identifier(
        "USERNAME", str(overrides.pop("username", None) or get("USERNAME", default="analyst"))
    )

    def local(name: str, default: str) -> Path:
        path = Path(get(name, default=default) or default).expanduser()
        return path if path.is_absolute() else project_dir / path

    bucket = get("S3_BUCKET", "S3_BUCKET_NAME")
    lake_root = get("OSAA_LAKE") or (f"s3://{bucket}" if bucket else "data/lake")
    if lake_root.startswith("s3://"):
        bucket_part = lake_root[5:].split("/", 1)[0]
        if not bucket_part:
            raise ConfigError(f"OSAA_LAKE={lake_root!r} names no bucket")
        bucket = bucket_part
        lake_root = lake_root.rstrip("/")
    elif "://" in lake_root:
        raise ConfigError(f"OSAA_LAKE={lake_root!r}: only local folders and s3:// are supported")
    else:
        lake_root = str(local("OSAA_LAKE", lake_root))
    backup_root = get("OSAA_BACKUP_ROOT") or f"{lake_root}/backups"
    if not backup_root.startswith("s3://"):
        backup_root = str(local("OSAA_BACKUP_ROOT", backup_root))

    endpoint = get("S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    if endpoint and not re.match(r"^https?://[^\s/]+", endpoint):
        raise ConfigError(f"S3_ENDPOINT_URL={endpoint!r} must start with http:// or https://")

    def secret(*names: str) -> Secret | None:
        raw = get(*names)
        return Secret(raw) if raw else None

    retry_mode = (get("AWS_RETRY_MODE", default="standard") or "standard").strip().lower()
    if retry_mode not in ("standard", "adaptive"):
        raise ConfigError(f"AWS_RETRY_MODE={retry_mode!r} is not standard or adaptive")

    level = (get("OSAA_LOG_LEVEL", "LOG_LEVEL", default="INFO") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"OSAA_LOG_LEVEL={level!r} is not DEBUG, INFO, WARNING or ERROR")
    memory = get("DUCKDB_MEMORY_LIMIT")
    if memory and not re.match(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$", memory, re.I):
        raise ConfigError(f"DUCKDB_MEMORY_LIMIT={memory!r} is not a size such as 4GB or 512MB")

    settings = Settings(
        target=target,
        username=username,
        project_dir=project_dir,
        lake_root=lake_root,
        raw_dir=local("OSAA_RAW_DIR", "data/raw"),
        state_dir=local("OSAA_STATE_DIR", "data/state"),
        reports_dir=local("OSAA_REPORTS_DIR", "reports"),
        log_dir=local("OSAA_LOG_DIR", "logs"),
        quality_config=local("OSAA_QUALITY_CONFIG", "quality.toml"),
        backup_root=backup_root,
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        aws_region=get("AWS_DEFAULT_REGION", "AWS_REGION", default="us-east-1") or "us-east-1",
        aws_access_key_id=secret("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=secret("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=secret("AWS_SESSION_TOKEN"),
        s3_retry_mode=retry_mode,
        s3_max_attempts=_int("AWS_MAX_ATTEMPTS", get("AWS_MAX_ATTEMPTS")) or 5,
        allow_prod_promotion=_bool("OSAA_ALLOW_PROD_PROMOTION", get("OSAA_ALLOW_PROD_PROMOTION")),
        duckdb_memory_limit=memory,
        duckdb_threads=_int("DUCKDB_THREADS", get("DUCKDB_THREADS")),
        duckdb_temp_directory=get("DUCKDB_TEMP_DIRECTORY"),
        duckdb_preserve_insertion_order=_bool(
            "DUCKDB_PRESERVE_INSERTION_ORDER", get("DUCKDB_PRESERVE_INSERTION_ORDER")
        ),
        smtp_host=get("SMTP_HOST"),
        smtp_port=_int("SMTP_PORT", get("SMTP_PORT")) or 25,
        smtp_user=get("SMTP_USER"),
        smtp_password=secret("SMTP_PASSWORD"),
        smtp_from=get("SMTP_FROM", default="osaa-pipeline@localhost") or "",
        alert_email_to=get("ALERT_EMAIL_TO"),
        alert_webhook_url=secret("ALERT_WEBHOOK_URL"),
        log_level=level,
    )
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)  # type: ignore[arg-type]
        if settings.target not in TARGETS:
            raise ConfigError(f"target {settings.target!r} is not one of {', '.join(TARGETS)}")
    return settings
