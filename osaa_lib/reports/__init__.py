"""Reports: offline HTML pages (no network, no scripts from elsewhere) of every stage.

`html` holds the building blocks and the page shell, `sections` the quality report's sections,
`data` the small queries they need, `charts` the Vega-Lite charts rendered to inline SVG, `index`
the reports index.
"""

from osaa_lib.reports.html import (
    CSS,
    badge,
    callout,
    card,
    cards,
    delta,
    describe,
    esc,
    facts,
    fmt,
    jsonable,
    page,
    section,
    svg,
    table,
    toc,
)
from osaa_lib.reports.index import collect_runs, index_html, write_index

__all__ = [
    "CSS", "badge", "callout", "card", "cards", "collect_runs", "delta", "describe", "esc", "facts",
    "fmt", "index_html", "jsonable", "page", "section", "svg", "table", "toc", "write_index",
]
