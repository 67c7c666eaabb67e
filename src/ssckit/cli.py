"""The ``ssckit`` command: one group that mounts each module's commands."""

from __future__ import annotations

import sys

import click

from ssckit import __version__
from ssckit.core.cli_support import err_console
from ssckit.core.errors import InputError


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: ssckit demo --workspace sample-city --no-serve",
)
@click.version_option(__version__, prog_name="ssckit")
def cli() -> None:
    """ssckit: the smart sustainable city toolkit.

    A city is a folder (its workspace) with city.yaml, its input files and the ssckit.duckdb
    store. Each module turns raw data into indicator values; `ssckit kpi scorecard` turns them
    into the city's U4SSC scorecard (ITU-T Y.4903); `ssckit serve` shows everything on the web.
    Start with `ssckit demo`, which writes a synthetic sample city and runs every module on it.
    """


def _mount() -> None:
    from ssckit.access.cli import access
    from ssckit.core.export_cli import export
    from ssckit.cyber.cli import cyber
    from ssckit.demo.cli import compute, demo
    from ssckit.emf.cli import emf
    from ssckit.kpi.cli import kpi
    from ssckit.radio.cli import radio
    from ssckit.school.cli import school
    from ssckit.skills.cli import skills
    from ssckit.web.cli import serve, users

    for command in (access, compute, cyber, demo, emf, export, kpi, radio, school, serve,
                    skills, users):
        cli.add_command(command)


_mount()


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
