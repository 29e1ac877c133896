import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Ingest")

with app.setup:
    import marimo as mo

    from osaa_lib import notebooks, reports
    from osaa_lib.lake import keys
    from osaa_lib.reports import sections as rs


@app.cell
def _():
    mo.md("""
    # Ingest: what landed, from which files, with what problems

    Lands the publishers' CSV files found in the raw folder as Parquet in the lake's landing
    zone (`<target>/landing/<source>/`), one file per published CSV, and records a manifest and
    vintage for each. This page lists every file considered, whether it was landed or skipped as
    unchanged, its checksum, its rows, and every problem found while reading it.
    """)
    return


@app.cell
def parameters():
    target = ""
    username = ""
    sources = []
    run_id = ""
    force = False
    return force, run_id, sources, target, username


@app.cell
def _(force, run_id, sources, target, username):
    params = notebooks.parameters(
        dict(target=target, username=username, sources=sources, run_id=run_id, force=force)
    )
    controls = notebooks.controls(params)
    run_button = mo.ui.run_button(label="Ingest")
    mo.hstack([controls, run_button]) if mo.running_in_notebook() else None
    return controls, params, run_button


@app.cell
def _(controls, params, run_button):
    mo.stop(mo.running_in_notebook() and not run_button.value, mo.md("Press **Ingest** to run."))
    applied, settings = notebooks.applied_settings(params, controls.value)
    return applied, settings


@app.cell
def _(applied, settings):
    from osaa_lib.ingest import ingest

    result = ingest(settings, sources=applied["sources"] or None, force=bool(applied["force"]))
    return (result,)


@app.cell
def _(applied, result, settings):
    notebooks.emit(ingest=reports.jsonable(result))
    mo.Html(
        reports.section(
            "Run",
            reports.facts(
                {
                    "run id": applied["run_id"],
                    "target": settings.target,
                    "space": settings.space,
                    "raw folder": settings.raw_dir,
                    "landing": keys.landing_prefix(settings),
                    "sources requested": ", ".join(applied["sources"]) or "all",
                    "force": applied["force"],
                }
            ),
        )
        + rs.ingest_sections(result, settings)
    )
    return


if __name__ == "__main__":
    app.run()
