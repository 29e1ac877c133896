"""Headless notebook runs: marimo `.py` -> ipynb -> papermill -> executed ipynb + offline HTML.

marimo cannot run headless by itself (`marimo run` waits for a browser), and its static HTML
export loads its front end from a CDN. So a notebook is exported to ipynb in topological order,
its `parameters` cell is tagged for papermill, executed in the project's own kernel and rendered
with nbconvert's script-free `basic` template inside the page shell of `osaa_lib.reports`.

The same parameter convention works in three places (see `parameters`): marimo's editor, the
notebook run as a script (`python notebooks/x.py -- --target qa`) and papermill injection.
Settings reach the kernel as environment variables (never as notebook parameters, so secrets
never land in an executed notebook).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import OsaaError
from osaa_lib.lake import keys
from osaa_lib.notebooks.params import RESULTS_ENV

_REGISTERED: set[str] = set()

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookError(OsaaError):
    """A notebook could not be exported or executed, or one of its cells raised."""

    exit_code = 11


@dataclass
class NotebookRun:
    """One executed notebook: where its outputs are and whether every cell ran."""

    notebook: str
    run_id: str
    params: dict[str, Any]
    ipynb: Path
    html: Path
    seconds: float
    ok: bool
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id) or ".." in run_id:
        raise NotebookError(f"run id {run_id!r} must be letters, digits, '_', '-' or '.'")
    return run_id


def notebook_path(notebook: str | Path, settings: Settings) -> Path:
    """A notebook by name (`ingest`) or path; names resolve in the project's notebooks/."""
    path = Path(notebook)
    if path.suffix != ".py":
        path = settings.project_dir / "notebooks" / f"{path.name}.py"
    if not path.is_file():
        raise NotebookError(f"notebook {path} does not exist")
    return path


def settings_environ(settings: Settings) -> dict[str, str]:
    """Environment variables that make `load_settings()` in a kernel rebuild these settings."""
    s = settings
    env = {
        "OSAA_PROJECT_DIR": str(s.project_dir),
        "TARGET": s.target,
        "USERNAME": s.username,
        "OSAA_LAKE": s.lake_root,
        "OSAA_RAW_DIR": str(s.raw_dir),
        "OSAA_STATE_DIR": str(s.state_dir),
        "OSAA_REPORTS_DIR": str(s.reports_dir),
        "OSAA_LOG_DIR": str(s.log_dir),
        "OSAA_QUALITY_CONFIG": str(s.quality_config),
        "OSAA_BACKUP_ROOT": s.backup_root,
        "AWS_DEFAULT_REGION": s.aws_region,
        "OSAA_ALLOW_PROD_PROMOTION": "true" if s.allow_prod_promotion else "false",
        "DUCKDB_PRESERVE_INSERTION_ORDER": "true" if s.duckdb_preserve_insertion_order else "false",
        "SMTP_PORT": str(s.smtp_port),
        "SMTP_FROM": s.smtp_from,
        "OSAA_LOG_LEVEL": s.log_level,
    }
    optional = {
        "S3_BUCKET": s.s3_bucket,
        "S3_ENDPOINT_URL": s.s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": s.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": s.aws_secret_access_key,
        "AWS_SESSION_TOKEN": s.aws_session_token,
        "DUCKDB_MEMORY_LIMIT": s.duckdb_memory_limit,
        "DUCKDB_THREADS": s.duckdb_threads,
        "DUCKDB_TEMP_DIRECTORY": s.duckdb_temp_directory,
        "SMTP_HOST": s.smtp_host,
        "SMTP_USER": s.smtp_user,
        "SMTP_PASSWORD": s.smtp_password,
        "ALERT_EMAIL_TO": s.alert_email_to,
        "ALERT_WEBHOOK_URL": s.alert_webhook_url,
    }
    for name, value in optional.items():
        if value:
            env[name] = value.value if hasattr(value, "value") else str(value)
    return env


