"""What the access module gives the whole: WCAG audits of web pages and captions."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="access", package="ssckit.access", order=80,
    title="Accessibility",
    summary="WCAG 2.2 audits of the city's web pages in a real browser, and captions for "
            "training videos.",
    steps=(Step("accessibility audit of the city's pages", "ssckit.access.indicators:compute",
                inputs=("inputs.access.site",), ready="ssckit.access.indicators:why_not_ready",
                order=70),),
    cli="ssckit.access.cli:access",
    web=("ssckit.access.web", "ssckit.access.live_web"),
    templates="templates",
    static="static",
    migrations="ssckit.access.history:MIGRATIONS",
    sample="ssckit.access.sample:write_sample",
    requires=("playwright", "axe_playwright_python"),
)
