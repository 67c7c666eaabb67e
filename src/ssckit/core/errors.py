"""The one way bad input is reported: InputError names the source, location and what is allowed."""

from __future__ import annotations


class InputError(Exception):
    """User input that cannot be accepted.

    Parameters
    ----------
    source : str
        The file (or stream, or command option) the input came from.
    location : str | None
        Where in the source: ``"line 12, field 'value'"``, ``"field 'crs'"``.
    message : str
        What is wrong and what is allowed, e.g. ``"140 is outside 0..100 (%)"``.
    """

    def __init__(self, source: str, location: str | None, message: str) -> None:
        self.source = str(source)
        self.location = location
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: {self.location}" if self.location else self.source
        return f"{where}: {self.message}"
