"""What the kpi module gives the whole: the U4SSC scorecard (ITU-T Y.4903)."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="kpi", package="ssckit.kpi", order=10,
    title="U4SSC KPIs",
    summary="The 91 U4SSC key performance indicators (ITU-T Y.4903): imported or computed, "
            "scored against targets, compared and reported.",
    steps=(Step("manual KPI values (settings.kpi.values)", "ssckit.kpi.indicators:compute",
                inputs=("settings.kpi.values",), order=10),
           Step("U4SSC scorecard report (outputs/scorecard.html)",
                "ssckit.kpi.indicators:write_scorecard", order=100, after_publish=True)),
    cli="ssckit.kpi.cli:kpi",
    web=("ssckit.kpi.web",),
    home="ssckit.kpi.web:home_panel",
    templates="templates",
    static="static",
    sample="ssckit.kpi.sample:write_sample",
    migrations="ssckit.kpi.records:MIGRATIONS",
)
