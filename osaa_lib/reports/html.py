"""HTML building blocks of the offline reports: escaped text, tables, badges, cards, SVG charts.

Every report must open with no network, so nothing here links a script or a stylesheet: the CSS
is inlined and charts are rendered to SVG by vl-convert. Every value that may come from data goes
through `esc` (an indicator label `<script>` must show as text). Notebook cells wrap the returned
strings in `mo.Html(...)`, which displays as plain HTML both in marimo and in Jupyter.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any


CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;--pass:#1d7d4f;--warn:#b7791f;
--fail:#c53030;--accent:#1f5f99}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff;min-height:100vh}
header.page{border-bottom:3px solid var(--accent);margin-bottom:18px;padding-bottom:8px}
header.page h1{margin:0;font-size:24px}
header.page .sub{color:var(--muted)}
h1,h2,h3{line-height:1.25}
h2{font-size:19px;margin:34px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
p.intro{color:var(--muted);margin:4px 0 12px;max-width:900px}
table.data{border-collapse:collapse;margin:8px 0 16px;font-size:13px;max-width:100%}
table.data th{background:#eef2f7;text-align:left;font-weight:600;position:sticky;top:0}
table.data th,table.data td{border:1px solid var(--line);padding:4px 8px;vertical-align:top}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data tr:nth-child(even) td{background:#fafbfc}
.scroll{overflow-x:auto;max-width:100%}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
color:#fff;background:#52606d;text-transform:uppercase;letter-spacing:.03em}
.badge.pass,.badge.success{background:var(--pass)}.badge.warn{background:var(--warn)}
.badge.fail,.badge.failed,.badge.error{background:var(--fail)}
.badge.quality_failed{background:var(--fail)}
.badge.skip,.badge.running,.badge.unknown,.badge.checks-only{background:#829ab1}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0 18px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px;
background:#fff}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:22px;font-weight:600}
.card .delta{font-size:12px;color:var(--muted)}
.card.pass{border-left:5px solid var(--pass)}.card.warn{border-left:5px solid var(--warn)}
.card.fail{border-left:5px solid var(--fail)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0 14px}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;word-break:break-all}
figure.chart{margin:8px 0 18px}figure.chart figcaption{color:var(--muted);font-size:12px}
.grid{display:flex;flex-wrap:wrap;gap:8px}
.note{background:#fffbea;border-left:4px solid var(--warn);padding:8px 12px;margin:10px 0}
.alert{background:#fff5f5;border-left:4px solid var(--fail);padding:8px 12px;margin:10px 0}
.ok{background:#f0fff4;border-left:4px solid var(--pass);padding:8px 12px;margin:10px 0}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent)}
code.hash{display:inline-block;max-width:17em;word-break:break-all;font-size:11px}
table.data td{min-width:3em}
code,pre{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#f4f5f7;padding:8px;overflow-x:auto;white-space:pre-wrap}
nav.toc{font-size:13px;margin:6px 0 10px}nav.toc a{margin-right:12px;color:var(--accent)}
.cell{margin:0}.prompt{display:none}
.output_error pre,.output_stderr pre{background:#fff5f5;border-left:4px solid var(--fail)}
.input_area pre{background:#f4f5f7;border-left:4px solid var(--accent)}
.ansi-red-fg{color:#c53030}.ansi-green-fg{color:#1d7d4f}.ansi-blue-fg{color:#1f5f99}
.ansi-cyan-fg{color:#0b7285}.ansi-yellow-fg{color:#b7791f}.ansi-bold{font-weight:700}
"""


def esc(value: Any) -> str:
    """Text from data, safe inside HTML elements and attributes."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 3) -> str:
    """A readable, escaped rendering of a cell value (thousands separators, no NaN noise)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return (
            f"{value:,.{digits}g}"
            if abs(value) < 1e-3 or abs(value) >= 1e6
            else (f"{value:,.{digits}f}".rstrip("0").rstrip("."))
        )
    if isinstance(value, datetime):
        return esc(f"{value:%Y-%m-%d %H:%M:%S}")
    if isinstance(value, date):
        return esc(value.isoformat())
    return esc(value)


def delta(value: float | None, previous: float | None, digits: int = 3) -> str:
    """`+12 since last run`, `no change`, or `first run`."""
    if value is None or previous is None:
        return "first run" if previous is None else "—"
    change = value - previous
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "−"
    return f"{sign}{fmt(abs(change), digits)} since last run"


def badge(status: str | None) -> str:
    status = (status or "unknown").lower()
    return f'<span class="badge {esc(status)}">{esc(status)}</span>'


_STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(
    rows: Iterable[Mapping[str, Any]] | Any,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    raw: Iterable[str] = (),
    max_rows: int | None = 200,
    empty: str = "No rows.",
) -> str:
    """An HTML table of dict rows (or a DataFrame); columns in `raw` hold trusted HTML."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        columns = list(columns or rows.columns)
        rows = rows.to_dict("records")
    rows = list(rows)
    if not rows:
        return f'<p class="intro">{esc(empty)}</p>'
    columns = list(columns or rows[0].keys())
    headers = headers or {}
    raw = set(raw)
    head = "".join(f"<th>{esc(headers.get(c, c))}</th>" for c in columns)
    body = []
    for row in rows[: max_rows or len(rows)]:
        cells = []
        for c in columns:
            value = row.get(c)
            if c in raw:
                cells.append(f"<td>{value if value is not None else ''}</td>")
            elif _is_num(value) and "year" in c and float(value).is_integer():
                cells.append(f'<td class="num">{int(value)}</td>')
            elif _is_num(value):
                cells.append(f'<td class="num">{fmt(value)}</td>')
            elif isinstance(value, datetime) or (isinstance(value, str) and _STAMP.match(value)):
                cells.append(f'<td style="white-space:nowrap">{fmt(value)}</td>')
            else:
                cells.append(f"<td>{fmt(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows and len(rows) > max_rows:
        more = f'<p class="intro">Showing {max_rows:,} of {len(rows):,} rows.</p>'
    return (
        f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{more}"
    )


def facts(items: Mapping[str, Any], raw: Iterable[str] = ()) -> str:
    """A definition list of labelled values (the report header)."""
    raw = set(raw)
    parts = [f"<dt>{esc(k)}</dt><dd>{v if k in raw else fmt(v)}</dd>" for k, v in items.items()]
    return f'<dl class="facts">{"".join(parts)}</dl>'


def card(label: str, value: Any, note: str = "", status: str | None = None) -> str:
    cls = f"card {esc(status)}" if status else "card"
    return (
        f'<div class="{cls}"><div class="label">{esc(label)}</div>'
        f'<div class="value">{fmt(value)}</div><div class="delta">{esc(note)}</div></div>'
    )


def cards(items: Iterable[str]) -> str:
    return f'<div class="cards">{"".join(items)}</div>'


def section(title: str, body: str, intro: str = "", anchor: str | None = None) -> str:
    """A titled report section; `intro` says in plain words what the reader is looking at."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    lead = f'<p class="intro">{esc(intro)}</p>' if intro else ""
    return f"<section{ident}><h2>{esc(title)}</h2>{lead}{body}</section>"


def callout(text: str, kind: str = "note") -> str:
    return f'<div class="{esc(kind)}">{esc(text)}</div>'


def toc(entries: Iterable[tuple[str, str]]) -> str:
    links = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in entries)
    return f'<nav class="toc">{links}</nav>'


def svg(chart: Any, caption: str = "") -> str:
    """An altair chart (or Vega-Lite dict) as inline SVG: draws with no script and no network."""
    if isinstance(chart, dict):
        import vl_convert as vlc

        markup = vlc.vegalite_to_svg(chart)
    else:
        from osaa_lib.reports.charts import to_svg

        markup = to_svg(chart)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart">{markup}{cap}</figure>'


def page(title: str, body: str, subtitle: str = "", error: str | None = None) -> str:
    """A complete, self-contained HTML document (inline CSS, no scripts, no external links)."""
    sub = f'<div class="sub">{esc(subtitle)}</div>' if subtitle else ""
    alert = (
        f'<div class="alert"><strong>This run failed:</strong> {esc(error)}</div>' if error else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header class="page"><h1>{esc(title)}</h1>{sub}</header>{alert}{body}'
        "</main></body></html>\n"
    )




def _plain(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return value


def describe(result: Any, title: str = "") -> str:
    """Any result object (a dataclass): its scalar fields as facts, list fields as tables.

    Lets a notebook show a library result whose fields evolve without business logic in cells.
    """
    data = _plain(result)
    if not isinstance(data, Mapping):
        return f"<p>{esc(data)}</p>"
    scalars: dict[str, Any] = {}
    parts = []
    for name, value in data.items():
        if name.startswith("_"):
            continue
        if (
            isinstance(value, list | tuple)
            and value
            and not isinstance(value[0], str | int | float)
        ):
            rows = [_flat(_plain(v)) for v in value]
            parts.append(f"<h3>{esc(name.replace('_', ' '))}</h3>{table(rows)}")
        elif (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) or _plain(v) is not v for v in value.values())
        ):
            rows = [{"name": k, **_flat(_plain(v))} for k, v in value.items()]
            parts.append(f"<h3>{esc(name.replace('_', ' '))}</h3>{table(rows)}")
        elif isinstance(value, list | tuple):
            scalars[name] = ", ".join(map(str, value)) or "—"
        elif isinstance(value, Mapping):
            scalars[name] = ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
        else:
            scalars[name] = value
    head = f"<h3>{esc(title)}</h3>" if title else ""
    return head + facts(scalars) + "".join(parts)


def _flat(row: Any) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        return {"value": row}
    out = {}
    for k, v in row.items():
        if isinstance(v, list | tuple):
            v = "; ".join(map(str, v))
        elif isinstance(v, Mapping):
            v = ", ".join(f"{a}={b}" for a, b in v.items())
        out[k] = v
    return out


def jsonable(value: Any) -> Any:
    """A result object as plain JSON data (dataclasses, paths, dates become dicts and text)."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
