"""What the skills module gives the whole: digital-skills assessment of the population."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="skills", package="ssckit.skills", order=60,
    title="Digital skills",
    summary="Digital-skills assessment: adaptive tests for people and weighted survey "
            "statistics by population group.",
    steps=(Step("ICT skills of the population (survey)", "ssckit.skills.indicators:compute",
                inputs=("inputs.skills.survey", "inputs.skills.design"), order=30),),
    cli="ssckit.skills.cli:skills",
    web=("ssckit.skills.web", "ssckit.skills.campaign_web"),
    templates="templates",
    static="static",
    migrations="ssckit.skills.results:MIGRATIONS",
    sample="ssckit.skills.sample:write_sample",
    requires=("scipy", "fpdf"),
)
