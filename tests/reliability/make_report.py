"""Write RELIABILITY.md from the JSON a run of the suite left (OSAA_RELIABILITY_JSON).

    OSAA_RELIABILITY_JSON=/tmp/rel.json .venv/bin/pytest -q -m reliability tests/reliability
    .venv/bin/python -m tests.reliability.make_report /tmp/rel.json

Nothing here is typed by hand except the defects fixed along the way (FIXED) and the
explanations of each category: every count, result and detail comes from the run.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ORDER = ["bad input", "faults", "concurrency", "security"]
ABOUT = {
    "bad input": (
        "Generated files through `osaa ingest --source <one>` (in-process CLI). Each first lands "
        "a good file, then the bad one: an error must name the file, the line and the problem, "
        "exit 4 with no traceback, and leave the last good landing byte-identical and readable; "
        "a coercion must land every row (rows in = rows landed, counted independently with "
        "Python's csv module) and report each coerced cell with line and column."
    ),
    "faults": (
        "Real `osaa` processes SIGKILLed at a point they were seen to reach (a temp file, the "
        "state file, the promotion's incoming folder or release record), the SeaweedFS server "
        "killed mid-upload, a full tmpfs under the lake, corrupted state files. After each, the "
        "next run must exit 0 and every published table must equal the clean run's (rows and an "
        "order-independent content hash); a differing table counts as a loss."
    ),
    "concurrency": (
        "Processes started together on one workspace: two writers of one environment, two dev "
        "users, readers during a publish, two promotions."
    ),
    "security": (
        "Hostile names and paths, SQL in options and data, prod permission, planted fake "
        "secrets searched in every file (DuckDB files included) and every command output, and "
        "script text from the data in the HTML reports."
    ),
}
NOTES = """## How the cases are made

- **Where processes are killed.** ingest: when the temp folder of `WDICSV` appears (the child's
  `TMPDIR` points into the workspace); transform: when the publish tokens are written, just before
  SQLMesh applies the plan, plus 1 s (and the test checks nothing was published yet); publish:
  when a table's temp Parquet appears; promotion: when `ops/incoming/` holds a staged file
  (staging) or when `qa/_release.json` appears (switch). The whole process group gets SIGKILL.
- **S3 outage.** The SeaweedFS server of `tests/s3_server.py` is SIGKILLed as soon as the first
  published table of `osaa etl` appears in the bucket; it is restarted for the next run.
- **Disk full.** A tmpfs is mounted over the workspace's lake (root needed; without root the case
  is reported as skipped), filled up to 64 KiB free, and `osaa etl --force` runs on it.
- **Corrupted state.** The SQLMesh DuckDB cache gets 8 KiB of garbage over its header, 256 KiB in
  its middle (DuckDB only notices if those blocks are in use: the case notes whether the file was
  set aside), or is truncated to a third; or the side files (`.osaa.json`, the SQLMesh cache
  folder) are overwritten. The check is that the next `osaa etl` succeeds *and* `osaa sql` on the
  cache answers, not merely that the run was skipped as up to date.
- **Equality with the clean run.** Published tables are compared by row count and an
  order-independent content hash (sum of DuckDB row hashes), because Parquet bytes are not stable
  from one write to the next; files that must stay untouched (the last good landing) are compared
  byte for byte (SHA-256). A published table that differs is one *loss*.
- **One workspace path.** The SQLMesh fingerprint contains the landing root, so each test restores a
  snapshot ("raw", or "clean" after one clean `osaa etl`) into the same folder; the clean run is
  built once per session.
- **Planted secrets** (fake): AWS key id and secret, SMTP password, webhook URL; the SMTP server
  and the webhook point to a closed local port, so failure alerts are really attempted.

## Limits

- A marimo notebook as the reader during a publish is not run; notebooks read the published
  Parquet, which the Parquet-reader case covers.
- Without root the disk-full case is skipped (no size-limited fake file system is provided).
- The S3 outage case interrupts the publish uploads; outages during multipart uploads and during a
  promotion are covered by `tests/lake/test_faults.py`.
