"""The toy module's face: one pipeline step, a command group, a page and a table."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="toy", package="tests.core.toy", order=90,
    title="Toy module",
    summary="Counts the lines of a text file named in city.yaml (inputs.toy.notes).",
    steps=(Step("lines of the notes file", "tests.core.toy.indicators:compute",
                inputs=("inputs.toy.notes",), order=80),),
    cli="tests.core.toy.cli:toy",
    web=("tests.core.toy.web",),
    templates="templates",
    migrations="tests.core.toy.indicators:MIGRATIONS",
)
