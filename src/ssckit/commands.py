"""``ssckit compute`` (every module's step on a workspace) and ``ssckit demo`` (the sample
city, computed and served)."""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import click
import duckdb
from rich.table import Table

from ssckit.core.cli_support import console, format_option, quiet_option, with_store
from ssckit.core.errors import InputError
from ssckit.core.modules import faces
from ssckit.core.progress import progress_display
from ssckit.core.store import Store, close_idle
from ssckit.core.workspace import Workspace
from ssckit.pipeline import PipelineRun, planned_steps, run_all


def peak_rss_mib() -> float:
    """Peak resident memory of this process or of its largest child so far [MiB]."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def compute_workspace(ws: Workspace, quiet: bool = False, only: tuple[str, ...] = ()
                      ) -> PipelineRun:
    """Run the pipeline on ``ws`` with progress (unless quiet), then print what ran."""
    with Store.open(ws.store_path) as store, progress_display(enabled=not quiet):
        run = run_all(ws, store, only=only)
    if not quiet:
        console.print(steps_table(run))
    return run


def steps_table(run: PipelineRun) -> Table:
    """What ran (values, seconds) and why the other steps did not."""
    table = Table("Module", "Step", "Values", "Seconds", "Not run because",
                  title="pipeline steps", title_justify="left")
    for s in run.steps:
        table.add_row(s.module, s.title, str(s.n_values) if s.ran else "",
                      f"{s.seconds:.1f}" if s.ran else "", s.reason)
    return table


def _compute_help() -> str:
    lines = ["Run every module's step the workspace has inputs for, then write the U4SSC "
             "scorecard report (outputs/scorecard.html).", "",
             "Each step's values are stored in one transaction: a failing step leaves the "
             "earlier ones stored and its own previous values untouched. Steps, in order:", "",
             "\b"]
    for module, step in planned_steps():
        needs = (" or " if step.any_inputs else ", ").join(step.inputs) or "-"
        lines.append(f"  {module:7} {step.title} (needs: {needs})")
    return "\n".join(lines)


class _ComputeCommand(click.Command):
    """`compute`, whose help lists the steps of the modules installed when it is shown."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = _compute_help()
        super().format_help_text(ctx, formatter)


@click.command(cls=_ComputeCommand,
               short_help="Run every module's step the workspace has inputs for.",
               epilog="Example: ssckit compute --workspace my-city --only radio --only emf")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("."), show_default=True,
              help="City workspace folder (holds city.yaml).")
@click.option("--only", multiple=True, metavar="MODULE",
              help="Run only this module's steps (repeatable); core's steps always run.")
@quiet_option
def compute(workspace_dir: Path, only: tuple[str, ...], quiet: bool) -> None:
    run = compute_workspace(Workspace.load(workspace_dir), quiet, only)
    if not quiet:
        console.print(f"{run.n_values} indicator values from {len(run.ran)} steps; "
                      f"{len(run.skipped)} not run", highlight=False)




@click.command(epilog="Example: ssckit runs -w sample-city --steps --limit 1")
@with_store
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="How many runs, newest first.")
@click.option("--steps", "show_steps", is_flag=True,
              help="Also list each run's steps (those after publishing included, e.g. the "
                   "scorecard report): values, seconds, or why a step did not run.")
@format_option("table", "json")
def runs(limit: int, show_steps: bool, fmt: str, ws: Workspace, store: Store) -> None:
    """The compute runs of a workspace: when, complete or not, what each step produced.

    A run publishes its values only when every step has run; a failed or killed run
    published nothing, and the dashboard shows the last complete run.
    """
    del ws
    listed = store.list_runs(limit)
    if fmt == "json":
        click.echo(json.dumps(listed, default=str, indent=2))
        return
    if show_steps:
        for r in listed:
            table = Table("Module", "Step", "Values", "Seconds", "Not run because",
                          title=f"run {r['id']} ({r['status']})", title_justify="left")
            for st in r["steps"]:
                table.add_row(st["module"], st["title"], str(st["n_values"]) if st["ran"]
                              else "", f"{st['seconds']:.1f}" if st["ran"] else "",
                              st["reason"])
            console.print(table)
        return
    table = Table("Run", "Started (UTC)", "Status", "Steps run", "Values", "Seconds", "Note")
    for r in listed:
        ran = [s for s in r["steps"] if s["ran"]]
        table.add_row(str(r["id"]), f"{r['started_at']:%Y-%m-%d %H:%M:%S}", r["status"],
                      f"{len(ran)}/{len(r['steps'])}", str(sum(s["n_values"] for s in ran)),
                      f"{sum(s['seconds'] for s in ran):.1f}", r["message"])
    console.print(table)


