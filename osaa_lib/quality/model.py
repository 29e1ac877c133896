"""Result objects of the quality engine: what a run found, in a shape reports and history share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from osaa_lib.errors import QualityGateError

SEVERITIES = ("warn", "error")
STATUSES = ("pass", "warn", "fail")


@dataclass
class CheckResult:
    """One check over one table; `samples` are a few failing rows as plain dicts."""

    name: str
    source: str
    severity: str
    status: str
    metric: float | None
    threshold: float | None
    failing_count: int
    message: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False
    accept_reason: str | None = None

    @property
    def blocks(self) -> bool:
        """True when this result must stop a publication (error severity, failed, not accepted)."""
        return self.severity == "error" and self.status == "fail" and not self.accepted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Anomaly:
    """A flagged value of one indicator x country series."""

    source: str
    indicator_id: str
    country_id: str
    year: int
    value: float
    method: str
    score: float
    expected: float | None
    priority: float
    annotation: str | None = None
    accepted: bool = False
    accept_reason: str | None = None

    @property
    def alarms(self) -> bool:
        """Worth a reviewer's look: neither explained by an annotation nor accepted."""
        return self.annotation is None and not self.accepted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Metric:
    """A number (or a text such as a schema) measured on a table, kept run after run."""

    source: str
    metric: str
    value: float | None
    indicator_id: str | None = None
    text: str | None = None


@dataclass
class Kpi:
    """A headline figure with its change since the previous run (None on a first run)."""

    source: str
    name: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class QualityResult:
    """Everything a run found. `gate_failed` is what CI and publication act on."""

    run_id: str
    run_at: datetime
    target: str
    space: str
    tables: dict[str, str]
    checks: list[CheckResult]
    anomalies: list[Anomaly]
    metrics: list[Metric]
    profile: Any = None
    kpis: list[Kpi] = field(default_factory=list)
    coverage: Any = None
    previous_run_id: str | None = None
    vintage_diffs: dict[str, Any] = field(default_factory=dict)
    anomaly_count: int = 0
    duration_s: float = 0.0
    saved: bool = False

    @property
    def gate_failed(self) -> bool:
        return any(c.blocks for c in self.checks)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for c in self.checks:
            out[c.status] += 1
        return out

    @property
    def blocking(self) -> list[CheckResult]:
        return [c for c in self.checks if c.blocks]

    @property
    def alarmed(self) -> list[Anomaly]:
        """The anomalies that alarm, in the order the run listed them."""
        return [a for a in self.anomalies if a.alarms]

    def raise_if_failed(self) -> None:
        """The gate: an error-severity check that failed and was not accepted stops publication."""
        if self.gate_failed:
            names = ", ".join(f"{c.source}.{c.name}" for c in self.blocking)
            raise QualityGateError(f"quality gate failed: {names}")

    def check(self, name: str, source: str) -> CheckResult:
        for c in self.checks:
            if c.name == name and c.source == source:
                return c
        raise KeyError(f"no check {name!r} on {source!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_at": self.run_at.isoformat(),
            "target": self.target,
            "space": self.space,
            "tables": self.tables,
            "gate_failed": self.gate_failed,
            "counts": self.counts,
            "anomaly_count": self.anomaly_count,
            "checks": [c.to_dict() for c in self.checks],
            "anomalies": [a.to_dict() for a in self.anomalies],
            "kpis": [
                {
                    "source": k.source,
                    "name": k.name,
                    "value": k.value,
                    "previous": k.previous,
                    "change": k.change,
                }
                for k in self.kpis
            ],
        }
