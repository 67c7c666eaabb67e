"""What the emf module gives the whole: EMF exposure compliance of every antenna site."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="emf", package="ssckit.emf", order=40,
    title="EMF safety",
    summary="EMF exposure compliance of every antenna site (ITU-T K.52/K.70/K.100, ICNIRP) "
            "and a public exposure map.",
    steps=(Step("EMF compliance of every site", "ssckit.emf.indicators:compute",
                inputs=("inputs.radio.sites", "inputs.emf.extra_sites"), any_inputs=True,
                order=50),
           Step("EMF measurement register: lab reports", "ssckit.emf.register:compute",
                inputs=("inputs.emf.lab_reports",), order=52)),
    cli="ssckit.emf.cli:emf",
    web=("ssckit.emf.web", "ssckit.emf.register_web"),
    templates="templates",
    static="static",
    sample="ssckit.emf.sample:write_sample",
    migrations="ssckit.emf.migrations:MIGRATIONS",
    live="ssckit.emf.probe_feed:start_probe_feed",
    requires=("numba", "matplotlib"),
)
