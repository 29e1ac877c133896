#!/opt/venv/bin/python
"""The image's HEALTHCHECK: settings valid and the lake answering a write/read/delete round trip.

The same checks as `osaa config-test`, called through the library rather than the CLI: a check
every few minutes must not add runs to the history, count in the error rate or send alerts.
"""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from osaa_lib.config import load_settings
        from osaa_lib.lake import open_lake, probe

        settings = load_settings()
        where = probe(open_lake(settings), settings.target)
    except Exception as exc:  # any failure is the answer "unhealthy", with its reason
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"healthy: lake round trip at {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
