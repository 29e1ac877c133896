import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Quality report")

with app.setup:
    import marimo as mo

    from osaa_lib import notebooks, reports
    from osaa_lib.reports import data as rd
    from osaa_lib.reports import sections as rs


@app.cell
def _():
    mo.md("""
    # Data quality report

    Checks the published tables (`master.indicators` and each source) before they are used:
    completeness, duplicates, country codes against the reference, coverage of African
    countries, freshness, volume changes, revisions between vintages and unusual values.
    Read top to bottom: the verdict and what changed since the previous run first, details
    and the profile appendix last.
    """)
    return


@app.cell
def parameters():
    target = ""
    username = ""
    sources = []
    run_id = ""
    history_runs = 10
    top_anomalies = 12
    return history_runs, run_id, sources, target, top_anomalies, username


@app.cell
def _(history_runs, run_id, sources, target, top_anomalies, username):
    params = notebooks.parameters(
        dict(
            target=target,
            username=username,
            sources=sources,
            run_id=run_id,
            history_runs=history_runs,
            top_anomalies=top_anomalies,
        )
    )
    controls = notebooks.controls(params)
    controls if mo.running_in_notebook() else None
    return controls, params


@app.cell
def _(controls, params):
    applied, settings = notebooks.applied_settings(params, controls.value)
    return applied, settings


@app.cell
def _(applied, settings):
    from osaa_lib.quality import run_checks

    result = run_checks(
        settings, sources=applied["sources"] or None, run_id=applied["run_id"] or None
    )
    notebooks.emit(
        gate_failed=result.gate_failed,
        counts=result.counts,
        blocking=[f"{c.name} ({c.source})" for c in result.blocking],
    )
    return (result,)


@app.cell
def _(applied, result, settings):
    data = rd.gather(
        settings,
        result,
        history_runs=int(applied["history_runs"]),
        top_anomalies=int(applied["top_anomalies"]),
    )
    return (data,)


@app.cell
def _(data, result):
    mo.Html(
        reports.toc(
            [
                ("changes", "What changed"),
                ("kpis", "Key figures"),
                ("checks", "Checks"),
                ("anomalies", "Anomalies"),
                ("history", "History"),
                ("volume", "Volume"),
                ("coverage", "Coverage"),
                ("integrity", "Integrity"),
                ("vintages", "Vintages"),
                ("run", "Run details"),
                ("profile", "Profile"),
            ]
        )
        + rs.summary_section(result, data["values"])
        + rs.changes_section(data["changes"], data["values"])
    )
    return


@app.cell
def _(result):
    mo.Html(rs.kpi_section(result.kpis))
    return


@app.cell
def _(result):
    mo.Html(rs.checks_section(result.checks))
    return


@app.cell
def _(data):
    mo.Html(rs.anomaly_section(data["values"], data["series"]))
    return


@app.cell
def _(applied, data):
    mo.Html(rs.history_section(data["history"], runs=int(applied["history_runs"])))
    return


@app.cell
def _(data):
    mo.Html(rs.volume_section(data["volume"], data["freshness"]))
    return


@app.cell
def _(data, result):
    mo.Html(rs.coverage_section(data["by_region"], data["by_year"], result.coverage))
    return


@app.cell
def _(result):
    mo.Html(rs.integrity_section(result.checks))
    return


@app.cell
def _(result):
    mo.Html(rs.vintage_section(result.vintage_diffs))
    return


@app.cell
def _(applied, data, result, settings):
    mo.Html(
        rs.run_section(
            result,
            notebooks.effective(applied, settings),
            data["environment"],
            data["files"],
        )
    )
    return


@app.cell
def _(result):
    mo.Html(rs.profile_section(result.profile))
    return


if __name__ == "__main__":
    app.run()