#: What a backup leaves out: what any command writes again (reports, maps) and the
#: store's own side files.
BACKUP_SKIP = ("outputs", "ssckit.duckdb.wal", "ssckit.duckdb.wait", "ssckit.duckdb.version")


def backup_workspace(ws: Workspace, dest: Path) -> int:
    """Write the workspace (city.yaml, inputs, the store, the Parquet history under data/) to
    the tar.gz archive ``dest``; return its size [bytes].

    The store is held open for writing meanwhile (with a checkpoint first, so the file holds
    every committed write), so no process changes it or moves readings to the Parquet history
    while the archive is written: the copy is consistent. Others wait (``--wait``).
    """
    import tarfile

    dest = Path(dest).resolve()
    if dest.exists():
        raise InputError(str(dest), None, "exists already; give a new file name")
    if ws.root.resolve() in dest.parents:
        raise InputError(str(dest), None, "is inside the workspace; write the backup elsewhere")
    tmp = dest.with_name(dest.name + ".part")
    store = Store.open(ws.store_path)
    with store.holding(), store.cursor() as cur:
        cur.execute("CHECKPOINT")
        with tarfile.open(tmp, "w:gz", compresslevel=1) as tar:
            for item in sorted(ws.root.iterdir()):
                if item.name not in BACKUP_SKIP:
                    tar.add(item, arcname=item.name)
    tmp.rename(dest)
    return dest.stat().st_size


def restore_workspace(archive: Path, workspace_dir: Path) -> Path:
    """Put the workspace back as ``archive`` (from :func:`backup_workspace`) holds it; the
    current folder is kept beside it as ``<name>.before-restore-<UTC time>``, which is
    returned. Nothing may use the store meanwhile (stop `ssckit serve` first)."""
    import tarfile
    from datetime import UTC, datetime

    archive = Path(archive)
    if not archive.is_file():
        raise InputError(str(archive), None, "no such backup file")
    root = Path(workspace_dir).resolve()
    store_path = root / "ssckit.duckdb"
    if store_path.exists():   # in use? then stop here, before anything moves
        try:
            with Store.open(store_path, read_only=True, wait_s=0).cursor():
                pass
        except InputError as exc:
            if "in use by" in exc.message:
                raise InputError(str(store_path), None, f"{exc.message.split(';')[0]}; stop "
                                 "it (e.g. systemctl stop ssckit-serve) before restoring"
                                 ) from None
            # otherwise the store is damaged: what the restore is for
        except duckdb.Error:
            pass      # damaged too
        finally:
            close_idle(store_path)
    tmp = root.with_name(root.name + ".restoring")
    if tmp.exists():
        raise InputError(str(tmp), None, "left by an interrupted restore; remove it first")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(str(archive), None, f"not a readable ssckit backup ({exc})") from None
    if not (tmp / "city.yaml").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(str(archive), None, "holds no city.yaml: not an ssckit backup")
    kept = root.with_name(f"{root.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    if root.exists():
        root.rename(kept)
    tmp.rename(root)
    return kept


@click.command(epilog="Example: ssckit backup /var/backups/ssckit/city-$(date +%F).tar.gz "
                      "-w /srv/ssckit/city")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("."), show_default=True,
              help="City workspace folder (holds city.yaml).")