def export_ipynb(path: Path, cache_dir: Path) -> dict[str, Any]:
    """The notebook as ipynb in topological order (cached by content: export costs ~1 s)."""
    source = path.read_bytes()
    digest = hashlib.sha256(source + sys.executable.encode()).hexdigest()[:16]
    cached = cache_dir / f"{path.stem}-{digest}.ipynb"
    if not cached.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        marimo = Path(sys.executable).with_name("marimo")
        cmd = [str(marimo)] if marimo.exists() else [sys.executable, "-m", "marimo"]
        tmp = cached.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
        proc = subprocess.run(
            [*cmd, "export", "ipynb", str(path), "-o", str(tmp), "--sort", "topological", "-f"],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not tmp.exists() or "has errors" in proc.stderr:
            tmp.unlink(missing_ok=True)
            raise NotebookError(f"marimo could not export {path}: {proc.stderr.strip()[-800:]}")
        tmp.replace(cached)
    return json.loads(cached.read_text())


def prepare(nb: dict[str, Any]) -> dict[str, Any]:
    """Tag the `parameters` cell and set the kernel: marimo's export writes neither."""
    tagged = False
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("marimo", {}).get("name") == "parameters":
            tags = cell["metadata"].setdefault("tags", [])
            if "parameters" not in tags:
                tags.append("parameters")
            tagged = True
    if not tagged:
        raise NotebookError("the notebook has no cell named `parameters` (see docs/notebooks.md)")
    nb["metadata"]["kernelspec"] = dict(KERNEL)
    return nb


def _kernel_engine() -> str:
    """A papermill engine that starts the kernel with our environment (papermill has no such
    option; nbclient passes `env` to the kernel manager)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    name = "osaa"
    if name in _REGISTERED:
        return name

    class EnvEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            start = {"env": kwargs.pop("kernel_env", None)}
            stderr = kwargs.pop("kernel_stderr", None)
            if stderr is not None:
                start["stderr"] = stderr
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return PapermillNotebookClient(nb_man, **final).execute(**start)

    papermill_engines.register(name, EnvEngine)
    _REGISTERED.add(name)
    return name


def run(
    notebook: str | Path,
    params: Mapping[str, Any] | None,
    settings: Settings,
    out_dir: Path | None = None,
    timeout: int | None = 3600,
) -> NotebookRun:
    """Execute one notebook headless; a failing cell gives `ok=False` and an HTML showing it.

    Only problems of the machinery itself (missing notebook, export failure) raise.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from osaa_lib.reports import write_page

    path = notebook_path(notebook, settings)
    params = dict(params or {})
    run_id = check_run_id(str(params.get("run_id") or keys.new_run_id()))
    params["run_id"] = run_id
    out_dir = Path(out_dir or settings.reports_dir / run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = prepare(export_ipynb(path, settings.state_dir / "notebooks"))
    source = out_dir / f".{path.stem}.input.ipynb"
    source.write_text(json.dumps(nb))
    executed = out_dir / f"{path.stem}.ipynb"
    results_file = out_dir / f".{path.stem}.results.json"
    results_file.unlink(missing_ok=True)
    env = {**os.environ, **settings_environ(settings), RESULTS_ENV: str(results_file)}
    env.setdefault("PYTHONHASHSEED", "0")
    error: str | None = None
    kernel_log = out_dir / f".{path.stem}.kernel.log"
    start = time.perf_counter()
    try:
        with open(kernel_log, "wb") as stderr:
            pm.execute_notebook(
                str(source),
                str(executed),
                parameters=params,
                kernel_name=KERNEL["name"],
                engine_name=_kernel_engine(),
                kernel_env=env,
                kernel_stderr=stderr,
                cwd=str(settings.project_dir),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
            )
    except PapermillExecutionError as exc:
        error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, timeout: the run failed, the HTML still renders
        error = f"{type(exc).__name__}: {exc} (kernel output: {kernel_log.name})"
    if error is None or not error.endswith(f"{kernel_log.name})"):
        kernel_log.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    source.unlink(missing_ok=True)
    if not executed.exists():
        nbformat.write(nbformat.from_dict(nb), str(executed))
    title = f"{path.stem.replace('_', ' ')} · run {run_id}"
    html = write_page(out_dir / f"{path.stem}.html", render_html(executed, title, error))
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results_file.unlink(missing_ok=True)
    return NotebookRun(
        path.stem, run_id, params, executed, html, seconds, error is None, error, results
    )


def render_html(ipynb: Path, title: str, error: str | None = None) -> str:
    """The executed notebook as one offline HTML page: outputs only, except a failing cell,
    whose code is shown next to its traceback."""
    import nbformat
    from markupsafe import Markup
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from osaa_lib.reports import page

    nb = nbformat.read(str(ipynb), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        outputs = cell.get("outputs", [])
        if any(o.get("output_type") == "error" for o in outputs):
            tags.discard("remove-input")
        elif not outputs:
            tags.add("remove-cell")
        else:
            tags.add("remove-input")
        cell.metadata["tags"] = sorted(tags)
    exporter = HTMLExporter(
        template_name="basic",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove-cell"}, remove_input_tags={"remove-input"}),
        enabled=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    # nbconvert's own templates rendered and escaped the outputs; cells' HTML is our markup.
    return page(title, Markup(body), error=error)
