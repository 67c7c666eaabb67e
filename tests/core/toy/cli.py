"""The toy module's commands."""

import click


@click.group()
def toy() -> None:
    """A toy module (an example of how modules plug in)."""


@toy.command()
@click.argument("name")
def hello(name: str) -> None:
    """Greet NAME."""
    click.echo(f"hello {name} from the toy module")