def backup(dest: Path, workspace_dir: Path) -> None:
    """Back up a workspace (city.yaml, inputs, store, Parquet history) to DEST (.tar.gz),
    consistently, while the server and the live ingest keep running."""
    size = backup_workspace(Workspace.load(workspace_dir), dest)
    console.print(f"backup written: {dest} ({size / 2**20:.1f} MiB)", highlight=False)


@click.command(epilog="Example: ssckit restore /var/backups/ssckit/city-2026-12-01.tar.gz "
                      "-w /srv/ssckit/city")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("."), show_default=True,
              help="City workspace folder to put back.")
def restore(archive: Path, workspace_dir: Path) -> None:
    """Put a workspace back from a backup of `ssckit backup` (stop the server first); the
    current folder is kept beside it."""
    kept = restore_workspace(archive, workspace_dir)
    console.print(f"restored {workspace_dir} from {archive}; the previous folder is {kept}",
                  highlight=False)


@click.command(epilog="Example: ssckit demo --workspace sample-city --no-serve")
@click.option("--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False,
              path_type=Path), default=Path("sample-city"), show_default=True,
              help="Folder to write the sample city into (created; an existing sample city is "
                   "rebuilt; any other non-empty folder is refused).")
@click.option("--seed", default=7, show_default=True, help="Random seed of the synthetic data.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the dashboard when done.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@quiet_option
def demo(workspace_dir: Path, seed: int, serve: bool, host: str, port: int, quiet: bool) -> None:
    """Write a deterministic synthetic sample city and run every module on it.

    The sample city (a town of about 80 000 people on a river; all data synthetic and labelled
    so) gets terrain, population, districts and every module's sample inputs. The demo
    computes every indicator, writes the HTML scorecard report to
    WORKSPACE/outputs/scorecard.html, prints each step's time and the peak memory, and serves
    the dashboard.
    """
    from ssckit.demo.generate import is_sample_workspace, write_sample_city

    if not is_sample_workspace(workspace_dir):
        raise InputError(str(workspace_dir), None, "folder is not empty and is not a sample "
                         "city; choose another --workspace")
    t0 = time.perf_counter()
    with progress_display(enabled=not quiet):
        write_sample_city(workspace_dir, seed)
    ws = Workspace.load(workspace_dir)
    t_write = time.perf_counter() - t0
    run = compute_workspace(ws, quiet)
    if not quiet:
        modules = {f.name for f in faces()}
        missing = sorted(modules - {s.module for s in run.ran})
        console.print(
            f"[bold]{ws.label}[/]: {run.n_values} indicator values from "
            f"{len({s.module for s in run.ran} & modules)} of {len(modules)} modules"
            + (f" (not run: {', '.join(missing)})" if missing else "")
            + f"; sample city written in {t_write:.1f} s; total "
            f"{time.perf_counter() - t0:.1f} s, peak memory {peak_rss_mib():.0f} MiB",
            highlight=False)
        report = ws.output_dir / "scorecard.html"
        if report.is_file():
            console.print(f"report: {report}", highlight=False)
        password = _first_admin(ws)
        if password:
            console.print(f"admin login of the dashboard: [bold]admin[/] / [bold]{password}[/] "
                          "(shown once; `ssckit users passwd admin` changes it)", highlight=False)
    if serve:
        from ssckit.web.cli import run_server

        console.print(f"dashboard: http://{host}:{port}/  (Ctrl+C to stop)")
        run_server(workspace_dir, host, port, live=True)


def _first_admin(ws: Workspace) -> str | None:
    """Create the sample city's first admin with a random password, when it has no user."""
    import secrets

    from ssckit.core import auth

    with Store.open(ws.store_path) as store:
        if auth.list_users(store):
            return None
        password = secrets.token_urlsafe(12)
        auth.add_user(store, "admin", "admin", password)
    return password


__all__ = ["backup", "backup_workspace", "compute", "compute_workspace", "demo", "peak_rss_mib",
           "restore", "restore_workspace", "runs", "steps_table"]
