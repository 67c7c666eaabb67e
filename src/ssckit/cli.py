"""The ``ssckit`` command: core's commands, ``compute``, ``demo``, ``serve``, ``users``, and each
module's command group, taken from the modules' faces (:mod:`ssckit.core.modules`)."""

from __future__ import annotations

import sys

import click

from ssckit import __version__
from ssckit.core.cli_support import err_console
from ssckit.core.errors import InputError
from ssckit.core.modules import faces, load_ref, unavailable
from ssckit.core.store import set_store_wait


class _Root(click.Group):
    """The root group: module groups are loaded when first asked for, so `ssckit --help` and
    every command start without importing every module."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(f.name for f in faces() if f.cli)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        for face in faces():
            if face.name == name and face.cli:
                return load_ref(face.cli)   # not added for good: a module can be unregistered
        if name in unavailable():
            raise click.UsageError(f"the {name} module is not available: {unavailable()[name]}")
        return None


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: ssckit demo --workspace sample-city --no-serve",
)
@click.version_option(__version__, prog_name="ssckit")
@click.option("--debug", is_flag=True, help="Show the full traceback of any error.")
@click.option("--wait", "wait_s", type=click.FloatRange(0, 86_400), default=None,
              metavar="SECONDS", help="How long to wait for a store another process is using "
              "before giving up [default: $SSCKIT_STORE_WAIT or 30].")
def cli(debug: bool, wait_s: float | None) -> None:
    """ssckit: the smart sustainable city toolkit.

    A city is a folder (its workspace) with city.yaml, its input files and the ssckit.duckdb
    store. Each module turns raw data into indicator values; `ssckit kpi scorecard` turns them
    into the city's U4SSC scorecard (ITU-T Y.4903); `ssckit serve` shows everything on the web.
    Start with `ssckit demo`, which writes a synthetic sample city and runs every module on it.

    Any number of commands, `ssckit serve` and its live feeds may use one workspace at once:
    each opens the store only for a moment and the others wait their turn (--wait).
    """
    del debug
    if wait_s is not None:
        set_store_wait(wait_s)


def _mount() -> None:
    from ssckit.commands import backup, compute, demo, restore, runs
    from ssckit.core.export_cli import export
    from ssckit.web.cli import serve, users

    for command in (backup, compute, demo, export, restore, runs, serve, users):
        cli.add_command(command)


_mount()


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2, an unreachable
    broker or server one line and exit code 1, never a traceback (``--debug`` shows it)."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except InputError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (ConnectionError, TimeoutError) as exc:
        # a broker, server or service that cannot be reached: the user's setup, not a bug
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc or type(exc).__name__}; check that it "
                          "runs and that its address and port are right (--debug shows the "
                          "traceback)", highlight=False, soft_wrap=True)
        sys.exit(1)
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
