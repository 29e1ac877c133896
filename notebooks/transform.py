import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Transform")

with app.setup:
    import marimo as mo

    from osaa_lib import notebooks, reports
    from osaa_lib.reports import data as rd


@app.cell
def _():
    mo.md("""
    # Transform: plan, models, lineage, row counts

    Brings the SQLMesh models of this environment up to date with the landed files (only what
    changed is recomputed), then publishes `sources.*` and `master.indicators` as Parquet to the
    staging zone. This page shows the plan (which models were recomputed and why), the lineage
    of the models, and the rows of every model and published table.
    """)
    return


@app.cell
def parameters():
    target = ""
    username = ""
    sources = []
    run_id = ""
    models = []
    dry_run = False
    return dry_run, models, run_id, sources, target, username


@app.cell
def _(dry_run, models, run_id, sources, target, username):
    params = notebooks.parameters(
        dict(
            target=target,
            username=username,
            sources=sources,
            run_id=run_id,
            models=models,
            dry_run=dry_run,
        )
    )
    controls = notebooks.controls(params)
    run_button = mo.ui.run_button(label="Plan and apply")
    mo.hstack([controls, run_button]) if mo.running_in_notebook() else None
    return controls, params, run_button


@app.cell
def _(controls, params, run_button):
    mo.stop(mo.running_in_notebook() and not run_button.value, mo.md("Press **Plan and apply**."))
    applied, settings = notebooks.applied_settings(params, controls.value)
    return applied, settings


@app.cell
def _(applied, settings):
    from osaa_lib import transform

    plan = transform.plan_apply(
        settings, models=applied["models"] or None, dry_run=bool(applied["dry_run"])
    )
    return (plan,)


@app.cell
def _(applied, plan, settings):
    from osaa_lib.transform.publish import publish

    published = None if applied["dry_run"] else publish(settings)
    notebooks.emit(computed=plan.computed, rows=plan.rows, published=reports.jsonable(published))
    return (published,)


@app.cell
def _(applied, plan, settings):
    mo.Html(
        reports.section(
            "Plan",
            reports.facts(
                {
                    "run id": applied["run_id"],
                    "environment": settings.space,
                    "dry run": applied["dry_run"],
                    "models requested": ", ".join(applied["models"]) or "all",
                    "recomputed": ", ".join(plan.computed) or "nothing: already up to date",
                    "restated": ", ".join(plan.restated) or "none",
                    "changed models": ", ".join(plan.changed_models) or "none",
                    "sources": ", ".join(plan.sources) or "none landed",
                    "audit warnings": "; ".join(plan.audit_warnings) or "none",
                    "seconds": round(plan.seconds, 2),
                }
            ),
            "What SQLMesh recomputed in this run, and why.",
        )
    )
    return


@app.cell
def _(settings):
    mo.Html(
        reports.section(
            "Lineage",
            reports.table(rd.lineage(settings), max_rows=None),
            "Each model and what it reads: landing files feed the raw models, sources.* "
            "clean one publisher each, master.indicators unions them.",
        )
    )
    return


@app.cell
def _(plan, published):
    _rows = [
        {"model": m, "rows": n, "seconds": plan.timings.get(m)}
        for m, n in sorted(plan.rows.items())
    ]
    _pub = [] if published is None else [reports.jsonable(t) for t in published.tables]
    mo.Html(
        reports.section("Rows per model", reports.table(_rows, max_rows=None))
        + reports.section(
            "Published tables",
            reports.table(_pub, empty="Dry run: nothing published.", max_rows=None),
            "Parquet files in the staging zone that the quality report checks.",
        )
    )
    return


if __name__ == "__main__":
    app.run()
