import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Indicator explorer")

with app.setup:
    import marimo as mo

    from osaa_lib import notebooks, reports
    from osaa_lib.notebooks import explore


@app.cell
def _():
    mo.md("""
    # Indicator explorer

    Find indicators in the published `master.indicators` by id or label, pick countries or a
    region (Africa and its sub-regions, African LDCs, LLDCs and SIDS, from the country
    reference), and compare them: a time series per indicator, the latest value per country,
    the data table, and a CSV export of exactly what is selected.
    """)
    return


@app.cell
def parameters():
    target = ""
    username = ""
    sources = []
    run_id = ""
    search = ""
    indicators = []
    region = "Africa"
    countries = []
    export_csv = ""
    return (
        countries,
        export_csv,
        indicators,
        region,
        run_id,
        search,
        sources,
        target,
        username,
    )


@app.cell
def _(
    countries,
    export_csv,
    indicators,
    region,
    run_id,
    search,
    sources,
    target,
    username,
):
    params = notebooks.parameters(
        dict(
            target=target,
            username=username,
            sources=sources,
            run_id=run_id,
            search=search,
            indicators=indicators,
            region=region,
            countries=countries,
            export_csv=export_csv,
        )
    )
    settings = notebooks.notebook_settings(params)
    all_regions = explore.regions(settings)
    names = explore.country_names(settings)
    return all_regions, names, params, settings


@app.cell
def _(all_regions, names, params):
    search_box = mo.ui.text(value=params["search"], label="Search indicators (id or label)")
    region_pick = mo.ui.dropdown(
        ["", *all_regions],
        value=params["region"] if params["region"] in all_regions else "",
        label="Region",
    )
    country_pick = mo.ui.multiselect(
        {f"{n} ({c})": c for c, n in sorted(names.items(), key=lambda x: x[1])},
        value=[f"{names.get(c, c)} ({c})" for c in params["countries"] if c in names],
        label="or countries",
    )
    mo.hstack([search_box, region_pick, country_pick]) if mo.running_in_notebook() else None
    return country_pick, region_pick, search_box


@app.cell
def _(params, search_box, settings):
    _text = search_box.value if mo.running_in_notebook() else params["search"]
    matches = explore.search_indicators(settings, _text)
    indicator_pick = mo.ui.multiselect(
        list(matches["indicator_id"]),
        value=[i for i in params["indicators"] if i in set(matches["indicator_id"])]
        or list(matches["indicator_id"][:1]),
        label="Indicators",
    )
    _shown = mo.vstack([indicator_pick, mo.ui.table(matches, selection=None)])
    (
        _shown
        if mo.running_in_notebook()
        else mo.Html(
            reports.section(
                "Matching indicators",
                reports.table(matches, max_rows=50),
                f"Search: {_text or '(everything)'}",
            )
        )
    )
    return indicator_pick, matches


@app.cell
def _(all_regions, country_pick, indicator_pick, matches, params, region_pick):
    if mo.running_in_notebook():
        chosen_indicators = list(indicator_pick.value)
        chosen_countries = list(country_pick.value) or all_regions.get(region_pick.value, [])
    else:
        chosen_indicators = params["indicators"] or list(matches["indicator_id"][:1])
        chosen_countries = params["countries"] or all_regions.get(params["region"], [])
    return chosen_countries, chosen_indicators


@app.cell
def _(chosen_countries, chosen_indicators, settings):
    selection = explore.series(settings, chosen_indicators, chosen_countries)
    return (selection,)


@app.cell
def _(chosen_countries, chosen_indicators, names, selection):
    mo.stop(selection.empty, mo.md("No values for this selection."))
    mo.Html(
        reports.section(
            "Time series",
            reports.svg(explore.line_chart(selection, names)),
            f"{len(chosen_indicators)} indicators, {len(chosen_countries)} countries selected; "
            f"{selection['country_id'].nunique()} have values.",
        )
        + reports.section(
            "Latest value per country",
            reports.svg(explore.bar_chart(explore.latest(selection), names)),
        )
    )
    return


@app.cell
def _(params, selection):
    _csv = selection.to_csv(index=False)
    if params["export_csv"]:
        with open(params["export_csv"], "w", encoding="utf-8") as _fh:
            _fh.write(_csv)
    notebooks.emit(rows=len(selection), export_csv=params["export_csv"] or None)
    (
        mo.vstack(
            [
                mo.download(_csv.encode(), filename="selection.csv", label="Export CSV"),
                mo.ui.table(selection),
            ]
        )
        if mo.running_in_notebook()
        else mo.Html(reports.section("Data", reports.table(selection, max_rows=300)))
    )
    return


if __name__ == "__main__":
    app.run()
