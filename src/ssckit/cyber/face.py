"""What the cyber module gives the whole: the security posture of the city's services."""

from ssckit.core.modules import ModuleFace, Step

FACE = ModuleFace(
    name="cyber", package="ssckit.cyber", order=70,
    title="Cyber posture",
    summary="Security posture of the city's public services (TLS, HTTP headers, DNS, mail) "
            "and the GCI self-assessment.",
    steps=(Step("security scan of the city's web services", "ssckit.cyber.indicators:compute",
                inputs=("inputs.cyber.targets",), order=60),),
    cli="ssckit.cyber.cli:cyber",
    web=("ssckit.cyber.web",),
    templates="templates", static="static",
    migrations="ssckit.cyber.store:MIGRATIONS",
    sample="ssckit.cyber.sample:write_sample",
    live="ssckit.cyber.monitor:start_monitor",
    requires=("sslyze", "dns", "cryptography"),
)
