"""Every error the library raises on purpose; the CLI turns them into a message and an exit code."""


class OsaaError(Exception):
    """A failure the user can act on: the message says what and where."""

    exit_code = 1


class ConfigError(OsaaError):
    """Configuration is missing or invalid."""

    exit_code = 2


class LakeError(OsaaError):
    """The lake cannot be read or written (missing path, unreachable S3, bad key)."""

    exit_code = 3


class IngestError(OsaaError):
    """A source file could not be landed; the previous landing stays as it was."""

    exit_code = 4


class TransformError(OsaaError):
    """SQLMesh planning, evaluation or publishing failed."""

    exit_code = 5


class LockError(OsaaError):
    """Another process holds the database or environment this command needs."""

    exit_code = 6


class QualityGateError(OsaaError):
    """An error-severity data-quality check failed: publication must stop."""

    exit_code = 7


class PromotionError(OsaaError):
    """Promotion, backup or restore was refused or could not be verified."""

    exit_code = 8
