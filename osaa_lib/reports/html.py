"""The one HTML path of the reports: Jinja2 templates with autoescape, and thin functions over them.

Every report must open with no network, so nothing links a script or a stylesheet: the page
template (`templates/page.html`) inlines the one stylesheet and charts are inline SVG rendered
by vl-convert. Autoescape escapes every value that reaches a template; the only `Markup` is our
own output (rendered templates and macros, vl-convert's SVG, nbconvert's rendering of a
notebook), so markup passes between the building blocks and any plain string, such as an
indicator label `<script>`, shows as text. Notebook cells wrap the returned markup in
`mo.Html(...)`, which displays as HTML both in marimo and in Jupyter.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

PAGE = "page.html"
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


@cache
def environment() -> Environment:
    """The templates of `osaa_lib/reports/templates`, autoescaped, strict about unknown names."""
    env = Environment(
        loader=PackageLoader("osaa_lib.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(fmt=fmt, slug=slug)
    env.globals.update(tabulate=tabulate)
    return env


def render(template: str, **context: Any) -> Markup:
    """A fragment template rendered: markup to embed in a page or a notebook cell."""
    return Markup(environment().get_template(template).render(**context).strip())


def render_page(
    template: str,
    title: str,
    subtitle: str = "",
    error: str | None = None,
    generated: datetime | None = None,
    **context: Any,
) -> str:
    """A complete, self-contained document from a template that extends the page shell."""
    when = (generated or datetime.now(UTC)).astimezone(UTC)
    return environment().get_template(template).render(
        title=title, subtitle=subtitle, error=error,
        generated=f"{when:%Y-%m-%d %H:%M:%S}", **context,
    )  # fmt: skip


def page(title: str, body: Any, subtitle: str = "", error: str | None = None) -> str:
    """`body` (markup of the building blocks) in the page shell; plain text in it is escaped."""
    return render_page(PAGE, title, subtitle, error, body=body)


def write_page(path: Path, document: str) -> Path:
    """Write a report so that readers never see half a page: a temp file, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    try:
        tmp.write_text(document, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def css() -> str:
    """The reports' one stylesheet (for output shown outside a page, e.g. in a notebook)."""
    return environment().loader.get_source(environment(), "report.css")[0]


def macro(name: str, template: str = "macros.html") -> Any:
    """A macro of a template, callable from Python; it returns markup."""
    return getattr(environment().get_template(template).module, name)


def slug(value: Any) -> str:
    """A status or kind as one CSS class name (`no data` -> `no-data`)."""
    return re.sub(r"[^a-z0-9_-]+", "-", str(value).strip().lower()) or "unknown"


def fmt(value: Any, digits: int = 3) -> Markup:
    """A readable rendering of a cell value (thousands separators, no NaN noise), escaped."""
    if hasattr(value, "__html__"):
        return Markup(value)
    if value is None:
        return Markup("—")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    if isinstance(value, int):
        return Markup(f"{value:,}")
    if isinstance(value, float):
        if math.isnan(value):
            return Markup("—")
        if value.is_integer() and abs(value) < 1e15:
            return Markup(f"{int(value):,}")
        return Markup(
            f"{value:,.{digits}g}"
            if abs(value) < 1e-3 or abs(value) >= 1e6
            else (f"{value:,.{digits}f}".rstrip("0").rstrip("."))
        )
    if isinstance(value, datetime):
        return escape(f"{value:%Y-%m-%d %H:%M:%S}")
    if isinstance(value, date):
        return escape(value.isoformat())
    return escape(value)


def delta(value: float | None, previous: float | None, digits: int = 3) -> str:
    """`+12 since last run`, `no change`, or `first run`."""
    if value is None or previous is None:
        return "first run" if previous is None else "—"
    change = value - previous
    if change == 0:
        return "no change"
    sign = "+" if change > 0 else "−"
    return f"{sign}{fmt(abs(change), digits)} since last run"


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _records(rows: Any) -> list[Mapping[str, Any]]:
    """Rows of a DataFrame, pyarrow table or iterable of dicts/dataclasses, as mappings."""
    if rows is None:
        return []
    if hasattr(rows, "to_pylist"):
        return rows.to_pylist()
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        return rows.to_dict("records")
    return [_plain(r) for r in rows]


def tabulate(
    rows: Any,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_rows: int | None = 200,
    num: Iterable[str] = (),
) -> dict[str, Any]:
    """What the `table` macro draws: header names and (css class, shown text) per cell."""
    if columns is None and hasattr(rows, "columns") and not hasattr(rows, "to_pylist"):
        columns = list(rows.columns)
    elif columns is None and hasattr(rows, "column_names"):
        columns = list(rows.column_names)
    records = _records(rows)
    columns = list(columns or (records[0].keys() if records else []))
    headers = headers or {}
    num = set(num)
    body = []
    for row in records[: max_rows or len(records)]:
        cells = []
        for c in columns:
            value = row.get(c)
            if _is_num(value) and "year" in c and float(value).is_integer():
                cells.append(("num", str(int(value))))
            elif _is_num(value) or c in num:
                cells.append(("num", fmt(value)))
            elif isinstance(value, datetime) or (isinstance(value, str) and _STAMP.match(value)):
                cells.append(("stamp", fmt(value)))
            else:
                cells.append(("", fmt(value)))
        body.append(cells)
    return {"head": [headers.get(c, c) for c in columns], "rows": body, "total": len(records)}


def table(
    rows: Iterable[Mapping[str, Any]] | Any,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_rows: int | None = 200,
    empty: str = "No rows.",
    num: Iterable[str] = (),
) -> Markup:
    """A table of dict rows (or a DataFrame); cells that are markup (a badge) stay markup."""
    return macro("table")(rows, columns, headers, max_rows, empty, tuple(num))


def badge(status: str | None) -> Markup:
    return macro("badge")(status)


def facts(items: Mapping[str, Any]) -> Markup:
    """A definition list of labelled values (the report header)."""
    return macro("facts")(items)


def card(label: str, value: Any, note: str = "", status: str | None = None) -> Markup:
    return macro("card")(label, value, note, status)


def cards(items: Iterable[Any]) -> Markup:
    return macro("cards")(list(items))


def section(title: str, body: Any, intro: str = "", anchor: str | None = None) -> Markup:
    """A titled report section; `intro` says in plain words what the reader is looking at."""
    return macro("section")(title, body, intro, anchor)


def details(summary: str, body: Any) -> Markup:
    """Content folded under a summary line (the reader opens it)."""
    return macro("details")(summary, body)


def callout(text: str, kind: str = "note") -> Markup:
    return macro("callout")(text, kind)


def toc(entries: Iterable[tuple[str, str]]) -> Markup:
    return macro("toc")(list(entries))


def svg(chart: Any, caption: str = "") -> Markup:
    """A chart (altair or Vega-Lite) as a figure of inline SVG with its caption."""
    from osaa_lib.reports.charts import to_svg

    return macro("figure")(to_svg(chart), caption)


def _plain(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return value


def describe(result: Any, title: str = "") -> Markup:
    """Any result object (a dataclass): its scalar fields as facts, list fields as tables.

    Lets a notebook show a library result whose fields evolve without business logic in cells.
    """
    data = _plain(result)
    if not isinstance(data, Mapping):
        return render("describe.html", title=title, scalars=None, tables=[], text=data)
    scalars: dict[str, Any] = {}
    tables = []
    for name, value in data.items():
        if name.startswith("_"):
            continue
        if (
            isinstance(value, list | tuple)
            and value
            and not isinstance(value[0], str | int | float)
        ):
            tables.append((name.replace("_", " "), [_flat(_plain(v)) for v in value]))
        elif (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) or _plain(v) is not v for v in value.values())
        ):
            rows = [{"name": k, **_flat(_plain(v))} for k, v in value.items()]
            tables.append((name.replace("_", " "), rows))
        elif isinstance(value, list | tuple):
            scalars[name] = ", ".join(map(str, value)) or "—"
        elif isinstance(value, Mapping):
            scalars[name] = ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
        else:
            scalars[name] = value
    return render("describe.html", title=title, scalars=scalars, tables=tables, text=None)


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
