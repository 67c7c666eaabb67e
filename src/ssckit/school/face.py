"""What the school module gives the whole: the Smart School pilot's sensors and connectivity."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="school", package="ssckit.school", order=50,
    title="Smart School",
    summary="Classroom sensors and connectivity streamed in (MQTT, HTTP): indoor climate "
            "(EN 16798-1, BB101), energy and uptime per school.",
    steps=(Step("Smart School registry, history and indicators",
                "ssckit.school.run:compute",
                inputs=("inputs.school.schools", "inputs.school.rooms", "inputs.school.devices"),
                order=20),),
    cli="ssckit.school.cli:school",
    web=("ssckit.school.web_national", "ssckit.school.web", "ssckit.school.http_ingest"),
    templates="templates",
    static="static",
    migrations="ssckit.school.schema:MIGRATIONS",
    sample="ssckit.school.sample:write_sample",
    live="ssckit.school.serve:start_live_feed",
    requires=("paho.mqtt",),
)
