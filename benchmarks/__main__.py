"""`python -m benchmarks [name ...]`: run the full-scale benchmarks (all by default)."""

from __future__ import annotations

import importlib
import sys

ORDER = ("bench_ingest", "bench_transform", "bench_quality", "bench_notebooks", "bench_lake")


def main(argv: list[str]) -> int:
    names = argv or list(ORDER)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
