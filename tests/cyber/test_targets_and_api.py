"""targets.yaml validation, the public API and the check catalogue."""

from __future__ import annotations

import pytest
import yaml

import ssckit.cyber as cyber_pkg
from ssckit.core.errors import InputError
from ssckit.cyber.checks import ALL_CHECKS
from ssckit.cyber.targets import load_targets, parse_targets


def test_valid_targets_file(tmp_path):
    (tmp_path / "ca.pem").write_text("x")
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({
        "dns": {"nameservers": ["127.0.0.1"], "port": 5353},
        "services": [{"name": "portal", "url": "https://portal.city.test:8443/",
                      "mail_domain": "city.test", "ca_bundle": "ca.pem", "tags": ["citizen"]}],
    }))
    t = load_targets(path)
    s = t.services[0]
    assert (s.host, s.port, s.plain_http_url) == ("portal.city.test", 8443,
                                                    "http://portal.city.test/")
    assert s.ca_bundle == tmp_path / "ca.pem" and t.dns.port == 5353


@pytest.mark.parametrize(("data", "location", "message"), [
    ({"services": [{"name": "a", "url": "ftp://x/"}]}, "services[0] (a), field 'url'",
     "must start with https://"),
    ({"services": [{"name": "a"}]}, "services[0] (a), field 'url'", "Field required"),
    ({"services": [{"name": "a", "url": "https://x/", "colour": 1}]},
     "services[0] (a), field 'colour'", "unknown field"),
    ({"services": [{"name": "a", "url": "https://x:99999/"}]}, "services[0] (a), field 'url'",
     "invalid port"),
    ({"services": [{"name": "a", "url": "https://x/", "address": "not-an-ip"}]},
     "services[0] (a), field 'address'", "not an IP address"),
    ({"services": [{"name": "a", "url": "https://x/", "ca_bundle": "missing.pem"}]},
     "services[0] (a), field 'ca_bundle'", "does not exist"),
    ({"services": [{"name": "a", "url": "https://x/"}, {"name": "a", "url": "https://y/"}]},
     "services[1] (a), field 'name'", "used twice"),
    ({"services": []}, "field 'services'", "at least 1"),
    ({"dns": {"nameservers": ["dns.google"]}, "services": [{"name": "a", "url": "https://x/"}]},
     "field 'dns.nameservers'", "not an IP address"),
])
def test_malformed_targets_name_entry_and_field(tmp_path, data, location, message):
    with pytest.raises(InputError) as exc:
        parse_targets(data, "targets.yaml", tmp_path)
    assert exc.value.source == "targets.yaml"
    assert location in exc.value.location and message in exc.value.message


def test_not_yaml(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("services: [\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_targets(p)


def test_public_api_is_complete_and_sorted():
    assert cyber_pkg.__all__ == sorted(cyber_pkg.__all__)
    for name in cyber_pkg.__all__:
        assert hasattr(cyber_pkg, name), name


def test_every_check_names_its_standard_and_fix():
    ids = [c.id for c in ALL_CHECKS]
    assert len(ids) == len(set(ids))
    for c in ALL_CHECKS:
        assert c.reference and c.remediation and c.title, c.id
