"""``ssckit access``: help texts, a real audit stored in a workspace, caption re-export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssckit.access.cli import access

from .conftest import needs_chromium


@pytest.mark.parametrize("command", [[], ["audit"], ["captions"], ["captions-export"]])
def test_help_has_an_example(command: list[str]) -> None:
    res = CliRunner().invoke(access, [*command, "--help"])
    assert res.exit_code == 0
    assert "Example: ssckit access" in res.output


@pytest.mark.browser
@needs_chromium
def test_audit_twice_into_a_workspace(site_copy: tuple[Path, str], workspace: Path) -> None:
    root, url = site_copy
    runner = CliRunner()
    args = ["audit", url + "index.html", "--depth", "0", "--sitemap", url + "sitemap.xml",
            "-w", str(workspace), "--format", "json"]
    first = runner.invoke(access, args)
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    [site] = data["sites"]
    # the sitemap's pages of this origin (not example.com) join the start page
    assert sorted(p["url"] for p in site["pages"]) == [
        url + "clean.html", url + "form.html", url + "index.html"]
    assert site["changes"] is None
    shots = list((workspace / "outputs" / "access" / "screenshots").glob("*.png"))
    assert len(shots) == 3

    form = root / "form.html"
    form.write_text(form.read_text().replace('<input type="text"', '<input aria-label="Email"'))
    second = runner.invoke(access, args)
    assert second.exit_code == 0, second.output
    changes = json.loads(second.output)["sites"][0]["changes"]
    assert changes["fixed"] == [[url + "form.html", "label"]]
    assert changes["new"] == [] and changes["score_change"] > 0

    table = runner.invoke(access, args[:-2] + ["--format", "table", "--quiet"])
    assert table.exit_code == 0, table.output
    assert "WCAG 2.2 A/AA" in table.output and "score" in table.output


def test_captions_export(tmp_path: Path) -> None:
    src = tmp_path / "talk.corrected.cues.json"
    src.write_text(json.dumps({"language": "en", "cues": [
        {"start": 0.0, "end": 2.0, "text": "Hello and welcome."}]}))
    res = CliRunner().invoke(access, ["captions-export", str(src), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "talk.vtt").read_text().startswith("WEBVTT")
    assert (tmp_path / "o" / "talk.srt").is_file()


def test_captions_without_model_is_a_clear_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSCKIT_WHISPER_MODEL", raising=False)
    media = tmp_path / "a.wav"
    media.write_bytes(b"")
    res = CliRunner().invoke(access, ["captions", str(media), "--quiet"])
    assert res.exit_code != 0
    assert "no speech model" in str(res.exception)
