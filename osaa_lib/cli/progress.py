"""Rich progress displays, each yielding the callback the library's long functions take.

rich.progress is imported inside each display so that `osaa --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.markup import escape

from osaa_lib.cli._common import console, err_console

if TYPE_CHECKING:
    from osaa_lib.ingest import Progress as FileEvent
    from osaa_lib.notebooks import NotebookRun

Step = Callable[[str, int, int], None]


@contextmanager
def steps(label: str) -> Iterator[Step]:
    """One bar following the library's (step, done, total) calls: transform and etl."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=None)

        def step(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total or None)

        yield step


@contextmanager
def stages() -> Iterator[Step]:
    """A bar per stage (copy, verify, backup...) for the lake's (stage, done, total) calls."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(escape(stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


@contextmanager
def files() -> Iterator[Callable[[FileEvent], None]]:
    """A bar per file being landed, in bytes read, on stderr so tables stay clean."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bars:
        tasks: dict[str, int] = {}

        def show(event: FileEvent) -> None:
            name = f"{event.source}/{event.stem}"
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=max(event.size, 1))
            total = bars.tasks[tasks[name]].total or 1
            bars.update(tasks[name], completed=event.fraction * total)

        yield show


@contextmanager
def spinner(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner with a changing description, for work of unknown length."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda description: progress.update(task, description=description)


@contextmanager
def notebooks(
    total: int,
) -> Iterator[tuple[Callable[[str], None], Callable[[NotebookRun], None]]]:
    """A spinner naming the running notebook, and a line per notebook as it ends."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("pipeline", total=total)

        def started(name: str) -> None:
            progress.update(task, description=f"notebook [bold]{name}[/bold]")

        def done(nb: NotebookRun) -> None:
            mark = "[green]ok[/green]" if nb.ok else "[red]FAILED[/red]"
            progress.console.print(f"{nb.notebook}: {mark} in {nb.seconds:.1f} s -> {nb.html}")
            progress.advance(task)

        yield started, done
