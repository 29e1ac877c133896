from pathlib import Path

import pytest

from osaa_lib.config import load_settings
from osaa_lib.errors import ConfigError
from osaa_lib.lake import keys


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"OSAA_PROJECT_DIR": str(tmp_path), **extra}


def test_defaults_are_local_dev(tmp_path: Path) -> None:
    s = load_settings(environ=_env(tmp_path), dotenv=tmp_path / "none")
    assert s.target == "dev"
    assert s.lake_root == str(tmp_path / "data" / "lake")
    assert not s.is_s3
    assert keys.staging_prefix(s) == "dev/staging/dev_analyst"
    assert (s.s3_retry_mode, s.s3_max_attempts) == ("standard", 5)


def test_s3_retries_follow_the_aws_variables(tmp_path: Path) -> None:
    env = _env(tmp_path, AWS_RETRY_MODE="Adaptive", AWS_MAX_ATTEMPTS="8")
    s = load_settings(environ=env, dotenv=tmp_path / "none")
    assert (s.s3_retry_mode, s.s3_max_attempts) == ("adaptive", 8)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("TARGET", "staging", "not one of dev, qa, prod"),
        ("USERNAME", "../prod", "not a plain identifier"),
        ("USERNAME", "alice; DROP TABLE x", "not a plain identifier"),
        ("USERNAME", "/etc", "not a plain identifier"),
        ("DUCKDB_THREADS", "many", "not a whole number"),
        ("DUCKDB_MEMORY_LIMIT", "lots", "not a size"),
        ("OSAA_LAKE", "gs://bucket", "only local folders and s3://"),
        ("S3_ENDPOINT_URL", "localhost:9000", "must start with http"),
        ("OSAA_ALLOW_PROD_PROMOTION", "maybe", "not a boolean"),
        ("AWS_RETRY_MODE", "legacy", "not standard or adaptive"),
        ("AWS_MAX_ATTEMPTS", "0", "must be positive"),
    ],
)
def test_invalid_values_are_refused(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ=_env(tmp_path, **{name: value}), dotenv=tmp_path / "none")


def test_environment_alias_and_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "ENVIRONMENT=qa\nS3_BUCKET_NAME=osaa-mvp\nAWS_SECRET_ACCESS_KEY=s3cr3tvalue\n"
    )
    s = load_settings(environ=_env(tmp_path), dotenv=dotenv)
    assert s.target == "qa"
    assert s.lake_root == "s3://osaa-mvp"
    assert keys.staging_prefix(s) == "qa/staging"
    assert "s3cr3tvalue" not in repr(s)
    assert "s3cr3tvalue" not in str(s.redacted())
    assert s.secrets() == ["s3cr3tvalue"]


def test_environment_beats_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TARGET=qa\nUSERNAME=bob\n")
    s = load_settings(environ=_env(tmp_path, TARGET="prod"), dotenv=dotenv)
    assert (s.target, s.username, keys.staging_prefix(s)) == ("prod", "bob", "prod/staging")
