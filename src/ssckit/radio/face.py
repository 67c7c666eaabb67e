"""What the radio module gives the whole: 5G coverage planning over terrain."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="radio", package="ssckit.radio", order=30,
    title="5G coverage",
    summary="5G coverage planning over terrain (ITU-R P.1812, 3GPP TR 38.901, P.2108, "
            "P.2109): population, area and school coverage, and a site plan.",
    steps=(Step("5G coverage and site plan", "ssckit.radio.indicators:compute",
                inputs=("inputs.radio.sites", "dem", "population"), order=40),),
    cli="ssckit.radio.cli:radio",
    web=("ssckit.radio.web",),
    templates="templates",
    static="static",
    sample="ssckit.radio.sample:write_sample",
    migrations="ssckit.radio.measurements:MIGRATIONS",
    requires=("numba", "rasterio", "scipy"),
)
