"""``ssckit export``: every indicator value of a workspace as Parquet, CSV or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from ssckit.core.cli_support import console, with_store
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


@click.command(epilog="Example: ssckit export -w sample-city --format parquet -o values.parquet")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "json"]), default="parquet",
              show_default=True, help="File format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--indicator-prefix", help="Only indicators whose id starts with this, e.g. 'EC:'.")
@with_store
def export(fmt: str, output: Path, indicator_prefix: str | None, ws: Workspace,
           store: Store) -> None:
    """Export the workspace's indicator values (the table the scorecard and dashboard read)."""
    n = store.export(output, fmt, indicator_prefix)
    console.print(f"wrote {n} indicator values to {output}")
