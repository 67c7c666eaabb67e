"""A Unicode TrueType font for the PDFs ssckit writes (Cyrillic included)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"))


def unicode_font() -> tuple[Path, Path] | None:
    """Regular and bold DejaVu Sans, from the system or from matplotlib's data; None if
    neither has them."""
    dirs = list(FONT_DIRS)
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        dirs += [Path(p) / "mpl-data" / "fonts" / "ttf" for p in spec.submodule_search_locations]
    for d in dirs:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None
