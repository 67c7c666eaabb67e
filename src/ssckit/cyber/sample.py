"""The sample city's cyber inputs: its web services (served by ssckit itself) and GCI answers.

The sample city's "public services" run on 127.0.0.1 while the pipeline step scans them
(:func:`sample_lab`, a :class:`~ssckit.cyber.locallab.Lab` in this process), each in a typical
configuration:

========  ====================================================================================
portal    the city portal, configured well (TLS 1.2/1.3, modern ciphers, every header): A+
intranet  an old intranet: TLS 1.0/1.1 still on, legacy CBC and RSA key-exchange suites, an
          RSA-2048 certificate, weak headers, a login cookie without flags, no HTTPS
          redirect, no security.txt: F
permits   a permits site whose certificate expires in ten days (a warning)
library   a library catalogue whose port refuses connections (reported unreachable)
========  ====================================================================================

Host names are ``<service>.<city>.test`` (RFC 6761: never resolvable on the internet); every
target names ``address: 127.0.0.1``, so a scan never looks them up. The certificates come from a
throw-away local CA (``run/cyber-lab/ca/ca.pem``, its key ``ca.key`` readable by the owner
only), made when the inputs are written; the leaf certificates are issued afresh at each start.

city.yaml::

    inputs:
      cyber: {targets: cyber_targets.yaml, answers: cyber_answers.yaml}
    settings:
      cyber:
        local_lab: true          # serve the sample services around the scan
        loopback_only: true      # never contact anything outside 127.0.0.0/8
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.cyber import gci
from ssckit.cyber.locallab import Lab, LocalCA, Site
from ssckit.cyber.netpolicy import is_loopback
from ssckit.cyber.targets import Target, TargetsFile

TARGETS_FILE = "cyber_targets.yaml"
ANSWERS_FILE = "cyber_answers.yaml"
CA_DIR = Path("run") / "cyber-lab" / "ca"
#: First port of the sample city's services (two per service: HTTPS, then plain HTTP). A taken
#: port is replaced by a free one while the services run; the targets file is left as it is.
BASE_PORT = 18440

LEGACY_CIPHERS = "ECDHE-RSA-AES128-SHA:AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"
WEAK_HEADERS = {
    "Strict-Transport-Security": "max-age=86400",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "unsafe-url",
}

#: Service name -> (tags, configuration of its :class:`Site`).
SERVICES: dict[str, tuple[list[str], dict[str, Any]]] = {
    "portal": (["citizen"], {}),
    "intranet": (["staff"], {
        "protocols": "TLSv1 TLSv1.1 TLSv1.2", "ciphers": LEGACY_CIPHERS, "cert_key": "rsa2048",
        "headers": WEAK_HEADERS, "cookies": ["JSESSIONID=5f2a9c41; Path=/"],
        "security_txt": None, "redirect_http": False}),
    "permits": (["citizen", "payments"], {"cert_days": (-355, 10)}),
    "library": (["citizen"], {"closed": True}),
}

#: Synthetic self-assessment: the questions answered "no" (everything else is "yes").
ANSWERED_NO = {"L2.4", "T1.3", "T2.3", "T3.2", "O1.3", "O3.2", "C1.2", "C2.2", "C3.1", "C3.2",
               "P1.1"}
#: Left unanswered (counted as "no" and listed).
UNANSWERED = {"P3.2"}


def city_domain(city_name: str) -> str:
    """``<city>.test``: the sample city's services' domain (RFC 6761 reserved name)."""
    slug = "".join(c if c.isalnum() else "-" for c in city_name.lower()).strip("-") or "city"
    return f"{slug}.test"


# -- writing the inputs -----------------------------------------------------------------------
def targets_doc(domain: str, base_port: int = BASE_PORT) -> dict[str, Any]:
    """The targets file of the sample services on ``domain``."""
    services = []
    for i, (name, (tags, _)) in enumerate(SERVICES.items()):
        host = f"{name}.{domain}"
        services.append({
            "name": name, "url": f"https://{host}:{base_port + 2 * i}/",
            "http_url": f"http://{host}:{base_port + 2 * i + 1}/", "address": "127.0.0.1",
            "ca_bundle": (CA_DIR / "ca.pem").as_posix(), "tags": ["sample", *tags]})
    return {"services": services}


def write_answers(path: Path, city_name: str) -> None:
    """A synthetic, plausible GCI-style answers file (a mid-tier city with gaps)."""
    q = gci.load_questionnaire()
    answers: dict[str, Any] = {}
    for p in q.pillars:
        for ind in p.indicators:
            for x in ind.questions:
                if x.id in UNANSWERED:
                    continue
                if x.id in ANSWERED_NO:
                    answers[x.id] = {"answer": "no", "note": "planned; not in place yet"}
                else:
                    answers[x.id] = {"answer": "yes",
                                     "evidence": f"{city_name} (synthetic) document "
                                                 f"{ind.id}-{x.id}, {ind.name.lower()}"}
    doc = {"respondent": f"{city_name} digital office (synthetic sample data)",
           "date": "2026-03-01", "answers": answers}
    path.write_text("# Synthetic self-assessment answers of the sample city (not a real "
                    "city).\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")


def write_sample(city: SampleCity) -> SampleInputs:
    """Write ``cyber_targets.yaml``, ``cyber_answers.yaml`` and the local CA into the sample
    city's workspace; the scan runs against the services :func:`sample_lab` serves."""
    root = Path(city.root)
    header = ("# The sample city's public web services (synthetic): served on 127.0.0.1 by\n"
              "# ssckit itself while the cyber step scans them (settings.cyber.local_lab).\n")
    (root / TARGETS_FILE).write_text(
        header + yaml.safe_dump(targets_doc(city_domain(city.name)), sort_keys=False),
        encoding="utf-8")
    LocalCA.load_or_create(root / CA_DIR)
    write_answers(root / ANSWERS_FILE, city.name)
    return SampleInputs(inputs={"targets": TARGETS_FILE, "answers": ANSWERS_FILE},
                        settings={"local_lab": True, "loopback_only": True})


# -- serving the services ---------------------------------------------------------------------
def _with_ports(target: Target, tls_port: int, http_port: int) -> Target:
    def port(url: str, p: int) -> str:
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{p}"))

    return target.model_copy(update={"url": port(target.url, tls_port),
                                     "http_url": port(target.plain_http_url, http_port)})


@contextlib.contextmanager
def sample_lab(root: Path, targets: TargetsFile) -> Iterator[TargetsFile]:
    """Serve the sample services named in ``targets`` on 127.0.0.1 for a ``with`` block.

    A service is served when its name is one of :data:`SERVICES` and it connects to a
    loopback ``address``; its certificate comes from the workspace's CA. Yields ``targets``
    with the ports really served (a port that is taken is replaced by a free one).
    """
    ca = LocalCA.load_or_create(Path(root) / CA_DIR)
    sites: dict[str, Site] = {}
    for t in targets.services:
        if t.name in SERVICES and t.address is not None and is_loopback(t.address):
            http_port = urlsplit(t.plain_http_url).port or 80
            sites[t.name] = Site(t.name, host=t.host, tls_port=t.port, http_port=http_port,
                                 **SERVICES[t.name][1])
    with Lab(list(sites.values()), ca):
        services = [_with_ports(t, sites[t.name].tls_port, sites[t.name].http_port)
                    if t.name in sites else t for t in targets.services]
        yield targets.model_copy(update={"services": services})