"""
# Defects found by this suite and fixed in the owning module (file, what, commit message).
FIXED: list[tuple[str, str]] = [
    (
        "osaa_lib/csvread.py",
        "`1e400`, `inf`, `NaN` in a DOUBLE column landed as +-inf/NaN with no reject, and the "
        "quality checks skip non-finite values, so the cell changed silently; now the cell is "
        "NULL and reported as a reject with line and column (case `value_1e400_overflow`, "
        "also `value_inf_and_nan_text`, `wdi_year_cell_1e400`)",
    ),
    (
        "osaa_lib/csvread.py",
        "a 100 MB line was reported as 'unterminated or stray quote' (what DuckDB says when a "
        "line outgrows its buffer); now 'line longer than the reader's maximum' "
        "(case `line_of_100_mb`)",
    ),
    (
        "osaa_lib/csvread.py",
        "a file mixing CRLF and LF line endings was refused as 'unterminated or stray quote' "
        "only; the message now also names mixed line endings when the file has both "
        "(case `mixed_crlf_and_lf_line_endings`; the file is still refused, nothing lost)",
    ),
    (
        "osaa_lib/transform.py",
        "a model that failed to evaluate (e.g. on a truncated landing Parquet) gave only "
        "'SQLMesh apply failed: Plan application failed.'; now each failed model with its own "
        "error, which names the file (case `truncated_landing_parquet_is_named`)",
    ),
    (
        "osaa_lib/transform.py",
        "a SQLMesh cache DuckDB cannot open (garbage header, truncated file) was never noticed: "
        "`osaa etl` said 'up to date', then `osaa sql` failed and `osaa transform -m` crashed "
        "with a traceback; now a cache DuckDB reports as damaged is moved aside "
        "(`<db>.unreadable-<time>`, with a warning) and rebuilt from the lake (cases "
        "`corrupted_state_is_rebuilt[database_header]`, `[database_truncated]`)",
    ),
    (
        "osaa_lib/quality/runner.py",
        "a truncated published Parquet crashed `osaa quality` with a DuckDB traceback ('No "
        "magic bytes found'); now one error naming the table and file, exit 3 "
        "(case `truncated_published_parquet_is_named_by_quality`)",
    ),
]


def _case(nodeid: str) -> str:
    name = nodeid.split("::", 1)[1]
    return name.replace("test_", "", 1)


def _detail(details: dict) -> str:
    parts = []
    for key, value in details.items():
        if key in ("doc", "xfail_reason"):
            continue
        parts.append(f"{key}: {value}")
    text = "; ".join(parts)
    return text.replace("|", "\\|").replace("\n", " ")


def render(doc: dict, command: str) -> str:
    cases = doc["cases"]
    by_cat: dict[str, list[tuple[str, dict]]] = {}
    for nodeid, entry in sorted(cases.items()):
        by_cat.setdefault(entry["category"], []).append((nodeid, entry))
    total = Counter(e["outcome"] for e in cases.values())
    seconds = sum(e["seconds"] for e in cases.values())
    lines = [
        "# Reliability and security figures",
        "",
        f"Generated from the run finished {doc['finished']} (Python {doc['python']}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs) by `tests/reliability/make_report.py`.",
        "",
        "Reproduce:",
        "",
        "```",
        command,
        "```",
        "",
        "or simply `make reliability-report`; `make test-reliability` runs the same suite "
        "without rewriting this file.",
        "",
        "## Summary",
        "",
        "| category | cases | passed | open defects (xfail, strict) | failed | losses |",
        "|---|---|---|---|---|---|",
    ]
    for cat in ORDER + sorted(set(by_cat) - set(ORDER)):
        entries = [e for _, e in by_cat.get(cat, [])]
        if not entries:
            continue
        count = Counter(e["outcome"] for e in entries)
        lost = sum(int(e["details"].get("losses", 0) or 0) for e in entries)
        bad = count["failed"] + count["error"] + count["xpassed"]
        lines.append(
            f"| {cat} | {len(entries)} | {count['passed']} | {count['xfailed']} | {bad} | {lost} |"
        )
    lines += [
        f"| **all** | **{len(cases)}** | **{total['passed']}** | **{total['xfailed']}** | "
        f"**{total['failed'] + total['error'] + total['xpassed']}** | |",
        "",
        f"Total time of the cases: {seconds / 60:.1f} min (including the shared clean run), "
        "measured on a 2-core machine shared with other engineers' test runs; the real SQLMesh "
        "runs (the clean `osaa etl`, each recovery that must rebuild) and the notebooks of the "
        "secrets/report cases are most of it.",
        "",
    ]
    for cat in ORDER + sorted(set(by_cat) - set(ORDER)):
        if cat not in by_cat:
            continue
        lines += [f"## {cat.capitalize()}", "", ABOUT.get(cat, ""), ""]
        lines += ["| case | result | s | what happened |", "|---|---|---|---|"]
        for nodeid, e in by_cat[cat]:
            what = _detail(e["details"])
            doc_line = "" if "[" in nodeid and what else e["details"].get("doc", "")
            text = f"{doc_line} — {what}" if what and doc_line else (what or doc_line)
            lines.append(
                f"| `{_case(nodeid)}` | {e['outcome']} | {e['seconds']:.1f} | "
                f"{text.replace('|', '/')} |"
            )
        lines.append("")
    opened = [(n, e) for n, e in sorted(cases.items()) if e["outcome"] == "xfailed"]
    lines += ["## Open defects", ""]
    if opened:
        lines += [
            "Each is a test marked `xfail(strict=True)`: it fails today and will turn the suite "
            "red (XPASS) as soon as the defect is fixed, so the mark must then be removed.",
            "",
        ]
        lines += [f"- `{_case(n)}`: {e['details'].get('xfail_reason', '')}" for n, e in opened]
    else:
        lines.append("None.")
    lines += ["", "## Defects found and fixed", ""]
    lines += [f"- {where}: {what}" for where, what in FIXED] or ["None."]
    lines += ["", NOTES]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    doc = json.loads(Path(args[0]).read_text())
    command = (
        "OSAA_RELIABILITY_JSON=/tmp/reliability.json .venv/bin/pytest -q -m reliability "
        "tests/reliability\n.venv/bin/python -m tests.reliability.make_report /tmp/reliability.json"
    )
    out = Path(args[1]) if len(args) > 1 else REPO / "RELIABILITY.md"
    out.write_text(render(doc, command))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
