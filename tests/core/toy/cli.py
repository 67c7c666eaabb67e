"""The toy module's commands."""

import click


@click.group(epilog="Example: ssckit toy hello Ada")
def toy() -> None:
    """A toy module (an example of how modules plug in)."""


@toy.command(epilog="Example: ssckit toy hello Ada")
@click.argument("name")
def hello(name: str) -> None:
    """Greet NAME."""
    click.echo(f"hello {name} from the toy module")
