"""Thresholds and severities from the project's one `quality.toml`, with per-table and
per-indicator overrides, validated when loaded so a typo fails before any data is read."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import ConfigError

CHECKS = (
    "schema",
    "duplicates",
    "empty_keys",
    "null_values",
    "series_holes",
    "vanished_keys",
    "parse_failures",
    "non_measurements",
    "freshness_year",
    "publication_lag",
    "completeness",
    "africa_coverage",
    "unknown_countries",
    "aggregates",
    "unlabelled_indicators",
    "volume_change",
    "schema_change",
    "anomalies",
)
MIN_CHECKS = frozenset({"completeness", "africa_coverage"})
GENERAL_DEFAULTS: dict[str, Any] = {
    "critical_fields": ["indicator_id", "country_id", "year", "value"],
    "non_measurement_magnitudes": ["NA", "NIL", "SUPP", "INCLUDED"],
    "estimate_qualifiers": ["UIS_EST", "NAT_EST", "EST", "E", "ESTIMATE"],
    "break_qualifiers": ["BREAK", "B", "BRK"],
    "failing_rows_cap": 20,
    "sample_rows": 5,
}
ANOMALY_DEFAULTS: dict[str, Any] = {
    "zscore": 3.0,
    "robust_z": 5.0,
    "window": 3,
    "hb_c": 20.0,
    "hb_a": 0.05,
    "hb_u": 0.0,
    "min_points": 5,
    "min_rel_scale": 0.005,
    "max_listed": 500,
}


@dataclass
class QualityConfig:
    path: Path | None = None
    general: dict[str, Any] = field(default_factory=lambda: dict(GENERAL_DEFAULTS))
    anomalies: dict[str, Any] = field(default_factory=lambda: dict(ANOMALY_DEFAULTS))
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    indicators: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def get(self, check: str, key: str, source: str | None = None, default: Any = None) -> Any:
        """A check setting, the table's override winning over the global value."""
        if source is not None and key in self.sources.get(source, {}).get(check, {}):
            return self.sources[source][check][key]
        return self.checks.get(check, {}).get(key, default)

    def severity(self, check: str, source: str | None = None) -> str:
        return self.get(check, "severity", source, "warn")

    def threshold(self, check: str, source: str | None = None) -> float:
        return float(self.get(check, "threshold", source, 0))

    def indicator_overrides(self, check: str, key: str) -> dict[str, Any]:
        """Indicator id -> overridden value of one setting (joined in SQL as a small table)."""
        return {
            ind: checks[check][key]
            for ind, checks in self.indicators.items()
            if key in checks.get(check, {})
        }

    def anomaly(self, key: str) -> Any:
        return self.anomalies[key]


def _validate_check(where: str, name: str, body: Any) -> dict[str, Any]:
    if name not in CHECKS:
        raise ConfigError(f"{where}: unknown check {name!r} (known: {', '.join(CHECKS)})")
    if not isinstance(body, dict):
        raise ConfigError(f"{where}.{name}: expected a table of settings")
    sev = body.get("severity")
    if sev is not None and sev not in ("warn", "error"):
        raise ConfigError(f"{where}.{name}.severity = {sev!r}: use 'warn' or 'error'")
    for key, value in body.items():
        if key == "severity":
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{where}.{name}.{key} = {value!r}: expected a number")
    return dict(body)


def load_config(settings: Settings | None = None, path: Path | None = None) -> QualityConfig:
    """Read the thresholds file (settings.quality_config, unless a path is given)."""
    if path is None:
        path = settings.quality_config if settings else Path.cwd() / "quality.toml"
    cfg = QualityConfig(path=path)
    if not path.is_file():
        cfg.checks = {name: {"severity": "warn", "threshold": 0} for name in CHECKS}
        return cfg
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    unknown = set(raw) - {"general", "checks", "source", "indicator", "anomalies"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    cfg.general.update(raw.get("general", {}))
    for key, value in raw.get("anomalies", {}).items():
        if key not in ANOMALY_DEFAULTS:
            raise ConfigError(f"{path}: [anomalies].{key} is not a known setting")
        cfg.anomalies[key] = value
    cfg.checks = {
        name: _validate_check(f"{path}: [checks]", name, body)
        for name, body in raw.get("checks", {}).items()
    }
    for section, target in (("source", cfg.sources), ("indicator", cfg.indicators)):
        for owner, checks in raw.get(section, {}).items():
            target[owner] = {
                name: _validate_check(f"{path}: [{section}.{owner}]", name, body)
                for name, body in checks.items()
            }
    return cfg
