"""The explorer's commands: ``hercules serve``, ``hercules app``, ``hercules report`` (app extra)
and ``hercules map`` (map extra).

Kept apart from :mod:`hercules.cli` (the pipeline's commands); :func:`register` adds them to
its Typer app. Dash and plotly are imported only when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as _escape

RUN_HELP = "A run directory written by hercules run or hercules demo."
_HOST_HELP = "Interface to bind; 127.0.0.1 is this machine only."

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the explorer's commands to ``app``."""
    app.command()(serve)
    app.command("app")(app_command)
    app.command()(report)
    app.command("map")(map_command)


_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _serve(dash_app: Any, host: str, port: int) -> None:
    if host not in _LOCAL_HOSTS:
        console.print(
            f"[yellow]Warning:[/yellow] binding {_escape(host)}:{port} exposes the explorer (and "
            "its upload/run form) to other machines; it has no authentication."
        )
    console.print(f"Explorer on http://{_escape(host)}:{port}  (Ctrl+C to stop)")
    dash_app.run(host=host, port=port, debug=False)


def serve(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=RUN_HELP)],
    host: Annotated[str, typer.Option(metavar="HOST", help=_HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8050,
) -> None:
    """Browse a saved run in the explorer (app extra).

    Scatter, treemap, sunburst, search and a summary pane at http://HOST:PORT.
    """
    from hercules.errors import RunDirectoryError, require

    if not run_dir.is_dir():
        raise RunDirectoryError(f"{run_dir} is not a directory; give a run folder to serve.")
    require("dash", "hercules serve", "hercules-cluster[app]")
    from hercules.app import make_app

    _serve(make_app(run_dir), host, port)


def app_command(
    host: Annotated[str, typer.Option(metavar="HOST", help=_HOST_HELP)] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8050,
    workdir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help="Where runs made in the app are saved (default: a temp folder)."
        ),
    ] = None,
) -> None:
    """Start the explorer with an upload and run form (app extra).

    Upload data, pick the embedder and labeller, run and watch it in the browser.
    """
    from hercules.errors import require

    require("dash", "hercules app", "hercules-cluster[app]")
    from hercules.app import make_app

    _serve(make_app(None, workdir=workdir), host, port)


def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=RUN_HELP)],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE", help="HTML file to write.")
    ] = Path("report.html"),
) -> None:
    """Write a run as one HTML file that opens offline (app extra).

    The tree, a treemap and a scatter of the clusters, to share without a server.
    """
    from hercules.errors import require

    require("plotly", "hercules report", "hercules-cluster[app]")
    from hercules.app.report import write_report

    path = write_report(run_dir, out)
    console.print(f"[green]Wrote[/green] {_escape(str(path))}")


MAP_FILE = "map.html"


def map_command(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help=RUN_HELP)],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="FILE", help=f"HTML file to write (default: RUN/{MAP_FILE})."
        ),
    ] = None,
    max_points: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Draw at most N items (a seeded sample beyond; said on the map).",
        ),
    ] = 200_000,
) -> None:
    """Write the run's data map: one HTML file that opens offline (map extra).

    Every item a point, cluster titles written on the map (finer ones as you zoom in), hover,
    search, and a click on a title lists its members. The 2-D layout (UMAP) is drawn the first
    time and saved with the run.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hercules.datamap import MAP_EXTRA
    from hercules.errors import require
    from hercules.estimator import Hercules
    from hercules.map_page import write_map

    require("plotly", "hercules map", MAP_EXTRA)
    model = Hercules.load_model(run_dir)
    target = out if out is not None else run_dir / MAP_FILE
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} items placed"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("map layout", total=None)

        def report_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        path = write_map(model, target, max_points=max_points, progress=report_progress)
    console.print(f"[green]Wrote[/green] {_escape(str(path))}")
