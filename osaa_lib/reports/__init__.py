"""Reports: offline HTML pages (no network, no scripts from elsewhere) of every stage.

`templates/` holds the one page shell (`page.html`, which every report extends), the one
stylesheet and the macros of the parts (tables, sections, cards, badges); `html` renders them
with autoescape and offers the parts as functions for notebooks and writers. `sections` are the
quality report's sections, `data` the small queries they need, `charts` the Vega-Lite charts
rendered to inline SVG, `index` the reports index.
"""

from osaa_lib.reports.html import (
    badge,
    callout,
    card,
    cards,
    css,
    delta,
    describe,
    details,
    facts,
    fmt,
    jsonable,
    macro,
    page,
    render,
    render_page,
    section,
    svg,
    table,
    toc,
    write_page,
)
from osaa_lib.reports.index import collect_runs, index_html, write_index

__all__ = [
    "badge", "callout", "card", "cards", "collect_runs", "css", "delta", "describe", "details",
    "facts", "fmt", "index_html", "jsonable", "macro", "page", "render", "render_page", "section",
    "svg", "table", "toc", "write_index", "write_page",
]  # fmt: skip
